#include "sim/checkpoint/writer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <toml++/toml.h>

#include "sim/checkpoint/format.h"
#include "sim/checkpoint/machine.h"
#include "sim/platform/system.h"

namespace hvsim::checkpoint {

namespace fs = std::filesystem;

Writer::Writer(WriterOptions o) : o_(std::move(o)) {
  for (const Trigger& t : o_.at) {
    if (t.kind == Trigger::kInsns) insns_.push_back(t.n);
    if (t.kind == Trigger::kCycles) cycles_.push_back(t.n);
    if (t.kind == Trigger::kMagic) magic_ = true;
    if (t.kind == Trigger::kExit) at_exit_ = true;
  }
  std::sort(insns_.rbegin(), insns_.rend());  // back() is the next one
  std::sort(cycles_.rbegin(), cycles_.rend());
}

void Writer::install(platform::RunSpec& spec) {
  inputs_.kernel = spec.kernel;
  inputs_.modules = spec.modules;
  inputs_.cmdline = spec.cmdline;
  inputs_.initrd = spec.initrd;
  auto before = spec.prepare;
  spec.prepare = [this, before](platform::System& sys) {
    if (before) before(sys);
    if (!insns_.empty() || !cycles_.empty() || magic_)
      sys.cpu().set_boundary_hook([this, &sys] { at_boundary(sys); });
  };
  if (at_exit_) spec.at_end = [this](platform::System& sys, const platform::RunEnd&) { write(sys); };
  if (magic_) spec.magic_checkpoint = [this] { magic_pending_ = true; };
}

void Writer::at_boundary(platform::System& sys) {
  const uint64_t insns = sys.cpu().core().instructions(), cycles = sys.cpu().core().cycles();
  bool due = magic_pending_;
  while (!insns_.empty() && insns >= insns_.back()) insns_.pop_back(), due = true;
  while (!cycles_.empty() && cycles >= cycles_.back()) cycles_.pop_back(), due = true;
  magic_pending_ = false;
  if (due) write(sys);
}

void Writer::write(platform::System& sys) {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t insns = sys.cpu().core().instructions(), cycles = sys.cpu().core().cycles();
  const fs::path dir = fs::path(o_.out_dir) / ("checkpoint-" + std::to_string(insns));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw CheckpointError(dir.string() + ": " + ec.message());
  write_archive_file((dir / kArchiveName).string(), save_machine(sys, {o_.warm}));
  std::ofstream(dir / kConfigName, std::ios::trunc) << o_.config_toml;
  toml::table info;
  info.insert("format_version", int64_t(kFormatVersion));
  info.insert("instructions", int64_t(insns));
  info.insert("cycles", int64_t(cycles));
  info.insert("warm", o_.warm);
  info.insert("kernel", fs::absolute(inputs_.kernel).string());
  info.insert("kernel_crc32", int64_t(file_crc32(inputs_.kernel)));
  info.insert("cmdline", inputs_.cmdline);
  info.insert("initrd", inputs_.initrd.empty() ? "" : fs::absolute(inputs_.initrd).string());
  toml::array mods;
  for (const auto& m : inputs_.modules)
    mods.push_back(toml::table{{"path", fs::absolute(m.path).string()}, {"args", m.args}});
  info.insert("modules", mods);
  std::ofstream(dir / kInfoName, std::ios::trunc)
      << "# hvsim checkpoint: restore with `hvsim restore " << dir.string() << "`\n"
      << info << "\n";
  written_.push_back(dir.string());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_seconds_ += s;
  std::fprintf(stderr, "hvsim: checkpoint at %llu instructions, cycle %llu: %s (%.2f s)\n",
               (unsigned long long)insns, (unsigned long long)cycles, dir.string().c_str(), s);
}

}  // namespace hvsim::checkpoint
