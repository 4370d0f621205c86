#include "workload_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace hvsim_test {

std::string workload_path(const std::string& name, bool elf32) {
  return std::string(HVSIM_WORKLOADS_DIR) + "/" + name + (elf32 ? ".elf32" : ".elf");
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    v.push_back(l);
  }
  return v;
}

std::string comparable(const std::string& serial) {
  std::string out;
  for (const auto& l : lines(serial)) {
    if (l.rfind("timing:", 0) == 0 || l.rfind("info:", 0) == 0) continue;
    out += l + "\n";
  }
  return out;
}

std::string read_golden(const std::string& name) {
  std::ifstream f(std::string(HVSIM_WORKLOADS_GOLDEN) + "/" + name + ".txt");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string qemu_path() { return find_in_path("qemu-system-x86_64"); }

ProcResult run_qemu(const std::string& elf32, const std::string& cmdline) {
  return run_process({qemu_path(), "-accel", "tcg", "-cpu", "max", "-m", "128", "-kernel", elf32, "-append",
                      cmdline, "-serial", "stdio", "-display", "none", "-monitor", "none", "-no-reboot",
                      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"},
                     std::chrono::seconds(120));
}

ProcResult run_hvsim(const std::string& hvsim, const std::string& elf, const std::string& cmdline) {
  auto tmpl = (std::filesystem::temp_directory_path() / "hvsim-wl-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-wl-out";
  auto r = run_process({hvsim, "run", elf, "--cmdline", cmdline, "--out", out_dir}, std::chrono::seconds(900));
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  return r;
}

std::string describe(const ProcResult& r) {
  std::ostringstream s;
  s << "started=" << r.started << " timed_out=" << r.timed_out << " exit=" << r.exit_code
    << " signal=" << r.term_signal << "\n--- stdout ---\n"
    << r.out << "--- stderr (last 4000 bytes) ---\n"
    << (r.err.size() > 4000 ? r.err.substr(r.err.size() - 4000) : r.err);
  return s.str();
}

}  // namespace hvsim_test
