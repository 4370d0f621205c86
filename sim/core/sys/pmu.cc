#include "sim/core/sys/pmu.h"

#include <algorithm>
#include <limits>

namespace hvsim::core::sys {

namespace {

constexpr uint64_t kCtrMask = (1ull << PmuState::kWidth) - 1;
constexpr unsigned kIntelGp = 4, kAmdGp = 6, kAmdLegacy = 4;
// IA32_PERFEVTSELx / PERF_CTLx bits (SDM Vol. 3 20.2.1.1, APM Vol. 2 13.2.1).
constexpr uint64_t kSelUsr = 1u << 16, kSelOs = 1u << 17, kSelInt = 1u << 20, kSelEn = 1u << 22;
constexpr uint64_t kAmdGuestOnly = 1ull << 40, kAmdHostOnly = 1ull << 41;
// Version 2: bits 63:32 and 21 (AnyThread, version 3) are reserved.
constexpr uint64_t kIntelSelReserved = 0xffffffff00200000ull;
// AMD: bits 63:42, 39:36, 21 and 19 are reserved; they are dropped on write.
constexpr uint64_t kAmdSelReserved = 0xfffffcf000280000ull;
constexpr uint64_t kGlobalCounters = 0xfull | (0x7ull << 32);

// MSR numbers (SDM Vol. 4 Table 2-2; APM Vol. 2 13.2).
constexpr uint32_t kPmc0 = 0xc1, kPerfEvtSel0 = 0x186, kFixedCtr0 = 0x309;
constexpr uint32_t kFixedCtrCtrl = 0x38d, kGlobalStatus = 0x38e, kGlobalCtrl = 0x38f,
                   kGlobalOvfCtrl = 0x390;
constexpr uint32_t kAmdPerfCtl0 = 0xc0010000, kAmdPerfCtr0 = 0xc0010004, kAmdPerfExt0 = 0xc0010200;

[[noreturn]] void gp() {
  raise(kGP, 0);
}
bool intel_pmu(const Engine& e) {
  return e.cpuid().has_pmu() && !e.cpuid().is_amd();
}
uint64_t global_ctrl_bits(const Engine& e) { return intel_pmu(e) ? kGlobalCounters : 0; }
bool amd_pmu(const Engine& e) {
  return e.cpuid().has_pmu() && e.cpuid().is_amd();
}

void read_sources(Engine& e, uint64_t v[kPmuSources]) {
  mmu::Mmu& m = e.mmu();
  const cache::CacheLevel& llc = m.cache().llc();
  const mmu::TlbHierarchy& t = m.tlbs();
  v[kPmuNone] = 0;
  v[kPmuInstructions] = e.instructions();
  v[kPmuCycles] = e.cycles();
  v[kPmuBranches] = e.s.pmu.branches;
  v[kPmuBranchMisses] = 0;  // no branch predictor is modelled: nothing mispredicts
  v[kPmuLlcMisses] = llc.misses[0] + llc.misses[1];
  v[kPmuLlcRefs] = llc.hits[0] + llc.hits[1] + v[kPmuLlcMisses];
  v[kPmuDtlbMisses] = t.misses[0][0] + t.misses[1][0];
  v[kPmuDtlbLoadWalks] = t.misses[0][1];
  v[kPmuDtlbStoreWalks] = t.misses[1][1];
  v[kPmuItlbWalks] = t.misses[2][1];
  v[kPmuWalks] = m.walker().walks;
  v[kPmuWalkRefs] = m.walker().walk_refs;
}

// Intel architectural events (SDM Vol. 3 Table 20-1) and the model-specific
// TLB ones hvsim can count (Skylake encodings, SDM Vol. 4 / perfmon tables).
PmuSource intel_source(uint64_t sel) {
  const unsigned ev = sel & 0xff, umask = (sel >> 8) & 0xff;
  switch (ev) {
    case 0x3c:
      return umask <= 1 ? kPmuCycles : kPmuNone;  // core / reference cycles
    case 0xc0:
      return kPmuInstructions;
    case 0x2e:
      return umask == 0x4f ? kPmuLlcRefs : umask == 0x41 ? kPmuLlcMisses : kPmuNone;
    case 0xc4:
      return kPmuBranches;
    case 0xc5:
      return kPmuBranchMisses;
    case 0x08:
      return kPmuDtlbLoadWalks;  // DTLB_LOAD_MISSES.*
    case 0x49:
      return kPmuDtlbStoreWalks;  // DTLB_STORE_MISSES.*
    case 0x85:
      return kPmuItlbWalks;  // ITLB_MISSES.*
    case 0xbc:
      return kPmuWalkRefs;  // PAGE_WALKER_LOADS.*
    default:
      return kPmuNone;
  }
}

// AMD core events (AMD PPR for family 17h, "Core Performance Monitor Counters").
PmuSource amd_source(uint64_t sel) {
  const unsigned ev = static_cast<unsigned>((sel & 0xff) | ((sel >> 24) & 0xf00));
  switch (ev) {
    case 0x76:
      return kPmuCycles;  // cycles not in halt
    case 0xc0:
      return kPmuInstructions;
    case 0xc2:
      return kPmuBranches;
    case 0xc3:
      return kPmuBranchMisses;
    case 0x45:
      return kPmuDtlbMisses;  // L1 DTLB miss
    case 0x46:
      return kPmuWalks;  // tablewalker allocations
    default:
      return kPmuNone;
  }
}

bool cpl_matches(const Engine& e, bool os, bool usr) {
  return e.s.cpl == 0 ? os : usr;
}

bool intel_gp_counting(const Engine& e, unsigned i) {
  const uint64_t sel = e.s.pmu.evtsel[i];
  return (e.s.pmu.global_ctrl >> i & 1) && (sel & kSelEn) &&
         cpl_matches(e, sel & kSelOs, sel & kSelUsr);
}
// IA32_FIXED_CTR_CTRL: 4 bits per counter, OS (bit 0), USR (1), PMI (3).
unsigned fixed_field(const Engine& e, unsigned i) {
  return (e.s.pmu.fixed_ctr_ctrl >> (4 * i)) & 0xf;
}
bool intel_fixed_counting(const Engine& e, unsigned i) {
  const unsigned f = fixed_field(e, i);
  return (e.s.pmu.global_ctrl >> (32 + i) & 1) && cpl_matches(e, f & 1, f & 2);
}
// APM Vol. 2 13.2.1: HG_ONLY 01b counts in the guest only, 10b in the host
// only (with EFER.SVME set); 00b and 11b count in both.
bool amd_counting(const Engine& e, unsigned i) {
  const uint64_t sel = e.s.pmu.evtsel[i];
  if (!(sel & kSelEn) || !cpl_matches(e, sel & kSelOs, sel & kSelUsr)) return false;
  const uint64_t hg = sel & (kAmdGuestOnly | kAmdHostOnly);
  if (!(e.s.efer & EFER_SVME) || hg == 0 || hg == (kAmdGuestOnly | kAmdHostOnly)) return true;
  return (hg == kAmdGuestOnly) == (e.guest() != nullptr);
}

// Adds `n` events; true when the counter wrapped past its width.
bool add_events(uint64_t& ctr, uint64_t n) {
  ctr += n;
  const bool wrapped = ctr >> PmuState::kWidth;
  ctr &= kCtrMask;
  return wrapped;
}

// The LVT performance-counter entry fires (SDM Vol. 3 11.5.1); Intel masks
// the entry when it delivers the PMI (SDM Vol. 3 ch. 20, "Generating an
// Interrupt on Overflow"), so the handler unmasks it; AMD does not.
void raise_pmi(Engine& e) {
  if (ApicRegisters* a = e.apic()) a->performance_interrupt(!e.cpuid().is_amd());
  e.notify_interrupt();
}

// A counter the current source feeds, with its INT/PMI enable.
struct CounterRef {
  uint64_t* value;
  PmuSource source;
  bool pmi;
};
// Calls f(counter, status bit) for each counter counting now: Intel GP then
// fixed (the IA32_PERF_GLOBAL_STATUS bit), AMD (no status bit: -1).
template <typename F>
void for_each_counting(Engine& e, F&& f) {
  PmuState& p = e.s.pmu;
  if (e.cpuid().is_amd()) {
    for (unsigned i = 0; i < kAmdGp; ++i)
      if (amd_counting(e, i))
        f(CounterRef{&p.pmc[i], amd_source(p.evtsel[i]), bool(p.evtsel[i] & kSelInt)}, -1);
    return;
  }
  for (unsigned i = 0; i < kIntelGp; ++i)
    if (intel_gp_counting(e, i))
      f(CounterRef{&p.pmc[i], intel_source(p.evtsel[i]), bool(p.evtsel[i] & kSelInt)}, int(i));
  static constexpr PmuSource kFixedSource[PmuState::kFixed] = {kPmuInstructions, kPmuCycles,
                                                               kPmuCycles};
  for (unsigned i = 0; i < PmuState::kFixed; ++i)
    if (intel_fixed_counting(e, i))
      f(CounterRef{&p.fixed[i], kFixedSource[i], bool(fixed_field(e, i) & 8)}, int(32 + i));
}

}  // namespace

void pmu_sync(Engine& e) {
  if (!e.cpuid().has_pmu()) return;
  PmuState& p = e.s.pmu;
  uint64_t now[kPmuSources];
  read_sources(e, now);
  uint64_t d[kPmuSources] = {};
  if (p.primed)
    for (unsigned k = 0; k < kPmuSources; ++k) d[k] = now[k] > p.last[k] ? now[k] - p.last[k] : 0;
  std::copy(now, now + kPmuSources, p.last);
  p.primed = 1;
  bool pmi = false;
  for_each_counting(e, [&](const CounterRef& c, int status_bit) {
    if (!add_events(*c.value, d[c.source])) return;
    if (status_bit >= 0) p.global_status |= 1ull << status_bit;
    pmi |= c.pmi;
  });
  if (pmi) raise_pmi(e);
}

uint64_t pmu_next_deadline(Engine& e) {
  constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  if (!e.cpuid().has_pmu()) return kNone;
  pmu_sync(e);
  uint64_t best = kNone;
  for_each_counting(e, [&](const CounterRef& c, int) {
    if (!c.pmi || c.source == kPmuNone || c.source == kPmuBranchMisses) return;
    // Every event takes at least a cycle: the overflow is no sooner than
    // this many cycles away (exact for the cycle events).
    best = std::min(best, std::max<uint64_t>(kCtrMask + 1 - *c.value, 1));
  });
  return best == kNone ? kNone : e.cycles() + best;
}

uint64_t pmu_rdpmc(Engine& e, uint32_t ecx) {
  if (amd_pmu(e)) {  // APM Vol. 3 RDPMC: ECX 0-5 are the core counters
    if (ecx >= kAmdGp) gp();
    pmu_sync(e);
    return e.s.pmu.pmc[ecx];
  }
  if (!intel_pmu(e)) {  // a model without a PMU: the counters read as zero
    const uint32_t idx = ecx & 0x3fffffff;
    if ((ecx & ~0x4000ffffu) || ((ecx & 0x40000000) ? idx >= PmuState::kFixed : idx >= kIntelGp))
      gp();
    return 0;
  }
  // ECX[30] selects the fixed counters, ECX[31] the fast read (bits 31:0 only).
  const uint32_t idx = ecx & 0xffff;
  const bool fixed = ecx & 0x40000000, fast = ecx & 0x80000000;
  if ((ecx & 0x3fff0000u) || (fixed ? idx >= PmuState::kFixed : idx >= kIntelGp)) gp();
  pmu_sync(e);
  const uint64_t v = fixed ? e.s.pmu.fixed[idx] : e.s.pmu.pmc[idx];
  return fast ? static_cast<uint32_t>(v) : v;
}

namespace {

// After a counter write: the next overflow interrupt may now fall inside the
// current quantum; the platform shortens it (ApicRegisters::performance_deadline).
void announce_deadline(Engine& e) {
  if (ApicRegisters* a = e.apic()) {
    const uint64_t d = pmu_next_deadline(e);
    if (d != std::numeric_limits<uint64_t>::max()) a->performance_deadline(d);
  }
}

// ---- Intel (SDM Vol. 3 20.2.1-20.2.2) ----
uint64_t rd_intel(Engine& e, uint32_t i) {
  if (!intel_pmu(e)) gp();
  pmu_sync(e);
  PmuState& p = e.s.pmu;
  if (i >= kPmc0 && i < kPmc0 + kIntelGp) return p.pmc[i - kPmc0];
  if (i >= kPerfEvtSel0 && i < kPerfEvtSel0 + kIntelGp) return p.evtsel[i - kPerfEvtSel0];
  if (i >= kFixedCtr0 && i < kFixedCtr0 + PmuState::kFixed) return p.fixed[i - kFixedCtr0];
  if (i == kFixedCtrCtrl) return p.fixed_ctr_ctrl;
  if (i == kGlobalStatus) return p.global_status;
  if (i == kGlobalCtrl) return p.global_ctrl;
  return 0;  // IA32_PERF_GLOBAL_OVF_CTRL reads as zero
}

void wr_intel(Engine& e, uint32_t i, uint64_t v) {
  if (!intel_pmu(e)) gp();
  pmu_sync(e);  // what was counted so far, under the old settings
  PmuState& p = e.s.pmu;
  if (i >= kPmc0 && i < kPmc0 + kIntelGp) {
    // 20.2.6: a write to IA32_PMCi sets bits 31:0 and sign-extends bit 31.
    p.pmc[i - kPmc0] =
        static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v))) & kCtrMask;
  } else if (i >= kPerfEvtSel0 && i < kPerfEvtSel0 + kIntelGp) {
    if (v & kIntelSelReserved) gp();
    p.evtsel[i - kPerfEvtSel0] = v;
  } else if (i >= kFixedCtr0 && i < kFixedCtr0 + PmuState::kFixed) {
    p.fixed[i - kFixedCtr0] = v & kCtrMask;
  } else if (i == kFixedCtrCtrl) {
    if (v & ~0xbbbull) gp();  // OS, USR, PMI per counter (AnyThread is version 3)
    p.fixed_ctr_ctrl = v;
  } else if (i == kGlobalCtrl) {
    if (v & ~kGlobalCounters) gp();
    p.global_ctrl = v;
  } else if (i == kGlobalOvfCtrl) {  // write 1 to clear; bits 63:62 are the buffer flags
    if (v & ~(kGlobalCounters | (3ull << 62))) gp();
    p.global_status &= ~v;
  } else {
    gp();  // IA32_PERF_GLOBAL_STATUS is read-only in version 2
  }
  announce_deadline(e);
}

