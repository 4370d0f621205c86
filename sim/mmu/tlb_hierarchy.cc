// The TLB hierarchy (see tlb_hierarchy.h).
#include "sim/mmu/tlb_hierarchy.h"

#include "sim/base/params.h"
#include "sim/base/stats.h"

namespace hvsim::mmu {
namespace {

const char* const kLevelKey[3] = {"mmu.itlb", "mmu.dtlb", "mmu.l2tlb"};
const char* const kKindName[3] = {"read", "write", "fetch"};  // by Access

std::string sizes_string(uint8_t m) {
  std::string s;
  const char* const n[3] = {"4k", "2m", "1g"};
  for (unsigned b = 0; b < 3; ++b)
    if (m & (1u << b)) s += (s.empty() ? "" : ",") + std::string(n[b]);
  return s;
}

}  // namespace

uint8_t TlbHierarchyParams::parse_sizes(const std::string& s, const std::string& key) {
  uint8_t m = 0;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    const std::string tok = s.substr(pos, comma - pos);
    if (tok == "4k")
      m |= kPage4K;
    else if (tok == "2m")
      m |= kPage2M;
    else if (tok == "1g")
      m |= kPage1G;
    else
      throw hvsim::base::ConfigError(key + ": page size '" + tok +
                                     "' is not one of 4k, 2m, 1g (comma-separated)");
    pos = comma + 1;
  }
  return m;
}

void TlbHierarchyParams::declare_params(hvsim::base::ParamRegistry& reg) {
  const TlbHierarchyParams d;
  const TlbLevelParams* lv[3] = {&d.itlb, &d.dtlb, &d.l2};
  const char* const what[3] = {"L1 instruction TLB", "L1 data TLB",
                               "unified L2 TLB (behind both L1 TLBs)"};
  for (unsigned i = 0; i < 3; ++i) {
    const std::string k = kLevelKey[i];
    reg.add_uint(k + ".entries", lv[i]->geometry.entries, "entries",
                 std::string("entries of the ") + what[i] + "; 0 disables it", 0, 1u << 20);
    reg.add_uint(k + ".ways", lv[i]->geometry.ways, "ways",
                 std::string("associativity of the ") + what[i] +
                     " (entries must be a multiple; ways == entries: fully associative)",
                 1, 1u << 20);
    reg.add_uint(k + ".hit_cycles", lv[i]->hit_cycles, "cycles",
                 std::string("cycles added by probing the ") + what[i] +
                     (i == 2 ? " after an L1 miss" : " (0: hidden in the load pipeline)"),
                 0, 1000000);
    reg.add_string(k + ".page_sizes", sizes_string(lv[i]->geometry.sizes),
                   std::string("page sizes the ") + what[i] +
                       " holds, comma-separated from 4k, 2m, 1g; larger pages are cached as "
                       "pieces of the largest smaller size held");
  }
}

TlbHierarchyParams TlbHierarchyParams::from_config(const hvsim::base::Config& cfg) {
  TlbHierarchyParams p;
  TlbLevelParams* lv[3] = {&p.itlb, &p.dtlb, &p.l2};
  for (unsigned i = 0; i < 3; ++i) {
    const std::string k = kLevelKey[i];
    TlbGeometry& g = lv[i]->geometry;
    g.entries = static_cast<uint32_t>(cfg.get_uint(k + ".entries"));
    g.ways = static_cast<uint32_t>(cfg.get_uint(k + ".ways"));
    g.sizes = parse_sizes(cfg.get_string(k + ".page_sizes"), k + ".page_sizes");
    lv[i]->hit_cycles = static_cast<uint32_t>(cfg.get_uint(k + ".hit_cycles"));
    if (g.entries % g.ways != 0)
      throw hvsim::base::ConfigError(k + ".entries: must be a multiple of " + k + ".ways");
  }
  return p;
}

TlbHierarchy::TlbHierarchy(const TlbHierarchyParams& p)
    : l1_{Tlb(p.itlb.geometry), Tlb(p.dtlb.geometry)},
      l2_(p.l2.geometry),
      l1_cycles_{p.itlb.hit_cycles, p.dtlb.hit_cycles},
      l2_cycles_(p.l2.hit_cycles) {}

TlbLookup TlbHierarchy::lookup(uint64_t la, Access acc, const TlbTags& t) {
  const unsigned kind = static_cast<unsigned>(acc);
  const bool write = acc == Access::kWrite;
  Tlb& l1 = l1_of(acc);
  TlbLookup r;
  if (l1.enabled()) {
    r.cycles += l1_cycles_[acc == Access::kExec ? 0 : 1];
    const TlbEntry* e = l1.lookup(la, t);
    if (e && !(write && !e->dirty)) {
      ++hits[kind][0];
      r.entry = e;
      r.level = kTlbL1;
      return r;
    }
    if (e) ++clean_write_misses;
    ++misses[kind][0];
  }
  if (l2_.enabled()) {
    r.cycles += l2_cycles_;
    const TlbEntry* e = l2_.lookup(la, t);
    if (e && !(write && !e->dirty)) {
      ++hits[kind][1];
      // Refill the L1; its entry (possibly a splinter) serves the access.
      if (l1.fill_from(la, *e)) {
        const TlbEntry* e1 = l1.lookup(la, t);
        if (e1) e = e1;
      }
      r.entry = e;
      r.level = kTlbL2;
      return r;
    }
    if (e) ++clean_write_misses;
    ++misses[kind][1];
  }
  return r;
}

void TlbHierarchy::fill(uint64_t la, Access acc, const Translation& tr, const TlbTags& t) {
  l1_of(acc).fill(la, tr, t);
  l2_.fill(la, tr, t);
}

void TlbHierarchy::flush(const TlbFlush& f) {
  l1_[0].flush(f);
  l1_[1].flush(f);
  l2_.flush(f);
}

void TlbHierarchy::register_stats(hvsim::base::StatRegistry& reg) {
  for (unsigned lvl = 0; lvl < 3; ++lvl) {
    const std::string k = kLevelKey[lvl];
    const unsigned col = lvl == 2 ? 1 : 0;
    for (unsigned kind = 0; kind < 3; ++kind) {
      const bool fetch = kind == static_cast<unsigned>(Access::kExec);
      if (lvl == 0 && !fetch) continue;  // the ITLB sees fetches only
      if (lvl == 1 && fetch) continue;   // the DTLB sees data accesses only
      const std::string kn = kKindName[kind];
      reg.add_counter(k + "." + kn + "_hits", &hits[kind][col], "count",
                      kn + " lookups that hit in " + k);
      reg.add_counter(k + "." + kn + "_misses", &misses[kind][col], "count",
                      kn + " lookups that missed in " + k +
                          " (a write finding only a clean entry counts as a miss)");
    }
    Tlb& tlb = lvl == 0 ? l1_[0] : lvl == 1 ? l1_[1] : l2_;
    reg.add_counter(k + ".fills", &tlb.fills, "count", "entries written into " + k);
    reg.add_counter(k + ".evictions", &tlb.evictions, "count",
                    "valid entries of " + k + " replaced by fills (capacity/conflict)");
    reg.add_counter(k + ".invalidations", &tlb.invalidations, "count",
                    "entries of " + k + " removed by invalidations");
  }
  reg.add_counter("mmu.tlb.clean_write_misses", &clean_write_misses, "count",
                  "writes that found a TLB entry whose dirty flag was not known set, and "
                  "walked to set it (SDM 4.8)");
}

}  // namespace hvsim::mmu
