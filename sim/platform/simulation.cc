// run_simulation(): load, elaborate, sc_start, report (ARCHITECTURE.md "One
// run, as data flows"). Boot files are loaded into the RAM store before any
// SystemC object exists, so a bad binary is a LoadError and nothing else.
#include "sim/platform/simulation.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>
#include <mutex>
#include <thread>

#include <systemc>

#include "sim/base/exit_status.h"
#include "sim/core/cpuid.h"
#include "sim/platform/firmware/mp_table.h"
#include "sim/platform/loader/loader.h"
#include "sim/platform/stop_signal.h"
#include "sim/platform/system.h"
#include "sim/svm/svm.h"
#include "sim/svm/vmcb.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/vmx.h"

namespace hvsim::platform {

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("memory.size_mib", 128, "MiB",
               "RAM size; above 3.5 GiB, 3 GiB sit below 4 GiB and the rest from 4 GiB", 2, 65536);
  reg.add_uint("memory.read_latency_cycles", 0, "cycles",
               "latency RAM adds to a b_transport read and reports in its DMI grant");
  reg.add_uint("memory.write_latency_cycles", 0, "cycles",
               "latency RAM adds to a b_transport write and reports in its DMI grant");
  vmx::declare_params(reg);
  svm::declare_params(reg);
  reg.add_uint("platform.cpus", 1, "count",
               "CPUs (cores) in the machine: CPU 0 is the BSP and boots the kernel, the others "
               "wait for INIT-SIPI-SIPI; local APIC ID = core index",
               1, 64);
  reg.add_uint("platform.cpu_mhz", 3000, "MHz", "CPU clock: converts cycles to simulated time", 1,
               1000000);
  reg.add_uint("platform.quantum_cycles", 10000, "cycles",
               "CPU cycles run between synchronizations with the SystemC kernel", 1, 1ull << 40);
  // An ISA I/O cycle to port 0x80 takes about 1 us (Linux io_delay.c): 3000 cycles at 3 GHz.
  reg.add_uint("platform.port80_cycles", 3000, "cycles", "cost of one access to POST port 0x80");
  reg.add_uint("platform.apic_timer_hz", 1'000'000'000, "Hz",
               "the local APIC timer's input clock (before its divider); QEMU's pc presents 1 GHz",
               1, 1ull << 40);
  reg.add_bool("platform.lint0_extint", true,
               "after reset the BSP's LVT LINT0 is ExtINT and unmasked (virtual wire mode, as "
               "QEMU's pc and a BIOS leave it), so 8259 interrupts reach a kernel that never "
               "programs the local APIC; false: masked, the SDM reset value");
  reg.add_uint("platform.rtc_start", 1735689600, "seconds",
               "the CMOS RTC's date at cycle 0, as Unix time (default 2025-01-01 00:00:00); it "
               "then runs with simulated time");
  reg.add_string("platform.serial_out", "stdout",
                 "where COM1 output goes: stdout, stderr, a file path, or empty to discard");
}

namespace {

// Ends not reported by the Cpu: the kernel ran out of events. With the CPU
// waiting in HLT that means no timer is armed and no device can interrupt it.
RunEnd effective_end(Cpu& cpu, size_t ncpus) {
  if (cpu.end().ended) return cpu.end();
  if (cpu.waiting_in_halt() && ncpus > 1)
    return {true, base::kExitHalted,
            "every CPU halted (HLT) or waiting for SIPI with nothing to wake it: no timer "
            "armed, no interrupt pending",
            ""};
  if (cpu.waiting_in_halt())
    return {true, base::kExitHalted,
            "CPU halted (HLT) with nothing to wake it: no timer armed, no interrupt pending",
            ""};
  return {true, base::kExitNoGuestExit, "simulation ran out of events", ""};
}

// Sets g_progress_due twice a second after the first display's delay, until
// destroyed: the simulation thread draws the display between quanta.
class ProgressTicker {
 public:
  explicit ProgressTicker(double after_seconds)
      : after_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(after_seconds))),
        thread_([this] { tick(); }) {}
  ~ProgressTicker() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void tick() {
    std::unique_lock<std::mutex> lock(m_);
    auto next = std::chrono::steady_clock::now() + after_;
    while (!cv_.wait_until(lock, next, [this] { return stop_; })) {
      g_progress_due.store(true, std::memory_order_relaxed);
      next += std::chrono::milliseconds(500);
    }
  }
  std::chrono::steady_clock::duration after_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

const uint64_t* find_counter(const base::StatRegistry& stats, const std::string& name) {
  for (const auto& s : stats.all())
    if (s.name == name) return s.counter;
  return nullptr;
}

// --trace-filter names must be exit reasons (any case): bad input otherwise.
void check_trace_filter(const std::vector<std::string>& names) {
  if (names.empty()) return;
  std::vector<std::string> known = exit_reason_names();
  auto upper = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& n : names) {
    if (std::find(known.begin(), known.end(), upper(n)) == known.end())
      throw base::ConfigError("--trace-filter " + n +
                              ": not an exit reason (VMX names as in the SDM, e.g. CPUID, "
                              "EPT_VIOLATION; SVM names as in the APM, e.g. VMEXIT_NPF)");
  }
}

