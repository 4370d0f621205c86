// The timing seam: sim/timing owns time. The functional engine describes
// each retiring instruction in a RetireInfo and hands it to a core model; the
// model alone advances the cycle count. Two models stand behind the seam,
// chosen once per run by timing.model:
//   simple  SimpleCore: the serial in-order sum (IPC <= 1)
//   ooo     ooo::OooCore: an out-of-order superscalar core
// Both are final classes with the same non-virtual interface (the concept
// below). The engine holds a CoreModel (a variant) and, once per run slice,
// std::visit()s it to enter a run loop templated on the model type, so the
// per-instruction retire() is a direct call the compiler can inline: no
// virtual call and no branch on the model kind per instruction.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <variant>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/timing/ooo/ooo_core.h"
#include "sim/timing/retire_info.h"
#include "sim/timing/simple_core.h"

namespace hvsim::timing {

template <typename M>
concept CoreModelType = requires(M m, const M cm, const RetireInfo& r, base::StatRegistry& reg) {
  m.retire(r);                                // one instruction retired
  m.stall(uint64_t{1});                       // time passes with no instruction
  { cm.cycles() } -> std::same_as<uint64_t>;  // the core's clock: last retire
  { cm.instructions() } -> std::same_as<uint64_t>;
  m.register_stats(reg, std::string());
  m.warm(r);  // functional warming: train what predicts, charge nothing
  m.drain();  // leave nothing in flight (between sampled windows)
  { M::kTimesFetch } -> std::convertible_to<bool>;  // the engine fetches through the L1I
  { M::kReadsDeps } -> std::convertible_to<bool>;   // start() rather than start_charges()
};
static_assert(CoreModelType<SimpleCore>);
static_assert(CoreModelType<ooo::OooCore>);

using CoreModel = std::variant<SimpleCore, ooo::OooCore>;

// Declares timing.model, timing.ooo.*, timing.fast_forward and timing.sample (the class latencies
// are declared by Latencies::declare_params, the cache levels by the MMU).
void declare_core_model_params(base::ParamRegistry& reg);
// Builds the model timing.model names. store_cap: what a store costs at most
// under the simple model (cache.l1d.hit_cycles, or UINT32_MAX when
// cache.stores_block); the ooo model takes stores' full latency off the
// critical path itself.
CoreModel make_core_model(const base::Config& cfg, uint32_t store_cap);

inline uint64_t cycles(const CoreModel& m) {
  return std::visit([](const auto& c) { return c.cycles(); }, m);
}

}  // namespace hvsim::timing
