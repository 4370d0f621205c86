// The 32-bit hardware task switch (SDM Vol. 3 7.3 steps 1-11).
#include "sim/core/sys/task_switch.h"

#include "sim/core/sys/control_regs.h"
#include "sim/core/sys/stack_frame.h"

namespace hvsim::core::sys {

namespace {

// 32-bit TSS layout (SDM Vol. 3 7.2.1 Figure 7-2).
constexpr uint64_t kLink = 0x00, kCr3 = 0x1c, kEip = 0x20, kEflags = 0x24, kGprs = 0x28,
                   kSegs = 0x48, kLdtSel = 0x60;
constexpr uint32_t kMinLimit32 = 0x67;
// The order of the segment selectors in the TSS: ES, CS, SS, DS, FS, GS.
constexpr unsigned kTssSegOrder[6] = {ES, CS, SS, DS, FS, GS};

bool is_tss(const Descriptor& d) {
  if (d.s()) return false;
  const unsigned t = d.type();
  return t == kTss16Avail || t == kTss16Busy || t == kTss32Avail || t == kTss32Busy;
}
bool tss_busy(const Descriptor& d) {
  return (d.type() & 2) != 0;
}

void write_type_byte(Engine& e, uint16_t sel, uint8_t byte) {
  uint64_t la;
  if (descriptor_addr(e, sel, 8, &la)) e.write_sys<uint8_t>(la + 5, byte);
}

struct NewTask {
  uint32_t cr3, eip, eflags, gpr[8];
  uint16_t seg[6];  // in TSS order
  uint16_t ldt;
};

// SDM Vol. 3 Table 7-1: the checks of a segment register loaded from the new
// TSS; #TS (or #NP/#SS when not present) with the selector.
Segment load_task_segment(Engine& e, unsigned sreg, uint16_t sel, unsigned cpl) {
  if (sreg != CS && sreg != SS && sel_null(sel)) return null_segment(sel);
  if (sel_null(sel)) raise(kTS, sel_err(sel));
  Descriptor d = read_descriptor(e, sel, kTS);
  const unsigned rpl = sel_rpl(sel);
  if (sreg == CS) {
    if (!d.is_code()) raise(kTS, sel_err(sel));
    if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) raise(kTS, sel_err(sel));
    if (!d.present()) raise(kNP, sel_err(sel));
  } else if (sreg == SS) {
    if (!d.writable_data() || rpl != cpl || d.dpl() != cpl) raise(kTS, sel_err(sel));
    if (!d.present()) raise(kSS, sel_err(sel));
  } else {
    if (!d.is_data() && !(d.is_code() && d.readable())) raise(kTS, sel_err(sel));
    if (!d.conforming() && (rpl > d.dpl() || cpl > d.dpl())) raise(kTS, sel_err(sel));
    if (!d.present()) raise(kNP, sel_err(sel));
  }
  set_accessed(e, sel, d);
  return d.to_segment(sel);
}

// Step 11, after the commit point: LDTR, CR3 and the segment registers of the
// new task. Faults here belong to the new task.
void load_new_state(Engine& e, const NewTask& n) {
  ArchState& s = e.s;
  // LDTR (Table 7-1: TI set, outside the GDT, not an LDT, not present: #TS).
  s.ldtr = null_segment(n.ldt);
  if (!sel_null(n.ldt)) {
    if (n.ldt & 4) raise(kTS, sel_err(n.ldt));
    Descriptor ld = read_descriptor(e, n.ldt, kTS);
    if (ld.s() || ld.type() != kLdt || !ld.present()) raise(kTS, sel_err(n.ldt));
    s.ldtr = ld.to_segment(n.ldt);
  }
  if (s.rflags & VM) {  // a virtual-8086 task (SDM Vol. 3 20.2.1)
    for (unsigned i = 0; i < 6; ++i) {
      const unsigned r = kTssSegOrder[i];
      Segment& sg = s.seg[r];
      sg.selector = n.seg[i];
      sg.base = static_cast<uint64_t>(n.seg[i]) << 4;
      sg.limit = 0xffff;
      sg.attr = r == CS ? 0xfb : 0xf3;
    }
    e.set_cpl(3);
    e.update_mode();
    return;
  }
  const unsigned cpl = sel_rpl(n.seg[1]);
  e.set_cpl(cpl);
  for (unsigned i : {1u, 2u, 3u, 0u, 4u, 5u}) {  // CS, SS, DS, ES, FS, GS
    const unsigned r = kTssSegOrder[i];
    s.seg[r] = load_task_segment(e, r, n.seg[i], cpl);
  }
  e.update_mode();
}

// Steps 3-11 once the source-specific checks have passed. `nd` is the new
// TSS descriptor named by `nsel` (a GDT selector). Returns with the new task
// loaded; faults before the commit point leave the old task untouched.
void switch_tasks(Engine& e, uint16_t nsel, Descriptor nd, TaskSource src, bool has_error,
                  uint32_t error, uint32_t ext) {
  ArchState& s = e.s;
  if (virt::GuestHooks* g = e.guest())
    g->task_switch(nsel, static_cast<unsigned>(src), has_error, error);
  // Step 4: the new TSS is present with a valid limit.
  if (!nd.present()) raise(kNP, sel_err(nsel) | ext);
  const bool new32 = (nd.type() & 8) != 0;
  if (!new32) raise(kGP, sel_err(nsel) | ext);  // TODO: 16-bit TSS (SDM 7.6)
  if (nd.limit() < kMinLimit32) raise(kTS, sel_err(nsel) | ext);
  const Segment old_tr = s.tr;
  if (!(old_tr.type() & 8)) raise(kGP, ext);  // TODO: a 16-bit current TSS
  if (old_tr.limit < 0x5f) raise(kTS, sel_err(old_tr.selector) | ext);

  // Read the whole new TSS before anything is written (page faults restart).
  const uint64_t nb = nd.base();
  NewTask n;
  n.cr3 = e.read_sys<uint32_t>(nb + kCr3);
  n.eip = e.read_sys<uint32_t>(nb + kEip);
  n.eflags = e.read_sys<uint32_t>(nb + kEflags);
  for (unsigned i = 0; i < 8; ++i) n.gpr[i] = e.read_sys<uint32_t>(nb + kGprs + 4 * i);
  for (unsigned i = 0; i < 6; ++i) n.seg[i] = e.read_sys<uint16_t>(nb + kSegs + 4 * i);
  n.ldt = e.read_sys<uint16_t>(nb + kLdtSel);
  // Touch the link field (CALL/interrupt write it) before the commit.
  if (src == TaskSource::kCall || src == TaskSource::kIdt) {
    const uint16_t link = e.read_sys<uint16_t>(nb + kLink);
    e.write_sys<uint16_t>(nb + kLink, link);
  }

  // Step 7: save the current task's state in the old TSS. Step 6: IRET
  // clears NT in the saved EFLAGS image (CALL, JMP and events leave it).
  const uint64_t ob = old_tr.base;
  uint32_t old_flags = static_cast<uint32_t>(s.rflags);
  if (src == TaskSource::kIret) old_flags &= ~static_cast<uint32_t>(NT);
  e.write_sys<uint32_t>(ob + kEip, static_cast<uint32_t>(s.rip));
  e.write_sys<uint32_t>(ob + kEflags, old_flags);
  for (unsigned i = 0; i < 8; ++i)
    e.write_sys<uint32_t>(ob + kGprs + 4 * i, static_cast<uint32_t>(s.gpr[i]));
  for (unsigned i = 0; i < 6; ++i)
    e.write_sys<uint16_t>(ob + kSegs + 4 * i, s.seg[kTssSegOrder[i]].selector);

  // Step 5: JMP and IRET clear the old task's busy flag.
  if (src == TaskSource::kJmp || src == TaskSource::kIret) {
    uint64_t la;
    if (descriptor_addr(e, old_tr.selector, 8, &la)) {
      const uint8_t b = e.read_sys<uint8_t>(la + 5);
      write_type_byte(e, old_tr.selector, static_cast<uint8_t>(b & ~2u));
    }
  }
  // Step 8: CALL and events link the new task back to the old one.
  if (src == TaskSource::kCall || src == TaskSource::kIdt) {
    e.write_sys<uint16_t>(nb + kLink, old_tr.selector);
    n.eflags |= static_cast<uint32_t>(NT);
  }
  // Step 9: JMP, CALL and events mark the new TSS busy (IRET's already is).
  if (src != TaskSource::kIret) set_tss_busy(e, nsel, nd);

  // Step 10 (commit point): TR, CR0.TS.
  s.tr = nd.to_segment(nsel);
  s.tr.attr |= 2;  // busy
  s.cr0 |= CR0_TS;

  // Step 11: the new task's state. The selectors are in the registers before
  // their descriptors are checked, so a fault names the new task's state.
  s.rip = n.eip;
  s.rflags = (n.eflags & 0x3f7fd7) | 2;  // reserved bits clear, bit 1 set
  for (unsigned i = 0; i < 8; ++i) s.gpr[i] = n.gpr[i];
  for (unsigned i = 0; i < 6; ++i) {
    Segment& sg = s.seg[kTssSegOrder[i]];
    sg = null_segment(n.seg[i]);
  }
  if (s.cr0 & CR0_PG) write_cr3(e, n.cr3);  // flushes the TLBs (SDM 7.2.1 "CR3")
  load_new_state(e, n);
  e.break_block();
}

// Runs the switch; a fault after the commit point is delivered in the new
// task's context (SDM 7.3 step 11), not rolled back to the old instruction.
void run_switch(Engine& e, uint16_t nsel, Descriptor nd, TaskSource src, bool has_error,
                uint32_t error, uint32_t ext, const Segment& old_tr) {
  try {
    switch_tasks(e, nsel, nd, src, has_error, error, ext);
    if (e.s.rip > e.s.seg[CS].limit) raise(kGP, 0);  // the new task's EIP
  } catch (const Fault& f) {
    if (e.s.tr.selector == old_tr.selector && e.s.tr.base == old_tr.base) throw;
    e.deliver_fault(f);
  } catch (virt::GuestExit& x) {
    if (e.s.tr.selector == old_tr.selector && e.s.tr.base == old_tr.base) throw;
    x.trap = true;  // the new task's state is current: no rollback
    throw;
  }
}

// A TSS selector taken from a task gate: in the GDT, an available TSS.
Descriptor gate_tss(Engine& e, uint16_t tsel, uint8_t vec, uint32_t ext) {
  if (tsel & 4) raise(vec, sel_err(tsel) | ext);
  Descriptor d = read_descriptor(e, tsel, vec, ext);
  if (!is_tss(d) || tss_busy(d)) raise(vec, sel_err(tsel) | ext);
  return d;
}

}  // namespace

