// What VMX and SVM report at every world switch, and what hvsim makes of it:
// the exit trace (--trace-exits FILE as CSV, JSON Lines or Chrome trace
// events), the per-reason summary laid out like `perf kvm stat report`
// (end of run and OUT/exits.txt), and the statistics (exits by reason,
// cycles in guest, in host, in world switches).
//
// Wiring (sim/platform's System does this; sim/vmx and sim/svm only call
// on_exit/on_entry, through virt::WorldSwitch and the core's tracker):
//   1. System owns one ExitTracker per CPU core. At construction:
//        if (!spec.trace_exits.empty())
//          tracker.open_trace(spec.trace_exits, cfg.get_uint("platform.cpu_mhz"));
//        tracker.set_filter(spec.trace_filter);
//        core.set_exit_tracker(&tracker);
//        tracker.register_stats(stats);   // the StatRegistry outlives the tracker
//   2. At the end of the run, before stats.txt/stats.json are written:
//        tracker.finish(core.cycles());
//        write tracker.summary_text() to stderr and to OUT/exits.txt.
// open_trace throws base::ConfigError (a bad name, a file that cannot be
// created): the run fails with exit status 2 and that one line.
//
// Cycle accounting (virt::WorldSwitch keeps it). The caller passes, for
// every exit, ExitRecord::cycle = the core's cycle count when the exit is
// taken, BEFORE it charges exit_cost; and for every entry
// (VMLAUNCH/VMRESUME/VMRUN) on_entry(cycle, entry_cost) with cycle = the
// count AFTER it has charged entry_cost (the guest's first cycle).
// So exit_cost and entry_cost both lie inside the exit-to-entry window:
//   host_cycles (per exit; "Time" in the summary) = next entry cycle - exit cycle
//   virt.world_switch_cycles = sum of every exit's exit_cost and every entry's
//                              entry_cost (the first VMLAUNCH's too)
//   virt.cycles_in_host  = sum over exits of host_cycles - exit_cost - entry_cost
//                          (the hypervisor's own work; time before the first
//                          entry is not counted anywhere)
//   virt.cycles_in_guest = sum of (exit cycle - previous entry cycle), plus
//                          (finish's end_cycle - last entry) if the run ends in
//                          the guest
// Hence guest + host + world switch = end_cycle - (first entry cycle - its
// entry_cost) when every entry but the first follows an exit. These counters
// move at exits, entries and finish(), not per guest cycle.
//
// Statistics (register_stats): virt.exits, virt.entries, virt.cycles_in_guest,
// virt.cycles_in_host, virt.world_switch_cycles, and per reason
// virt.exits.<NAME> (count) and virt.exit_time.<NAME> (sum of host_cycles),
// registered when the reason first occurs (a reason that never occurs has no
// line). <NAME> is the record's reason_name with characters other than
// [A-Za-z0-9_] replaced by '_'; a record without a name is "vmx_<n>" or
// "svm_0x<hex>". Per-reason aggregation is keyed by (arch, reason number);
// the first name seen for a key is kept.
//
// One tracker follows one CPU: it buffers the last exit until the next entry.
// An exit that follows an exit with no entry between completes the first one
// at the second one's cycle (entry_cost 0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/base/stats.h"
#include "sim/virt/exit_record.h"
#include "sim/virt/exit_summary.h"

namespace hvsim::virt {

// A destination for exit records (one per trace file format).
class ExitSink {
 public:
  virtual ~ExitSink() = default;
  // A complete exit (host_cycles and entry_cost set) that passed the filter.
  virtual void record(const ExitRecord& r) = 0;
  virtual void finish() = 0;
  // The guest ran on `vcpu` from begin_cycle (an entry) to end_cycle (the
  // next exit, or the end of the run). Not filtered; only the Chrome trace
  // draws it.
  virtual void guest_phase(uint32_t /*vcpu*/, uint64_t /*begin_cycle*/,
                           uint64_t /*end_cycle*/) {}
};

class ExitTracker {
 public:
  static constexpr uint64_t kDefaultCpuMhz = 3000;  // platform.cpu_mhz's default

  ExitTracker();
  ~ExitTracker();
  ExitTracker(const ExitTracker&) = delete;
  ExitTracker& operator=(const ExitTracker&) = delete;

  // Called by sim/vmx and sim/svm. An exit is complete (host_cycles known)
  // at the next entry, or at finish(). See the cycle conventions above.
  void on_exit(const ExitRecord& r);
  void on_entry(uint64_t cycle, uint64_t entry_cost);

  // Trace output: the format follows the file's extension (.csv, .jsonl,
  // .json = Chrome trace events); throws base::ConfigError for others, or
  // when the file cannot be created. cpu_mhz converts cycles to the Chrome
  // trace's microseconds (pass platform.cpu_mhz). Writing is buffered.
  void open_trace(const std::string& path, uint64_t cpu_mhz = kDefaultCpuMhz);
  // Any other destination (tests, tools); receives what a trace file would.
  void add_sink(std::unique_ptr<ExitSink> sink);
  // The vCPU (core index) every record of this tracker carries (trace
  // column `vcpu`, Chrome trace track); without it records keep their own.
  void set_vcpu(uint32_t vcpu);
  // Only these reason names (case-insensitive) reach the trace; empty = all.
  // The summary and the statistics always count every exit.
  void set_filter(const std::vector<std::string>& reason_names);

  // Flushes the pending exit (host time up to end_cycle), ends a guest phase
  // in progress at end_cycle, and closes sinks. Later calls do nothing;
  // on_exit/on_entry after it throw std::logic_error.
  void finish(uint64_t end_cycle);

  // The perf-kvm-stat-style table: reason, samples, % of exits, % of time,
  // min/avg/max cycles from exit to next entry; sorted by samples (then
  // time) descending. Complete after finish().
  std::string summary_text() const;
  // Registers the counters above; the registry must outlive this tracker's
  // last on_exit (per-reason counters are added as reasons first occur).
  void register_stats(hvsim::base::StatRegistry& stats);

  uint64_t exits() const;
  uint64_t entries() const;
  uint64_t cycles_in_guest() const;
  uint64_t cycles_in_host() const;
  uint64_t world_switch_cycles() const;

  // Checkpoints (sim/checkpoint): the counts, the per-reason and I/O/MSR
  // breakdowns and the open exit, as plain data; set_state() registers the
  // reasons' statistics in their original order. Trace files are not state.
  struct State {
    struct Reason {
      Arch arch = Arch::kVmx;
      uint32_t reason = 0;
      std::string name;
      uint64_t exits = 0, total_time = 0, timed = 0, min_time = 0, max_time = 0, exit_cost = 0;
      double mean = 0, m2 = 0;
    };
    std::vector<Reason> reasons;  // in registration order
    std::vector<DetailSummary> io, msr;
    uint64_t exits = 0, entries = 0, guest = 0, host = 0, world_switch = 0;
    bool pending = false;
    ExitRecord pending_rec;  // reason_name is pending_name on load
    std::string pending_name;
    bool in_guest = false;
    uint64_t guest_since = 0;
    uint32_t last_vcpu = 0;
  };
  State state() const;
  void set_state(const State& st);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hvsim::virt
