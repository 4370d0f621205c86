#include "sim/vmx/entry_checks.h"

#include "sim/core/sys/pdpte.h"

#include "sim/vmx/ept.h"

namespace hvsim::vmx {

namespace {

using core::Segment;

constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
bool canonical(uint64_t a) { return static_cast<uint64_t>(static_cast<int64_t>(a << 16) >> 16) == a; }
bool fits(const EntryCtx& c, uint64_t pa) { return !(pa >> c.caps.maxphyaddr); }
bool page_ok(const EntryCtx& c, uint64_t pa) { return !(pa & 0xfff) && fits(c, pa); }
// A control word honours its capability MSR: allowed-0 bits set, only allowed-1 bits set.
bool ctl_ok(uint32_t v, uint64_t cap) {
  return (v & static_cast<uint32_t>(cap)) == static_cast<uint32_t>(cap) && !(v & ~(cap >> 32));
}
uint32_t u32(const EntryCtx& c, F f) { return static_cast<uint32_t>(c.get(f)); }
bool has2(const EntryCtx& c, uint32_t bit) {
  return (u32(c, F::CPU_BASED_VM_EXEC_CONTROL) & proc::kSecondary) &&
         (u32(c, F::SECONDARY_VM_EXEC_CONTROL) & bit);
}
bool pat_ok(uint64_t pat) {
  for (unsigned i = 0; i < 8; ++i) {
    const unsigned t = (pat >> (8 * i)) & 0xff;
    if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7) return false;
  }
  return true;
}
constexpr uint64_t kEferOk = core::EFER_SCE | core::EFER_LME | core::EFER_LMA | core::EFER_NXE;

// ---- 26.2.1.1 VM-execution control fields -------------------------------------
bool pin_ctls(const EntryCtx& c) { return ctl_ok(u32(c, F::PIN_BASED_VM_EXEC_CONTROL), c.caps.pinbased(true)); }
bool proc_ctls(const EntryCtx& c) { return ctl_ok(u32(c, F::CPU_BASED_VM_EXEC_CONTROL), c.caps.procbased(true)); }
bool proc2_ctls(const EntryCtx& c) {
  if (!(u32(c, F::CPU_BASED_VM_EXEC_CONTROL) & proc::kSecondary)) return true;
  return ctl_ok(u32(c, F::SECONDARY_VM_EXEC_CONTROL), c.caps.procbased2());
}
bool cr3_target_count(const EntryCtx& c) { return u32(c, F::CR3_TARGET_COUNT) <= VmxCaps::kCr3TargetCount; }
bool io_bitmap_addrs(const EntryCtx& c) {
  if (!(u32(c, F::CPU_BASED_VM_EXEC_CONTROL) & proc::kIoBitmaps)) return true;
  return page_ok(c, c.get(F::IO_BITMAP_A)) && page_ok(c, c.get(F::IO_BITMAP_B));
}
bool msr_bitmap_addr(const EntryCtx& c) {
  if (!(u32(c, F::CPU_BASED_VM_EXEC_CONTROL) & proc::kMsrBitmaps)) return true;
  return page_ok(c, c.get(F::MSR_BITMAP));
}
bool tpr_shadow(const EntryCtx& c) {
  if (!(u32(c, F::CPU_BASED_VM_EXEC_CONTROL) & proc::kTprShadow)) {
    // Without the TPR shadow: no x2APIC virtualization, APIC-register
    // virtualization or virtual-interrupt delivery.
    return !has2(c, proc2::kVirtX2apic) && !has2(c, proc2::kApicRegVirt) &&
           !has2(c, proc2::kVintd);
  }
  if (!page_ok(c, c.get(F::VIRTUAL_APIC_PAGE_ADDR))) return false;
  const uint32_t threshold = u32(c, F::TPR_THRESHOLD);
  // Without virtual-interrupt delivery, TPR threshold bits 31:4 are 0 ...
  if (!has2(c, proc2::kVintd) && (threshold & bits(31, 4))) return false;
  // ... and without APIC-access virtualization as well, threshold[3:0] may
  // not exceed VTPR[7:4] (byte 80h of the virtual-APIC page).
  if (!has2(c, proc2::kVirtApic) && !has2(c, proc2::kVintd)) {
    const uint64_t vtpr = c.e.read_phys(c.get(F::VIRTUAL_APIC_PAGE_ADDR) + 0x80, 1);
    if ((threshold & 0xf) > ((vtpr >> 4) & 0xf)) return false;
  }
  return true;
}
bool nmi_controls(const EntryCtx& c) {
  const uint32_t pin = u32(c, F::PIN_BASED_VM_EXEC_CONTROL);
  if (!(pin & pin::kNmiExiting) && (pin & pin::kVirtualNmis)) return false;
  if (!(pin & pin::kVirtualNmis) && (u32(c, F::CPU_BASED_VM_EXEC_CONTROL) & proc::kNmiWindow))
    return false;
  return true;
}
bool apic_access_addr(const EntryCtx& c) {
  return !has2(c, proc2::kVirtApic) || page_ok(c, c.get(F::APIC_ACCESS_ADDR));
}
// Virtualize x2APIC mode excludes virtualize APIC accesses; virtual-interrupt
// delivery needs external-interrupt exiting.
bool apic_virt_ctls(const EntryCtx& c) {
  if (has2(c, proc2::kVirtX2apic) && has2(c, proc2::kVirtApic)) return false;
  const uint32_t pin = u32(c, F::PIN_BASED_VM_EXEC_CONTROL);
  if (has2(c, proc2::kVintd) && !(pin & pin::kExtIntExiting)) return false;
  // Process posted interrupts: virtual-interrupt delivery, acknowledge
  // interrupt on exit, a notification vector in 0-255, a 64-byte aligned
  // descriptor within MAXPHYADDR.
  if (pin & pin::kPostedInterrupts) {
    if (!has2(c, proc2::kVintd)) return false;
    if (!(u32(c, F::VM_EXIT_CONTROLS) & exitc::kAckIntr)) return false;
    if (c.get(F::POSTED_INTR_NV) & 0xff00) return false;
    const uint64_t d = c.get(F::POSTED_INTR_DESC_ADDR);
    if ((d & 0x3f) || !fits(c, d)) return false;
  }
  return true;
}
bool vpid_nonzero(const EntryCtx& c) { return !has2(c, proc2::kVpid) || c.get(F::VIRTUAL_PROCESSOR_ID) != 0; }
bool eptp_ok(const EntryCtx& c) { return !has2(c, proc2::kEpt) || eptp_valid(c.get(F::EPT_POINTER), c.caps); }
bool unrestricted_needs_ept(const EntryCtx& c) {
  return !has2(c, proc2::kUnrestricted) || has2(c, proc2::kEpt);
}
bool vmfunc_ctls(const EntryCtx& c) {
  if (!has2(c, proc2::kVmfunc)) return true;
  const uint64_t f = c.get(F::VM_FUNCTION_CONTROL);
  if (f & ~c.caps.vmfunc_cap()) return false;
  if (f & 1) return has2(c, proc2::kEpt) && page_ok(c, c.get(F::EPTP_LIST_ADDRESS));
  return true;
}
// "enable PML": EPT on, PML address 4 KiB aligned within MAXPHYADDR.
bool pml_ctls(const EntryCtx& c) {
  if (!has2(c, proc2::kPml)) return true;
  return has2(c, proc2::kEpt) && page_ok(c, c.get(F::PML_ADDRESS));
}
// ---- 26.2.1.2 VM-exit control fields ----------------------------------------------
bool exit_ctls(const EntryCtx& c) { return ctl_ok(u32(c, F::VM_EXIT_CONTROLS), c.caps.exit_ctls(true)); }
bool exit_timer_save(const EntryCtx& c) {
  return (u32(c, F::PIN_BASED_VM_EXEC_CONTROL) & pin::kPreemptionTimer) ||
         !(u32(c, F::VM_EXIT_CONTROLS) & exitc::kSaveTimer);
}
bool msr_list_ok(const EntryCtx& c, F count, F addr) {
  if (u32(c, count) == 0) return true;
  const uint64_t a = c.get(addr);
  return !(a & 0xf) && fits(c, a + 16ull * u32(c, count) - 1);
}
bool exit_msr_store(const EntryCtx& c) { return msr_list_ok(c, F::VM_EXIT_MSR_STORE_COUNT, F::VM_EXIT_MSR_STORE_ADDR); }
bool exit_msr_load(const EntryCtx& c) { return msr_list_ok(c, F::VM_EXIT_MSR_LOAD_COUNT, F::VM_EXIT_MSR_LOAD_ADDR); }
// ---- 26.2.1.3 VM-entry control fields ----------------------------------------------
bool entry_ctls(const EntryCtx& c) { return ctl_ok(u32(c, F::VM_ENTRY_CONTROLS), c.caps.entry_ctls(true)); }
bool entry_intr_info(const EntryCtx& c) {
  const uint32_t info = u32(c, F::VM_ENTRY_INTR_INFO_FIELD);
  if (!(info & intr::kValid)) return true;
  const unsigned type = (info >> 8) & 7, vec = info & 0xff;
  if (type == 1) return false;  // reserved
  if (type == intr::kOther && vec != 0) return false;  // 0: pending MTF VM exit (MTF supported)
  if (type == intr::kNmi && vec != 2) return false;
  if (type == intr::kHwException && vec > 31) return false;
  if (info & bits(30, 12)) return false;
  const bool ug_real = has2(c, proc2::kUnrestricted) && !(c.get(F::GUEST_CR0) & core::CR0_PE);
  const bool wants_error = type == intr::kHwException && !ug_real &&
                           (vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 ||
                            vec == 14 || vec == 17 || vec == 21);
  if (((info & intr::kErrorValid) != 0) != wants_error) return false;
  if ((info & intr::kErrorValid) && (u32(c, F::VM_ENTRY_EXCEPTION_ERROR_CODE) & bits(31, 16)))
    return false;
  if (type == intr::kSoftInt || type == intr::kPrivSoftException || type == intr::kSoftException) {
    const uint32_t len = u32(c, F::VM_ENTRY_INSTRUCTION_LEN);
    if (len < 1 || len > 15) return false;
  }
  return true;
}
bool entry_msr_load(const EntryCtx& c) { return msr_list_ok(c, F::VM_ENTRY_MSR_LOAD_COUNT, F::VM_ENTRY_MSR_LOAD_ADDR); }

// ---- 26.2.2 host control registers and MSRs ----------------------------------------
bool host_cr0(const EntryCtx& c) {
  const uint64_t v = c.get(F::HOST_CR0);
  return (v & VmxCaps::kCr0Fixed0) == VmxCaps::kCr0Fixed0 && !(v & ~VmxCaps::kCr0Fixed1);
}
bool host_cr4(const EntryCtx& c) {
  const uint64_t v = c.get(F::HOST_CR4);
  return (v & VmxCaps::kCr4Fixed0) && !(v & ~c.caps.cr4_fixed1);
}
bool host_cr3(const EntryCtx& c) { return fits(c, c.get(F::HOST_CR3)); }
bool host_sysenter(const EntryCtx& c) {
  return canonical(c.get(F::HOST_IA32_SYSENTER_ESP)) && canonical(c.get(F::HOST_IA32_SYSENTER_EIP));
}
bool host_pat(const EntryCtx& c) {
  return !(u32(c, F::VM_EXIT_CONTROLS) & exitc::kLoadPat) || pat_ok(c.get(F::HOST_IA32_PAT));
}
bool host_perf_global_ctrl(const EntryCtx& c) {
  return !(u32(c, F::VM_EXIT_CONTROLS) & exitc::kLoadPerf) ||
         !(c.get(F::HOST_IA32_PERF_GLOBAL_CTRL) & ~c.caps.perf_global_ctrl);
}
bool host_efer(const EntryCtx& c) {
  if (!(u32(c, F::VM_EXIT_CONTROLS) & exitc::kLoadEfer)) return true;
  const uint64_t v = c.get(F::HOST_IA32_EFER);
  const bool as = u32(c, F::VM_EXIT_CONTROLS) & exitc::kHostAddrSpace;
  return !(v & ~kEferOk) && ((v & core::EFER_LMA) != 0) == as && ((v & core::EFER_LME) != 0) == as;
}
// 26.2.3: selectors: RPL and TI zero, CS and TR non-null (SS too for a 32-bit host).
bool host_selectors(const EntryCtx& c) {
  for (F f : {F::HOST_ES_SELECTOR, F::HOST_CS_SELECTOR, F::HOST_SS_SELECTOR, F::HOST_DS_SELECTOR,
              F::HOST_FS_SELECTOR, F::HOST_GS_SELECTOR, F::HOST_TR_SELECTOR})
    if (c.get(f) & 7) return false;
  if (c.get(F::HOST_CS_SELECTOR) == 0 || c.get(F::HOST_TR_SELECTOR) == 0) return false;
  return (u32(c, F::VM_EXIT_CONTROLS) & exitc::kHostAddrSpace) || c.get(F::HOST_SS_SELECTOR) != 0;
}
bool host_bases(const EntryCtx& c) {
  for (F f : {F::HOST_FS_BASE, F::HOST_GS_BASE, F::HOST_GDTR_BASE, F::HOST_IDTR_BASE, F::HOST_TR_BASE})
    if (!canonical(c.get(f))) return false;
  return true;
}
// 26.2.4: address-space size.
bool host_address_space(const EntryCtx& c) {
  const bool as = u32(c, F::VM_EXIT_CONTROLS) & exitc::kHostAddrSpace;
  const bool lma = c.e.s.efer & core::EFER_LMA;
  if (lma != as) return false;
  if (as) return (c.get(F::HOST_CR4) & core::CR4_PAE) && canonical(c.get(F::HOST_RIP));
  return !(u32(c, F::VM_ENTRY_CONTROLS) & entryc::kIa32eGuest) &&
         !(c.get(F::HOST_CR4) & core::CR4_PCIDE) && !(c.get(F::HOST_RIP) >> 32);
}

// ---- 26.3.1.1 guest control registers, debug registers and MSRs ---------------------
bool ug(const EntryCtx& c) { return has2(c, proc2::kUnrestricted); }
bool ia32e(const EntryCtx& c) { return u32(c, F::VM_ENTRY_CONTROLS) & entryc::kIa32eGuest; }
bool guest_cr0(const EntryCtx& c) {
  const uint64_t v = c.get(F::GUEST_CR0);
  uint64_t fixed0 = VmxCaps::kCr0Fixed0;
  if (ug(c)) fixed0 &= ~(core::CR0_PE | core::CR0_PG);
  if ((v & fixed0) != fixed0 || (v & ~VmxCaps::kCr0Fixed1)) return false;
  return !((v & core::CR0_PG) && !(v & core::CR0_PE));
}
bool guest_cr4(const EntryCtx& c) {
  const uint64_t v = c.get(F::GUEST_CR4);
  return (v & VmxCaps::kCr4Fixed0) && !(v & ~c.caps.cr4_fixed1);
}
bool guest_ia32e_paging(const EntryCtx& c) {
  if (ia32e(c)) return (c.get(F::GUEST_CR0) & core::CR0_PG) && (c.get(F::GUEST_CR4) & core::CR4_PAE);
  return !(c.get(F::GUEST_CR4) & core::CR4_PCIDE);
}
bool guest_cr3(const EntryCtx& c) { return fits(c, c.get(F::GUEST_CR3)); }
bool guest_dr7(const EntryCtx& c) {
  return !(u32(c, F::VM_ENTRY_CONTROLS) & entryc::kLoadDebug) || !(c.get(F::GUEST_DR7) >> 32);
}
bool guest_sysenter(const EntryCtx& c) {
  return canonical(c.get(F::GUEST_SYSENTER_ESP)) && canonical(c.get(F::GUEST_SYSENTER_EIP));
}
bool guest_perf_global_ctrl(const EntryCtx& c) {
  return !(u32(c, F::VM_ENTRY_CONTROLS) & entryc::kLoadPerf) ||
         !(c.get(F::GUEST_IA32_PERF_GLOBAL_CTRL) & ~c.caps.perf_global_ctrl);
}
bool guest_pat(const EntryCtx& c) {
  return !(u32(c, F::VM_ENTRY_CONTROLS) & entryc::kLoadPat) || pat_ok(c.get(F::GUEST_IA32_PAT));
}
bool guest_efer(const EntryCtx& c) {
  if (!(u32(c, F::VM_ENTRY_CONTROLS) & entryc::kLoadEfer)) return true;
  const uint64_t v = c.get(F::GUEST_IA32_EFER);
  if (v & ~kEferOk) return false;
  if (((v & core::EFER_LMA) != 0) != ia32e(c)) return false;
  return !(c.get(F::GUEST_CR0) & core::CR0_PG) || ((v & core::EFER_LMA) != 0) == ((v & core::EFER_LME) != 0);
}

// ---- 26.3.1.2 guest segment registers ----------------------------------------------
struct Seg { uint16_t sel; uint64_t base; uint32_t limit, ar; };
Seg seg(const EntryCtx& c, unsigned i) {
  static const F kSel[] = {F::GUEST_ES_SELECTOR, F::GUEST_CS_SELECTOR, F::GUEST_SS_SELECTOR,
                           F::GUEST_DS_SELECTOR, F::GUEST_FS_SELECTOR, F::GUEST_GS_SELECTOR,
                           F::GUEST_LDTR_SELECTOR, F::GUEST_TR_SELECTOR};
  const unsigned k = static_cast<unsigned>(kSel[i]);
  // Selector, base, limit and AR fields are each in table order by register.
  auto at = [&](F first) { return static_cast<F>(static_cast<unsigned>(first) + i); };
  (void)k;
  return Seg{static_cast<uint16_t>(c.get(kSel[i])), c.get(at(F::GUEST_ES_BASE)),
             u32(c, at(F::GUEST_ES_LIMIT)), u32(c, at(F::GUEST_ES_AR_BYTES))};
}
constexpr uint32_t kUnusable = 1u << 16;
bool v86(const EntryCtx& c) { return c.get(F::GUEST_RFLAGS) & core::VM; }
// Limit and G consistency (26.3.1.2): G=0 if limit[31:20] nonzero; G=1 if limit[11:0] not all ones.
bool granularity_ok(const Seg& s) {
  const bool g = s.ar & (1u << 15);
  if ((s.limit & 0xfff) != 0xfff && g) return false;
  if ((s.limit & 0xfff00000) && !g) return false;
  return true;
}
bool guest_tr(const EntryCtx& c) {
  const Seg tr = seg(c, 7);
  if (tr.sel & 4) return false;
  if (tr.ar & kUnusable) return false;
  const unsigned type = tr.ar & 0xf;
  if (!(type == 11 || (!ia32e(c) && type == 3))) return false;
  if ((tr.ar & (1u << 4)) || !(tr.ar & 0x80) || (tr.ar & 0xf00) || (tr.ar & bits(31, 17))) return false;
  return granularity_ok(tr) && canonical(tr.base);
}
bool guest_ldtr(const EntryCtx& c) {
  const Seg l = seg(c, 6);
  if (l.ar & kUnusable) return true;
  if (l.sel & 4) return false;
  if ((l.ar & 0xf) != 2 || (l.ar & (1u << 4)) || !(l.ar & 0x80) || (l.ar & 0xf00) ||
      (l.ar & bits(31, 17)))
    return false;
  return granularity_ok(l) && canonical(l.base);
}
bool guest_cs(const EntryCtx& c) {
  if (v86(c)) return true;
  const Seg cs = seg(c, 1);
  const unsigned type = cs.ar & 0xf;
  if (!(type == 9 || type == 11 || type == 13 || type == 15 || (ug(c) && type == 3))) return false;
  if (!(cs.ar & (1u << 4)) || !(cs.ar & 0x80) || (cs.ar & 0xf00) || (cs.ar & bits(31, 17))) return false;
  if (ia32e(c) && (cs.ar & (1u << 13)) && (cs.ar & (1u << 14))) return false;  // L and D/B
  if (cs.base >> 32) return false;
  return granularity_ok(cs);
}
bool guest_ss(const EntryCtx& c) {
  if (v86(c)) return true;
  const Seg ss = seg(c, 2), cs = seg(c, 1);
  if (!ug(c) && (ss.sel & 3) != (cs.sel & 3)) return false;
  if (ss.ar & kUnusable) return true;
  const unsigned type = ss.ar & 0xf;
  if (type != 3 && type != 7) return false;
  if (!(ss.ar & (1u << 4)) || !(ss.ar & 0x80) || (ss.ar & 0xf00) || (ss.ar & bits(31, 17))) return false;
  if (!ug(c) && ((ss.ar >> 5) & 3) != (ss.sel & 3)) return false;
  if (ss.base >> 32) return false;
  return granularity_ok(ss);
}
bool guest_data_segs(const EntryCtx& c) {
  if (v86(c)) return true;
  for (unsigned i : {0u, 3u, 4u, 5u}) {
    const Seg s = seg(c, i);
    if (s.ar & kUnusable) continue;
    const unsigned type = s.ar & 0xf;
    if (!(type & 1)) return false;                 // accessed
    if ((type & 8) && !(type & 2)) return false;   // code segments must be readable
    if (!(s.ar & (1u << 4)) || !(s.ar & 0x80) || (s.ar & 0xf00) || (s.ar & bits(31, 17))) return false;
    if (!granularity_ok(s)) return false;
    if (i >= 4 ? !canonical(s.base) : (s.base >> 32) != 0) return false;
  }
  return true;
}
// ---- 26.3.1.3 descriptor-table registers -----------------------------------------------
bool guest_gdtr_idtr(const EntryCtx& c) {
  return canonical(c.get(F::GUEST_GDTR_BASE)) && canonical(c.get(F::GUEST_IDTR_BASE)) &&
         !(u32(c, F::GUEST_GDTR_LIMIT) >> 16) && !(u32(c, F::GUEST_IDTR_LIMIT) >> 16);
}
// ---- 26.3.1.4 RIP and RFLAGS ---------------------------------------------------------------
bool guest_rip(const EntryCtx& c) {
  const uint64_t rip = c.get(F::GUEST_RIP);
  if (!ia32e(c) || !(seg(c, 1).ar & (1u << 13))) return !(rip >> 32);
  return canonical(rip);
}
bool guest_rflags(const EntryCtx& c) {
  const uint64_t f = c.get(F::GUEST_RFLAGS);
  if ((f & (bits(63, 22) | (1u << 15) | (1u << 5) | (1u << 3))) || !(f & 2)) return false;
  if ((f & core::VM) && (ia32e(c) || !(c.get(F::GUEST_CR0) & core::CR0_PE))) return false;
  const uint32_t info = u32(c, F::VM_ENTRY_INTR_INFO_FIELD);
  if ((info & intr::kValid) && ((info >> 8) & 7) == intr::kExternal && !(f & core::IF)) return false;
  return true;
}
// ---- 26.3.1.5 non-register state ------------------------------------------------------------
bool guest_activity(const EntryCtx& c) {
  const uint32_t a = u32(c, F::GUEST_ACTIVITY_STATE);
  // IA32_VMX_MISC reports HLT and wait-for-SIPI (not shutdown).
  if (a != kActive && a != kHlt && a != kWaitSipi) return false;
  if (a == kHlt && ((seg(c, 2).ar >> 5) & 3) != 0) return false;
  // No event injection into the wait-for-SIPI state (26.3.1.5).
  if (a == kWaitSipi && (u32(c, F::VM_ENTRY_INTR_INFO_FIELD) & intr::kValid)) return false;
  return true;
}
bool guest_interruptibility(const EntryCtx& c) {
  const uint32_t s = u32(c, F::GUEST_INTERRUPTIBILITY_INFO);
  if (s & bits(31, 5)) return false;
  if ((s & interruptibility::kSti) && (s & interruptibility::kMovSs)) return false;
  if ((s & interruptibility::kSti) && !(c.get(F::GUEST_RFLAGS) & core::IF)) return false;
  const uint32_t info = u32(c, F::VM_ENTRY_INTR_INFO_FIELD);
  if (info & intr::kValid) {
    const unsigned type = (info >> 8) & 7;
    if (type == intr::kExternal && (s & (interruptibility::kSti | interruptibility::kMovSs)))
      return false;
    if (type == intr::kNmi && (s & interruptibility::kMovSs)) return false;
    if (type == intr::kNmi && (s & interruptibility::kNmi) &&
        !(u32(c, F::PIN_BASED_VM_EXEC_CONTROL) & pin::kVirtualNmis))
      return false;
  }
  return true;
}
bool guest_pending_dbg(const EntryCtx& c) {
  const uint64_t p = c.get(F::GUEST_PENDING_DBG_EXCEPTIONS);
  if (p & (bits(63, 17) | (1u << 15) | (1u << 13) | bits(11, 4))) return false;
  // With STI/MOV-SS blocking or in HLT, BS agrees with single-stepping:
  // set iff RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0.
  const uint32_t ib = u32(c, F::GUEST_INTERRUPTIBILITY_INFO);
  if ((ib & (interruptibility::kSti | interruptibility::kMovSs)) ||
      u32(c, F::GUEST_ACTIVITY_STATE) == kHlt) {
    const uint64_t dbgctl = (u32(c, F::VM_ENTRY_CONTROLS) & entryc::kLoadDebug)
                                ? c.get(F::GUEST_IA32_DEBUGCTL)
                                : c.e.s.debugctl;
    const bool stepping = (c.get(F::GUEST_RFLAGS) & core::TF) && !(dbgctl & 2);
    if (((p & core::kDr6Bs) != 0) != stepping) return false;
  }
  return true;
}
// 26.3.1.5: a VMCS link pointer other than all ones is 4 KiB aligned within
// MAXPHYADDR and names a VMCS of this revision whose shadow-VMCS indicator
// equals the "VMCS shadowing" control.
bool guest_vmcs_link(const EntryCtx& c) {
  const uint64_t link = c.get(F::VMCS_LINK_POINTER);
  if (link == ~0ull) return true;
  if (!page_ok(c, link)) return false;
  const uint32_t rev = static_cast<uint32_t>(c.e.read_phys(link, 4));
  if ((rev & ~kShadowIndicator) != c.caps.revision) return false;
  return ((rev & kShadowIndicator) != 0) == has2(c, proc2::kShadowVmcs);
}
// 26.3.1.6: a guest entering PAE paging (CR0.PG, CR4.PAE, not IA-32e) has
// PDPTEs whose present entries have no reserved bit set (63:MAXPHYADDR,
// 8:5, 2:1; Table 4-8). With EPT they are the VMCS fields, otherwise the
// four entries at guest CR3[31:5] in memory.
bool guest_pdptes(const EntryCtx& c) {
  if (!(c.get(F::GUEST_CR0) & core::CR0_PG) || !(c.get(F::GUEST_CR4) & core::CR4_PAE) || ia32e(c))
    return true;
  uint64_t p[4];
  entry_pdptes(c.e, c.v, has2(c, proc2::kEpt), p);
  for (uint64_t e : p)
    if (core::sys::pdpte_reserved(e, c.caps.maxphyaddr)) return false;
  return true;
}

}  // namespace

