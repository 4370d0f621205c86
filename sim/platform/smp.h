// The parts of a multiprocessor beyond the BSP (platform.cpus > 1; SDM
// Vol. 3 chapter 9.4 "Multiple-processor (MP) initialization"): each
// application processor is a Cpu module (its own SystemC thread and
// quantum keeper) with its own local APIC, timer host and exit tracker; the
// local APICs meet on the ApicCluster, and the xAPIC page at 0xfee00000
// reaches the APIC of the CPU that makes the access (LocalApicBank).
#pragma once

#include <memory>
#include <string>

#include "sim/platform/cpu_module.h"
#include "sim/platform/device.h"
#include "sim/platform/intc/apic_cluster.h"
#include "sim/platform/intc/apic_registers.h"
#include "sim/platform/intc/local_apic.h"
#include "sim/platform/intc/sc_timer_host.h"
#include "sim/platform/simulation.h"
#include "sim/virt/exit_tracker.h"

namespace hvsim::platform {

// What the System builds each CPU and local APIC from (system.cc).
intc::LocalApicParams lapic_params(const base::Config& cfg);
CpuParams cpu_params(const base::Config& cfg, const RunSpec& spec);

// On a multiprocessor every core's exit tracker writes the one
// --trace-exits file through this (the System owns the file's sink and
// closes it after every tracker has finished); records carry their vCPU.
class ForwardSink : public virt::ExitSink {
 public:
  explicit ForwardSink(virt::ExitSink& to) : to_(to) {}
  void record(const virt::ExitRecord& r) override { to_.record(r); }
  void finish() override {}
  void guest_phase(uint32_t vcpu, uint64_t begin, uint64_t end) override {
    to_.guest_phase(vcpu, begin, end);
  }

 private:
  virt::ExitSink& to_;
};

// One application processor and what is private to it.
struct ApSlot {
  ApSlot(const std::string& name, const base::Config& cfg, const CpuParams& p,
         const intc::LocalApicParams& lp)
      : cpu(name.c_str(), cfg, p),
        timers((name + "_timers").c_str(), cpu.cycle_time(), [this] { return cpu.now_cycles(); }),
        lapic(lp, timers),
        regs(lapic) {}
  Cpu cpu;
  intc::ScTimerHost timers;  // its local APIC timer, on its own clock
  intc::LocalApic lapic;
  intc::LocalApicRegisters regs;
  virt::ExitTracker exits;
};

// The xAPIC MMIO page is per CPU at one address (SDM Vol. 3 11.4.1): an
// access reaches the local APIC of the CPU that makes it, i.e. the CPU
// whose thread is inside Core::run (CpuGroup::running); outside any CPU
// (never, for this page) the BSP's.
class LocalApicBank : public RegisterDevice {
 public:
  LocalApicBank(intc::ApicCluster& apics, const CpuGroup& group) : apics_(apics), group_(group) {}
  uint32_t read(uint64_t offset, unsigned len) override { return apic().read(offset, len); }
  void write(uint64_t offset, uint32_t value, unsigned len) override {
    apic().write(offset, value, len);
  }
  uint64_t access_cycles() const override { return apics_.apic(0).access_cycles(); }

 private:
  intc::LocalApic& apic() {
    const int i = group_.running;
    return apics_.apic(i >= 0 && size_t(i) < apics_.size() ? size_t(i) : 0);
  }
  intc::ApicCluster& apics_;
  const CpuGroup& group_;
};

}  // namespace hvsim::platform
