// CPUID, RDTSC, RDTSCP, RDPID, RDPMC, HLT, MONITOR, MWAIT, CLI, STI, IN, OUT
// (SDM Vol. 2A/2B; Vol. 1 18.5 I/O permission; Vol. 3 2.8).
#include "sim/core/coherence.h"
#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/pmu.h"
#include "sim/core/sys/register.h"
#include "sim/core/sys/xstate.h"
#include "sim/core/sys/segments.h"

namespace hvsim::core::sys {

namespace {

unsigned iopl(const Engine& e) {
  return (e.s.rflags & IOPL) >> 12;
}

void cpuid(Engine& e, const DecodedInsn&) {
  if (virt::GuestHooks* g = e.guest()) g->cpuid();
  const uint32_t leaf = static_cast<uint32_t>(e.s.gpr[RAX]);
  const uint32_t subleaf = static_cast<uint32_t>(e.s.gpr[RCX]);
  CpuidResult r = e.cpuid().query(leaf, subleaf);
  // CPUID.1:EDX.APIC[9] reads 0 while IA32_APIC_BASE.EN is clear (SDM Vol. 3 11.4.3).
  if (leaf == 1 && !(e.s.apic_base & (1u << 11))) r.edx &= ~(1u << 9);
  cpuid_state_fields(e, leaf, subleaf, r);
  e.s.gpr[RAX] = r.eax;
  e.s.gpr[RBX] = r.ebx;
  e.s.gpr[RCX] = r.ecx;
  e.s.gpr[RDX] = r.edx;
}

// SDM Vol. 2B RDTSC: CR4.TSD restricts it to CPL 0 in protected mode.
uint64_t tsc(Engine& e) {
  if ((e.s.cr4 & CR4_TSD) && e.s.cpl > 0 && e.s.mode != Mode::kReal) raise(kGP, 0);
  return e.cycles() + e.s.tsc_offset;
}

// In a guest: may exit (RDTSC/RDTSCP exiting) or add the guest's TSC offset.
uint64_t guest_tsc(Engine& e, bool rdtscp) {
  const uint64_t t = tsc(e);
  if (virt::GuestHooks* g = e.guest()) return t + g->rdtsc(rdtscp);
  return t;
}

void rdtsc(Engine& e, const DecodedInsn&) {
  const uint64_t t = guest_tsc(e, false);
  e.s.gpr[RAX] = static_cast<uint32_t>(t);
  e.s.gpr[RDX] = t >> 32;
}

void rdtscp(Engine& e, const DecodedInsn&) {
  if (!(e.cpuid().query(0x80000001, 0).edx & (1u << 27))) raise(kUD);
  const uint64_t t = guest_tsc(e, true);
  e.s.gpr[RAX] = static_cast<uint32_t>(t);
  e.s.gpr[RDX] = t >> 32;
  e.s.gpr[RCX] = static_cast<uint32_t>(e.s.tsc_aux);
}

// RSM (SDM Vol. 2B): #UD outside SMM, which hvsim does not model; an SVM
// guest may intercept it first (APM Vol. 2 15.9.1).
void rsm(Engine& e, const DecodedInsn&) {
  if (virt::GuestHooks* g = e.guest()) g->rsm();
  raise(kUD);
}

// RDPID (SDM Vol. 2B): IA32_TSC_AUX into r32/r64.
void rdpid(Engine& e, const DecodedInsn& d) {
  if (virt::GuestHooks* g = e.guest()) g->rdpid();
  const uint64_t v = static_cast<uint32_t>(e.s.tsc_aux);
  e.s.gpr[d.op[0].reg] = v;
}

// RDPMC (SDM Vol. 2B): counters read as zero; ECX must name one that exists
// (4 general-purpose, 3 fixed-function with ECX[30]).
void rdpmc(Engine& e, const DecodedInsn&) {
  if (!(e.s.cr4 & CR4_PCE) && e.s.cpl > 0 && e.s.mode != Mode::kReal) raise(kGP, 0);
  const uint32_t ecx = static_cast<uint32_t>(e.s.gpr[RCX]);
  if (virt::GuestHooks* g = e.guest()) g->rdpmc();
  const uint64_t v = pmu_rdpmc(e, ecx);  // sys/pmu.cc: the index checks and the counters
  e.s.gpr[RAX] = static_cast<uint32_t>(v);
  e.s.gpr[RDX] = v >> 32;
}

// STAC / CLAC (SDM Vol. 2B): set / clear RFLAGS.AC; #UD without
// CPUID.(EAX=07H,ECX=0):EBX.SMAP[20] or at CPL > 0.
template <bool kSet>
void stac_clac(Engine& e, const DecodedInsn&) {
  if (!(e.cpuid().query(7, 0).ebx & (1u << 20)) || e.s.cpl > 0 || e.s.mode == Mode::kVm86)
    raise(kUD);
  if (kSet)
    e.s.rflags |= AC;
  else
    e.s.rflags &= ~AC;
  e.break_block();  // AC changes how the host-pointer TLB may be used (SMAP)
}

void hlt(Engine& e, const DecodedInsn&) {
  if (e.s.cpl != 0 || e.s.mode == Mode::kVm86) raise(kGP, 0);
  if (virt::GuestHooks* g = e.guest()) g->hlt();
  e.halt();
}

// MONITOR / MWAIT (SDM Vol. 2B; 0F 01 C8 / 0F 01 C9 only). Both are #UD
// when CPUID.1:ECX.MONITOR is clear or at CPL > 0 (the model has no
// user-level enable). The VM exit (SDM Vol. 3 25.1.1, 25.1.3) comes after
// those #UD checks and before every other fault.
void monitor_mwait_checks(Engine& e) {
  if (!e.cpuid().has_monitor() || e.s.cpl != 0) raise(kUD);
}

// RCX in 64-bit mode, ECX elsewhere: its reserved bits are #GP(0).
uint64_t monitor_ecx(const Engine& e) {
  return e.long64() ? e.s.gpr[RCX] : static_cast<uint32_t>(e.s.gpr[RCX]);
}

// MONITOR: RAX/EAX/AX (address size) in DS or the override segment, checked
// like a one-byte read (segment limit, canonical form, paging), then arms
// the monitor on that byte. ECX (extensions) must be 0; EDX (hints) is
// ignored. d.mem.seg holds the segment (bind_monitor).
void monitor(Engine& e, const DecodedInsn& d) {
  monitor_mwait_checks(e);
  const uint64_t off = Engine::mask_addr(e.s.gpr[RAX], d.addrsize);
  if (virt::GuestHooks* g = e.guest()) {
    const bool based = !e.long64() || d.mem.seg >= FS;  // 64-bit mode: only FS/GS have bases
    const uint64_t la = (based ? e.s.seg[d.mem.seg].base : 0) + off;
    g->monitor(e.long64() ? la : static_cast<uint32_t>(la));
  }
  const uint64_t la = e.linear(d.mem.seg, off, 1, false);
  if (monitor_ecx(e) != 0) raise(kGP, 0);
  Coherence::arm_monitor(e, e.probe_read(la));
}

// MWAIT: EAX hints (target C-state) and ECX extensions; ECX[0] (interrupts
// break the wait even when masked) is the only extension (CPUID.5:ECX[1]).
// On a uniprocessor it returns at once (architecturally allowed: nothing
// else could store to the line). On a multiprocessor, with the monitor
// armed and not yet triggered, the core sleeps like HLT until another
// core's store into the line or an interrupt (Engine::mwait_wake_check);
// the monitor is disarmed when MWAIT returns. In VMX non-root / SVM guest
// mode it still returns at once (how a sleeping guest meets VM exits and
// activity states is not modelled).
void mwait(Engine& e, const DecodedInsn&) {
  monitor_mwait_checks(e);
  if (virt::GuestHooks* g = e.guest()) g->mwait(e.monitor.armed);
  const uint64_t ext = monitor_ecx(e);
  if (ext & ~uint64_t{1}) raise(kGP, 0);
  if (e.coherence() && !e.guest() && e.monitor.armed && !e.monitor.triggered)
    Coherence::mwait_sleep(e, ext & 1);
  else
    Coherence::disarm_monitor(e);
}

// MONITOR has no memory operand for Zydis: the segment comes from the last
// segment-override prefix (DS when none).
void bind_monitor(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.mem.seg = DS;
  for (unsigned i = 0; i < zi.raw.prefix_count; ++i) {
    switch (zi.raw.prefixes[i].value) {
      case 0x26: d.mem.seg = ES; break;
      case 0x2e: d.mem.seg = CS; break;
      case 0x36: d.mem.seg = SS; break;
      case 0x3e: d.mem.seg = DS; break;
      case 0x64: d.mem.seg = FS; break;
      case 0x65: d.mem.seg = GS; break;
      default: break;
    }
  }
  d.exec = &monitor;
}

// CLI / STI (SDM Vol. 2A/2B): IF changes when CPL <= IOPL (virtual-8086
// mode: IOPL = 3). TODO: CR4.PVI / CR4.VME virtual interrupt flags.
bool may_change_if(const Engine& e) {
  if (e.s.mode == Mode::kReal) return true;
  if (e.s.mode == Mode::kVm86) return iopl(e) == 3;
  return e.s.cpl <= iopl(e);
}

void cli(Engine& e, const DecodedInsn&) {
  if (!may_change_if(e)) raise(kGP, 0);
  e.s.rflags &= ~IF;
}

void sti(Engine& e, const DecodedInsn&) {
  if (!may_change_if(e)) raise(kGP, 0);
  if (!(e.s.rflags & IF)) {
    e.s.rflags |= IF;
    set_interrupt_shadow(e);  // interrupts are recognized after the next instruction
  }
  e.break_block();
}

// SDM Vol. 1 18.5.2: with CPL > IOPL (or in virtual-8086 mode) every bit of
// the TSS I/O permission bitmap covering the access must be clear.
void check_io(Engine& e, uint16_t port, unsigned len) {
  const ArchState& s = e.s;
  if (s.mode == Mode::kReal) return;
  if (s.mode != Mode::kVm86 && s.cpl <= iopl(e)) return;
  const Segment& tr = s.tr;
  if (!tr.present() || !(tr.type() & 8) || tr.limit < 0x67) raise(kGP, 0);
  const uint16_t map = e.read_sys<uint16_t>(tr.base + 0x66);
  const uint64_t off = map + (port >> 3);
  if (off + 1 > tr.limit) raise(kGP, 0);
  const uint16_t bits = e.read_sys<uint16_t>(tr.base + off);
  const uint16_t want = static_cast<uint16_t>(((1u << len) - 1) << (port & 7));
  if (bits & want) raise(kGP, 0);
}

// IN AL/AX/EAX, imm8 / DX.
void in(Engine& e, const DecodedInsn& d) {
  const unsigned len = d.op[0].size;
  const uint16_t port = d.op[1].kind == OpKind::kImm ? static_cast<uint16_t>(d.imm & 0xff)
                                                     : static_cast<uint16_t>(e.s.gpr[RDX]);
  check_io(e, port, len);
  if (virt::GuestHooks* g = e.guest()) g->io(port, len, true, false, false, d.op[1].kind == OpKind::kImm);
  const uint32_t v = e.io_in(port, len);
  if (len == 1)
    e.set_gpr<uint8_t>(RAX, static_cast<uint8_t>(v));
  else if (len == 2)
    e.set_gpr<uint16_t>(RAX, static_cast<uint16_t>(v));
  else
    e.set_gpr<uint32_t>(RAX, v);
}

// OUT imm8 / DX, AL/AX/EAX.
void out(Engine& e, const DecodedInsn& d) {
  const unsigned len = d.op[1].size;
  const uint16_t port = d.op[0].kind == OpKind::kImm ? static_cast<uint16_t>(d.imm & 0xff)
                                                     : static_cast<uint16_t>(e.s.gpr[RDX]);
  check_io(e, port, len);
  if (virt::GuestHooks* g = e.guest()) g->io(port, len, false, false, false, d.op[0].kind == OpKind::kImm);
  const uint32_t mask = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
  e.io_out(port, static_cast<uint32_t>(e.s.gpr[RAX]) & mask, len);
}

}  // namespace

void register_priv(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_CPUID, &bind_plain<&cpuid>, k_cpuid);
  t.add(ZYDIS_MNEMONIC_RDTSC, &bind_plain<&rdtsc>, k_rdtsc);
  t.add(ZYDIS_MNEMONIC_RDTSCP, &bind_plain<&rdtscp>, k_rdtsc);
  t.add(ZYDIS_MNEMONIC_RDPID, &bind_plain<&rdpid>, k_rdtsc);
  t.add(ZYDIS_MNEMONIC_RSM, &bind_plain<&rsm>, k_system, true);
  t.add(ZYDIS_MNEMONIC_RDPMC, &bind_plain<&rdpmc>, k_rdtsc);
  t.add(ZYDIS_MNEMONIC_HLT, &bind_plain<&hlt>, k_system, true);
  t.add(ZYDIS_MNEMONIC_MONITOR, &bind_monitor, k_system);
  t.add(ZYDIS_MNEMONIC_MWAIT, &bind_plain<&mwait>, k_system);
  t.add(ZYDIS_MNEMONIC_CLI, &bind_plain<&cli>, k_flags, true);
  t.add(ZYDIS_MNEMONIC_STI, &bind_plain<&sti>, k_flags, true);
  t.add(ZYDIS_MNEMONIC_STAC, &bind_plain<&stac_clac<true>>, k_flags, true);
  t.add(ZYDIS_MNEMONIC_CLAC, &bind_plain<&stac_clac<false>>, k_flags, true);
  t.add(ZYDIS_MNEMONIC_IN, &bind_plain<&in>, k_io, true);
  t.add(ZYDIS_MNEMONIC_OUT, &bind_plain<&out>, k_io, true);
}

}  // namespace hvsim::core::sys
