// What one core's store means for the other cores of a multiprocessor
// (platform.cpus > 1; the platform builds one Coherence over every Engine):
//  - cross-modifying code (SDM Vol. 3A 8.1.3): a store into a page any core
//    has decoded blocks from drops those blocks on every core;
//  - the address monitor (SDM Vol. 2B MONITOR/MWAIT): a store into a core's
//    armed monitor line triggers it, and a core sleeping in MWAIT wakes.
// Both need the store to take the slow path (Engine::access_slow,
// phys_write): a page that becomes code on one core, or holds an armed
// monitor line, loses its host-TLB write entries on every core, and a page
// under an armed monitor gets none back while it stays armed. A
// uniprocessor has no Coherence and its paths are unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: rebuilds the armed count on restore
}

namespace hvsim::core {

class Engine;

class Coherence {
 public:
  // Core `index` joins (in core order); `wake` wakes it when it sleeps in
  // MWAIT and its monitor triggers (the platform's Cpu::wake).
  void add(Engine* e, std::function<void()> wake) { members_.push_back({e, std::move(wake)}); }

  // A core decoded the first block from physical page `page`: every core
  // drops its write shortcuts to it.
  void code_page_added(uint64_t page);
  // A store to [pa, pa + len) took the slow path (defined in engine_blocks.cc).
  void store(uint64_t pa, unsigned len) {
    if (!code_pages_.empty() && code_pages_.count(pa >> 12)) invalidate_code(pa >> 12);
    if (armed_) trigger_monitors(pa, len);
  }
  // A core armed its monitor on a line of physical page `page` (`fresh`: it
  // was not armed before) / disarmed an armed one.
  void monitor_armed(uint64_t page, bool fresh);
  void monitor_disarmed() {
    if (armed_) --armed_;
  }
  // May a host-TLB write entry map physical page `page`? (No while a
  // monitor line lies in it.)
  bool write_shortcut_ok(uint64_t page) const { return armed_ == 0 || !watched(page); }

  static constexpr uint64_t kLine = 64;  // CPUID.5 monitor line size (cpuid.cc)

  // A core's MONITOR / MWAIT side (sys/priv.cc, engine.cc, engine_run.cc):
  // arm and disarm keep the count of armed monitors; mwait_sleep halts the
  // core (multiprocessor, root mode) until the monitor triggers or an
  // interrupt; mwait_wake_check ends that sleep at an instruction boundary.
  static void arm_monitor(Engine& e, uint64_t pa);
  static void disarm_monitor(Engine& e);
  static void mwait_sleep(Engine& e, bool break_masked);
  static void mwait_wake_check(Engine& e);
  friend struct checkpoint::Access;

 private:
  struct Member {
    Engine* engine;
    std::function<void()> wake;
  };
  void invalidate_code(uint64_t page);
  void trigger_monitors(uint64_t pa, unsigned len);
  bool watched(uint64_t page) const;

  std::vector<Member> members_;
  // A superset of the pages any core holds blocks from (a page leaves it
  // when a store invalidates it everywhere).
  std::unordered_set<uint64_t> code_pages_;
  unsigned armed_ = 0;  // armed monitors
};

}  // namespace hvsim::core
