// The top module: the one place the model is wired (Accellera TLM examples'
// "top" style). It builds the Cpu, the memory bus and the I/O-port bus,
// Ram and the `pc` devices from the Config, points the core at the loaded
// multiboot kernel, and owns the statistics the run reports, including the
// region of interest the workload marks with magic operations.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <systemc>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/platform/cpu_module.h"
#include "sim/platform/devices/acpi_pm.h"
#include "sim/platform/devices/cmos_rtc.h"
#include "sim/platform/devices/debug_exit.h"
#include "sim/platform/devices/fw_cfg.h"
#include "sim/platform/devices/i8042.h"
#include "sim/platform/devices/pc_testdev.h"
#include "sim/platform/devices/pci_host.h"
#include "sim/platform/devices/pic8259.h"
#include "sim/platform/devices/port80.h"
#include "sim/platform/devices/serial_sink.h"
#include "sim/platform/devices/uart16550.h"
#include "sim/platform/intc/apic_registers.h"
#include "sim/platform/intc/io_apic.h"
#include "sim/platform/intc/local_apic.h"
#include "sim/platform/intc/pc_irq.h"
#include "sim/platform/intc/pit8254.h"
#include "sim/platform/intc/sc_timer_host.h"
#include "sim/platform/loader/loader.h"
#include "sim/core/coherence.h"
#include "sim/platform/smp.h"
#include "sim/platform/tlm/device_target.h"
#include "sim/platform/tlm/ram.h"
#include "sim/platform/tlm/router.h"
#include "sim/virt/exit_tracker.h"
#include "sim/vmx/vmx.h"

namespace hvsim::checkpoint {
struct Access;
}

namespace hvsim::platform {

// The System is also the sink of the guest's magic operations (regions of
// interest, statistics; core/magic_ops.h).
class System : public sc_core::sc_module, private core::MagicOps {
 public:
  // ram already holds the boot images described by boot (the loader ran first).
  System(sc_core::sc_module_name name, const base::Config& cfg, const RunSpec& spec,
         std::unique_ptr<HostMemory> ram, const BootInfo& boot, base::StatRegistry& stats);

  Cpu& cpu() { return cpu_; }  // the BSP
  // Every CPU, the BSP first (platform.cpus); index = APIC ID.
  const std::vector<Cpu*>& cpus() const { return group_.cpus; }
  const CpuGroup& group() const { return group_; }
  intc::LocalApic& lapic() { return lapic_; }
  intc::IoApic& ioapic() { return ioapic_; }
  intc::Pit8254& pit() { return pit_; }
  intc::PcIrqRouter& irq() { return irq_; }
  intc::ScTimerHost& timers() { return timers_; }
  // Flushes the serial output and writes OUT/stats.txt and OUT/stats.json.
  void finish();
  void write_stats();
  // The guest marked a region of interest: stats.txt/json cover the regions.
  bool roi_seen() const { return roi_seen_; }

 private:
  friend struct checkpoint::Access;  // sim/checkpoint saves and restores the devices
  void start_of_simulation() override;
  void wire_memory_bus(const PcMemory& mem);
  void wire_io_bus();
  void wire_interrupts();
  void add_device(DeviceTarget& t, uint64_t base, uint64_t size);
  void guest_reset(const char* how);
  void add_mmio_device(DeviceTarget& t, uint64_t base, uint64_t size);
  void register_stats();
  void wire_virtualization(const base::Config& cfg);
  void register_intc_stats();
  // Multiprocessor (system_smp.cc): the APs, their APICs and statistics.
  void build_aps(const base::Config& cfg, unsigned n);
  void wire_ap(const base::Config& cfg, ApSlot& a, unsigned index);
  void register_smp_stats();
  void finish_aps();
  void open_shared_trace(const base::Config& cfg);
  void magic(uint16_t op, uint64_t arg) override;  // core::MagicOps
  // Regions of interest accumulate: counters count only between ROI begin
  // and ROI end, summed over every region; reset-stats starts over.
  void roi_begin();
  void roi_end();
  void reset_stats();
  double region_wall_seconds() const;

  const RunSpec& spec_;
  base::StatRegistry& stats_;
  PcMemory layout_;

  // Device logic (plain C++), then the SystemC modules around it.
  std::unique_ptr<SerialSink> serial_;
  Uart16550 uart_;
  DebugExit debug_exit_;
  FwCfg fw_cfg_;
  Pic8259 pic_master_, pic_slave_;
  Port80 port80_;
  PcTestdevPorts testdev_;
  PcTestdevIrq testdev_irq_;
  CmosRtc rtc_;
  AcpiPm acpi_pm_;     // the FADT's PM1a blocks and PM timer (firmware/acpi.h)
  I8042 i8042_;
  PciHost pci_host_;

  TimeBase time_base_;  // a restored run's (docs/checkpoint.md): every CPU and timer host reads it
  CpuGroup group_;  // every CPU: the run end, the running one
  Cpu cpu_;         // the BSP (APIC ID 0)
  // Interrupts and timers (intc/): deadlines in core cycles on the SystemC
  // kernel, the local APIC (the core's InterruptSource), the I/O APIC, the
  // ISA IRQ wiring to the 8259 pair and the I/O APIC, the 8254 and port 0x61.
  intc::ScTimerHost timers_;
  intc::LocalApic lapic_;
  intc::LocalApicRegisters lapic_regs_;
  intc::ApicCluster apics_;    // every local APIC, by APIC ID; the I/O APIC's bus
  LocalApicBank lapic_bank_;   // the xAPIC page of the CPU making the access
  intc::IoApic ioapic_;
  intc::PcIrqRouter irq_;
  intc::Pit8254 pit_;
  intc::Port61 port61_;

  Router mem_bus_, io_bus_;
  Ram ram_;
  DeviceTarget uart_t_, debug_exit_t_, fw_cfg_t_, pic_master_t_, pic_slave_t_, port80_t_;
  DeviceTarget lapic_t_, ioapic_t_, pit_t_, port61_t_;
  DeviceTarget testdev_t_, testdev_irq_t_, rtc_t_;
  DeviceTarget acpi_pm_t_, kbd_data_t_, kbd_cmd_t_, pci_host_t_;
  Ram testdev_mem_;  // pc-testdev's 64 KiB at 0xff000000

  // Region of interest: where counting (re)started, and the frozen report.
  base::StatSnapshot acc_;  // counters summed over closed regions (or since reset)
  bool in_roi_ = false, roi_seen_ = false;
  // VM exits and entries of the CPU's VMX/SVM unit: trace, summary, stats.
  virt::ExitTracker exits_;
  vmx::Vmx* vmx_ = nullptr;  // owned by the core's engine; null without VMX
  std::chrono::steady_clock::time_point wall_start_;
  double acc_wall_ = 0;      // host seconds of closed regions
  std::optional<std::pair<std::string, std::string>> frozen_;  // text, json at ROI end
  std::vector<std::unique_ptr<ApSlot>> aps_;  // CPUs 1..platform.cpus-1
  std::unique_ptr<virt::ExitSink> shared_trace_;  // --trace-exits of all cores (cpus > 1)
  core::Coherence coherence_;  // cross-core SMC and MONITOR stores (cpus > 1)
  bool warned_checkpoint_ = false;
};

}  // namespace hvsim::platform
