// Debug features at instruction granularity (SDM Vol. 3 ch. 17, 6.8.3):
// instruction breakpoints (faults), single-step, data and I/O breakpoints
// (traps), RFLAGS.RF, and the MOV SS / POP SS hold of debug traps. The run
// loop comes here only while TF, RF or a DR7 enable is set (or for the
// interrupt shadow and MTF); the fast path never looks at the debug state.
#include "sim/core/engine.h"
#include "sim/core/sys/lbr.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {

namespace {

// Exceptions of the fault class (SDM Vol. 3 6.15, Table 6-1): their saved
// RFLAGS image has RF set (17.3.1.1); #DB never has (an instruction
// breakpoint would fire again; general detect is treated the same way).
bool is_fault_class(uint8_t v) {
  switch (v) {
    case kDE: case kBR: case kUD: case kNM: case kTS: case kNP: case kSS:
    case kGP: case kPF: case kMF: case kAC: case kXM: case kVE: case kCP:
      return true;
    default:
      return false;
  }
}

}  // namespace

// B0-B3 are reported for enabled breakpoints only (SDM 17.2.3 allows either
// for disabled ones; handlers must look only at enabled ones).
void Engine::debug_sync() {
  const uint64_t dr7 = s.dr[7];
  dbg_.dr7_seen = dr7;
  dbg_.insn_mask = dbg_.io_mask = 0;
  dbg_.data_mask = static_cast<uint8_t>(dbg_.ext_mask << 4);  // the debugger's slots
  for (unsigned i = 0; i < 4; ++i) {
    if (!DebugState::enabled(dr7, i)) continue;
    const unsigned rw = DebugState::rw(dr7, i);
    uint8_t& m = rw == 0 ? dbg_.insn_mask : rw == 2 ? dbg_.io_mask : dbg_.data_mask;
    m |= static_cast<uint8_t>(1u << i);
  }
  flush_tlb();  // pages with armed data breakpoints must leave the host TLB
  break_block();
}

bool Engine::debug_watched_page(uint64_t la) const {
  const uint64_t page = la & ~0xfffull;
  for (unsigned i = 0; i < 4; ++i) {
    if (!(dbg_.data_mask >> i & 1)) continue;
    if (DebugState::overlaps(s.dr[i], DebugState::len(dbg_.dr7_seen, i), page, 4096)) return true;
  }
  for (unsigned i = 0; i < 4; ++i) {
    if ((dbg_.ext_mask >> i & 1) && dbg_.ext_addr[i] < page + 4096 &&
        page < dbg_.ext_addr[i] + dbg_.ext_len[i])
      return true;
  }
  return false;
}

void Engine::set_debugger_watch(unsigned i, uint64_t la, unsigned len, unsigned kind) {
  if (i >= 4) return;
  dbg_.ext_addr[i] = la;
  dbg_.ext_len[i] = len ? len : 1;
  dbg_.ext_kind[i] = static_cast<uint8_t>(kind & 3);
  dbg_.ext_mask = static_cast<uint8_t>((dbg_.ext_mask & ~(1u << i)) | ((kind & 3) ? 1u << i : 0));
  dbg_.ext_hit &= static_cast<uint8_t>(~(1u << i));
  debug_sync();  // new masks; the watched pages leave the host TLB
}

// Data breakpoints (SDM Vol. 3 17.2.5): R/W = 01 on writes, 11 on reads and
// writes; a trap after the instruction.
void Engine::debug_data(uint64_t la, unsigned n, bool write) {
  if (!(s.efer & EFER_LMA)) la = static_cast<uint32_t>(la);
  for (unsigned i = 0; i < 4; ++i) {
    if (!(dbg_.data_mask >> i & 1)) continue;
    if (!write && DebugState::rw(dbg_.dr7_seen, i) == 1) continue;
    if (DebugState::overlaps(s.dr[i], DebugState::len(dbg_.dr7_seen, i), la, n))
      dbg_.pending |= 1u << i;
  }
  for (unsigned i = 0; i < 4; ++i) {
    if (!(dbg_.ext_mask >> i & 1) || !(dbg_.ext_kind[i] & (write ? 1 : 2))) continue;
    if (dbg_.ext_addr[i] < la + n && la < dbg_.ext_addr[i] + dbg_.ext_len[i])
      dbg_.ext_hit |= static_cast<uint8_t>(1u << i);
  }
}

// I/O breakpoints (R/W = 10) exist only with CR4.DE (SDM Vol. 3 17.2.4).
void Engine::debug_io(uint16_t port, unsigned len) {
  if (!(s.cr4 & CR4_DE)) return;
  for (unsigned i = 0; i < 4; ++i) {
    if (!(dbg_.io_mask >> i & 1)) continue;
    if (DebugState::overlaps(s.dr[i] & 0xffff, DebugState::len(dbg_.dr7_seen, i), port, len))
      dbg_.pending |= 1u << i;
  }
}

