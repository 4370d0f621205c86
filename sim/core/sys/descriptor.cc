#include "sim/core/sys/descriptor.h"

namespace hvsim::core::sys {

Segment null_segment(uint16_t sel, unsigned dpl) {
  Segment sg;
  sg.selector = sel;
  sg.attr = kAttrUnusable | (dpl & 3) << 5;
  return sg;
}

bool canonical(const Engine& e, uint64_t la) { return e.canonical(la); }

bool descriptor_addr(const Engine& e, uint16_t sel, unsigned bytes, uint64_t* la) {
  uint64_t off = sel & 0xfff8;
  uint64_t base, limit;
  if (sel & 4) {  // TI = 1: the LDT (SDM Vol. 3 3.5.1)
    const Segment& ldt = e.s.ldtr;
    if ((ldt.attr & kAttrUnusable) || !ldt.present()) return false;
    base = ldt.base;
    limit = ldt.limit;
  } else {
    base = e.s.gdtr.base;
    limit = e.s.gdtr.limit;
  }
  if (off + bytes - 1 > limit) return false;
  *la = base + off;
  return true;
}

Descriptor read_descriptor(Engine& e, uint16_t sel, uint8_t vec, uint32_t ext) {
  uint64_t la;
  if (!descriptor_addr(e, sel, 8, &la)) raise(vec, sel_err(sel) | ext);
  Descriptor d;
  d.lo = e.read_sys<uint64_t>(la);
  return d;
}

Descriptor read_descriptor16(Engine& e, uint16_t sel, uint8_t vec, uint32_t ext) {
  uint64_t la;
  if (!descriptor_addr(e, sel, 16, &la)) raise(vec, sel_err(sel) | ext);
  Descriptor d;
  d.lo = e.read_sys<uint64_t>(la);
  d.hi = e.read_sys<uint64_t>(la + 8);
  return d;
}

void set_accessed(Engine& e, uint16_t sel, Descriptor& d) {
  if (d.type() & 1) return;
  uint64_t la;
  if (!descriptor_addr(e, sel, 8, &la)) return;
  d.lo |= 1ull << 40;
  e.write_sys<uint8_t>(la + 5, static_cast<uint8_t>(d.lo >> 40));
}

void set_tss_busy(Engine& e, uint16_t sel, Descriptor& d) {
  uint64_t la;
  if (!descriptor_addr(e, sel, 8, &la)) return;
  d.lo |= 2ull << 40;
  e.write_sys<uint8_t>(la + 5, static_cast<uint8_t>(d.lo >> 40));
}

}  // namespace hvsim::core::sys
