#include "sim/core/sys/tss.h"

namespace hvsim::core::sys {

namespace {
[[noreturn]] void bad_tss(const Engine& e, uint32_t ext) {
  raise(kTS, sel_err(e.s.tr.selector) | ext);
}
}  // namespace

InnerStack tss_inner_stack(Engine& e, unsigned cpl, uint32_t ext) {
  const Segment& tr = e.s.tr;
  const bool tss32 = (tr.type() & 8) != 0;
  InnerStack r;
  // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 16-bit: SPn at 2 + 4n, SSn at 4 + 4n.
  uint64_t off = tss32 ? 4 + 8 * cpl : 2 + 4 * cpl;
  uint64_t last = off + (tss32 ? 5 : 3);
  if (!tr.present() || last > tr.limit) bad_tss(e, ext);
  if (tss32) {
    r.sp = e.read_sys<uint32_t>(tr.base + off);
    r.ss_sel = e.read_sys<uint16_t>(tr.base + off + 4);
  } else {
    r.sp = e.read_sys<uint16_t>(tr.base + off);
    r.ss_sel = e.read_sys<uint16_t>(tr.base + off + 2);
  }
  if (sel_null(r.ss_sel)) raise(kTS, ext);
  Descriptor d = read_descriptor(e, r.ss_sel, kTS, ext);
  if (sel_rpl(r.ss_sel) != cpl || d.dpl() != cpl || !d.writable_data())
    raise(kTS, sel_err(r.ss_sel) | ext);
  if (!d.present()) raise(kSS, sel_err(r.ss_sel) | ext);
  set_accessed(e, r.ss_sel, d);
  r.ss = d.to_segment(r.ss_sel);
  return r;
}

uint64_t tss_rsp64(Engine& e, unsigned cpl, unsigned ist, uint32_t ext) {
  const Segment& tr = e.s.tr;
  uint64_t off = ist ? 0x1c + 8 * ist : 4 + 8 * cpl;
  if (!tr.present() || off + 7 > tr.limit) bad_tss(e, ext);
  return e.read_sys<uint64_t>(tr.base + off);
}

}  // namespace hvsim::core::sys
