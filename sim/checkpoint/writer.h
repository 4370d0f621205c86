// --checkpoint-at: when to write a checkpoint during a run and what goes
// into its folder OUT/checkpoint-<instructions>/ (docs/checkpoint.md):
//   machine.ckpt     the machine (format.h, machine.h)
//   config.toml      the resolved parameters
//   checkpoint.toml  the run's inputs (kernel path and CRC-32, cmdline,
//                    modules, initrd) and where the checkpoint was taken
// Checkpoints are taken at the first quantum boundary at or after the
// requested point (magic: after the guest asked), so writing one does not
// change the run; `exit` writes one when the run ends (any reason).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/platform/simulation.h"

namespace hvsim::checkpoint {

struct Trigger {
  enum Kind { kInsns, kCycles, kMagic, kExit } kind = kExit;
  uint64_t n = 0;
};
// "insns:N", "cycles:N", "magic" or "exit"; throws base::ConfigError otherwise.
Trigger parse_trigger(const std::string& text);

struct WriterOptions {
  std::vector<Trigger> at;
  bool warm = true;
  std::string out_dir;      // checkpoints go to OUT/checkpoint-<insns>/
  std::string config_toml;  // the resolved parameters
};

class Writer {
 public:
  explicit Writer(WriterOptions o);
  // Hooks the run (spec.prepare, at_end, magic_checkpoint); the Writer must
  // outlive the run.
  void install(platform::RunSpec& spec);
  const std::vector<std::string>& written() const { return written_; }
  double write_seconds() const { return write_seconds_; }

 private:
  void at_boundary(platform::System& sys);
  void write(platform::System& sys);

  WriterOptions o_;
  platform::RunSpec inputs_;  // kernel, modules, cmdline, initrd
  std::vector<uint64_t> insns_, cycles_;  // pending points, ascending
  bool magic_pending_ = false, at_exit_ = false, magic_ = false;
  std::vector<std::string> written_;
  double write_seconds_ = 0;
};

// CRC-32 (zlib) of a file's bytes: checkpoint.toml names the kernel by path and CRC.
uint32_t file_crc32(const std::string& path);
// Reads OUT/checkpoint-N/checkpoint.toml back into a RunSpec's inputs.
platform::RunSpec read_inputs(const std::string& dir);

}  // namespace hvsim::checkpoint
