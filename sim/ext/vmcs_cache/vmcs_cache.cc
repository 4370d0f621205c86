// ext.vmcs_cache: an on-chip cache of VMCS/VMCB state.
//
// Processors keep the current VMCS (and some recently used ones) in an
// on-chip region (SDM Vol. 3 25.11.1: "a logical processor may maintain a
// number of VMCSs that are active", data "may be cached on the processor";
// VMCLEAR writes it back). The proposal makes that explicit and sized: a
// fully associative, LRU cache of `ext.vmcs_cache.entries` VMCS/VMCB images
// keyed by physical address. While the VMCS (VMCB) an instruction or world
// switch uses is held:
//   - VMREAD / VMWRITE cost ext.vmcs_cache.access_hit_cycles,
//   - VMPTRLD costs ext.vmcs_cache.vmptrld_hit_cycles,
//   - a VM entry or exit (VMRUN, #VMEXIT) costs ext.vmcs_cache.switch_hit_percent
//     of its normal cost: the guest- and host-state loads read the on-chip copy.
// A miss pays the normal cost and fills the entry (the least recently used
// one is written back and evicted). VMCLEAR writes back and drops its VMCS.
// Nothing changes architecturally; only cycles do.
#include <algorithm>
#include <vector>

#include "sim/ext/extension.h"

namespace hvsim::ext::vmcs_cache {
namespace {

class VmcsCache final : public Extension {
 public:
  explicit VmcsCache(const base::Config& cfg)
      : entries_(cfg.get_uint("ext.vmcs_cache.entries")),
        access_hit_(cfg.get_uint("ext.vmcs_cache.access_hit_cycles")),
        vmptrld_hit_(cfg.get_uint("ext.vmcs_cache.vmptrld_hit_cycles")),
        switch_pct_(cfg.get_uint("ext.vmcs_cache.switch_hit_percent")) {
    lines_.reserve(entries_);
  }

  uint64_t cost(const CostQuery& q, uint64_t cost) override {
    if (q.state_pa == 0) return cost;
    if (q.event == CostEvent::kVmclear) {
      auto it = std::find(lines_.begin(), lines_.end(), q.state_pa);
      if (it != lines_.end()) lines_.erase(it);
      return cost;
    }
    if (!lookup(q.state_pa)) return cost;
    switch (q.event) {
      case CostEvent::kVmread:
      case CostEvent::kVmwrite: return std::min(cost, access_hit_);
      case CostEvent::kVmptrld: return std::min(cost, vmptrld_hit_);
      case CostEvent::kVmxExit:
      case CostEvent::kVmxEntry:
      case CostEvent::kSvmExit:
      case CostEvent::kSvmEntry: return cost * switch_pct_ / 100;
      default: return cost;  // VMLOAD/VMSAVE move state the VMCB cache does not hold
    }
  }

  void register_stats(base::StatRegistry& s) override {
    s.add_counter("ext.vmcs_cache.hits", &hits_, "count", "VMCS/VMCB uses found on chip");
    s.add_counter("ext.vmcs_cache.misses", &misses_, "count", "VMCS/VMCB uses filled from memory");
    s.add_counter("ext.vmcs_cache.evictions", &evictions_, "count",
                  "VMCS/VMCB images written back to make room");
  }

 private:
  // True on a hit; a miss fills (most recently used last).
  bool lookup(uint64_t pa) {
    auto it = std::find(lines_.begin(), lines_.end(), pa);
    if (it != lines_.end()) {
      std::rotate(it, it + 1, lines_.end());
      ++hits_;
      return true;
    }
    ++misses_;
    if (entries_ == 0) return false;
    if (lines_.size() == entries_) {
      lines_.erase(lines_.begin());
      ++evictions_;
    }
    lines_.push_back(pa);
    return false;
  }

  const uint64_t entries_, access_hit_, vmptrld_hit_, switch_pct_;
  std::vector<uint64_t> lines_;
  uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("ext.vmcs_cache.entries", 4, "entries", "VMCS/VMCB images held on chip (LRU)", 0,
               64);
  reg.add_uint("ext.vmcs_cache.access_hit_cycles", 4, "cycles",
               "VMREAD/VMWRITE when the current VMCS is on chip");
  reg.add_uint("ext.vmcs_cache.vmptrld_hit_cycles", 20, "cycles",
               "VMPTRLD of a VMCS that is on chip");
  reg.add_uint("ext.vmcs_cache.switch_hit_percent", 60, "%",
               "cost of a VM entry/exit whose VMCS/VMCB is on chip, in % of the normal cost", 0,
               100);
}

const Info kInfo{"vmcs_cache",
                 "an on-chip cache of VMCS/VMCB state: hits make VMREAD/VMWRITE/VMPTRLD and "
                 "entry/exit state loads cheaper",
                 -1,
                 0,
                 0,
                 &declare_params,
                 [](core::Engine&, const base::Config& c) -> std::unique_ptr<Extension> {
                   return std::make_unique<VmcsCache>(c);
                 }};

}  // namespace
}  // namespace hvsim::ext::vmcs_cache

HVSIM_EXTENSION(vmcs_cache, hvsim::ext::vmcs_cache::kInfo)
