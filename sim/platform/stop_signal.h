// Ctrl-C and SIGTERM end a run cleanly: the handler only records the signal
// (a lock-free atomic store is async-signal-safe, POSIX.1-2017 2.4.3); the
// CPU module looks at it once per quantum, ends the run at that instruction
// boundary with status 128 + signal, and run_simulation writes stats.txt,
// stats.json and exits.txt for what ran. SA_RESETHAND: a second Ctrl-C
// kills the process at once, as usual.
#pragma once

#include <atomic>
#include <csignal>

namespace hvsim::platform {

inline std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

// 0, or the signal (SIGINT, SIGTERM) that asked the run to stop.
inline int pending_stop_signal() { return g_stop_signal.load(std::memory_order_relaxed); }

// Set by a host timer thread when a progress display is due (RunSpec::progress);
// the CPU module looks at it once per quantum, only when a display is wanted.
inline std::atomic<bool> g_progress_due{false};

inline void install_stop_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = [](int sig) { g_stop_signal.store(sig, std::memory_order_relaxed); };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace hvsim::platform
