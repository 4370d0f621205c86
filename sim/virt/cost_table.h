// The cost parameters and statistics of VMX and SVM, declared from tables:
// one row per `vmx.*_cycles` / `svm.*_cycles` key (default, description,
// and the member of the costs struct it fills) and one row per counter
// (name, description, the member it reads). Each unit declares its own
// tables (sim/vmx/caps.cc, sim/svm/caps.cc); these helpers are the code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/base/params.h"
#include "sim/base/stats.h"

namespace hvsim::virt {

// A cost in cycles: the key, its default, its description, where it goes.
template <class Costs>
struct CostParam {
  const char* key;
  uint64_t def;
  const char* desc;
  uint64_t Costs::*field;
};

template <class Costs, size_t N>
void declare_costs(base::ParamRegistry& reg, const CostParam<Costs> (&table)[N]) {
  for (const CostParam<Costs>& p : table) reg.add_uint(p.key, p.def, "cycles", p.desc);
}

template <class Costs, size_t N>
Costs costs_from_config(const base::Config& cfg, const CostParam<Costs> (&table)[N]) {
  Costs c{};
  for (const CostParam<Costs>& p : table) c.*p.field = cfg.get_uint(p.key);
  return c;
}

// An event counter of `Owner`, registered with unit "count".
template <class Owner>
struct CounterStat {
  const char* name;
  const char* desc;
  uint64_t Owner::*counter;
};

template <class Owner, size_t N>
void register_counters(base::StatRegistry& reg, const Owner& o,
                       const CounterStat<Owner> (&table)[N]) {
  for (const CounterStat<Owner>& s : table) reg.add_counter(s.name, &(o.*s.counter), "count", s.desc);
}

}  // namespace hvsim::virt
