// Segment selectors and descriptors (SDM Vol. 3 3.4-3.5, 5.8, 6.14.1): the
// raw 8- or 16-byte descriptor, its fields, and reading it from the GDT/LDT
// with implicit supervisor accesses.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

// Selector fields (SDM Vol. 3 3.4.2).
inline unsigned sel_rpl(uint16_t sel) {
  return sel & 3;
}
inline bool sel_null(uint16_t sel) {
  return (sel & 0xfffc) == 0;
}
// The error code that names a selector (SDM Vol. 3 6.13): index and TI.
inline uint32_t sel_err(uint16_t sel) {
  return sel & 0xfffc;
}

// System-descriptor types (S = 0), SDM Vol. 3 3.5 Table 3-2.
enum SysType : unsigned {
  kTss16Avail = 1,
  kLdt = 2,
  kTss16Busy = 3,
  kCallGate16 = 4,
  kTaskGate = 5,
  kIntGate16 = 6,
  kTrapGate16 = 7,
  kTss32Avail = 9,
  kTss32Busy = 0xb,
  kCallGate32 = 0xc,
  kIntGate32 = 0xe,
  kTrapGate32 = 0xf,
};

// Segment::attr bits (VMCS access-rights layout, arch_state.h).
enum : uint32_t {
  kAttrAccessed = 1u << 0,
  kAttrS = 1u << 4,
  kAttrP = 1u << 7,
  kAttrL = 1u << 13,
  kAttrDB = 1u << 14,
  kAttrG = 1u << 15,
  kAttrUnusable = 1u << 16,
};

struct Descriptor {
  uint64_t lo = 0, hi = 0;

  unsigned type() const { return (lo >> 40) & 0xf; }
  bool s() const { return (lo >> 44) & 1; }
  unsigned dpl() const { return (lo >> 45) & 3; }
  bool present() const { return (lo >> 47) & 1; }
  bool l() const { return (lo >> 53) & 1; }
  bool db() const { return (lo >> 54) & 1; }
  bool g() const { return (lo >> 55) & 1; }
  uint32_t attr() const {
    return static_cast<uint32_t>(((lo >> 40) & 0xff) | (((lo >> 52) & 0xf) << 12));
  }
  uint64_t base() const { return ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24); }
  uint64_t base64() const {
    return base() | ((hi & 0xffffffff) << 32);
  }  // 16-byte system descriptors
  uint32_t limit() const {
    uint32_t raw = static_cast<uint32_t>((lo & 0xffff) | ((lo >> 32) & 0xf0000));
    return g() ? (raw << 12) | 0xfff : raw;
  }

  bool is_code() const { return s() && (type() & 8); }
  bool is_data() const { return s() && !(type() & 8); }
  bool conforming() const { return is_code() && (type() & 4); }
  bool readable() const { return !is_code() || (type() & 2); }
  bool writable_data() const { return is_data() && (type() & 2); }
  bool code64() const { return is_code() && l() && !db(); }

  // Gate fields (SDM Vol. 3 5.8.3, 6.11, 6.14.1).
  uint16_t gate_selector() const { return static_cast<uint16_t>(lo >> 16); }
  uint32_t gate_offset32() const {
    return static_cast<uint32_t>((lo & 0xffff) | ((lo >> 32) & 0xffff0000));
  }
  uint64_t gate_offset64() const { return gate_offset32() | ((hi & 0xffffffff) << 32); }
  unsigned gate_ist() const { return (lo >> 32) & 7; }
  unsigned gate_params() const { return (lo >> 32) & 0x1f; }

  // The hidden part of a segment register loaded from this descriptor.
  Segment to_segment(uint16_t sel) const {
    Segment sg;
    sg.selector = sel;
    sg.base = base();
    sg.limit = limit();
    sg.attr = attr();
    return sg;
  }
};

// A segment register holding a null selector (unusable, SDM Vol. 3 3.4.4).
Segment null_segment(uint16_t sel, unsigned dpl = 0);

// Linear address of the descriptor `sel` names, or false when it lies
// outside the GDT/LDT (or TI = 1 with an unusable LDTR). `bytes` = 8 or 16.
bool descriptor_addr(const Engine& e, uint16_t sel, unsigned bytes, uint64_t* la);
// Reads a descriptor; `vec(sel_err(sel) | ext)` when it lies outside its table.
Descriptor read_descriptor(Engine& e, uint16_t sel, uint8_t vec = kGP, uint32_t ext = 0);
// The 16-byte form of system descriptors in IA-32e mode (SDM Vol. 3 7.2.3, 5.8.3.1).
Descriptor read_descriptor16(Engine& e, uint16_t sel, uint8_t vec = kGP, uint32_t ext = 0);
// Sets the accessed bit of a code/data descriptor in memory (SDM Vol. 3 3.4.5.1).
void set_accessed(Engine& e, uint16_t sel, Descriptor& d);
// Sets the busy bit of a TSS descriptor in memory (SDM Vol. 3 7.2.2).
void set_tss_busy(Engine& e, uint16_t sel, Descriptor& d);

inline bool protected_mode(const Engine& e) {
  return e.s.mode != Mode::kReal && e.s.mode != Mode::kVm86;
}
inline bool ia32e(const Engine& e) {
  return (e.s.efer & EFER_LMA) != 0;
}
bool canonical(const Engine& e, uint64_t la);

}  // namespace hvsim::core::sys
