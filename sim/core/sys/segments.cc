#include "sim/core/sys/segments.h"

#include "sim/core/sys/descriptor.h"

namespace hvsim::core::sys {

void load_data_segment(Engine& e, unsigned sreg, uint16_t sel) {
  ArchState& s = e.s;
  Segment& sg = s.seg[sreg];
  if (s.mode == Mode::kReal || s.mode == Mode::kVm86) {
    // SDM Vol. 3 20.1.1: base = selector * 16. Real mode keeps the cached
    // limit (so "unreal mode" works); virtual-8086 mode sets it (20.2.1).
    sg.selector = sel;
    sg.base = static_cast<uint64_t>(sel) << 4;
    if (s.mode == Mode::kVm86) {
      sg.limit = 0xffff;
      sg.attr = 0xf3;
    } else {
      sg.attr = (sg.attr & (kAttrDB | kAttrG)) | kAttrP | kAttrS | 0x3;
    }
    return;
  }
  if (sel_null(sel)) {
    if (sreg == SS) {
      // SDM Vol. 2A MOV: a null SS only in 64-bit mode at CPL < 3 with RPL = CPL.
      if (!e.long64() || s.cpl == 3 || sel_rpl(sel) != s.cpl) raise(kGP, 0);
      sg = null_segment(sel, s.cpl);
      return;
    }
    sg = null_segment(sel);
    return;
  }
  Descriptor d = read_descriptor(e, sel);
  const unsigned rpl = sel_rpl(sel), cpl = s.cpl;
  if (sreg == SS) {
    if (rpl != cpl || !d.writable_data() || d.dpl() != cpl) raise(kGP, sel_err(sel));
    if (!d.present()) raise(kSS, sel_err(sel));
  } else {
    if (!d.is_data() && !(d.is_code() && d.readable())) raise(kGP, sel_err(sel));
    if (!d.conforming() && (rpl > d.dpl() || cpl > d.dpl())) raise(kGP, sel_err(sel));
    if (!d.present()) raise(kNP, sel_err(sel));
  }
  set_accessed(e, sel, d);
  sg = d.to_segment(sel);
}

Segment outer_stack_segment(Engine& e, uint16_t sel, unsigned rpl, bool to64) {
  if (sel_null(sel)) {
    if (to64 && rpl != 3) return null_segment(sel, rpl);
    raise(kGP, 0);
  }
  Descriptor d = read_descriptor(e, sel);
  if (sel_rpl(sel) != rpl || !d.writable_data() || d.dpl() != rpl) raise(kGP, sel_err(sel));
  if (!d.present()) raise(kSS, sel_err(sel));
  set_accessed(e, sel, d);
  return d.to_segment(sel);
}

void invalidate_data_segments(Engine& e, unsigned cpl) {
  for (unsigned r : {ES, DS, FS, GS}) {
    Segment& sg = e.s.seg[r];
    if (sg.attr & kAttrUnusable) continue;
    const bool data_or_nc_code = !(sg.type() & 8) || !(sg.type() & 4);
    if (!data_or_nc_code || sg.dpl() >= cpl) continue;
    // IA-32e mode: FS/GS keep their 64-bit base (what kernels rely on when
    // they return to CPL 3 with a DPL-0 selector in GS; QEMU does the same).
    const uint64_t base = sg.base;
    sg = null_segment(0);
    if (r >= FS && ia32e(e)) sg.base = base;
  }
}

void set_interrupt_shadow(Engine& e) {
  e.s.interrupt_shadow = 1;
  e.break_block();
}

}  // namespace hvsim::core::sys
