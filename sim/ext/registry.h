// The extensions linked into this binary (registry) and the enabled ones of
// one core (ActiveSet). The core builds an ActiveSet from the config and
// asks it at decode, CPUID, statistics, world switches and stage 2.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/ext/extension.h"

namespace hvsim::ext {

// Every registered extension, sorted by name (registration order across files
// is unspecified; sorting keeps `config --list` and CPUID deterministic).
const std::vector<const Info*>& registered();
const Info* find(const std::string& name);
// Declares ext.<name>.enabled (default false) and each extension's own keys.
void declare_params(base::ParamRegistry& reg);

class ActiveSet {
 public:
  // Creates an instance of every extension enabled in `cfg`.
  void create(core::Engine& e, const base::Config& cfg);

  struct Entry {
    const Info* info;
    std::unique_ptr<Extension> ext;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // The instance of `name`, or null when that extension is off.
  Extension* get(const std::string& name) const;
  uint32_t cpuid_features() const { return features_; }
  uint64_t cost(const CostQuery& q, uint64_t cost) const {
    for (const Entry& x : entries_) cost = x.ext->cost(q, cost);
    return cost;
  }
  mmu::Stage2* stage2(mmu::Stage2* inner) const {
    for (const Entry& x : entries_) inner = x.ext->stage2(inner);
    return inner;
  }
  void register_stats(base::StatRegistry& st) const {
    for (const Entry& x : entries_) x.ext->register_stats(st);
  }

 private:
  std::vector<Entry> entries_;
  uint32_t features_ = 0;
};

}  // namespace hvsim::ext
