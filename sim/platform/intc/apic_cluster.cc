#include "sim/platform/intc/apic_cluster.h"

namespace hvsim::platform::intc {

namespace {
constexpr uint32_t kBroadcast = 0xffffffff;  // matches every APIC in xAPIC (0xff) and x2APIC mode
}

bool ApicCluster::deliver_to(LocalApic& to, ApicMessage m) {
  m.dest = to.x2apic() ? to.id() : to.id() & 0xff;
  m.logical = false;
  return to.deliver(m);
}

LocalApic* ApicCluster::pick_lowest(const ApicMessage& m) {
  LocalApic* best = nullptr;
  for (LocalApic* a : apics_)
    if (a->matches(m) && (!best || a->apr() < best->apr())) best = a;  // ties: the lowest ID
  return best;
}

bool ApicCluster::deliver(const ApicMessage& m) {
  if (apics_.size() == 1) return apics_[0]->deliver(m);
  if (m.mode == DeliveryMode::kLowest) {
    LocalApic* to = pick_lowest(m);
    return to && deliver_to(*to, m);
  }
  bool any = false;
  for (LocalApic* a : apics_) any = a->deliver(m) || any;
  return any;
}

// 11.6.1 Figure 11-12: with a shorthand the destination field is ignored.
void ApicCluster::send_ipi(LocalApic& from, const ApicMessage& m, unsigned shorthand) {
  auto accepted = [&](LocalApic& to, bool ok) {
    if (!ok) return false;
    ++to.ipis_received;
    ++ipis_delivered;
    return true;
  };
  bool any = false;
  switch (shorthand) {
    case 0:
      if (m.mode == DeliveryMode::kLowest) {
        if (LocalApic* to = pick_lowest(m)) any = accepted(*to, deliver_to(*to, m));
        break;
      }
      for (LocalApic* a : apics_) any = accepted(*a, a->deliver(m)) || any;
      break;
    case 1:
      ++from.self_ipis;
      any = accepted(from, deliver_to(from, m));
      break;
    case 2:
    case 3: {
      ApicMessage b = m;
      b.dest = kBroadcast;
      b.logical = false;
      for (LocalApic* a : apics_) {
        if (shorthand == 3 && a == &from) continue;
        if (a == &from) ++from.self_ipis;
        any = accepted(*a, a->deliver(b)) || any;
      }
      break;
    }
    default: break;
  }
  if (!any) ++from.ipis_to_nobody;
}

}  // namespace hvsim::platform::intc
