// The multiprocessor's cross-core store hooks (coherence.h) and the
// engine's MONITOR/MWAIT state that uses them.
#include "sim/core/coherence.h"

#include "sim/core/engine.h"

namespace hvsim::core {

void Coherence::code_page_added(uint64_t page) {
  code_pages_.insert(page);
  for (Member& m : members_) m.engine->htlb_.drop_writes_to(page << 12);
}

// Cross-modifying code (SDM Vol. 3A 8.1.3): the processor that executes the
// modified code sees the new bytes once it fetches them again; here every
// core drops its blocks from the page at the store, so the next fetch
// decodes the new bytes. A block executing right now (only the storing
// core's) finishes from the graveyard, as for single-core SMC.
void Coherence::invalidate_code(uint64_t page) {
  code_pages_.erase(page);
  for (Member& m : members_) m.engine->invalidate_code_page(page);
}

void Coherence::trigger_monitors(uint64_t pa, unsigned len) {
  const uint64_t first = pa & ~(kLine - 1), last = (pa + len - 1) & ~(kLine - 1);
  for (Member& m : members_) {
    AddressMonitor& mon = m.engine->monitor;
    if (!mon.armed || mon.triggered) continue;
    const uint64_t line = mon.pa & ~(kLine - 1);
    if (line < first || line > last) continue;
    mon.triggered = true;
    if (mon.sleeping && m.wake) m.wake();
  }
}

bool Coherence::watched(uint64_t page) const {
  for (const Member& m : members_)
    if (m.engine->monitor.armed && (m.engine->monitor.pa >> 12) == page) return true;
  return false;
}

void Coherence::monitor_armed(uint64_t page, bool fresh) {
  if (fresh) ++armed_;
  for (Member& m : members_) m.engine->htlb_.drop_writes_to(page << 12);
}

void Coherence::arm_monitor(Engine& e, uint64_t pa) {
  const bool fresh = !e.monitor.armed;
  e.monitor.arm(pa);
  if (e.coherence_) e.coherence_->monitor_armed(pa >> 12, fresh);
}

void Coherence::disarm_monitor(Engine& e) {
  if (e.monitor.armed && e.coherence_) e.coherence_->monitor_disarmed();
  e.monitor.disarm();
  e.monitor.sleeping = false;
}

// Like HLT, but without its IF = 0 "halted forever" rule: a store wakes it.
void Coherence::mwait_sleep(Engine& e, bool break_masked) {
  e.monitor.sleeping = true;
  e.monitor.break_masked = break_masked;
  e.halted_ = true;
  e.post_event(kEvBreak);
}

// At an instruction boundary while in MWAIT: a delivered interrupt (it
// cleared halted_), the monitor's trigger, or with ECX[0] a pending but
// masked interrupt ends the wait; then the monitor is disarmed.
void Coherence::mwait_wake_check(Engine& e) {
  if (e.halted_) {
    const bool masked_intr = e.monitor.break_masked && e.intc_ && e.intc_->pending_vector() >= 0;
    if (!e.monitor.triggered && !masked_intr) return;
    e.halted_ = false;
  }
  disarm_monitor(e);
}

}  // namespace hvsim::core
