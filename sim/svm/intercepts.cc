// One predicate per intercept (AMD APM Vol. 2 15.7-15.14, 15.21, 15.25),
// read from the control area VMRUN loaded; EXITINFO1/EXITINFO2 as 15.8
// and 15.33 (decode assists) define them; next RIP in the exit's length.
#include "sim/core/decoded_insn.h"
#include "sim/svm/svm.h"

namespace hvsim::svm {

void Svm::exit_insn(uint64_t code, uint64_t info1, uint64_t info2) {
  virt::GuestExit x;
  x.reason = static_cast<uint32_t>(code);
  x.qualification = info1;
  x.insn_len = static_cast<uint32_t>(e_.s.rip - e_.insn_rip());
  info2_ = info2;
  throw x;
}

// ---- virtual interrupts (15.21.4) --------------------------------------------------
bool Svm::virq_deliverable() const {
  const core::ArchState& s = e_.s;
  if (!(c_.vintr & vintr::kIrq) || !s.gif || s.interrupt_shadow || !(s.rflags & core::IF))
    return false;
  return (c_.vintr & vintr::kIgnTpr) || vintr::prio(c_.vintr) > (v_tpr_ & 0xfu);
}

// The boundary hook only delivers a virtual interrupt (V_IRQ); an
// intercepted physical one is looked at by the run loop whatever the
// guest's IF (GuestContext::intr_exits) and made the exit, or not, by
// external_interrupt() (15.21.1: with V_INTR_MASKING the host's IF decides).
void Svm::arm_polling() {
  e_.set_guest_poll(c_.vintr & vintr::kIrq);
  e_.set_guest_intr_exits(intercepted(misc1::kIntr));
}

void Svm::boundary() {
  if (!virq_deliverable()) return;
  if (intercepted(misc1::kVintr)) throw virt::GuestExit{kExitVintr, 0, true};
  c_.vintr &= ~vintr::kIrq;  // taken: V_IRQ is cleared (15.21.4)
  arm_polling();
  e_.set_halted(false);
  e_.deliver_event(vintr::vector(c_.vintr), false, 0, false, virt::EventType::kExternal);
}

// ---- instructions (15.9, 15.13) ---------------------------------------------------------
void Svm::cpuid() {
  if (intercepted(misc1::kCpuid)) exit_insn(kExitCpuid);
}
void Svm::hlt() {
  if (intercepted(misc1::kHlt)) exit_insn(kExitHlt);
}
void Svm::invd() {
  if (intercepted(misc1::kInvd)) exit_insn(kExitInvd);
}
void Svm::wbinvd() {
  if (intercepted2(misc2::kWbinvd)) exit_insn(kExitWbinvd);
}
void Svm::xsetbv() {
  if (intercepted2(misc2::kXsetbv)) exit_insn(kExitXsetbv);
}
void Svm::invlpg(uint64_t la) {
  if (intercepted(misc1::kInvlpg)) exit_insn(kExitInvlpg, caps_.decode_assists ? la : 0);
}
void Svm::invpcid(const core::DecodedInsn& d) {
  (void)d;
  if (c_.intercept_misc3 & (1u << 2)) exit_insn(kExitInvpcid);
}
void Svm::rdpmc() {
  if (intercepted(misc1::kRdpmc)) exit_insn(kExitRdpmc);
}

// 15.14.4 PAUSE filter: the count VMRUN loaded drops with each PAUSE; the
// intercept fires when it reaches 0. With a threshold, a PAUSE more than
// `threshold` cycles after the previous one reloads the count.
void Svm::pause() {
  if (!intercepted(misc1::kPause)) return;
  if (caps_.pause_filter && c_.pause_filter_count) {
    const uint64_t now = e_.cycles();
    if (caps_.pause_filter_threshold && c_.pause_filter_threshold &&
        now - last_pause_ > c_.pause_filter_threshold)
      pause_count_ = c_.pause_filter_count;
    last_pause_ = now;
    if (pause_count_ > 0) --pause_count_;
    if (pause_count_ > 0) return;
  }
  exit_insn(kExitPause);
}

uint64_t Svm::rdtsc(bool rdtscp) {
  if (rdtscp ? intercepted2(misc2::kRdtscp) : intercepted(misc1::kRdtsc))
    exit_insn(rdtscp ? kExitRdtscp : kExitRdtsc);
  return c_.tsc_offset;
}

// ---- CR and DR accesses (15.8.1, 15.9, decode assists 15.33.1) -----------------------
namespace {
constexpr uint64_t kMovCrValid = 1ull << 63;
}

uint64_t Svm::cr_read(unsigned cr, unsigned gpr, uint64_t value) {
  if (c_.intercept_cr & (1u << cr))
    exit_insn(kExitCr0Read + cr, caps_.decode_assists ? kMovCrValid | gpr : 0);
  // V_INTR_MASKING: the guest's CR8 is V_TPR (15.21.1).
  if (cr == 8 && (c_.vintr & vintr::kMasking)) return v_tpr_ & 0xf;
  return value;
}

uint64_t Svm::cr_write(unsigned cr, unsigned gpr, uint64_t value) {
  const uint64_t info = caps_.decode_assists ? kMovCrValid | gpr : 0;
  if (c_.intercept_cr & (1u << (16 + cr))) exit_insn(kExitCr0Write + cr, info);
  // Selective CR0 write: a change of any bit but TS and MP (15.9.1).
  if (cr == 0 && intercepted(misc1::kCr0SelWrite) &&
      ((value ^ e_.s.cr0) & ~(core::CR0_TS | core::CR0_MP)))
    exit_insn(kExitCr0SelWrite, info);
  if (cr == 8 && (c_.vintr & vintr::kMasking)) {
    if (value >> 4) core::raise(core::kGP, 0);
    v_tpr_ = static_cast<uint8_t>(value & 0xf);
    e_.notify_interrupt();
    return e_.cr8();  // the physical TPR keeps its value
  }
  return value;
}

void Svm::clts() {
  if (c_.intercept_cr & (1u << 16)) exit_insn(kExitCr0Write);
  e_.s.cr0 &= ~core::CR0_TS;
}

uint16_t Svm::lmsw(uint16_t src, bool, uint64_t) {
  if (c_.intercept_cr & (1u << 16)) exit_insn(kExitCr0Write);
  const uint64_t next = (e_.s.cr0 & ~0xeull) | (src & 0xe) | ((src | e_.s.cr0) & core::CR0_PE);
  // LMSW meets the selective intercept on any CR0[3:0] change but TS: MP
  // is not excluded as it is for MOV to CR0 (kvm-unit-tests' "sel cr0 lmsw
  // intercept", as on hardware).
  if (intercepted(misc1::kCr0SelWrite) && ((next ^ e_.s.cr0) & ~core::CR0_TS))
    exit_insn(kExitCr0SelWrite);
  return src;
}

// RSM intercept (15.9.1 misc bit 19): before RSM's own #UD outside SMM.
void Svm::rsm() {
  if (intercepted(misc1::kRsm)) exit_insn(kExitRsm);
}

void Svm::dr_access(unsigned dr, unsigned gpr, bool write) {
  if (c_.intercept_dr & (1u << (dr + (write ? 16 : 0))))
    exit_insn((write ? kExitDr0Write : kExitDr0Read) + dr, caps_.decode_assists ? gpr : 0);
}

// ---- I/O (15.10): the IOPM, EXITINFO1 as Figure 15-2, EXITINFO2 the next RIP ----------
void Svm::io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool) {
  if (!intercepted(misc1::kIoio)) return;
  const uint64_t iopm = c_.iopm_base_pa & ~0xfffull;
  bool hit = false;
  for (unsigned p = port; p < port + size; ++p)  // the map has bits past 0xffff for wraps
    if (e_.read_phys(iopm + (p >> 3), 1) & (1u << (p & 7))) hit = true;
  if (!hit) return;
  uint64_t info = (in ? ioio::kIn : 0) | (string ? ioio::kStr : 0) | (rep ? ioio::kRep : 0) |
                  (size == 1 ? ioio::kSz8 : size == 2 ? ioio::kSz16 : ioio::kSz32) |
                  (static_cast<uint64_t>(port) << 16);
  // Address size of the instruction (the mode's default: the hook does not see prefixes)
  // and, for OUTS, its segment (DS by default).
  const core::ArchState& s = e_.s;
  if (e_.long64())
    info |= ioio::kA64;
  else if (s.mode != core::Mode::kReal && s.mode != core::Mode::kVm86 && s.seg[core::CS].db())
    info |= ioio::kA32;
  else
    info |= ioio::kA16;
  if (string && !in) info |= static_cast<uint64_t>(core::DS) << 10;
  exit_insn(kExitIoio, info, e_.s.rip);
}

