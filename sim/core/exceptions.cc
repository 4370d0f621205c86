// Exception and interrupt delivery with the double- and triple-fault rules
// (SDM Vol. 3 6.15 "Interrupt 8—Double Fault Exception", Table 6-5). The
// delivery mechanics per mode live in sys/interrupts.cc.
#include <cstdio>

#include "sim/core/engine.h"
#include "sim/core/sys/interrupts.h"
#include "sim/core/sys/lbr.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {

namespace {

// Delivers `first`; a fault raised during delivery is either handled
// serially or turns into #DF; a fault while delivering #DF shuts down.
// Returns false on a triple fault (the message is in *why).
// `detected` says the processor raised `cur` itself, so a #PF loads CR2
// with its linear address. An event given from outside (an external
// interrupt or NMI, whatever its vector; a VM-entry injected exception,
// for which the VMM has set CR2 itself, SDM Vol. 3C 26.6.1) leaves CR2
// alone; faults raised while delivering it are detected ones.
bool deliver_chain(Engine& e, Fault cur, bool detected, sys::EventSource src,
                   virt::EventType type, unsigned* depth, std::string* why) {
  virt::GuestHooks* g = e.guest();
  // In guest mode the exception may exit instead (VMX exception bitmap,
  // SVM exception intercepts); CR2 is then left alone.
  if (g && type == virt::EventType::kHwException)
    g->exception(cur.vector, cur.has_error, cur.error, cur.cr2, false);
  for (;;) {
    if (detected && cur.vector == kPF) e.s.cr2 = cur.cr2;  // loaded before delivery (SDM 4.7)
    if (detected && cur.vector == kDB && cur.cr2) {
      // DR6 is written as the #DB is delivered, not when it exits (SDM Vol.
      // 3 27.1): B0-B3 replaced, BD/BS sticky (17.2.3); general detect
      // clears DR7.GD for the handler (17.2.4).
      e.s.dr[6] = (e.s.dr[6] & ~0xfull) | cur.cr2;
      if (cur.cr2 & kDr6Bd) e.s.dr[7] &= ~kDr7Gd;
    }
    if (g) g->begin_delivery(cur.vector, type, cur.has_error, cur.error);
    // A debug exception clears DEBUGCTL.LBR (SDM Vol. 3 17.4.2).
    if (cur.vector == kDB) e.s.debugctl &= ~kDebugCtlLbr;
    const uint64_t from = e.s.rip;
    try {
      sys::deliver_through_idt(e, cur.vector, cur.has_error, cur.error, src);
      if (e.s.debugctl & kDebugCtlLbr) sys::lbr_event(e.s, from, e.s.rip);
      if (g) g->end_delivery();
      ++e.stat_exceptions;
      e.add_cycles(e.lat().exception);
      return true;
    } catch (const Fault& nested) {
      e.add_cycles(e.lat().exception);
      if (cur.vector == kDF || ++*depth > 8) {
        if (g) g->end_delivery();
        char msg[128];
        std::snprintf(msg, sizeof msg,
                      "triple fault: vector %u (error %#x) while delivering vector %u at RIP=%#llx",
                      nested.vector, nested.error, cur.vector,
                      static_cast<unsigned long long>(e.insn_rip()));
        *why = msg;
        return false;
      }
      // The nested exception meets the exception bitmap / intercepts before
      // the double-fault rules; its exit names `cur` as the interrupted event.
      if (g) g->exception(nested.vector, nested.has_error, nested.error, nested.cr2, false);
      if (g) g->end_delivery();
      if (sys::is_double_fault(cur.vector, nested.vector)) {
        cur = Fault{kDF, true, 0};
        if (g) g->exception(kDF, true, 0, 0, false);
      } else {
        cur = nested;  // handled serially (SDM Table 6-5)
      }
      detected = true;
      type = virt::EventType::kHwException;
      src = sys::EventSource::kHardware;
    }
  }
}

}  // namespace

void Engine::deliver_fault(const Fault& f) {
  fault_depth_ = 0;
  std::string why;
  if (!deliver_chain(*this, f, true, sys::EventSource::kHardware, virt::EventType::kHwException,
                     &fault_depth_, &why)) {
    if (virt_.hooks) virt_.hooks->triple_fault();  // a guest's shutdown is an exit (SDM Vol. 3 26.2)
    set_last_error(why);
    shutdown();
  }
  fault_depth_ = 0;
}

void Engine::deliver_event(uint8_t vector, bool has_error, uint32_t error, bool soft,
                           virt::EventType type) {
  if (soft) {
    // INT n / INT3 / INTO: a fault here is the instruction's own fault and
    // propagates to the run loop (RIP rolls back to the instruction).
    const uint64_t from = s.rip;
    if (vector == kDB) s.debugctl &= ~kDebugCtlLbr;  // INT1 (SDM Vol. 3 17.4.2)
    sys::deliver_through_idt(*this, vector, has_error, error, sys::EventSource::kSoftware);
    if (s.debugctl & kDebugCtlLbr) sys::lbr_event(s, from, s.rip);
    ++stat_exceptions;
    add_cycles(lat().exception);
    return;
  }
  // External interrupts and NMI (benign): faults during delivery are handled here.
  fault_depth_ = 0;
  std::string why;
  if (!deliver_chain(*this, Fault{vector, has_error, error}, false, sys::EventSource::kHardware,
                     type, &fault_depth_, &why)) {
    if (virt_.hooks) virt_.hooks->triple_fault();
    set_last_error(why);
    shutdown();
  }
  fault_depth_ = 0;
}

}  // namespace hvsim::core