void far_task_switch(Engine& e, uint16_t sel, const Descriptor& d, bool call) {
  ArchState& s = e.s;
  const TaskSource src = call ? TaskSource::kCall : TaskSource::kJmp;
  const Segment old_tr = s.tr;
  if (is_tss(d)) {
    // SDM Vol. 2A JMP/CALL "TASK-STATE-SEGMENT".
    if (d.dpl() < s.cpl || d.dpl() < sel_rpl(sel)) raise(kGP, sel_err(sel));
    if (tss_busy(d) || (sel & 4)) raise(kGP, sel_err(sel));
    if (!d.present()) raise(kNP, sel_err(sel));
    run_switch(e, sel, d, src, false, 0, 0, old_tr);
    return;
  }
  if (!d.s() && d.type() == kTaskGate) {
    // SDM Vol. 2A JMP/CALL "TASK-GATE".
    if (d.dpl() < s.cpl || d.dpl() < sel_rpl(sel)) raise(kGP, sel_err(sel));
    if (!d.present()) raise(kNP, sel_err(sel));
    const uint16_t tsel = d.gate_selector();
    Descriptor td = gate_tss(e, tsel, kGP, 0);
    if (!td.present()) raise(kNP, sel_err(tsel));
    run_switch(e, tsel, td, src, false, 0, 0, old_tr);
    return;
  }
  raise(kGP, sel_err(sel));
}

