// The CPU as a SystemC module: one SC_THREAD drives core::Core a quantum at
// a time (loosely timed, IEEE 1666-2011 section 12 "quantum keeper"), and
// the module is the core's Bus: RAM through cached DMI pointers, MMIO and
// port I/O through b_transport on the memory and I/O-port buses, annotated
// with the core's local time offset (one reused payload, no allocation per
// access), and unbacked memory (no window of the memory map) answered here
// from the router's map without a transaction. Cycles become sc_time once per
// quantum, never per instruction (ARCHITECTURE.md, "Practical facts").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <systemc>
#include <tlm>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/core/bus.h"
#include "sim/core/core.h"
#include "sim/core/interrupt_source.h"
#include "sim/platform/run_end.h"
#include "sim/platform/time_base.h"
#include "sim/platform/tlm/router.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::platform {

class Cpu;

// What the CPUs of one machine share (System owns it; platform.cpus > 1):
// how the run ended, every CPU (an end stops them all) and which one's
// thread is inside Core::run. SystemC runs one process at a time, so at most
// one CPU executes and `running` names the initiator of any access or
// interrupt message made from inside the core (local APIC MMIO, IPIs).
struct CpuGroup {
  RunEnd end;
  std::vector<Cpu*> cpus;
  int running = -1;  // index of the CPU inside Core::run; -1: none (a timer, a device)
  bool multi() const { return cpus.size() > 1; }
  // The cycle at which a message sent now was sent: the running CPU's local
  // time, or the kernel's (a timer or device callback).
  uint64_t sender_now() const;
};

// Something that runs the core on the CPU module's behalf for a quantum: a
// debugger (sim/gdb) stopping at its breakpoints, single-stepping, talking
// to its client at instruction boundaries. Called once per quantum instead
// of Core::run, so with none attached the run loop is unchanged.
class RunControl {
 public:
  virtual ~RunControl() = default;
  // Runs the core until cycles() >= limit or a RunExit, like Core::run.
  virtual core::RunExit run(uint64_t limit) = 0;
  // The run ended (Cpu::end_run): tell the client.
  virtual void run_ended(int exit_status, const std::string& reason) = 0;
};

struct CpuParams {
  uint64_t quantum_cycles = 10000;
  uint64_t mhz = 3000;
  uint64_t max_cycles = 0;  // 0 = none
  uint64_t max_insns = 0;   // 0 = none
};

class Cpu : public sc_core::sc_module, public core::Bus {
 public:
  static constexpr size_t kThreadStack = 16 << 20;

  tlm_utils::simple_initiator_socket<Cpu> mem_socket;
  tlm_utils::simple_initiator_socket<Cpu> io_socket;

  SC_HAS_PROCESS(Cpu);
  Cpu(sc_core::sc_module_name name, const base::Config& cfg, const CpuParams& p);
  // Joins a multiprocessor as CPU `index` (0 = the BSP): the run end is the
  // group's, an end stops every CPU, and HLT with IF = 0 or wait-for-SIPI
  // waits for another CPU instead of ending the run (APs; the BSP's
  // HLT with IF = 0 still ends it).
  void join(CpuGroup* group, unsigned index);
  unsigned index() const { return index_; }
  const CpuGroup* group() const { return group_; }  // null: a uniprocessor
  // A STARTUP IPI that arrived while an INIT was pending but not yet
  // performed (the target had not run since): held until the core performs
  // the INIT and waits for SIPI, then it starts at `vector` (a core that
  // reaches its next instruction boundary takes the INIT first).
  void latch_sipi(uint8_t vector) {
    sipi_latched_ = true;
    sipi_vector_ = vector;
  }
  ~Cpu() override;

  core::Core& core() { return *core_; }
  sc_core::sc_time cycle_time() const { return cycle_; }
  uint64_t total_cycles() const;  // core cycles, device stall cycles included
  // The cycle clock the timer devices read: the core's local count while it
  // runs (ahead of the SystemC kernel inside a quantum), the kernel's time
  // while a halted core waits (then the core has fallen behind it).
  uint64_t now_cycles() const;
  // The SystemC kernel's time in core cycles (rounded up).
  uint64_t kernel_cycles() const;

  // Interrupts (System wires them before sc_start): the controller the core
  // polls and its MSR/CR8 registers (both go to the core), and the earliest
  // pending timer deadline in core cycles (UINT64_MAX: none), which ends a
  // quantum early so the core syncs there and takes the interrupt on time.
  void attach_interrupts(core::InterruptSource* src, core::ApicRegisters* regs,
                         std::function<uint64_t()> next_deadline);
  // A device may have made an interrupt deliverable: the core looks again at
  // its next instruction boundary, and a halted core wakes up.
  void wake();
  // A timer deadline was set earlier than the current quantum's end (the
  // guest programmed a timer): the core stops at its next instruction
  // boundary and the run loop starts a quantum that ends at the deadline.
  void deadline_moved(uint64_t deadline_cycle);
  // The CPU thread is waiting in HLT for an interrupt. When sc_start returns
  // in this state no event was left that could wake it.
  bool waiting_in_halt() const { return halt_waiting_; }

  // Ends the run: records why, stops the core at its next instruction
  // boundary and the SystemC kernel at the end of this delta cycle.
  void end_run(int exit_status, const std::string& reason, bool with_register_dump);
  const RunEnd& end() const { return *end_; }

  void register_stats(base::StatRegistry& stats);

  // A debugger between the run loop and the core (null: none).
  void set_run_control(RunControl* rc) { rc_ = rc; }
  // Called between quanta when g_progress_due (stop_signal.h) is set.
  void set_progress(std::function<void()> f) { progress_ = std::move(f); }