// INT n, INT3 and INTO clear TF through their delivery, and no single-step
// trap follows them (SDM Vol. 3 17.3.1.4). INT1 delivers the #DB itself:
// trap conditions pending for this instruction merge into it.
// SYSCALL and SYSRET load RFLAGS; the single-step trap after them is taken
// when TF is 1 at their end, not at their start (SDM Vol. 2B SYSRET: "the
// processor will generate a debug exception after SYSRET" when it sets TF;
// SYSCALL clearing TF through IA32_FMASK raises none). The start-of-
// instruction trap is dropped like a software interrupt's; a trap due from
// the end is delivered at the next boundary (in a VMX guest by the boundary
// hook, in its priority order).
void Engine::debug_tf_at_end() {
  dbg_.soft_int = 1;
  if (s.rflags & TF) {
    dbg_.due |= kDr6Bs;
    post_event(kEvBreak);
    virt_.poll |= virt_.hooks != nullptr;  // in guest mode the boundary hook delivers it
  }
}

void Engine::debug_soft_interrupt(bool icebp) {
  dbg_.soft_int = 1;
  if (!icebp) return;
  if (dbg_.pending & 0xf) s.dr[6] = (s.dr[6] & ~0xfull) | (dbg_.pending & 0xf);
  dbg_.pending = 0;
}

void Engine::note_fault(const Fault& f) {
  dbg_.pending = dbg_.held = 0;  // the instruction did not complete
  if (is_fault_class(f.vector)) s.rflags |= RF;  // delivery clears it after the push
}

// A trap-class #DB after the instruction: its delivery writes DR6 (B0-B3
// replaced, BS/BD/BT sticky, SDM Vol. 3 17.2.3; exceptions.cc) unless it
// exits. Delivery ends STI/MOV SS blocking; a HLT whose single-step trap is
// taken does not halt.
void Engine::deliver_debug_trap(uint32_t bits) {
  s.interrupt_shadow = 0;
  events_ &= ~kEvHalt;
  fault_at_boundary(Fault{kDB, false, 0, bits});
}

// A trap due at this boundary (after an MTF check, or from VM entry's
// pending debug exceptions): delivered now; a halted guest wakes for it.
void Engine::deliver_due_debug_trap() {
  const uint32_t bits = dbg_.due;
  dbg_.due = 0;
  s.interrupt_shadow = 0;
  halted_ = false;
  deliver_fault(Fault{kDB, false, 0, bits});
}

void Engine::step_one() {
  if (HVSIM_UNLIKELY(s.dr[7] != dbg_.dr7_seen)) debug_sync();  // loaded by VM entry/exit
  const uint64_t flags = s.rflags;
  const uint8_t shadow = s.interrupt_shadow;
  dbg_.pending = dbg_.held;
  dbg_.held = 0;
  dbg_.soft_int = 0;
  if (flags & RF) {
    // RF suppresses instruction breakpoints for this instruction and is
    // cleared when it completes (SDM Vol. 3 17.3.1.1); faults set it again
    // in their image.
    s.rflags &= ~RF;
  } else if (dbg_.insn_mask && !(shadow == kShadowMovSs && !cpuid_.is_amd())) {
    // Instruction breakpoints: a fault before the instruction executes. On
    // Intel they are inhibited for the instruction after MOV SS / POP SS
    // (SDM Vol. 3 6.8.3); AMD reports them.
    const uint64_t la = long64_ ? s.rip : static_cast<uint32_t>(s.seg[CS].base + s.rip);
    uint32_t hit = 0;
    for (unsigned i = 0; i < 4; ++i)
      if ((dbg_.insn_mask >> i & 1) && s.dr[i] == la) hit |= 1u << i;
    if (hit) raise_db(hit);
  }
  const Block* b = lookup_block();
  const uint64_t from = s.rip, ctl = s.debugctl;
  try {
    exec_block(*b, 1);
  } catch (const virt::GuestExit& x) {
    // A fault-like exit leaves the guest before the instruction: its RF is
    // the one it began with (SDM Vol. 3 27.3.3), and the traps it would
    // have raised are dropped.
    if (!x.trap) s.rflags |= flags & RF;
    dbg_.pending = dbg_.held = dbg_.due = 0;
    throw;
  }
  if (shadow) s.interrupt_shadow = 0;  // the shadow ends with this instruction
  bool taken = false;  // a taken branch (Jcc/LOOP/JRCXZ taken, or any other kind)
  if (HVSIM_UNLIKELY(ctl & (kDebugCtlLbr | kDebugCtlBtf))) {
    const DecodedInsn& d = b->insns.front();
    const timing::BranchKind k = d.deps.branch;
    taken = k != timing::BranchKind::kNone &&
            (k != timing::BranchKind::kCond || s.rip != from + d.len);
    if (taken && (s.debugctl & kDebugCtlLbr)) sys::lbr_branch(s, from, s.rip);
  }
  uint32_t bits = dbg_.pending;
  // Single-step: the instruction began with TF = 1; with DEBUGCTL.BTF only a
  // taken branch traps (SDM Vol. 3 17.4.3).
  if ((flags & TF) && (!(ctl & kDebugCtlBtf) || taken)) bits |= kDr6Bs;
  if (dbg_.soft_int) bits &= ~kDr6Bs;
  if (!bits) return;
  if (!shadow && s.interrupt_shadow == kShadowMovSs) {
    dbg_.held = bits;  // MOV SS / POP SS: held until after the next instruction (6.8.3)
    return;
  }
  if (virt_.single_step && virt_.hooks) {
    // Under MTF the boundary hook decides: an MTF VM exit has priority over
    // debug traps and saves them as pending (SDM Vol. 3 25.5.2, 27.3.4).
    dbg_.due |= bits;
    post_event(kEvBreak);
    return;
  }
  deliver_debug_trap(bits);
}

}  // namespace hvsim::core