// ---- MSRs (15.11): two bits per MSR, read then write, in three 2 KiB ranges ------------
namespace {
bool msrpm_bit(core::Engine& e, uint64_t base, uint32_t index, bool write) {
  uint64_t off;
  if (index <= 0x1fff)
    off = 0;
  else if (index >= 0xc0000000 && index <= 0xc0001fff)
    off = 0x800;
  else if (index >= 0xc0010000 && index <= 0xc0011fff)
    off = 0x1000;
  else
    return true;  // outside the map: always intercepted
  const uint32_t bit = (index & 0x1fff) * 2 + (write ? 1 : 0);
  return e.read_phys((base & ~0xfffull) + off + bit / 8, 1) & (1u << (bit % 8));
}
}  // namespace

void Svm::rdmsr(uint32_t index) {
  if (intercepted(misc1::kMsr) && msrpm_bit(e_, c_.msrpm_base_pa, index, false))
    exit_insn(kExitMsr, 0);
}
void Svm::wrmsr(uint32_t index) {
  if (intercepted(misc1::kMsr) && msrpm_bit(e_, c_.msrpm_base_pa, index, true))
    exit_insn(kExitMsr, 1);
}

// ---- the intercepts VMX lacks -------------------------------------------------------------
void Svm::pushf() {
  if (intercepted(misc1::kPushf)) exit_insn(kExitPushf);
}
void Svm::popf() {
  if (intercepted(misc1::kPopf)) exit_insn(kExitPopf);
}
void Svm::iret() {
  if (intercepted(misc1::kIret)) exit_insn(kExitIret);
}
void Svm::intn(uint8_t vector) {
  if (intercepted(misc1::kIntn)) exit_insn(kExitSwint, caps_.decode_assists ? vector : 0);
}
void Svm::desc_table(virt::DescTable t, bool write) {
  const unsigned i = static_cast<unsigned>(t);  // IDTR, GDTR, LDTR, TR
  if (c_.intercept_misc1 & (1u << (6 + i + (write ? 4 : 0))))
    exit_insn((write ? kExitIdtrWrite : kExitIdtrRead) + i);
}
void Svm::monitor(uint64_t) {
  if (intercepted2(misc2::kMonitor)) exit_insn(kExitMonitor);
}
// MWAIT: the conditional intercept applies when the monitor is armed (15.9).
void Svm::mwait(bool armed) {
  if (armed && intercepted2(misc2::kMwaitCond)) exit_insn(kExitMwaitCond);
  if (intercepted2(misc2::kMwait)) exit_insn(kExitMwait);
}
void Svm::icebp() {
  if (intercepted2(misc2::kIcebp)) exit_insn(kExitIcebp);
}
// Task switch intercept (15.14.2): EXITINFO1 is the new TSS selector;
// EXITINFO2 bit 36 says IRET, bit 38 JMP, bit 44 an error code in 31:0.
void Svm::task_switch(uint16_t selector, unsigned source, bool has_error, uint32_t error) {
  if (!intercepted(misc1::kTaskSwitch)) return;
  uint64_t info2 = 0;
  if (source == virt::kTaskSwitchIret) info2 |= 1ull << 36;
  if (source == virt::kTaskSwitchJmp) info2 |= 1ull << 38;
  if (has_error) info2 |= 1ull << 44 | error;
  exit_insn(kExitTaskSwitch, selector, info2);
}

