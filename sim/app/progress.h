// Progress on a terminal: a one-line display on stderr, redrawn in place
// ("\r", erase to end of line), for a long `hvsim run` (simulated MIPS,
// instructions, cycles, VM exits so far) and for sweeps and demos (points
// done, ETA). Off when stderr is not a terminal, TERM is "dumb", or with
// --quiet; the permanent lines (one per finished point, the summary) are
// printed the same either way.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sim/platform/simulation.h"

namespace hvsim::app {

// True when a progress display should be drawn on stderr.
bool progress_enabled(bool quiet);

// Seconds before a run's first display: 2, or $HVSIM_PROGRESS_DELAY (tests).
double progress_delay_seconds();

// "0:07", "12:03", "1:02:03".
std::string format_duration(double seconds);

// "hvsim: 123.4 MIPS  1,234,567 insns  5,678,901 cycles  12 exits  0:03".
std::string format_run_progress(const platform::RunProgress& p);

// The line a run redraws; clear() erases it (before the end-of-run lines).
class RunProgressLine {
 public:
  void draw(const platform::RunProgress& p);
  void clear();

 private:
  bool drawn_ = false;
};

// Points done and an ETA for sweeps and demos: before_line() erases the
// display so a permanent line can be printed, point_done() redraws it.
class PointsProgress {
 public:
  PointsProgress(const char* what, size_t total, bool enabled);
  ~PointsProgress();
  void before_line();
  void point_done();

 private:
  void draw();
  const char* what_;
  size_t total_, done_ = 0;
  bool enabled_, drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace hvsim::app
