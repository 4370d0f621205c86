// How the interrupt and timer devices (local APIC timer, 8254 PIT) get time
// without ticking: a device computes the core cycle at which its next event
// happens and asks the host to call it back then. The SystemC host
// (sc_timer_host.h) turns a deadline into one sc_event notification; unit
// tests use a fake that advances time by hand. Nothing polls per cycle.
#pragma once

#include <cstdint>
#include <functional>

namespace hvsim::platform::intc {

class TimerHost {
 public:
  using Callback = std::function<void()>;
  using Handle = uint64_t;                 // 0 is never a valid handle
  static constexpr Handle kNoTimer = 0;

  virtual ~TimerHost() = default;
  // The current core cycle (the core's local time, ahead of the SystemC
  // kernel inside a quantum). Reads of counting registers use it.
  virtual uint64_t now() const = 0;
  // Calls `cb` once when the core clock reaches `deadline_cycle` (at once,
  // i.e. at the next opportunity, when the deadline has passed already).
  virtual Handle schedule(uint64_t deadline_cycle, Callback cb) = 0;
  // Forgets a scheduled callback; no effect when it fired or was cancelled.
  virtual void cancel(Handle h) = 0;
};

// Cycle <-> tick conversion for a counter clocked at `tick_hz` by a core at
// `core_hz`, exact in 128-bit integers: the cycle of tick n (rounded up, so a
// tick never fires early) and the ticks elapsed in c cycles (rounded down).
struct ClockRatio {
  uint64_t core_hz = 1, tick_hz = 1;
  uint64_t cycles_for_ticks(uint64_t ticks) const {
    const unsigned __int128 n = static_cast<unsigned __int128>(ticks) * core_hz;
    return static_cast<uint64_t>((n + tick_hz - 1) / tick_hz);
  }
  uint64_t ticks_in_cycles(uint64_t cycles) const {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(cycles) * tick_hz / core_hz);
  }
};

}  // namespace hvsim::platform::intc