void entry_pdptes(core::Engine& e, VmcsRef v, bool ept, uint64_t out[4]) {
  if (!ept) return core::sys::read_pdptes_phys(e, v.get(F::GUEST_CR3), out);
  for (unsigned i = 0; i < 4; ++i)
    out[i] = v.get(static_cast<F>(static_cast<unsigned>(F::GUEST_PDPTE0) + i));
}

const std::vector<EntryCheck>& entry_checks() {
  static const std::vector<EntryCheck> kChecks = {
      {"pin_based_controls", CheckClass::kControl, &pin_ctls, 0},
      {"primary_proc_controls", CheckClass::kControl, &proc_ctls, 0},
      {"secondary_proc_controls", CheckClass::kControl, &proc2_ctls, 0},
      {"cr3_target_count", CheckClass::kControl, &cr3_target_count, 0},
      {"io_bitmap_addresses", CheckClass::kControl, &io_bitmap_addrs, 0},
      {"msr_bitmap_address", CheckClass::kControl, &msr_bitmap_addr, 0},
      {"tpr_shadow", CheckClass::kControl, &tpr_shadow, 0},
      {"nmi_controls", CheckClass::kControl, &nmi_controls, 0},
      {"apic_access_address", CheckClass::kControl, &apic_access_addr, 0},
      {"apic_virtualization_controls", CheckClass::kControl, &apic_virt_ctls, 0},
      {"vpid_nonzero", CheckClass::kControl, &vpid_nonzero, 0},
      {"eptp", CheckClass::kControl, &eptp_ok, 0},
      {"unrestricted_guest_needs_ept", CheckClass::kControl, &unrestricted_needs_ept, 0},
      {"vm_function_controls", CheckClass::kControl, &vmfunc_ctls, 0},
      {"pml_controls", CheckClass::kControl, &pml_ctls, 0},
      {"exit_controls", CheckClass::kControl, &exit_ctls, 0},
      {"exit_save_preemption_timer", CheckClass::kControl, &exit_timer_save, 0},
      {"exit_msr_store_list", CheckClass::kControl, &exit_msr_store, 0},
      {"exit_msr_load_list", CheckClass::kControl, &exit_msr_load, 0},
      {"entry_controls", CheckClass::kControl, &entry_ctls, 0},
      {"entry_interruption_info", CheckClass::kControl, &entry_intr_info, 0},
      {"entry_msr_load_list", CheckClass::kControl, &entry_msr_load, 0},
      {"host_cr0", CheckClass::kHost, &host_cr0, 0},
      {"host_cr4", CheckClass::kHost, &host_cr4, 0},
      {"host_cr3", CheckClass::kHost, &host_cr3, 0},
      {"host_sysenter", CheckClass::kHost, &host_sysenter, 0},
      {"host_perf_global_ctrl", CheckClass::kHost, &host_perf_global_ctrl, 0},
      {"host_pat", CheckClass::kHost, &host_pat, 0},
      {"host_efer", CheckClass::kHost, &host_efer, 0},
      {"host_selectors", CheckClass::kHost, &host_selectors, 0},
      {"host_bases", CheckClass::kHost, &host_bases, 0},
      {"host_address_space", CheckClass::kHost, &host_address_space, 0},
      {"guest_cr0", CheckClass::kGuest, &guest_cr0, 0},
      {"guest_cr4", CheckClass::kGuest, &guest_cr4, 0},
      {"guest_ia32e_paging", CheckClass::kGuest, &guest_ia32e_paging, 0},
      {"guest_cr3", CheckClass::kGuest, &guest_cr3, 0},
      {"guest_dr7", CheckClass::kGuest, &guest_dr7, 0},
      {"guest_sysenter", CheckClass::kGuest, &guest_sysenter, 0},
      {"guest_perf_global_ctrl", CheckClass::kGuest, &guest_perf_global_ctrl, 0},
      {"guest_pat", CheckClass::kGuest, &guest_pat, 0},
      {"guest_efer", CheckClass::kGuest, &guest_efer, 0},
      {"guest_tr", CheckClass::kGuest, &guest_tr, 0},
      {"guest_ldtr", CheckClass::kGuest, &guest_ldtr, 0},
      {"guest_cs", CheckClass::kGuest, &guest_cs, 0},
      {"guest_ss", CheckClass::kGuest, &guest_ss, 0},
      {"guest_data_segments", CheckClass::kGuest, &guest_data_segs, 0},
      {"guest_gdtr_idtr", CheckClass::kGuest, &guest_gdtr_idtr, 0},
      {"guest_rip", CheckClass::kGuest, &guest_rip, 0},
      {"guest_rflags", CheckClass::kGuest, &guest_rflags, 0},
      {"guest_activity_state", CheckClass::kGuest, &guest_activity, 0},
      {"guest_interruptibility", CheckClass::kGuest, &guest_interruptibility, 0},
      {"guest_pending_debug_exceptions", CheckClass::kGuest, &guest_pending_dbg, 0},
      {"guest_vmcs_link_pointer", CheckClass::kGuest, &guest_vmcs_link, 4},
      {"guest_pdptes", CheckClass::kGuest, &guest_pdptes, 2},
  };
  return kChecks;
}

std::optional<EntryCheck> first_failed_check(const EntryCtx& ctx) {
  for (const EntryCheck& c : entry_checks())
    if (!c.ok(ctx)) return c;
  return std::nullopt;
}

}  // namespace hvsim::vmx
