#include "sim/app/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sim/app/summary.h"

namespace hvsim::app {

bool progress_enabled(bool quiet) {
  if (quiet || !isatty(STDERR_FILENO)) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

double progress_delay_seconds() {
  const char* env = std::getenv("HVSIM_PROGRESS_DELAY");
  if (!env || !*env) return 2;
  char* end = nullptr;
  const double v = std::strtod(env, &end);
  return end && *end == 0 && v >= 0 && v < 1e6 ? v : 2;
}

std::string format_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  const auto s = static_cast<unsigned long long>(seconds + 0.5);
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
  return buf;
}

std::string format_run_progress(const platform::RunProgress& p) {
  char mips[32];
  std::snprintf(mips, sizeof mips, "%.1f MIPS",
                p.wall_seconds > 0 ? p.instructions / p.wall_seconds / 1e6 : 0.0);
  return "hvsim: " + std::string(mips) + "  " + with_commas(p.instructions) + " insns  " +
         with_commas(p.cycles) + " cycles  " + with_commas(p.exits) + " exits  " +
         format_duration(p.wall_seconds);
}

void RunProgressLine::draw(const platform::RunProgress& p) {
  std::fprintf(stderr, "\r\033[K%s", format_run_progress(p).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void RunProgressLine::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

PointsProgress::PointsProgress(const char* what, size_t total, bool enabled)
    : what_(what), total_(total), enabled_(enabled && total > 0) {
  if (enabled_) draw();
}

PointsProgress::~PointsProgress() { before_line(); }

void PointsProgress::before_line() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

void PointsProgress::point_done() {
  ++done_;
  if (enabled_ && done_ < total_) draw();
}

void PointsProgress::draw() {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string eta = "ETA --:--";
  if (done_ > 0) eta = "ETA " + format_duration(elapsed / done_ * (total_ - done_));
  std::fprintf(stderr, "\r\033[Khvsim: %s: %zu/%zu points done, %s elapsed, %s", what_, done_,
               total_, format_duration(elapsed).c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace hvsim::app
