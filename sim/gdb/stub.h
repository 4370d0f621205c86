// `hvsim run --gdb PORT`: a GDB remote-serial-protocol stub on the simulated
// CPU (core 0). It sits between the CPU module's run loop and the core as a
// platform::RunControl, so without --gdb nothing of it runs; with it, the
// core runs whole quanta until gdb has breakpoints, watchpoints or a step
// pending, and then one instruction per Core::run (a cycle budget of one),
// which puts every stop at an instruction boundary. Ctrl-C in gdb (the 0x03
// byte) is looked for between quanta and every 1024 steps.
//
// Offered: qSupported, qXfer:features:read (registers.h), g/G/p/P, m/M
// through the current paging mode (debug_memory.h), Z0/Z1 breakpoints
// (neither writes guest memory), Z2/Z3/Z4 watchpoints on up to four ranges
// (the engine's debugger slots: trap after the access, as on x86), s, c,
// k, D, ?. Breakpoint addresses are compared with RIP.
//
// Threads: each core of a multiprocessor (platform.cpus) is a thread, id =
// core index + 1 (qfThreadInfo, qThreadExtraInfo with the core's state, T).
// Hg selects the core whose registers (g/G/p/P) and memory view (m/M, its
// paging mode) the next packets use; continuing and stepping resume the
// whole machine, and breakpoints, watchpoints and steps are core 0's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/run_exit.h"
#include "sim/gdb/connection.h"
#include "sim/platform/cpu_module.h"

namespace hvsim::core {
class Engine;
}

namespace hvsim::gdb {

class Stub : public platform::RunControl {
 public:
  // Listens on 127.0.0.1:port (0: any free port) at once; waits for gdb
  // when the simulation starts. Throws base::ConfigError if it cannot listen.
  Stub(platform::Cpu& cpu, uint16_t port);

  uint16_t port() const { return conn_.port(); }

  core::RunExit run(uint64_t limit) override;
  void run_ended(int exit_status, const std::string& reason) override;

 private:
  struct Watch {
    uint64_t addr = 0;
    uint32_t len = 0;
    uint8_t kind = 0;  // 1 write (Z2), 2 read (Z3), 3 access (Z4); 0 free
  };

  bool debugging() const;  // breakpoints, watchpoints or a step pending
  core::RunExit run_stepping(uint64_t limit);
  // Reports a stop and serves gdb until it resumes, detaches or kills.
  void stop(const std::string& reply);
  std::string handle(const std::string& p, bool* resume);
  std::string read_registers();
  std::string write_registers(const std::string& hex);
  std::string read_memory(const std::string& args);
  std::string write_memory(const std::string& args);
  std::string breakpoint(const std::string& p, bool insert);
  std::string features(const std::string& args);
  // Threads (cores): how many, the selected one's engine, H and T packets.
  size_t threads() const;
  core::Engine& reg_engine();
  std::string select_thread(const std::string& p);
  std::string thread_extra_info(const std::string& id_hex);
  void detach();
  void kill();

  platform::Cpu& cpu_;
  core::Engine& e_;
  Connection conn_;
  bool started_ = false, detached_ = false, killed_ = false, ended_ = false;
  bool stepping_ = false;
  bool skip_bp_ = false;  // resuming at a breakpoint: do not stop there at once
  std::vector<uint64_t> breakpoints_;
  Watch watches_[4];
  std::string last_stop_ = "S05";
  size_t gthread_ = 0;  // Hg: the core g/G/p/P/m/M use
};

}  // namespace hvsim::gdb
