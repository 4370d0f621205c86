// Test stand-in for Core::declare_params and the platform's entry points.
// The "kernel" is a text file whose first word says what the run does:
//   exit N | triple | load-error | config-error | internal
// A normal run prints what it received to stdout, as a guest would.
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "sim/base/exit_status.h"
#include "sim/core/core.h"
#include "sim/platform/simulation.h"

namespace hvsim::core {

void Core::declare_params(base::ParamRegistry& reg) {
  reg.add_uint("core.alu_cycles", 1, "cycles", "stub: latency of an ALU instruction");
}

}  // namespace hvsim::core

namespace hvsim::platform {

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("platform.memory_mib", 128, "MiB", "stub: guest RAM", 1, 1 << 20);
  reg.add_string("platform.uart", "stdout", "stub: where COM1 goes", {"stdout", "none"});
}

std::vector<std::string> exit_reason_names() {
  return {"CPUID", "HLT", "IO_INSTRUCTION", "EPT_VIOLATION", "VMEXIT_CPUID", "VMEXIT_NPF"};
}

RunResult run_simulation(const RunSpec& spec, const base::Config& cfg) {
  std::ifstream in(spec.kernel);
  std::string what;
  int value = 0;
  in >> what >> value;
  if (what == "load-error") throw LoadError(spec.kernel + ": not an ELF or multiboot file");
  if (what == "config-error")
    throw base::ConfigError("platform.memory_mib: too small for the kernel");
  if (what == "internal") throw std::runtime_error("stub failure");
  std::printf("kernel=%s cmdline=%s memory=%llu\n", spec.kernel.c_str(), spec.cmdline.c_str(),
              static_cast<unsigned long long>(cfg.get_uint("platform.memory_mib")));
  for (const auto& m : spec.modules)
    std::printf("module=%s args=%s\n", m.path.c_str(), m.args.c_str());
  std::printf("limits=%llu,%llu out=%s\n", static_cast<unsigned long long>(spec.max_insns),
              static_cast<unsigned long long>(spec.max_cycles), spec.out_dir.c_str());
  RunResult r;
  r.instructions = 84123456;
  r.cycles = 101234567;
  r.wall_seconds = 2.7;
  if (what == "triple") {
    r.exit_status = base::kExitTripleFault;
    r.end_reason = "triple fault at 0008:00100000";
    r.register_dump = "RAX=0000000000000000\nRIP=0000000000100000";
  } else {
    r.exit_status = value;
    r.end_reason = "guest wrote " + std::to_string(value) + " to isa-debug-exit";
  }
  return r;
}

}  // namespace hvsim::platform

namespace hvsim::gdb {

// The stand-in has no CPU to debug: --gdb runs without a stub.
decltype(platform::RunSpec::run_control) make_run_control(uint16_t) { return {}; }

}  // namespace hvsim::gdb

// Checkpoints need the real machine (sim/checkpoint's hvsim_checkpoint):
// with the stand-in, --checkpoint-at writes nothing and restore loads nothing.
#include "sim/checkpoint/machine.h"
#include "sim/checkpoint/writer.h"

namespace hvsim::checkpoint {

Writer::Writer(WriterOptions o) : o_(std::move(o)) {}
void Writer::install(platform::RunSpec&) {}
void load_machine(platform::System&, const std::string&) {}

}  // namespace hvsim::checkpoint
