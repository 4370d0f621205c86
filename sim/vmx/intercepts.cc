// One predicate per exit cause (SDM Vol. 3 25.1-25.5, 27.2), read from the
// control words cached at VM entry.
#include <utility>

#include "sim/core/decoded_insn.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/insts.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx {

void Vmx::exit_insn(uint32_t reason, uint64_t qual, uint32_t insn_info) {
  virt::GuestExit x;
  x.reason = reason;
  x.qualification = qual;
  x.insn_info = insn_info;
  x.insn_len = static_cast<uint32_t>(e_.s.rip - e_.insn_rip());
  throw x;
}

// ---- instruction boundary: windows, MTF, preemption timer (25.2, 25.5) ----------
uint64_t Vmx::wake_deadline() const {
  // A recognized virtual interrupt wakes a halted guest with IF = 1 (29.2.2).
  if (vintr_ && (e_.s.rflags & core::IF)) return e_.cycles();
  return (c_.pin & pin::kPreemptionTimer) ? timer_deadline_ : ~0ull;
}

// Priority (SDM Vol. 3 25.5.2, 25.5.1, Table 7-2): an MTF VM exit before
// debug traps, which come before the preemption timer, then the NMI and
// interrupt windows.
void Vmx::boundary() {
  const core::ArchState& s = e_.s;
  // APIC-write emulation of the instruction that just completed (29.4.3.2).
  if (HVSIM_UNLIKELY(apic_write_off_ != kNoApicWrite)) apic_write_emulation();
  // A SIPI in the wait-for-SIPI activity state: exit 4, the vector as the
  // qualification (27.2.1).
  if (const int sipi = std::exchange(e_.guest_context().sipi, -1); HVSIM_UNLIKELY(sipi >= 0))
    throw virt::GuestExit{kExitSipi, static_cast<uint64_t>(sipi)};
  if (e_.waiting_for_sipi()) return;  // nothing else happens in that state
  // MTF: after one instruction, or after an event delivered before any
  // instruction could run (an injected event, a fault, a pending #DB).
  if (mtf_icount_ == kNoCount) mtf_icount_ = e_.instructions();
  if (mtf_due_ || ((c_.proc & proc::kMtf) && e_.instructions() != mtf_icount_))
    throw virt::GuestExit{kExitMtf, 0, true};
  // A debug trap due here (single-step behind MTF, or the VMCS pending
  // debug exceptions at entry): delivered, or a #DB exit by the bitmap.
  if (e_.debug_trap_due()) e_.deliver_due_debug_trap();
  if ((c_.pin & pin::kPreemptionTimer) && e_.cycles() >= timer_deadline_)
    throw virt::GuestExit{kExitPreemptionTimer};
  if ((c_.proc & proc::kNmiWindow) && !s.nmi_blocked && !s.interrupt_shadow)
    throw virt::GuestExit{kExitNmiWindow};
  if ((c_.proc & proc::kIntrWindow) && (s.rflags & core::IF) && !s.interrupt_shadow)
    throw virt::GuestExit{kExitInterruptWindow};
  // A recognized virtual interrupt, below NMIs and external interrupts
  // (which exit first: virtual-interrupt delivery needs external-interrupt
  // exiting), 29.2.2.
  if (vintr_ && (s.rflags & core::IF) && !s.interrupt_shadow) {
    core::InterruptSource* src = e_.intc();
    if (!src || (src->pending_vector() < 0 && !(src->nmi_pending() && !s.nmi_blocked)))
      deliver_virtual_interrupt();
  }
}

void Vmx::cpuid() { exit_insn(kExitCpuid); }
void Vmx::hlt() {
  if (c_.proc & proc::kHlt) exit_insn(kExitHlt);
}
void Vmx::invd() { exit_insn(kExitInvd); }
void Vmx::wbinvd() {
  if (c_.has2(proc2::kWbinvd)) exit_insn(kExitWbinvd);
}
void Vmx::xsetbv() { exit_insn(kExitXsetbv); }  // unconditional (SDM Vol. 3 26.1.2)
void Vmx::invlpg(uint64_t la) {
  if (c_.proc & proc::kInvlpg) exit_insn(kExitInvlpg, la);
}
void Vmx::invpcid(const core::DecodedInsn& d) {
  if (!c_.has2(proc2::kInvpcid)) core::raise(core::kUD);  // 25.3: "enable INVPCID" = 0
  // 28.2.1: the qualification is the displacement (sign-extended); the
  // instruction information is Table 28-13 with the type register as Reg2.
  if (c_.proc & proc::kInvlpg)
    exit_insn(kExitInvpcid, static_cast<uint64_t>(d.mem.disp),
              vmx_insn_info(e_, d, 0, d.op[0].reg, false));
}
void Vmx::rdpmc() {
  if (c_.proc & proc::kRdpmc) exit_insn(kExitRdpmc);
}
void Vmx::pause() {
  if (c_.proc & proc::kPause) exit_insn(kExitPause);
}
uint64_t Vmx::rdtsc(bool rdtscp) {
  if (rdtscp && !c_.has2(proc2::kRdtscp)) core::raise(core::kUD);
  if (c_.proc & proc::kRdtsc) exit_insn(rdtscp ? kExitRdtscp : kExitRdtsc);
  return (c_.proc & proc::kTscOffsetting) ? c_.tsc_offset : 0;
}

