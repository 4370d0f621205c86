// A TimerHost whose clock the test moves: advance_to() runs every callback
// due by then, in deadline order, with now() at each callback's deadline.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

#include "sim/platform/intc/timer_host.h"

namespace hvsim::platform::intc::test {

class FakeTimerHost : public TimerHost {
 public:
  uint64_t now() const override { return now_; }
  Handle schedule(uint64_t deadline, Callback cb) override {
    const Handle h = next_++;
    queue_.emplace(std::make_pair(deadline, h), std::move(cb));
    ++scheduled;
    return h;
  }
  void cancel(Handle h) override {
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (it->first.second == h) {
        queue_.erase(it);
        return;
      }
  }
  void advance_to(uint64_t t) {
    while (!queue_.empty() && queue_.begin()->first.first <= t) {
      auto node = queue_.extract(queue_.begin());
      if (node.key().first > now_) now_ = node.key().first;
      node.mapped()();
    }
    if (t > now_) now_ = t;
  }
  void advance(uint64_t cycles) { advance_to(now_ + cycles); }
  // The earliest pending deadline, or 0.
  uint64_t next_deadline() const { return queue_.empty() ? 0 : queue_.begin()->first.first; }
  size_t pending() const { return queue_.size(); }
  uint64_t scheduled = 0;

 private:
  uint64_t now_ = 0;
  Handle next_ = 1;
  std::map<std::pair<uint64_t, Handle>, Callback> queue_;
};

}  // namespace hvsim::platform::intc::test
