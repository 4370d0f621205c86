// What VMX and SVM report at every world switch, and what hvsim makes of it:
// the exit trace (--trace-exits FILE as CSV, JSON Lines or Chrome trace
// events), the per-reason summary laid out like `perf kvm stat report`
// (end of run and OUT/exits.txt), and the statistics (exits by reason,
// cycles in guest, in host, in world switches).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/base/stats.h"
#include "sim/virt/exit_record.h"

namespace hvsim::virt {

// A destination for exit records (one per trace file format).
class ExitSink {
 public:
  virtual ~ExitSink() = default;
  virtual void record(const ExitRecord& r) = 0;
  virtual void finish() = 0;
};

class ExitTracker {
 public:
  ExitTracker();
  ~ExitTracker();

  // Called by sim/vmx and sim/svm. An exit is complete (host_cycles known)
  // at the next entry, or at finish().
  void on_exit(const ExitRecord& r);
  void on_entry(uint64_t cycle, uint64_t entry_cost);

  // Trace output: the format follows the file's extension (.csv, .jsonl,
  // .json = Chrome trace events); throws base::ConfigError for others.
  void open_trace(const std::string& path);
  // Only these reason names (case-insensitive) reach the trace; empty = all.
  void set_filter(const std::vector<std::string>& reason_names);

  // Flushes the pending exit (host time up to end_cycle) and closes sinks.
  void finish(uint64_t end_cycle);

  // The perf-kvm-stat-style table: reason, samples, % of exits, % of time,
  // min/avg/max cycles from exit to next entry.
  std::string summary_text() const;
  void register_stats(hvsim::base::StatRegistry& stats);

  uint64_t exits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hvsim::virt