void Vmx::rdpid() {
  if (!c_.has2(proc2::kRdtscp)) core::raise(core::kUD);  // 25.3
}

// MONITOR/MWAIT exiting (25.1.3). MWAIT's qualification bit 0: the
// address-range monitor is armed (28.2.1); MONITOR has none.
void Vmx::monitor(uint64_t) {
  if (c_.proc & proc::kMonitor) exit_insn(kExitMonitor);
}
void Vmx::mwait(bool armed) {
  if (c_.proc & proc::kMwait) exit_insn(kExitMwait, armed ? 1 : 0);
}

// RDRAND/RDSEED exiting (25.1.3). Instruction information (28.2.5, the
// table for RDRAND, RDSEED, TPAUSE and UMWAIT): destination register in
// bits 6:3, operand size in 12:11 (0: 16-bit, 1: 32-bit, 2: 64-bit).
void Vmx::rdrand(bool seed, unsigned reg, unsigned size) {
  if (!c_.has2(seed ? proc2::kRdseed : proc2::kRdrand)) return;
  const uint32_t osz = size == 2 ? 0 : size == 4 ? 1 : 2;
  exit_insn(seed ? kExitRdseed : kExitRdrand, 0, ((reg & 0xf) << 3) | (osz << 11));
}

// ---- control registers (25.1.3; qualification Table 28-3) ------------------------
namespace {
constexpr uint64_t kVtpr = 0x80;  // VTPR in the virtual-APIC page (29.1.1)
uint64_t cr_qual(unsigned cr, unsigned type, unsigned gpr) {
  return cr | (type << 4) | (static_cast<uint64_t>(gpr) << 8);
}
}  // namespace

uint64_t Vmx::cr_read(unsigned cr, unsigned gpr, uint64_t value) {
  switch (cr) {
    case 0: return (value & ~c_.cr0_mask) | (c_.cr0_shadow & c_.cr0_mask);
    case 4: return (value & ~c_.cr4_mask) | (c_.cr4_shadow & c_.cr4_mask);
    case 3:
      if (c_.proc & proc::kCr3Store) exit_insn(kExitCrAccess, cr_qual(3, 1, gpr));
      return value;
    case 8:
      if (c_.proc & proc::kCr8Store) exit_insn(kExitCrAccess, cr_qual(8, 1, gpr));
      // 29.3 with "use TPR shadow": CR8 reads VTPR[7:4] of the virtual-APIC page.
      if (c_.proc & proc::kTprShadow) return (e_.read_phys(c_.vapic + kVtpr, 4) >> 4) & 0xf;
      return value;
    default: return value;
  }
}

uint64_t Vmx::cr_write(unsigned cr, unsigned gpr, uint64_t value) {
  const core::ArchState& s = e_.s;
  switch (cr) {
    case 0:
    case 4: {
      const uint64_t mask = cr == 0 ? c_.cr0_mask : c_.cr4_mask;
      const uint64_t shadow = cr == 0 ? c_.cr0_shadow : c_.cr4_shadow;
      if ((value ^ shadow) & mask) exit_insn(kExitCrAccess, cr_qual(cr, 0, gpr));
      const uint64_t cur = cr == 0 ? s.cr0 : s.cr4;
      uint64_t v = (value & ~mask) | (cur & mask);
      // Bits fixed in VMX operation (A.7, A.8); unrestricted guests may clear PE/PG.
      uint64_t fixed0 = cr == 0 ? VmxCaps::kCr0Fixed0 : VmxCaps::kCr4Fixed0;
      if (cr == 0 && c_.has2(proc2::kUnrestricted)) fixed0 &= ~(core::CR0_PE | core::CR0_PG);
      if ((v & fixed0) != fixed0) core::raise(core::kGP, 0);
      return v;
    }
    case 3: {
      if (!(c_.proc & proc::kCr3Load)) return value;
      for (unsigned i = 0; i < c_.cr3_count && i < 4; ++i)
        if (c_.cr3_target[i] == value) return value;
      exit_insn(kExitCrAccess, cr_qual(3, 0, gpr));
    }
    case 8:
      if (c_.proc & proc::kCr8Load) exit_insn(kExitCrAccess, cr_qual(8, 0, gpr));
      if (c_.proc & proc::kTprShadow) {
        // 29.3: MOV to CR8 writes VTPR (bits 3:0 to 7:4, the rest cleared),
        // not the TPR; then TPR virtualization (29.1.2, apicv.cc).
        e_.write_phys(c_.vapic + kVtpr, (value & 0xf) << 4, 4);
        tpr_virtualization();
        return e_.cr8();  // the real CR8 keeps its value
      }
      return value;
    default: return value;
  }
}

