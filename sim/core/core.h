// The x86-64 execution engine as plain C++ (no SystemC): decoded-block cache,
// semantic functions, exception delivery. The SystemC CPU module in
// sim/platform drives it one quantum at a time through run().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/core/arch_state.h"
#include "sim/core/bus.h"
#include "sim/core/interrupt_source.h"
#include "sim/core/magic_ops.h"
#include "sim/core/run_exit.h"

namespace hvsim::virt {
class ExitTracker;
}

namespace hvsim::core {

class Engine;  // the implementation (sim/core/engine.h)

class Core {
 public:
  Core(Bus& bus, const hvsim::base::Config& cfg);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  static void declare_params(hvsim::base::ParamRegistry& reg);
  void register_stats(hvsim::base::StatRegistry& stats);
  // A multiprocessor's per-core counters under `prefix` ("cpu1."):
  // instructions, cycles, interrupts, NMIs, INVLPGs.
  void register_core_stats(hvsim::base::StatRegistry& stats, const std::string& prefix);

  ArchState& state();
  const ArchState& state() const;

  // Processor state at a multiboot v1 entry: flat 32-bit protected mode,
  // paging off, EAX = 0x2BADB002, EBX = the information structure.
  void enter_multiboot(uint32_t entry, uint32_t mbi_addr);
  // The architected power-on reset state (real mode at F000:FFF0).
  void reset();
  // INIT then STARTUP IPI with `vector`: the reset state, but executing in
  // real mode at physical vector << 12 (CS = vector << 8, IP = 0).
  void start_at_sipi(uint8_t vector);
  // INIT was performed and no STARTUP IPI has started the core since.
  bool waiting_for_sipi() const;
  // An application processor at power-up: the reset state, waiting for a
  // STARTUP IPI (SDM Vol. 3 9.4.2; the APs' INIT state). apic_id is what
  // CPUID leaf 1 EBX[31:24] reports.
  void power_up_as_ap(uint32_t apic_id);
  // HLT with IF = 0 on an AP of a multiprocessor: the core halts (only INIT
  // or NMI wake it) instead of ending the run.
  void park();

  // Executes until cycles() >= cycle_limit or another RunExit happens.
  RunExit run(uint64_t cycle_limit);

  uint64_t cycles() const;
  uint64_t instructions() const;
  // Charges cycles spent outside the core (a device's access latency), so
  // that RDTSC and the cycle count see them.
  void add_cycles(uint64_t c);
  void set_insn_limit(uint64_t n);  // 0 = none
  void request_stop();              // makes run() return kStopRequested at the next boundary

  std::string dump_registers() const;
  std::string last_error() const;  // why the last kTripleFault / kHaltedForever happened
  // One line on the fast-forward/sampling of the run ("" without one).
  std::string timing_summary() const;

  // Where the guest's magic operations go (magic_ops.h); null: NOPs.
  void set_magic_ops(MagicOps* ops);

  // Interrupts: the core polls `src` at instruction boundaries when told
  // something may have changed (notify_interrupt), and routes CR8 and the
  // APIC MSRs to `regs`. Either may be null (no interrupt controller).
  void attach_interrupt_controller(InterruptSource* src, ApicRegisters* regs);
  // A device raised or lowered a request: look again at the next instruction
  // boundary. May be called from inside run() (an EOI or TPR write reaching
  // the APIC) or from another SystemC process between quanta.
  void notify_interrupt();
  // True after HLT until an interrupt (or NMI) wakes the core; run() returns
  // kHalted at once while it is true and nothing is deliverable.
  bool halted() const;
  // The cycle at which a halted guest exits without an interrupt (VMX-
  // preemption timer); ~0 when there is none.
  uint64_t guest_wake_deadline() const;

  // Where VMX/SVM world switches are reported (trace, summary, stats).
  void set_exit_tracker(virt::ExitTracker* t);

  Engine& engine() { return *engine_; }

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace hvsim::core
