#include "sim/platform/intc/sc_timer_host.h"

#include <limits>

namespace hvsim::platform::intc {

ScTimerHost::ScTimerHost(sc_core::sc_module_name name, sc_core::sc_time cycle,
                         std::function<uint64_t()> now_cycles)
    : sc_module(name), cycle_(cycle), now_(std::move(now_cycles)) {
  SC_METHOD(fire);
  sensitive << event_;
  dont_initialize();
}

TimerHost::Handle ScTimerHost::schedule(uint64_t deadline_cycle, Callback cb) {
  const Handle h = next_handle_++;
  const bool earliest = deadline_cycle < next_deadline();
  queue_.emplace(std::make_pair(deadline_cycle, h), std::move(cb));
  deadline_of_.emplace(h, deadline_cycle);
  renotify();
  if (earliest && listener_) listener_(deadline_cycle);
  return h;
}

void ScTimerHost::cancel(Handle h) {
  const auto it = deadline_of_.find(h);
  if (it == deadline_of_.end()) return;
  queue_.erase({it->second, h});
  deadline_of_.erase(it);
  renotify();
}

uint64_t ScTimerHost::next_deadline() const {
  return queue_.empty() ? std::numeric_limits<uint64_t>::max() : queue_.begin()->first.first;
}

// One notification for the earliest deadline; an earlier one replaces it.
void ScTimerHost::renotify() {
  event_.cancel();
  if (queue_.empty()) return;
  const sc_core::sc_time at = this->at(queue_.begin()->first.first);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  event_.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
}

void ScTimerHost::fire() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (!queue_.empty() && at(queue_.begin()->first.first) <= now) {
    auto node = queue_.extract(queue_.begin());
    deadline_of_.erase(node.key().second);
    ++fired;
    node.mapped()();  // may schedule or cancel
  }
  renotify();
}

}  // namespace hvsim::platform::intc
