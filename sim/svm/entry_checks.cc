#include "sim/svm/entry_checks.h"

#include "sim/core/sys/control_regs.h"

namespace hvsim::svm {

namespace {

bool lme_pg(const VmcbSave& s) { return (s.efer & core::EFER_LME) && (s.cr0 & core::CR0_PG); }

// ---- guest state ---------------------------------------------------------------
bool svme_set(const VmrunCtx& c) { return c.v.save.efer & core::EFER_SVME; }
bool cr0_cd_nw(const VmrunCtx& c) {
  return (c.v.save.cr0 & core::CR0_CD) || !(c.v.save.cr0 & core::CR0_NW);
}
bool cr0_high(const VmrunCtx& c) { return !(c.v.save.cr0 >> 32); }
// CR3: bits above MAXPHYADDR in long mode (and bits 63:52 reserved), 63:32 otherwise.
bool cr3_mbz(const VmrunCtx& c) {
  const uint64_t cr3 = c.v.save.cr3;
  return lme_pg(c.v.save) ? (cr3 >> c.caps.maxphyaddr) == 0 : (cr3 >> 32) == 0;
}
bool cr4_mbz(const VmrunCtx& c) { return !(c.v.save.cr4 & ~core::sys::cr4_allowed(c.e)); }
bool dr6_high(const VmrunCtx& c) { return !(c.v.save.dr6 >> 32); }
bool dr7_high(const VmrunCtx& c) { return !(c.v.save.dr7 >> 32); }
bool efer_mbz(const VmrunCtx& c) { return !(c.v.save.efer & ~core::sys::efer_allowed(c.e)); }
// EFER.LME or LMA set on a processor without long mode (CPUID 8000_0001h EDX[29]).
bool long_mode_supported(const VmrunCtx& c) {
  if (!(c.v.save.efer & (core::EFER_LME | core::EFER_LMA))) return true;
  return c.e.cpuid().query(0x80000001, 0).edx & (1u << 29);
}
bool lme_pg_pae(const VmrunCtx& c) { return !lme_pg(c.v.save) || (c.v.save.cr4 & core::CR4_PAE); }
bool lme_pg_pe(const VmrunCtx& c) { return !lme_pg(c.v.save) || (c.v.save.cr0 & core::CR0_PE); }
// CS.L (attrib bit 9) and CS.D (bit 10) both set in long mode.
bool long_cs_l_d(const VmrunCtx& c) {
  const VmcbSave& s = c.v.save;
  const uint16_t ld = (1u << 9) | (1u << 10);
  return !(lme_pg(s) && (s.cr4 & core::CR4_PAE) && (s.cs.attrib & ld) == ld);
}

// ---- controls ---------------------------------------------------------------------
bool vmrun_intercepted(const VmrunCtx& c) { return c.v.control.intercept_misc2 & misc2::kVmrun; }
bool below_maxpa(const VmrunCtx& c, uint64_t base, uint64_t size) {
  return (base & ~0xfffull) + size <= (1ull << c.caps.maxphyaddr);
}
bool iopm_in_range(const VmrunCtx& c) { return below_maxpa(c, c.v.control.iopm_base_pa, 0x3000); }
// The MSRPM (8 KiB) must end below the maximum physical address: a map
// whose last page is the last addressable one is illegal too, as on
// hardware (kvm-unit-tests' test_msrpm_iopm_bitmap_addrs); the IOPM's
// 8 KiB + 1 byte (15.10.1) makes its 12 KiB rule the same.
bool msrpm_in_range(const VmrunCtx& c) {
  return below_maxpa(c, c.v.control.msrpm_base_pa, 0x2001);
}
// EVENTINJ (15.20): a known type; an exception vector other than NMI's, below 32.
bool eventinj_legal(const VmrunCtx& c) {
  const uint64_t ev = c.v.control.eventinj;
  if (!(ev & event::kValid)) return true;
  const unsigned type = (ev >> 8) & 7;
  const unsigned vec = ev & 0xff;
  if (type != event::kIntr && type != event::kNmi && type != event::kException &&
      type != event::kSoftInt)
    return false;
  return !(type == event::kException && (vec == core::kNMI || vec > 31));
}
bool asid_nonzero(const VmrunCtx& c) { return c.v.control.guest_asid != 0; }
bool np_supported(const VmrunCtx& c) { return !(c.v.control.np_control & 1) || c.caps.np; }

}  // namespace

const std::vector<ConsistencyCheck>& consistency_checks() {
  static const std::vector<ConsistencyCheck> kChecks = {
      {Check::kSvmeClear, "EFER.SVME is 0", &svme_set},
      {Check::kCr0CdNw, "CR0.CD = 0 and CR0.NW = 1", &cr0_cd_nw},
      {Check::kCr0High, "CR0[63:32] not zero", &cr0_high},
      {Check::kCr3Mbz, "CR3 MBZ bit set", &cr3_mbz},
      {Check::kCr4Mbz, "CR4 MBZ bit set", &cr4_mbz},
      {Check::kDr6High, "DR6[63:32] not zero", &dr6_high},
      {Check::kDr7High, "DR7[63:32] not zero", &dr7_high},
      {Check::kEferMbz, "EFER MBZ bit set", &efer_mbz},
      {Check::kLongModeUnsupported, "EFER.LME/LMA without long mode", &long_mode_supported},
      {Check::kLmePgNoPae, "EFER.LME and CR0.PG with CR4.PAE = 0", &lme_pg_pae},
      {Check::kLmePgNoPe, "EFER.LME and CR0.PG with CR0.PE = 0", &lme_pg_pe},
      {Check::kLongCsLAndD, "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set", &long_cs_l_d},
      {Check::kNoVmrunIntercept, "VMRUN intercept clear", &vmrun_intercepted},
      {Check::kIopmBeyondMaxPa, "IOPM beyond the maximum physical address", &iopm_in_range},
      {Check::kMsrpmBeyondMaxPa, "MSRPM beyond the maximum physical address", &msrpm_in_range},
      {Check::kBadEventInj, "illegal event injection", &eventinj_legal},
      {Check::kAsidZero, "ASID 0", &asid_nonzero},
      {Check::kNpUnsupported, "NP_ENABLE without nested paging", &np_supported},
  };
  return kChecks;
}

Check first_failed_check(const VmrunCtx& ctx) {
  for (const ConsistencyCheck& c : consistency_checks())
    if (!c.ok(ctx)) return c.id;
  return Check::kOk;
}

const char* check_name(Check c) {
  for (const ConsistencyCheck& k : consistency_checks())
    if (k.id == c) return k.name;
  return c == Check::kOk ? "ok" : "?";
}

}  // namespace hvsim::svm