// ---- AMD (APM Vol. 2 13.2) ----
unsigned amd_index(uint32_t i, bool& is_ctl) {
  if (i >= kAmdPerfExt0) {
    is_ctl = !((i - kAmdPerfExt0) & 1);
    return (i - kAmdPerfExt0) >> 1;
  }
  is_ctl = i < kAmdPerfCtr0;
  return is_ctl ? i - kAmdPerfCtl0 : i - kAmdPerfCtr0;
}

uint64_t rd_amd(Engine& e, uint32_t i) {
  if (!amd_pmu(e)) gp();
  pmu_sync(e);
  bool is_ctl = false;
  const unsigned n = amd_index(i, is_ctl);
  return is_ctl ? e.s.pmu.evtsel[n] : e.s.pmu.pmc[n];
}

void wr_amd(Engine& e, uint32_t i, uint64_t v) {
  if (!amd_pmu(e)) gp();
  pmu_sync(e);
  bool is_ctl = false;
  const unsigned n = amd_index(i, is_ctl);
  if (is_ctl)
    e.s.pmu.evtsel[n] = v & ~kAmdSelReserved;
  else
    e.s.pmu.pmc[n] = v & kCtrMask;
  announce_deadline(e);
}

}  // namespace

void append_pmu_msrs(std::vector<MsrDef>& t) {
  static const char* kPmc[kIntelGp] = {"IA32_PMC0", "IA32_PMC1", "IA32_PMC2", "IA32_PMC3"};
  static const char* kSel[kIntelGp] = {"IA32_PERFEVTSEL0", "IA32_PERFEVTSEL1", "IA32_PERFEVTSEL2",
                                       "IA32_PERFEVTSEL3"};
  static const char* kFixed[PmuState::kFixed] = {"IA32_FIXED_CTR0", "IA32_FIXED_CTR1",
                                                 "IA32_FIXED_CTR2"};
  for (uint32_t i = 0; i < kIntelGp; ++i) {
    t.push_back({kPmc0 + i, kPmc[i], &rd_intel, &wr_intel});
    t.push_back({kPerfEvtSel0 + i, kSel[i], &rd_intel, &wr_intel});
  }
  for (uint32_t i = 0; i < PmuState::kFixed; ++i)
    t.push_back({kFixedCtr0 + i, kFixed[i], &rd_intel, &wr_intel});
  t.push_back({kFixedCtrCtrl, "IA32_FIXED_CTR_CTRL", &rd_intel, &wr_intel});
  t.push_back({kGlobalStatus, "IA32_PERF_GLOBAL_STATUS", &rd_intel, &wr_intel});
  t.push_back({kGlobalCtrl, "IA32_PERF_GLOBAL_CTRL", &rd_intel, &wr_intel});
  t.push_back({kGlobalOvfCtrl, "IA32_PERF_GLOBAL_OVF_CTRL", &rd_intel, &wr_intel});
  static const char* kAmdCtl[kAmdLegacy] = {"PERF_CTL0", "PERF_CTL1", "PERF_CTL2", "PERF_CTL3"};
  static const char* kAmdCtr[kAmdLegacy] = {"PERF_CTR0", "PERF_CTR1", "PERF_CTR2", "PERF_CTR3"};
  for (uint32_t i = 0; i < kAmdLegacy; ++i) {
    t.push_back({kAmdPerfCtl0 + i, kAmdCtl[i], &rd_amd, &wr_amd});
    t.push_back({kAmdPerfCtr0 + i, kAmdCtr[i], &rd_amd, &wr_amd});
  }
  static const char* kExt[2 * kAmdGp] = {"PERF_CTL0", "PERF_CTR0", "PERF_CTL1", "PERF_CTR1",
                                         "PERF_CTL2", "PERF_CTR2", "PERF_CTL3", "PERF_CTR3",
                                         "PERF_CTL4", "PERF_CTR4", "PERF_CTL5", "PERF_CTR5"};
  for (uint32_t i = 0; i < 2 * kAmdGp; ++i)
    t.push_back({kAmdPerfExt0 + i, kExt[i], &rd_amd, &wr_amd});
}

uint64_t pmu_global_ctrl_bits(const Engine& e) { return global_ctrl_bits(e); }

}  // namespace hvsim::core::sys
