// A stack that is not (yet) SS:RSP: the frame of an interrupt, far call or
// far return is built or read through it, and only committed to SS:RSP once
// every access has succeeded (SDM Vol. 3 6.12.1: a fault during delivery
// leaves the interrupted state unchanged).
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

class StackFrame {
 public:
  // `width`: 8 = 64-bit mode stack (no segmentation), 4 or 2 = SS.B.
  // `supervisor`: implicit supervisor accesses (a more privileged stack).
  // Limit violations raise `vec(err)` (#SS with the new SS selector).
  StackFrame(Engine& e, const Segment& ss, uint64_t sp, unsigned width, bool supervisor,
             uint32_t err = 0)
      : e_(e), ss_(ss), sp_(sp), width_(width), sys_(supervisor), err_(err) {}

  template <typename T>
  void push(T v) {
    sp_ = mask(sp_ - sizeof(T));
    uint64_t la = linear(sp_, sizeof(T));
    if (sys_)
      e_.write_sys<T>(la, v);
    else
      e_.write<T>(la, v);
  }
  // Pushes the low `size` bytes of v (2, 4 or 8).
  void push_sized(uint64_t v, unsigned size) {
    if (size == 8)
      push<uint64_t>(v);
    else if (size == 4)
      push<uint32_t>(static_cast<uint32_t>(v));
    else
      push<uint16_t>(static_cast<uint16_t>(v));
  }
  template <typename T>
  T pop() {
    uint64_t la = linear(sp_, sizeof(T));
    T v = sys_ ? e_.read_sys<T>(la) : e_.read<T>(la);
    sp_ = mask(sp_ + sizeof(T));
    return v;
  }
  uint64_t pop_sized(unsigned size) {
    if (size == 8) return pop<uint64_t>();
    if (size == 4) return pop<uint32_t>();
    return pop<uint16_t>();
  }
  void skip(uint64_t bytes) { sp_ = mask(sp_ + bytes); }

  uint64_t sp() const { return sp_; }
  // Writes the final stack pointer to RSP with the width of this stack.
  void commit_sp() const { commit_sp(e_, sp_, width_); }
  static void commit_sp(Engine& e, uint64_t sp, unsigned width) {
    uint64_t& r = e.s.gpr[RSP];
    if (width == 8)
      r = sp;
    else if (width == 4)
      r = static_cast<uint32_t>(sp);
    else
      r = (r & ~0xffffull) | static_cast<uint16_t>(sp);
  }

 private:
  uint64_t mask(uint64_t v) const { return Engine::mask_addr(v, width_); }
  // SDM Vol. 3 5.3: limit checks (expand-down stacks included) outside 64-bit mode.
  uint64_t linear(uint64_t off, unsigned size) const {
    if (width_ == 8) return off;
    const bool prot = e_.s.mode != Mode::kReal && e_.s.mode != Mode::kVm86;
    uint64_t last = off + size - 1;
    if (prot && (ss_.type() & 0xc) == 4) {  // expand-down data
      uint64_t upper = ss_.db() ? 0xffffffffull : 0xffffull;
      if (off <= ss_.limit || last > upper) raise(kSS, err_);
    } else if (last > ss_.limit) {
      raise(kSS, err_);
    }
    return static_cast<uint32_t>(ss_.base + off);
  }

  Engine& e_;
  Segment ss_;
  uint64_t sp_;
  unsigned width_;
  bool sys_;
  uint32_t err_;
};

// The stack width a segment gives outside 64-bit mode (SDM Vol. 3 3.4.5: SS.B).
inline unsigned legacy_stack_width(const Engine& e, const Segment& ss) {
  if (e.s.mode == Mode::kReal || e.s.mode == Mode::kVm86) return 2;
  return ss.db() ? 4 : 2;
}

}  // namespace hvsim::core::sys
