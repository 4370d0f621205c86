#include "workload_util.h"

#include <stdlib.h>

#include <cctype>

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

ProcResult run_hvsim(const std::string& hvsim, const std::string& elf, const std::string& cmdline,
                     std::string* stats_json) {
  auto tmpl = (std::filesystem::temp_directory_path() / "hvsim-wl-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-wl-out";
  auto r = run_process({hvsim, "run", elf, "--cmdline", cmdline, "--out", out_dir}, std::chrono::seconds(900));
  if (stats_json) {
    std::ifstream f(out_dir + "/stats.json");
    std::stringstream ss;
    ss << f.rdbuf();
    *stats_json = ss.str();
  }
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  return r;
}

long long stats_counter(const std::string& stats_json, const std::string& name) {
  // The first occurrence of the key is the value in "stats"; "units" and
  // "descriptions" repeat the key later with strings.
  auto key = "\"" + name + "\":";
  auto at = stats_json.find(key);
  if (at == std::string::npos) return -1;
  at += key.size();
  while (at < stats_json.size() && stats_json[at] == ' ') at++;
  size_t end = at;
  while (end < stats_json.size() && std::isdigit(static_cast<unsigned char>(stats_json[end]))) end++;
  if (end == at) return -1;
  return std::stoll(stats_json.substr(at, end - at));
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
