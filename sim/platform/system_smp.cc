// The System's multiprocessor part (platform.cpus > 1): the APs, the IPI
// fan-out between the local APICs and the per-core statistics. The BSP is
// wired in system.cc exactly as on a uniprocessor.
#include <algorithm>
#include <cstdio>
#include <string>

#include "sim/core/sys/pmu.h"
#include "sim/platform/system.h"
#include "sim/svm/svm.h"
#include "sim/virt/exit_sinks.h"

namespace hvsim::platform {

void System::build_aps(const base::Config& cfg, unsigned n) {
  for (unsigned i = 1; i < n; ++i) {
    intc::LocalApicParams lp = lapic_params(cfg);
    lp.apic_id = i;
    lp.bsp = false;
    aps_.push_back(
        std::make_unique<ApSlot>("cpu" + std::to_string(i), cfg, cpu_params(cfg, spec_), lp));
    ApSlot& a = *aps_.back();
    group_.cpus.push_back(&a.cpu);
    a.cpu.join(&group_, i);
    apics_.add(a.lapic);
    wire_ap(cfg, a, i);
  }
  if (n < 2) return;
  // Stores seen by every core: cross-modifying code and MONITOR/MWAIT.
  for (Cpu* c : group_.cpus) {
    c->core().engine().set_coherence(&coherence_);
    coherence_.add(&c->core().engine(), [c] { c->wake(); });
  }
  // ICR messages go through the cluster (every APIC, shorthands).
  for (size_t i = 0; i < apics_.size(); ++i) {
    intc::LocalApic& from = apics_.apic(i);
    from.set_ipi_sender([this, &from](const intc::ApicMessage& m, unsigned shorthand) {
      apics_.send_ipi(from, m, shorthand);
    });
  }
}

// An AP: the memory and I/O buses, its APIC (EOIs to the I/O APIC, TSC
// deadline on its own TSC, wake-ups, SIPI), its timers, VMX/SVM, and the
// power-up state: waiting for INIT-SIPI (SDM Vol. 3 9.4.2).
void System::wire_ap(const base::Config& cfg, ApSlot& a, unsigned index) {
  Cpu& cpu = a.cpu;
  cpu.set_time_base(time_base_);
  a.timers.set_time_base(time_base_);
  cpu.mem_socket.bind(mem_bus_.target_socket);
  cpu.io_socket.bind(io_bus_.target_socket);
  cpu.set_memory_map(&mem_bus_);
  cpu.core().power_up_as_ap(index);
  cpu.core().set_magic_ops(this);
  a.lapic.set_eoi_broadcast([this](uint8_t v) { ioapic_.eoi(v); });
  a.lapic.set_tsc_offset([&cpu] { return int64_t(cpu.core().state().tsc_offset); });
  a.lapic.set_wakeup([&cpu] { cpu.wake(); });
  a.lapic.set_sipi_handler([&cpu, &a](uint8_t v) {
    if (!cpu.core().waiting_for_sipi()) {
      if (!a.lapic.init_pending()) return false;  // SIPI is ignored outside wait-for-SIPI
      cpu.latch_sipi(v);                      // INIT not yet performed: held for it
      cpu.wake();
      return true;
    }
    // An INIT that arrived while the core waited for SIPI was absorbed by
    // that state (the core is already in it): it is not performed again.
    a.lapic.take_init();
    cpu.core().start_at_sipi(v);
    cpu.wake();
    return true;
  });
  cpu.attach_interrupts(&a.lapic, &a.regs, [&a] {
    return std::min(a.timers.next_deadline(), core::sys::pmu_next_deadline(a.cpu.core().engine()));
  });
  a.timers.set_deadline_listener([&cpu](uint64_t c) { cpu.deadline_moved(c); });
  a.regs.set_performance_deadline_listener([&cpu](uint64_t c) { cpu.deadline_moved(c); });
  a.exits.set_filter(spec_.trace_filter);
  a.exits.set_vcpu(index);  // the trace's vcpu column is the core
  if (shared_trace_) a.exits.add_sink(std::make_unique<ForwardSink>(*shared_trace_));
  cpu.core().set_exit_tracker(&a.exits);
  vmx::attach(cpu.core().engine(), cfg);
  svm::attach(cpu.core().engine(), cfg);
}

// Per core "cpuN.*" and the machine's "smp.*" (platform.cpus > 1 only, so a
// uniprocessor's statistics are unchanged). The BSP keeps every "cpu.*",
// "mmu.*" and "platform.lapic.*" name of a uniprocessor run.
void System::register_smp_stats() {
  const size_t n = group_.cpus.size();
  if (n < 2) return;
  auto& s = stats_;
  for (size_t i = 0; i < n; ++i) {
    const std::string p = "cpu" + std::to_string(i) + ".";
    Cpu& cpu = *group_.cpus[i];
    intc::LocalApic& apic = apics_.apic(i);
    cpu.core().register_core_stats(s, p);
    s.add_counter(p + "ipis_sent", &apic.ipis_sent, "count", "ICR writes that sent an IPI");
    s.add_counter(p + "ipis_received", &apic.ipis_received, "count",
                  "IPIs this core's local APIC accepted");
    s.add_counter(p + "halted_cycles", &cpu.halted_cycles, "cycles",
                  "cycles halted or waiting for SIPI");
    s.add_formula(
        p + "ipc",
        [this, p] {
          const double c = double(stats_.value(p + "cycles"));
          return c > 0 ? double(stats_.value(p + "instructions")) / c : 0;
        },
        "instructions/cycle", "this core's instructions per cycle");
  }
  auto sum = [this, n](const std::string& what) {
    double t = 0;
    for (size_t i = 0; i < n; ++i) t += double(stats_.value("cpu" + std::to_string(i) + "." + what));
    return t;
  };
  auto elapsed = [this, n] {
    double m = 0;
    for (size_t i = 0; i < n; ++i)
      m = std::max(m, double(stats_.value("cpu" + std::to_string(i) + ".cycles")));
    return m;
  };
  s.add_formula("smp.cpus", [n] { return double(n); }, "count", "CPUs (platform.cpus)");
  s.add_formula("smp.instructions", [sum] { return sum("instructions"); }, "instructions",
                "instructions retired by all cores");
  s.add_formula("smp.cycles", elapsed, "cycles", "elapsed cycles: the furthest core's count");
  s.add_formula(
      "smp.ipc", [sum, elapsed] { return elapsed() > 0 ? sum("instructions") / elapsed() : 0; },
      "instructions/cycle", "aggregate IPC: all cores' instructions per elapsed cycle");
  s.add_formula("smp.ipis", [sum] { return sum("ipis_received"); }, "count",
                "IPIs accepted, all cores");
  s.add_formula("smp.invlpgs", [sum] { return sum("invlpgs"); }, "count", "INVLPGs, all cores");
}

void System::open_shared_trace(const base::Config& cfg) {
  const auto format = virt::trace_format_for_path(spec_.trace_exits);
  if (!format)
    throw base::ConfigError("--trace-exits " + spec_.trace_exits +
                            ": unknown trace format (expected " + virt::kTraceFormatsHint + ")");
  shared_trace_ = virt::make_trace_sink(*format, spec_.trace_exits, cfg.get_uint("platform.cpu_mhz"));
  exits_.add_sink(std::make_unique<ForwardSink>(*shared_trace_));
}

// The APs' VM exits: each core's summary, after the BSP's (vCPU = core),
// like `perf kvm stat report --vcpu N`; then the shared trace is closed.
void System::finish_aps() {
  for (size_t i = 0; i < aps_.size(); ++i) {
    ApSlot& a = *aps_[i];
    a.exits.finish(a.cpu.core().cycles());
    if (a.exits.exits() == 0) continue;
    const std::string text = a.exits.summary_text();
    std::fprintf(stderr, "vCPU %zu (cpu%zu):\n%s", i + 1, i + 1, text.c_str());
  }
  if (shared_trace_) shared_trace_->finish();
}

}  // namespace hvsim::platform