// ---- events (15.12, 15.13, 15.18) ---------------------------------------------------------
void Svm::exception(uint8_t vector, bool has_error, uint32_t error, uint64_t cr2, bool soft) {
  if (injecting_) {
    injecting_ = false;  // the injected event itself is never intercepted (15.20)
    return;
  }
  if (vector >= 32 || !(c_.intercept_exceptions & (1u << vector))) return;
  if (vector == core::kDB && cr2) {
    // An intercepted #DB has already updated DR6 (and cleared DR7.GD): the
    // VMCB's guest DR6 tells the VMM the cause (unlike VMX's exit
    // qualification).
    e_.s.dr[6] = (e_.s.dr[6] & ~0xfull) | cr2;
    if (cr2 & core::kDr6Bd) e_.s.dr[7] &= ~core::kDr7Gd;
  }
  virt::GuestExit x;
  x.reason = static_cast<uint32_t>(kExitExcp0 + vector);
  x.qualification = has_error ? error : 0;  // EXITINFO1: the error code (15.12)
  info2_ = vector == core::kPF ? cr2 : 0;   // EXITINFO2: the faulting address
  if (vector == core::kPF) {
    x.has_linear = true;
    x.guest_linear = cr2;
  }
  if (soft) {
    // INT3/INTO: RIP names the instruction, NRIP the next one.
    x.insn_len = static_cast<uint32_t>(e_.s.rip - e_.insn_rip());
  } else {
    x.trap = true;  // RIP already is where the exception is delivered
  }
  throw x;
}