void Vmx::clts() {
  if (c_.cr0_mask & core::CR0_TS) {
    if (c_.cr0_shadow & core::CR0_TS) exit_insn(kExitCrAccess, cr_qual(0, 2, 0));
    return;  // host-owned TS with a clear shadow: nothing changes
  }
  e_.s.cr0 &= ~core::CR0_TS;
}

uint16_t Vmx::lmsw(uint16_t src, bool is_mem, uint64_t mem_la) {
  // LMSW touches CR0[3:0] (PE can only be set): exits when a host-owned bit
  // would differ from its shadow (25.1.3).
  const uint64_t m = c_.cr0_mask & 0xf;
  const bool pe_set = (m & core::CR0_PE) && !(c_.cr0_shadow & core::CR0_PE) && (src & 1);
  if (((src ^ c_.cr0_shadow) & m & 0xe) || pe_set) {
    virt::GuestExit x;
    x.reason = kExitCrAccess;
    x.qualification = cr_qual(0, 3, 0) | (is_mem ? 1u << 6 : 0) | (static_cast<uint64_t>(src) << 16);
    x.has_linear = is_mem;
    x.guest_linear = mem_la;
    x.insn_len = static_cast<uint32_t>(e_.s.rip - e_.insn_rip());
    throw x;
  }
  return static_cast<uint16_t>((src & ~m) | (e_.s.cr0 & m));
}

void Vmx::dr_access(unsigned dr, unsigned gpr, bool write) {
  if (c_.proc & proc::kMovDr)
    exit_insn(kExitDrAccess, (dr & 7) | (write ? 0 : 1u << 4) | (static_cast<uint64_t>(gpr) << 8));
}

// ---- I/O (25.1.3; qualification Table 28-5) ------------------------------------------
void Vmx::io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm) {
  bool exits = c_.proc & proc::kUncondIo;
  if (c_.proc & proc::kIoBitmaps) {
    exits = false;
    for (unsigned p = port; p < port + size; ++p) {
      const unsigned q = p & 0xffff;
      if (p > 0xffff) exits = true;  // wraps around: exits (25.1.3)
      const uint64_t bm = c_.io_bitmap[q >> 15];
      if (e_.read_phys(bm + ((q & 0x7fff) >> 3), 1) & (1u << (q & 7))) exits = true;
    }
  }
  if (!exits) return;
  const uint64_t qual = (size - 1) | (in ? 1u << 3 : 0) | (string ? 1u << 4 : 0) |
                        (rep ? 1u << 5 : 0) | (imm ? 1u << 6 : 0) |
                        (static_cast<uint64_t>(port) << 16);
  exit_insn(kExitIo, qual);
}

// ---- MSRs (25.1.3; bitmap layout 24.6.9) -----------------------------------------------
namespace {
bool msr_bit(core::Engine& e, uint64_t bitmap, uint32_t index, bool write) {
  uint64_t off;
  if (index <= 0x1fff)
    off = 0;
  else if (index >= 0xc0000000 && index <= 0xc0001fff)
    off = 1024;
  else
    return true;  // outside both ranges: always exits
  if (write) off += 2048;
  const uint32_t n = index & 0x1fff;
  return e.read_phys(bitmap + off + (n >> 3), 1) & (1u << (n & 7));
}
}  // namespace

void Vmx::rdmsr(uint32_t index) {
  if (!(c_.proc & proc::kMsrBitmaps) || msr_bit(e_, c_.msr_bitmap, index, false))
    exit_insn(kExitRdmsr);
}
void Vmx::wrmsr(uint32_t index) {
  if (!(c_.proc & proc::kMsrBitmaps) || msr_bit(e_, c_.msr_bitmap, index, true))
    exit_insn(kExitWrmsr);
}

