// World-switch accounting (see world_switch.h).
#include "sim/virt/world_switch.h"

#include "sim/core/engine.h"
#include "sim/virt/exit_tracker.h"

namespace hvsim::virt {

void WorldSwitch::entry(uint64_t cost) {
  const auto ev = arch_ == Arch::kVmx ? ext::CostEvent::kVmxEntry : ext::CostEvent::kSvmEntry;
  cost = e_.extensions().cost({ev, 0, state_pa_}, cost);
  e_.add_world_switch_cycles(cost);
  if (ExitTracker* t = e_.exit_tracker()) t->on_entry(e_.cycles(), cost);
}

void WorldSwitch::exit(ExitRecord r, uint64_t cost) {
  r.cycle = e_.cycles();  // the record's stamp comes before the exit cost
  r.arch = arch_;
  if (auto it = exit_costs_.find(r.reason); it != exit_costs_.end()) cost = it->second;
  const auto ev = arch_ == Arch::kVmx ? ext::CostEvent::kVmxExit : ext::CostEvent::kSvmExit;
  cost = e_.extensions().cost({ev, r.reason, state_pa_}, cost);
  r.exit_cost = cost;
  e_.add_world_switch_cycles(cost);
  if (ExitTracker* t = e_.exit_tracker()) t->on_exit(r);
}

ExitRecord WorldSwitch::record(const GuestExit& x, uint32_t reason, const char* name,
                               uint64_t guest_rip) {
  ExitRecord r;
  r.reason = reason;
  r.reason_name = name;
  r.qualification = x.qualification;
  r.guest_rip = guest_rip;
  r.has_linear = x.has_linear;
  r.guest_linear = x.guest_linear;
  r.has_physical = x.has_physical;
  r.guest_physical = x.guest_physical;
  return r;
}

}  // namespace hvsim::virt
