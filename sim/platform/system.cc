#include "sim/platform/system.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/base/exit_status.h"
#include "sim/core/sys/pmu.h"
#include "sim/platform/boot_stats.h"
#include "sim/platform/firmware/acpi.h"
#include "sim/platform/loader/linux_entry.h"
#include "sim/platform/loader/load_error.h"
#include "sim/svm/svm.h"
#include "sim/virt/pv_events.h"

namespace hvsim::platform {

namespace {

sc_core::sc_time cycles_time(const base::Config& cfg, const std::string& key) {
  return sc_core::sc_time(
      double(cfg.get_uint(key)) * 1e3 / double(cfg.get_uint("platform.cpu_mhz")), sc_core::SC_NS);
}

uint64_t cpu_hz(const base::Config& cfg) { return cfg.get_uint("platform.cpu_mhz") * 1'000'000; }

}  // namespace

intc::LocalApicParams lapic_params(const base::Config& cfg) {
  intc::LocalApicParams p;
  p.apic_id = 0;
  p.bsp = true;
  p.core_hz = cpu_hz(cfg);
  p.timer_hz = cfg.get_uint("platform.apic_timer_hz");
  p.bsp_lint0_extint = cfg.get_bool("platform.lint0_extint");
  p.x2apic = cfg.get_bool("cpu.x2apic");
  p.phys_addr_bits = unsigned(cfg.get_uint("cpu.phys_addr_bits"));
  return p;
}

CpuParams cpu_params(const base::Config& cfg, const RunSpec& spec) {
  return {cfg.get_uint("platform.quantum_cycles"), cfg.get_uint("platform.cpu_mhz"),
          spec.max_cycles, spec.max_insns};
}

System::System(sc_core::sc_module_name name, const base::Config& cfg, const RunSpec& spec,
               std::unique_ptr<HostMemory> ram, const BootInfo& boot, base::StatRegistry& stats)
    : sc_module(name),
      spec_(spec),
      stats_(stats),
      layout_(pc_memory(ram->size())),
      serial_(make_serial_sink(cfg.get_string("platform.serial_out"))),
      uart_(*serial_),
      debug_exit_([this](uint8_t v, uint16_t port) {
        // The CPU that wrote the port ends the run (the BSP outside any).
        Cpu& by = group_.running > 0 ? *group_.cpus[size_t(group_.running)] : cpu_;
        by.end_run(v,
                     "guest wrote " + std::to_string(v) + " to isa-debug-exit at port " + hex(port),
                     false);
      }),
      fw_cfg_(ram->size(), uint16_t(cfg.get_uint("platform.cpus"))),
      port80_(cfg.get_uint("platform.port80_cycles")),
      testdev_irq_([this](unsigned line, bool level) { irq_.set_irq(line, level); }),
      rtc_([this] { return cpu_.now_cycles(); }, cpu_hz(cfg), cfg.get_uint("platform.rtc_start"),
           ram->size()),
      acpi_pm_([this] { return cpu_.now_cycles(); }, cpu_hz(cfg),
               [this](unsigned) { cpu_.end_run(0, "guest powered off (ACPI S5)", false); }),
      i8042_([this] { guest_reset("i8042 reset line"); },
             [this](unsigned line, bool level) { irq_.set_irq(line, level); }),
      pci_host_([this] { guest_reset("PIIX reset control register 0xcf9"); }),
      cpu_("cpu", cfg, cpu_params(cfg, spec)),
      timers_("timers", cpu_.cycle_time(), [this] { return cpu_.now_cycles(); }),
      lapic_(lapic_params(cfg), timers_),
      lapic_regs_(lapic_),
      lapic_bank_(apics_, group_),
      ioapic_(apics_),
      irq_(pic_master_, pic_slave_, ioapic_, &lapic_),
      pit_(timers_, cpu_hz(cfg)),
      port61_(pit_),
      mem_bus_("mem_bus"),
      io_bus_("io_bus"),
      ram_("ram", std::move(ram), cycles_time(cfg, "memory.read_latency_cycles"),
           cycles_time(cfg, "memory.write_latency_cycles")),
      uart_t_("com1", uart_, cpu_.cycle_time()),
      debug_exit_t_("debug_exit", debug_exit_, cpu_.cycle_time()),
      fw_cfg_t_("fw_cfg", fw_cfg_, cpu_.cycle_time()),
      pic_master_t_("pic_master", pic_master_, cpu_.cycle_time()),
      pic_slave_t_("pic_slave", pic_slave_, cpu_.cycle_time()),
      port80_t_("port80", port80_, cpu_.cycle_time()),
      lapic_t_("lapic", lapic_bank_, cpu_.cycle_time()),
      ioapic_t_("ioapic", ioapic_, cpu_.cycle_time()),
      pit_t_("pit", pit_, cpu_.cycle_time()),
      port61_t_("port61", port61_, cpu_.cycle_time()),
      testdev_t_("pc_testdev", testdev_, cpu_.cycle_time()),
      testdev_irq_t_("pc_testdev_irq", testdev_irq_, cpu_.cycle_time()),
      rtc_t_("rtc", rtc_, cpu_.cycle_time()),
      acpi_pm_t_("acpi_pm", acpi_pm_, cpu_.cycle_time()),
      kbd_data_t_("i8042_data", i8042_.data_port, cpu_.cycle_time()),
      kbd_cmd_t_("i8042_command", i8042_.command_port, cpu_.cycle_time()),
      pci_host_t_("pci_host", pci_host_, cpu_.cycle_time()),
      testdev_mem_("pc_testdev_iomem", std::make_unique<HostMemory>(PcTestdevPorts::kIomemSize),
                   sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME) {
  cpu_.mem_socket.bind(mem_bus_.target_socket);
  cpu_.io_socket.bind(io_bus_.target_socket);
  group_.cpus.push_back(&cpu_);
  cpu_.join(&group_, 0);
  cpu_.set_time_base(time_base_);
  timers_.set_time_base(time_base_);
  apics_.add(lapic_);
  wire_memory_bus(layout_);
  wire_io_bus();
  wire_interrupts();
  enter_kernel(cpu_.core(), boot);
  cpu_.core().set_magic_ops(this);
  wire_virtualization(cfg);
  build_aps(cfg, unsigned(cfg.get_uint("platform.cpus")));
  register_stats();
}

// The CPU model decides which virtualization unit the core has; its world
// switches are reported to the exit tracker (trace file, summary, stats).
void System::wire_virtualization(const base::Config& cfg) {
  if (!spec_.trace_exits.empty() && cfg.get_uint("platform.cpus") > 1)
    open_shared_trace(cfg);  // one file for every core (system_smp.cc)
  else if (!spec_.trace_exits.empty())
    exits_.open_trace(spec_.trace_exits, static_cast<unsigned>(cfg.get_uint("platform.cpu_mhz")));
  exits_.set_filter(spec_.trace_filter);
  cpu_.core().set_exit_tracker(&exits_);
  vmx_ = vmx::attach(cpu_.core().engine(), cfg);
  // AMD CPU models (cpu.vendor, cpu.svm); its svm.* counters go with it.
  if (svm::Svm* svm = svm::attach(cpu_.core().engine(), cfg)) svm->register_stats(stats_);
}

// RAM below 4 GiB from 0, the rest from 4 GiB (pc_memory.h).
void System::wire_memory_bus(const PcMemory& mem) {
  const unsigned ram = mem_bus_.bind_target(ram_.socket);
  mem_bus_.map(0, mem.below_4g, ram, 0, "ram");
  if (mem.above_4g) mem_bus_.map(kAbove4gStart, mem.above_4g, ram, mem.below_4g, "ram_above_4g");
  // QEMU pc: the I/O APIC and the local APIC's xAPIC page (at its reset
  // IA32_APIC_BASE; a relocated base is not followed). Registers, no DMI.
  add_mmio_device(ioapic_t_, intc::IoApic::kDefaultBase, intc::IoApic::kSize);
  add_mmio_device(lapic_t_, intc::LocalApic::kDefaultBase, intc::LocalApic::kSize);
  // QEMU's pc-testdev (kvm-unit-tests): its 64 KiB of memory.
  mem_bus_.map(PcTestdevPorts::kIomemBase, PcTestdevPorts::kIomemSize,
               mem_bus_.bind_target(testdev_mem_.socket), 0, "pc_testdev_iomem");
  // The map is complete: the CPU answers its gaps itself (Cpu::set_memory_map).
  cpu_.set_memory_map(&mem_bus_);
}

// QEMU pc port addresses (hw/i386/pc.c, hw/char/serial-isa.c, fw_cfg.rst).
void System::wire_io_bus() {
  add_device(pic_master_t_, Pic8259::kMasterBase, Pic8259::kSize);
  add_device(pit_t_, intc::Pit8254::kBase, intc::Pit8254::kSize);
  add_device(port61_t_, intc::Port61::kPort, intc::Port61::kSize);
  add_device(port80_t_, Port80::kBase, Port80::kSize);
  add_device(pic_slave_t_, Pic8259::kSlaveBase, Pic8259::kSize);
  add_device(debug_exit_t_, DebugExit::kBase, DebugExit::kSize);
  add_device(uart_t_, Uart16550::kCom1Base, Uart16550::kSize);
  add_device(fw_cfg_t_, FwCfg::kBase, FwCfg::kSize);
  add_device(testdev_t_, PcTestdevPorts::kBase, PcTestdevPorts::kSize);
  add_device(testdev_irq_t_, PcTestdevIrq::kBase, PcTestdevIrq::kSize);
  add_device(rtc_t_, CmosRtc::kBase, CmosRtc::kSize);
  add_device(acpi_pm_t_, firmware::kPmBase, firmware::kPmSize);
  add_device(kbd_data_t_, I8042::kDataPort, 1);
  add_device(kbd_cmd_t_, I8042::kCommandPort, 1);
  add_device(pci_host_t_, PciHost::kBase, PciHost::kSize);
}

// IRQ 0 from the PIT (PcIrqRouter: 8259 IR0 and I/O APIC pin 2), the EOI
// broadcast to the I/O APIC, TSC-deadline against the core's TSC, and the
// local APIC as the core's interrupt controller: anything that may have
// become deliverable wakes the CPU.
void System::wire_interrupts() {
  pit_.set_irq_output([this](bool level) { irq_.set_irq(0, level); });
  uart_.set_irq_output([this](bool level) { irq_.set_irq(4, level); });  // COM1: IRQ 4
  lapic_.set_eoi_broadcast([this](uint8_t v) { ioapic_.eoi(v); });
  // IA32_TSC = core cycles + ArchState::tsc_offset, and timers_.now() is the
  // core's cycle clock: the offset between the two is the architectural one.
  lapic_.set_tsc_offset([this] { return int64_t(cpu_.core().state().tsc_offset); });
  lapic_.set_wakeup([this] { cpu_.wake(); });
  lapic_.set_sipi_handler([this](uint8_t v) {
    if (!cpu_.core().waiting_for_sipi()) {
      if (!lapic_.init_pending()) return false;  // SIPI is ignored outside wait-for-SIPI
      cpu_.latch_sipi(v);                      // INIT not yet performed: held for it
      cpu_.wake();
      return true;
    }
    lapic_.take_init();  // an INIT received while waiting for SIPI: already in that state
    cpu_.core().start_at_sipi(v);
    cpu_.wake();
    return true;
  });
  // Each quantum starts with the performance counters brought up to date
  // (an overflow raises its PMI) and ends by the next possible overflow.
  cpu_.attach_interrupts(&lapic_, &lapic_regs_, [this] {
    return std::min(timers_.next_deadline(), core::sys::pmu_next_deadline(cpu_.core().engine()));
  });
  timers_.set_deadline_listener([this](uint64_t cycle) { cpu_.deadline_moved(cycle); });
  lapic_regs_.set_performance_deadline_listener(
      [this](uint64_t cycle) { cpu_.deadline_moved(cycle); });
}

// A reset the guest asked of the board ends the run: hvsim does not reboot.
void System::guest_reset(const char* how) {
  cpu_.end_run(base::kExitGuestReset, std::string("guest reset the machine (") + how + ")", false);
}

void System::add_device(DeviceTarget& t, uint64_t base, uint64_t size) {
  io_bus_.map(base, size, io_bus_.bind_target(t.socket), 0, t.basename());
}

void System::add_mmio_device(DeviceTarget& t, uint64_t base, uint64_t size) {
  mem_bus_.map(base, size, mem_bus_.bind_target(t.socket), 0, t.basename());
}

void System::register_stats() {
  cpu_.register_stats(stats_);
  stats_.add_counter("platform.uart.bytes_written", &uart_.bytes_written, "bytes",
                     "bytes the guest sent through COM1");
  stats_.add_counter("platform.port80.writes", &port80_.writes, "count",
                     "writes to the POST diagnostic port 0x80");
  stats_.add_counter("platform.fw_cfg.reads", &fw_cfg_t_.reads, "count",
                     "reads of the fw_cfg ports");
  register_intc_stats();
  register_boot_stats(stats_, cpu_);
  exits_.register_stats(stats_);
  if (vmx_) vmx_->register_stats(stats_);
  register_smp_stats();
  // Formulas read the (region-adjusted) counters through the registry; on a
  // multiprocessor, instructions are all cores' and cycles the furthest core's.
  const bool smp = group_.cpus.size() > 1;
  auto insns = [this, smp] {
    return smp ? stats_.as_double("smp.instructions") : double(stats_.value("cpu.instructions"));
  };
  auto cycles = [this, smp] {
    return smp ? stats_.as_double("smp.cycles") : double(stats_.value("cpu.cycles"));
  };
  // Host time of the counted part: the regions so far, or the whole run.
  auto wall = [this] { return roi_seen_ && !in_roi_ ? acc_wall_ : region_wall_seconds(); };
  const double hz =
      double(cpu_.cycle_time().to_seconds()) > 0 ? 1 / cpu_.cycle_time().to_seconds() : 0;
  stats_.add_formula(
      "sim.ipc", [=] { return cycles() > 0 ? insns() / cycles() : 0; }, "instructions/cycle",
      "instructions per cycle");
  stats_.add_formula(
      "sim.seconds", [=] { return cycles() / hz; }, "seconds",
      "simulated time: cycles at platform.cpu_mhz");
  stats_.add_formula("sim.wall_seconds", wall, "seconds", "host time the simulation took");
  stats_.add_formula(
      "sim.mips", [=] { return wall() > 0 ? insns() / wall() / 1e6 : 0; }, "MIPS",
      "simulation speed: instructions per host second / 1e6");
}

void System::register_intc_stats() {
  auto& s = stats_;
  const auto& a = lapic_;
  const std::pair<const char*, std::pair<const uint64_t*, const char*>> lapic[] = {
      {"irqs_accepted", {&a.irqs_accepted, "fixed/lowest-priority interrupts set in IRR"}},
      {"irqs_delivered", {&a.irqs_delivered, "IRR vectors the core acknowledged"}},
      {"extint_delivered", {&a.extint_delivered, "8259 vectors the core took through LINT0 ExtINT"}},
      {"spurious", {&a.spurious, "acknowledges with nothing left to deliver (spurious vector)"}},
      {"nmis", {&a.nmis, "NMIs made pending"}},
      {"eois", {&a.eois, "EOIs that retired an in-service vector"}},
      {"eoi_broadcasts", {&a.eoi_broadcasts, "EOIs of level-triggered vectors sent to the I/O APIC"}},
      {"timer_fires", {&a.timer_fires, "APIC timer expiries (masked ones included)"}},
      {"timer_masked_fires", {&a.timer_masked_fires, "APIC timer expiries while its LVT was masked"}},
      {"pmis", {&a.pmis, "performance-counter overflow interrupts signalled to the LVT PC entry"}},
      {"ipis_sent", {&a.ipis_sent, "ICR writes that sent an interrupt message"}},
      {"ipis_to_nobody", {&a.ipis_to_nobody, "IPIs whose destination matched no APIC"}},
      {"self_ipis", {&a.self_ipis, "IPIs accepted by this APIC (self IPI, shorthands)"}},
      {"inits", {&a.inits, "INIT IPIs received by the BSP's local APIC"}},
      {"init_deasserts", {&a.init_deasserts, "INIT level de-assert messages"}},
      {"sipis", {&a.sipis, "start-up IPIs received by the BSP's local APIC"}},
      {"smis", {&a.smis, "SMI messages received (ignored)"}},
      {"lvt_masked", {&a.lvt_masked, "local interrupts dropped by a masked LVT entry"}},
      {"errors", {&a.errors, "error status (ESR) bits raised"}},
      {"bad_mmio", {&a.bad_mmio, "misaligned or partial xAPIC MMIO writes, MMIO in x2APIC mode"}},
  };
  for (const auto& [name, v] : lapic)
    s.add_counter(std::string("platform.lapic.") + name, v.first, "count", v.second);
  auto sum = [](const auto& arr) {
    double t = 0;
    for (uint64_t x : arr) t += double(x);
    return t;
  };
  s.add_formula(
      "platform.ioapic.delivered", [this, sum] { return sum(ioapic_.delivered); }, "count",
      "interrupt messages the I/O APIC sent (all pins)");
  s.add_formula(
      "platform.ioapic.asserts", [this, sum] { return sum(ioapic_.asserts); }, "count",
      "assertion edges on the I/O APIC's input pins (all pins)");
  s.add_counter("platform.ioapic.masked_edges", &ioapic_.masked_edges, "count",
                "I/O APIC input edges lost to a masked redirection entry");
  s.add_counter("platform.ioapic.eois", &ioapic_.eois, "count",
                "EOI broadcasts that cleared a Remote IRR");
  s.add_counter("platform.pit.irq_pulses", &pit_.irq_pulses, "count",
                "8254 counter 0 OUT rising edges signalled on IRQ 0");
  s.add_counter("platform.pit.counts_loaded", &pit_.counts_loaded, "count",
                "counts written to the 8254 (all counters)");
  for (auto [pic, name] : {std::pair{&pic_master_, "master"}, std::pair{&pic_slave_, "slave"}}) {
    const std::string p = std::string("platform.pic.") + name + ".";
    s.add_counter(p + "requests", &pic->requests, "count",
                  std::string("IRR bits the 8259 ") + name + " latched");
    s.add_counter(p + "acks", &pic->acks, "count",
                  std::string("INTA cycles the 8259 ") + name + " answered with a request");
    s.add_counter(p + "spurious", &pic->spurious, "count",
                  std::string("INTA cycles the 8259 ") + name + " answered with nothing requesting");
  }
  s.add_counter("platform.timers.fired", &timers_.fired, "count",
                "device timer deadlines reached (APIC timer, 8254)");
}

void System::start_of_simulation() {
  wall_start_ = std::chrono::steady_clock::now();
}

// The base the registry subtracts is "now minus what was already counted",
// so reported values are the sum over regions (ChampSim-style snapshots).
void System::roi_begin() {
  if (in_roi_) return;  // nested begin: the outer region continues
  base::StatSnapshot base = stats_.snapshot();
  for (auto& [name, v] : base) {
    auto it = acc_.find(name);
    if (it != acc_.end()) v -= it->second;
  }
  stats_.set_base(base);
  in_roi_ = roi_seen_ = true;
  wall_start_ = std::chrono::steady_clock::now();
  frozen_.reset();
}

void System::roi_end() {
  if (!in_roi_) return;
  for (const auto& [name, v] : stats_.snapshot()) acc_[name] = stats_.value(name);
  acc_wall_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  in_roi_ = false;
  frozen_.emplace(stats_.to_text(), stats_.to_json());  // later dumps report the regions only
}

void System::reset_stats() {
  acc_.clear();
  acc_wall_ = 0;
  roi_seen_ = in_roi_;
  stats_.set_base(stats_.snapshot());
  wall_start_ = std::chrono::steady_clock::now();
  frozen_.reset();
}

double System::region_wall_seconds() const {
  return acc_wall_ +
         std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
}

// Magic operations (core/magic_ops.h; workloads/lib/hvsim_magic.h).
void System::magic(uint16_t op, uint64_t arg) {
  switch (op) {
    case core::kMagicRoiBegin:
      roi_begin();
      break;
    case core::kMagicRoiEnd:
      roi_end();
      break;
    case core::kMagicResetStats:
      reset_stats();
      break;
    case core::kMagicDumpStats:
      write_stats();
      break;
    case core::kMagicPvBegin: {
      virt::ExitRecord r;
      r.cycle = cpu_.core().cycles();
      r.arch = virt::Arch::kPv;
      r.reason = static_cast<uint32_t>(arg);
      r.reason_name = virt::pv_event_name(arg);
      exits_.on_exit(r);
      break;
    }
    case core::kMagicPvEnd:
      exits_.on_entry(cpu_.core().cycles(), 0);
      break;
    case core::kMagicCheckpoint:
      if (spec_.magic_checkpoint) {  // --checkpoint-at magic: at the next quantum boundary
        spec_.magic_checkpoint();
        break;
      }
      if (!warned_checkpoint_)
        std::fprintf(stderr, "hvsim: checkpoint magic ignored (no --checkpoint-at magic)\n");
      warned_checkpoint_ = true;
      break;
    default:
      break;
  }
}

void System::write_stats() {
  if (spec_.out_dir.empty()) return;
  std::filesystem::create_directories(spec_.out_dir);
  const auto dir = std::filesystem::path(spec_.out_dir);
  std::ofstream(dir / "stats.txt") << (frozen_ ? frozen_->first : stats_.to_text());
  std::ofstream(dir / "stats.json") << (frozen_ ? frozen_->second : stats_.to_json());
}

void System::finish() {
  serial_->flush();
  exits_.finish(cpu_.core().cycles());
  const std::string summary = exits_.summary_text();
  if (exits_.exits() > 0) std::fprintf(stderr, "%s", summary.c_str());
  finish_aps();
  if (!spec_.out_dir.empty()) {
    std::filesystem::create_directories(spec_.out_dir);
    std::ofstream(std::filesystem::path(spec_.out_dir) / "exits.txt") << summary;
  }
  write_stats();
}

}  // namespace hvsim::platform