// ---- events (25.2; 27.2.2) ------------------------------------------------------------------
void Vmx::exception(uint8_t vector, bool has_error, uint32_t error, uint64_t cr2, bool soft) {
  if (injecting_) {
    injecting_ = false;  // the injected event itself is never intercepted (26.6)
    return;
  }
  if (vector == core::kPF) {
    // 25.2: with bit 14 set, #PF exits iff (error & mask) == match; with it
    // clear, iff they differ.
    const bool match = (error & c_.pf_mask) == c_.pf_match;
    if (match != ((c_.exception_bitmap >> 14) & 1)) return;
  } else if (!(c_.exception_bitmap & (1u << vector))) {
    return;
  }
  virt::GuestExit x;
  x.reason = kExitExceptionNmi;
  const intr::Type type = soft ? intr::kSoftException : intr::kHwException;
  x.intr_info = intr::make(vector, type, has_error);
  x.intr_error = has_error ? error : 0;
  // #PF: the linear address; #DB: the DR6 bits it would have set, which the
  // exit leaves out of DR6 (27.1, 27.2.1).
  if (vector == core::kPF || vector == core::kDB) x.qualification = cr2;
  if (soft) {
    x.insn_len = static_cast<uint32_t>(e_.s.rip - e_.insn_rip());
    x.trap = false;
  } else {
    // A hardware exception is delivered where it happened: RIP already is
    // the faulting instruction, the interrupted boundary, or (during VM-entry
    // injection) the guest's RIP from the VMCS — never rolled back further.
    x.trap = true;
  }
  throw x;
}

// 27.2.4: the event whose delivery an exit interrupts.
void Vmx::begin_delivery(uint8_t vector, virt::EventType type, bool has_error, uint32_t error) {
  vectoring_info_ = intr::make(vector, static_cast<intr::Type>(type), has_error);
  vectoring_error_ = has_error ? error : 0;
}

void Vmx::end_delivery() {
  vectoring_info_ = 0;
  if (c_.proc & proc::kMtf) mtf_due_ = true;  // MTF follows an event's delivery (25.5.2)
}

bool Vmx::external_interrupt() {
  if (!(c_.pin & pin::kExtIntExiting)) return true;
  core::InterruptSource* src = e_.intc();
  virt::GuestExit x;
  x.reason = kExitExternalInterrupt;
  if (c_.exit & exitc::kAckIntr) {
    const int v = src->acknowledge();
    // 29.6: the notification vector is processed, not an exit.
    if ((c_.pin & pin::kPostedInterrupts) && v == c_.pinv) {
      process_posted_interrupts();
      return false;
    }
    x.intr_info = intr::make(static_cast<uint8_t>(v), intr::kExternal, false);
  }
  throw x;
}

bool Vmx::nmi() {
  if (!(c_.pin & pin::kNmiExiting)) return true;
  e_.intc()->take_nmi();
  virt::GuestExit x;
  x.reason = kExitExceptionNmi;
  x.intr_info = intr::make(core::kNMI, intr::kNmi, false);
  throw x;
}

void Vmx::triple_fault() { throw virt::GuestExit{kExitTripleFault}; }

// Task switches always exit (SDM Vol. 3 25.1.2); the qualification holds the
// selector (15:0) and the source (31:30), Table 28-2.
void Vmx::task_switch(uint16_t selector, unsigned source, bool, uint32_t) {
  exit_insn(kExitTaskSwitch, selector | static_cast<uint64_t>(source & 3) << 30);
}

// SDM Vol. 3 25.2: INIT in VMX non-root operation always causes a VM exit
// (basic reason 3, qualification 0) and the exit consumes the INIT (the
// VMM is told). One arriving in VMX root operation is blocked (blocks_init).
void Vmx::init_signal() {
  e_.intc()->take_init();
  throw virt::GuestExit{kExitInit, 0, true};
}

void Vmx::stage2_fault(uint64_t la, bool la_valid) {
  const EptFault& f = ept_.last_fault();
  // 29.3.6: a PML-full VM exit is fault-like; its qualification holds only
  // bit 12 (NMI unblocking by IRET, not tracked here: 0).
  if (f.pml_full) throw virt::GuestExit{kExitPmlFull};
  virt::GuestExit x;
  x.reason = f.misconfig ? kExitEptMisconfig : kExitEptViolation;
  x.has_physical = true;
  x.guest_physical = f.gpa;
  if (!f.misconfig) {
    x.qualification = f.qualification;
    if (la_valid) {
      x.qualification |= 1u << 7;                // guest-linear address valid
      if (!f.is_walk) x.qualification |= 1u << 8;  // the access to the translated address
      x.has_linear = true;
      x.guest_linear = la;
    }
  }
  throw x;
}

}  // namespace hvsim::vmx
