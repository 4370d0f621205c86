// Exception and interrupt delivery with the double- and triple-fault rules
// (SDM Vol. 3 6.15 "Interrupt 8—Double Fault Exception", Table 6-5). The
// delivery mechanics per mode live in sys/interrupts.cc.
#include <cstdio>

#include "sim/core/engine.h"
#include "sim/core/sys/interrupts.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {

namespace {

// Delivers `first`; a fault raised during delivery is either handled
// serially or turns into #DF; a fault while delivering #DF shuts down.
// Returns false on a triple fault (the message is in *why).
bool deliver_chain(Engine& e, Fault cur, sys::EventSource src, unsigned* depth, std::string* why) {
  for (;;) {
    // In guest mode the exception may exit instead (VMX exception bitmap,
    // SVM exception intercepts); CR2 is then left alone.
    if (virt::GuestHooks* g = e.guest()) g->exception(cur.vector, cur.has_error, cur.error, cur.cr2, false);
    if (cur.vector == kPF) e.s.cr2 = cur.cr2;  // CR2 is loaded before delivery (SDM 4.7)
    try {
      sys::deliver_through_idt(e, cur.vector, cur.has_error, cur.error, src);
      ++e.stat_exceptions;
      e.add_cycles(e.lat().exception);
      return true;
    } catch (const Fault& g) {
      e.add_cycles(e.lat().exception);
      if (cur.vector == kDF || ++*depth > 8) {
        char msg[128];
        std::snprintf(msg, sizeof msg,
                      "triple fault: vector %u (error %#x) while delivering vector %u at RIP=%#llx",
                      g.vector, g.error, cur.vector, static_cast<unsigned long long>(e.insn_rip()));
        *why = msg;
        return false;
      }
      if (sys::is_double_fault(cur.vector, g.vector))
        cur = Fault{kDF, true, 0};
      else
        cur = g;  // handled serially (SDM Table 6-5)
      src = sys::EventSource::kHardware;
    }
  }
}

}  // namespace

void Engine::deliver_fault(const Fault& f) {
  fault_depth_ = 0;
  std::string why;
  if (!deliver_chain(*this, f, sys::EventSource::kHardware, &fault_depth_, &why)) {
    if (guest_) guest_->triple_fault();  // a guest's shutdown is an exit (SDM Vol. 3 26.2)
    set_last_error(why);
    shutdown();
  }
  fault_depth_ = 0;
}

void Engine::deliver_event(uint8_t vector, bool has_error, uint32_t error, bool soft) {
  if (soft) {
    // INT n / INT3 / INTO: a fault here is the instruction's own fault and
    // propagates to the run loop (RIP rolls back to the instruction).
    sys::deliver_through_idt(*this, vector, has_error, error, sys::EventSource::kSoftware);
    ++stat_exceptions;
    add_cycles(lat().exception);
    return;
  }
  // External interrupts and NMI (benign): faults during delivery are handled here.
  fault_depth_ = 0;
  std::string why;
  if (!deliver_chain(*this, Fault{vector, has_error, error}, sys::EventSource::kHardware,
                     &fault_depth_, &why)) {
    if (guest_) guest_->triple_fault();
    set_last_error(why);
    shutdown();
  }
  fault_depth_ = 0;
}

}  // namespace hvsim::core