  // The memory bus's address map (System wires it): an access to a range no
  // window maps is answered here as the router would answer it (reads all
  // ones, writes dropped, no delay), without a TLM transaction.
  void set_memory_map(const Router* map) { memory_map_ = map; }

  // Checkpoints (sim/checkpoint): called after each quantum's sync, where the
  // machine's state is consistent; empty: none.
  void set_boundary_hook(std::function<void()> f) { boundary_ = std::move(f); }
  // The machine's time base (a restored run's; the System owns it).
  void set_time_base(const TimeBase& tb) { base_ = &tb; }
  // Where this CPU's thread waits, so that a checkpoint can say where it
  // resumes (a multiprocessor's other CPUs wait while the BSP writes it).
  enum class At : uint8_t {
    kRun,          // between quanta or inside one (the CPU writing the checkpoint)
    kQuantumSync,  // in the quantum keeper's sync after a quantum, until wait_until_ps_
    kHaltSync,     // in the sync that starts a halt (wait_in_halt), until wait_until_ps_
    kHalted,       // halted or waiting for SIPI: in wait_in_halt's loop
  };
  friend struct checkpoint::Access;

  // core::Bus
  bool mem_read(uint64_t pa, void* data, unsigned len) override;
  bool mem_write(uint64_t pa, const void* data, unsigned len) override;
  uint32_t io_in(uint16_t port, unsigned len) override;
  void io_out(uint16_t port, uint32_t value, unsigned len) override;
  bool get_dmi(uint64_t pa, core::DmiRegion& out) override;

 private:
  void run_thread();
  void run_loop();
  // Hands the cycles run since the last sync to the quantum keeper and syncs.
  void sync_time(At where);
  // A restored thread continues where the checkpoint found it (at_); true
  // when the run ends.
  bool resume();
  // wait_in_halt after its opening sync: waits for a wake-up.
  bool halt_wait();
  // True when the exit ends the run (after recording why).
  bool handle_exit(core::RunExit e);
  // SIGINT/SIGTERM arrived (stop_signal.h): ends the run; true if it did.
  bool end_on_signal();
  // HLT: sync, wait until a device wakes the core (or the cycle limit), then
  // move the core's clock to the kernel's time. True when the run ends.
  bool wait_in_halt();
  // One b_transport with the local time offset; charges what the target adds.
  tlm::tlm_response_status transport(tlm_utils::simple_initiator_socket<Cpu>& socket,
                                     tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                                     unsigned len);
  tlm::tlm_response_status transport_with(tlm::tlm_generic_payload& tx,
                                          tlm_utils::simple_initiator_socket<Cpu>& socket,
                                          tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                                          unsigned len);
  void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  // True when [pa, pa + len) lies in a gap of the memory map (learned from
  // the router on the first access there that no target answered).
  bool unbacked(uint64_t pa, unsigned len) const;
  void learn_unbacked(uint64_t pa);

  std::unique_ptr<core::Core> core_;
  CpuParams p_;
  sc_core::sc_time cycle_;
  tlm_utils::tlm_quantumkeeper qk_;
  uint64_t synced_cycles_ = 0;           // cycles already handed to the quantum keeper
  std::vector<core::DmiRegion> dmi_;     // granted RAM ranges
  std::vector<core::DmiRegion> no_dmi_;  // ranges the bus said are not RAM
  const Router* memory_map_ = nullptr;
  std::vector<core::DmiRegion> unbacked_;  // gaps of the memory map seen so far
  tlm::tlm_generic_payload tx_;            // reused by transport()
  bool tx_busy_ = false;                   // tx_ is in flight (a nested access uses its own)
  RunEnd own_end_;
  RunEnd* end_ = &own_end_;  // the group's when joined
  CpuGroup* group_ = nullptr;
  unsigned index_ = 0;
  uint64_t wake_at_ = 0;
  bool sipi_latched_ = false;
  uint8_t sipi_vector_ = 0;  // the latest sender time of a wake() while halted (multi)
  sc_core::sc_event wake_;              // an interrupt for a halted CPU
  bool has_wake_sources_ = false;       // attach_interrupts was called
  bool wake_pending_ = false;           // wake() since the last Core::run began
  bool halt_waiting_ = false;           // the thread waits in wait_in_halt()
  bool in_run_ = false;                 // inside Core::run
  bool requantum_ = false;              // request_stop() for a nearer deadline
  uint64_t run_limit_ = 0;              // the cycle limit of the current Core::run
  std::function<uint64_t()> next_deadline_;
  RunControl* rc_ = nullptr;
  std::function<void()> progress_;
  std::function<void()> boundary_;
  const TimeBase* base_ = &TimeBase::none();
  At at_ = At::kRun;            // where the thread is (checkpoints)
  uint64_t wait_until_ps_ = 0;  // a sync's end, time base included
  uint64_t halted_at_ = 0;      // the core's cycles when the current halt began

 public:                      // counters, registered as statistics
  uint64_t stall_cycles = 0;  // cycles devices added through the TLM delay
  uint64_t io_reads = 0, io_writes = 0, io_unmapped = 0;
  uint64_t mmio_reads = 0, mmio_writes = 0, mem_unmapped = 0;
  uint64_t dmi_grants = 0;
  uint64_t halts = 0;          // HLT waits for an interrupt
  uint64_t halted_cycles = 0;  // cycles spent halted (the clock moved to the wake-up)
};

}  // namespace hvsim::platform
