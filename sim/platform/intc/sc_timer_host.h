// TimerHost on the SystemC kernel: device deadlines (core cycles) become
// notifications of one sc_event, so a timer costs nothing until it fires
// (ARCHITECTURE.md: cycles become sc_time at quantum boundaries, never per
// instruction). Cycle c is simulated time c * cycle; now() is the core's
// own (local) cycle count, supplied by the CPU module. Callbacks run in an
// SC_METHOD at the deadline's time; the CPU module bounds its quantum with
// next_deadline() so the core syncs there and sees the interrupt on time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include <systemc>

#include "sim/platform/intc/timer_host.h"
#include "sim/platform/time_base.h"

namespace hvsim::checkpoint {
struct Access;
}

namespace hvsim::platform::intc {

class ScTimerHost : public sc_core::sc_module, public TimerHost {
 public:
  SC_HAS_PROCESS(ScTimerHost);
  ScTimerHost(sc_core::sc_module_name name, sc_core::sc_time cycle,
              std::function<uint64_t()> now_cycles);

  uint64_t now() const override { return now_(); }
  Handle schedule(uint64_t deadline_cycle, Callback cb) override;
  void cancel(Handle h) override;

  // The earliest pending deadline (core cycle), or UINT64_MAX.
  uint64_t next_deadline() const;
  // Called with the new earliest deadline whenever schedule() makes it
  // earlier: a core inside its quantum must stop there (Cpu::deadline_moved).
  void set_deadline_listener(std::function<void(uint64_t)> f) { listener_ = std::move(f); }
  // The machine's time base (a restored run's; the System owns it).
  void set_time_base(const TimeBase& tb) { base_ = &tb; }
  uint64_t fired = 0;  // callbacks run
  friend struct checkpoint::Access;

 private:
  void fire();
  void renotify();
  // The SystemC time of core cycle c (a restored run's time base subtracted).
  sc_core::sc_time at(uint64_t c) const {
    const uint64_t ps = cycle_.value() * c;
    return sc_core::sc_time::from_value(ps > base_->ps ? ps - base_->ps : 0);
  }

  sc_core::sc_time cycle_;
  std::function<uint64_t()> now_;
  std::function<void(uint64_t)> listener_;
  // (deadline, handle) -> callback: ordered by deadline, then by scheduling order.
  std::map<std::pair<uint64_t, Handle>, Callback> queue_;
  std::map<Handle, uint64_t> deadline_of_;
  Handle next_handle_ = 1;
  sc_core::sc_event event_;
  const TimeBase* base_ = &TimeBase::none();
};

}  // namespace hvsim::platform::intc