void idt_task_switch(Engine& e, const Descriptor& gate, uint8_t /*vector*/, bool has_error,
                     uint32_t error, uint32_t ext) {
  // SDM Vol. 2A INT n "TASK-GATE"; the gate's DPL and P were checked by the caller.
  const uint16_t tsel = gate.gate_selector();
  Descriptor td = gate_tss(e, tsel, kGP, ext);
  if (!td.present()) raise(kNP, sel_err(tsel) | ext);
  // Faults after the commit point propagate to the delivery chain, which
  // handles them with the double-fault rules.
  switch_tasks(e, tsel, td, TaskSource::kIdt, has_error, error, ext);
  ArchState& s = e.s;
  if (has_error) {
    // Pushed on the new task's stack, sized by the new TSS (32-bit).
    StackFrame f(e, s.seg[SS], s.gpr[RSP], s.seg[SS].db() ? 4 : 2, s.cpl < 3, ext);
    f.push<uint32_t>(error);
    f.commit_sp();
  }
  if (s.rip > s.seg[CS].limit) raise(kGP, ext);
}

void iret_task_return(Engine& e) {
  // SDM Vol. 2A IRET "TASK-RETURN".
  ArchState& s = e.s;
  if (!(s.tr.type() & 8)) raise(kGP, 0);  // TODO: 16-bit TSS
  const uint16_t link = e.read_sys<uint16_t>(s.tr.base + kLink);
  uint64_t la;
  if ((link & 4) || !descriptor_addr(e, link, 8, &la)) raise(kTS, sel_err(link));
  Descriptor d = read_descriptor(e, link, kTS);
  if (!is_tss(d) || !tss_busy(d)) raise(kTS, sel_err(link));
  if (!d.present()) raise(kNP, sel_err(link));
  const Segment old_tr = s.tr;
  run_switch(e, link, d, TaskSource::kIret, false, 0, 0, old_tr);
}

}  // namespace hvsim::core::sys