// 15.7.2: the event being delivered when an exit interrupts it.
void Svm::begin_delivery(uint8_t vector, virt::EventType type, bool has_error, uint32_t error) {
  unsigned t = event::kException;
  if (type == virt::EventType::kExternal) t = event::kIntr;
  else if (type == virt::EventType::kNmi) t = event::kNmi;
  else if (type == virt::EventType::kSoftInt) t = event::kSoftInt;
  vectoring_ = event::make(vector, t, has_error, error);
}

void Svm::end_delivery() { vectoring_ = 0; }

// Physical interrupts: with V_INTR_MASKING the host's IF (as VMRUN found
// it) gates them, else the guest's (15.21.1); GIF is the core's check.
bool Svm::external_interrupt() {
  const bool enabled =
      (c_.vintr & vintr::kMasking) ? host_if_ : (e_.s.rflags & core::IF) != 0;
  if (!enabled) return false;
  if (intercepted(misc1::kIntr)) throw virt::GuestExit{kExitIntr, 0, true};
  return true;
}

bool Svm::nmi() {
  if (intercepted(misc1::kNmi)) throw virt::GuestExit{kExitNmi, 0, true};
  return true;
}

// APM Vol. 2 15.13 (INIT intercept): #VMEXIT(INIT) with the INIT left
// pending for the host, which runs with GIF = 0 after the exit (held). Not
// intercepted, it stays pending here (no INIT from inside guest mode).
void Svm::init_signal() {
  if (intercepted(misc1::kInit)) throw virt::GuestExit{kExitInit, 0, true};
}

// 15.13.3: an SMI in guest mode is #VMEXIT(SMI) when intercepted; the SMI
// stays pending for the host (where hvsim drops it: no SMM).
void Svm::smi() {
  if (intercepted(misc1::kSmi)) throw virt::GuestExit{kExitSmi, 0, true};
}

void Svm::triple_fault() {
  if (intercepted(misc1::kShutdown)) throw virt::GuestExit{kExitShutdown};
}

// 15.25.6: EXITINFO1 the #PF-style error code with the phase bits, EXITINFO2
// the guest-physical address.
void Svm::stage2_fault(uint64_t la, bool la_valid) {
  const NptFault& f = npt_.last_fault();
  virt::GuestExit x;
  x.reason = static_cast<uint32_t>(kExitNpf);
  x.qualification = f.info1;
  x.has_physical = true;
  x.guest_physical = f.gpa;
  x.has_linear = la_valid;
  x.guest_linear = la;
  info2_ = f.gpa;
  throw x;
}

}  // namespace hvsim::svm