// stats.txt starts with what its counters cover, since the end-of-run line
// and exits.txt cover the whole run (stats.json keeps its plain layout).
void note_stats_scope(const std::string& out_dir, bool roi) {
  if (out_dir.empty()) return;
  const std::filesystem::path txt = std::filesystem::path(out_dir) / "stats.txt";
  std::ifstream in(txt);
  if (!in) return;
  std::ostringstream body;
  body << in.rdbuf();
  in.close();
  std::ofstream(txt, std::ios::trunc)
      << (roi ? "# scope: regions of interest (the guest's ROI begin/end): every counter below "
                "is summed over the regions only; the end-of-run line and exits.txt cover the "
                "whole run\n"
              : "# scope: whole run (the guest marked no region of interest)\n")
      << body.str();
}

}  // namespace

std::vector<std::string> exit_reason_names() {
  std::vector<std::string> names;
  for (uint32_t r = 0; r < 128; ++r) {
    const std::string n = vmx::exit_reason_name(r);
    if (n != "UNKNOWN") names.push_back(n);
  }
  auto svm_code = [&](uint64_t c) {
    const std::string n = svm::exit_code_name(c);
    if (n != "VMEXIT_UNKNOWN" && std::find(names.begin(), names.end(), n) == names.end())
      names.push_back(n);
  };
  for (uint64_t c = 0; c < 0x100; ++c) svm_code(c);
  for (uint64_t c = 0x400; c < 0x410; ++c) svm_code(c);
  for (uint64_t c = 0xf0000000; c < 0xf0000010; ++c) svm_code(c);
  svm_code(~0ull);  // VMEXIT_INVALID
  svm_code(~1ull);  // VMEXIT_BUSY
  return names;
}

RunResult run_simulation(const RunSpec& spec, const base::Config& cfg) {
  check_trace_filter(spec.trace_filter);
  const uint64_t ram_bytes = cfg.get_uint("memory.size_mib") << 20;
  const PcMemory layout = pc_memory(ram_bytes);
  auto ram = std::make_unique<HostMemory>(ram_bytes);
  const BootInfo boot = load_kernel_files(ram->span().first(layout.below_4g), layout, spec,
                                          unsigned(cfg.get_uint("platform.cpus")));

  // The MP configuration tables (firmware/mp_table.h), as a BIOS leaves them.
  {
    core::CpuidModel cpuid;
    cpuid.configure(cfg);
    MpTableParams mp;
    mp.cpus = unsigned(cfg.get_uint("platform.cpus"));
    mp.cpu_signature = cpuid.query(1, 0).eax;
    mp.cpu_features = cpuid.query(1, 0).edx;
    if (layout.below_4g > kMpFloating + 0x1000) write_mp_table(ram->span(), mp);
  }

  // sc_stop() is how every run ends: its "Simulation stopped by user" info is noise.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  base::StatRegistry stats;
  System system("system", cfg, spec, std::move(ram), boot, stats);
  std::unique_ptr<RunControl> control;  // --gdb: the debugger drives the core
  if (spec.run_control) {
    control = spec.run_control(system.cpu());
    system.cpu().set_run_control(control.get());
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<ProgressTicker> ticker;
  if (spec.progress) {
    const uint64_t* exits = find_counter(stats, "virt.exits");
    Cpu& cpu = system.cpu();
    cpu.set_progress([&spec, &cpu, exits, t0] {
      spec.progress(RunProgress{
          cpu.core().instructions(), cpu.core().cycles(), exits ? *exits : 0,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
    });
    ticker = std::make_unique<ProgressTicker>(spec.progress_after_seconds);
  }
  sc_core::sc_start();
  ticker.reset();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const RunEnd end = effective_end(system.cpu(), system.cpus().size());
  if (control && !system.cpu().end().ended) control->run_ended(end.exit_status, end.reason);
  system.cpu().set_run_control(nullptr);
  RunResult r;
  r.exit_status = end.exit_status;
  r.end_reason = end.reason;
  r.register_dump = end.register_dump;
  // A multiprocessor: all cores' instructions over the furthest core's cycles.
  for (Cpu* c : system.cpus()) {
    r.instructions += c->core().instructions();
    r.cycles = std::max(r.cycles, c->core().cycles());
    if (system.cpus().size() > 1)
      r.per_core.push_back({c->core().instructions(), c->core().cycles()});
    // Fast-forward / sampling (sim/timing/phased_model.h); every core has the same schedule.
    const std::string note = c->core().timing_summary();
    const std::string cpu = "cpu" + std::to_string(r.timing_notes.size()) + ": ";
    if (!note.empty()) r.timing_notes.push_back(system.cpus().size() > 1 ? cpu + note : note);
  }
  r.wall_seconds = wall;
  system.finish();  // stats are read from the model's counters: before teardown
  if (system.roi_seen()) r.stats_scope = "regions of interest";
  note_stats_scope(spec.out_dir, system.roi_seen());
  return r;
}

}  // namespace hvsim::platform
