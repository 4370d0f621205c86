// Arithmetic flag computation (SDM Vol. 1 3.4.3.1, appendix A), eager: each
// instruction computes the flags it defines and merges them into RFLAGS.
#pragma once

#include <cstdint>
#include <type_traits>

#include "sim/core/arch_state.h"

namespace hvsim::core::flags {

template <typename T>
constexpr T sign_bit() {
  return static_cast<T>(T(1) << (sizeof(T) * 8 - 1));
}

inline uint64_t pf(uint64_t result) {
  return __builtin_parity(static_cast<uint8_t>(result)) ? uint64_t{0} : uint64_t{PF};
}

template <typename T>
uint64_t zf_sf_pf(T r) {
  uint64_t f = pf(r);
  if (r == 0) f |= ZF;
  if (r & sign_bit<T>()) f |= SF;
  return f;
}

#if defined(__x86_64__)
// On an x86-64 host the host's own ADC/SBB/TEST of the same width computes
// them (the architectural definition, SDM Vol. 1 appendix A): LAHF puts SF,
// ZF, AF, PF and CF in AH at their RFLAGS bit positions, SETO gives OF. The
// carry or borrow comes in through BT. `r` (= the result) is not needed.
inline uint64_t host_flags(uint64_t ax) {
  return ((ax >> 8) & (CF | PF | AF | ZF | SF)) | ((ax & 1) ? OF : 0);
}

// r = a + b + carry_in
template <typename T>
uint64_t add(T a, T b, T, bool carry_in) {
  uint64_t ax;
  asm("bt $0, %k[c]\n\tadc %[b], %[a]\n\tlahf\n\tseto %%al"
      : [a] "+r"(a), "=&a"(ax)
      : [b] "r"(b), [c] "r"(static_cast<uint32_t>(carry_in))
      : "cc");
  return host_flags(ax);
}

// r = a - b - borrow_in
template <typename T>
uint64_t sub(T a, T b, T, bool borrow_in) {
  uint64_t ax;
  asm("bt $0, %k[c]\n\tsbb %[b], %[a]\n\tlahf\n\tseto %%al"
      : [a] "+r"(a), "=&a"(ax)
      : [b] "r"(b), [c] "r"(static_cast<uint32_t>(borrow_in))
      : "cc");
  return host_flags(ax);
}

// AND/OR/XOR/TEST: CF = OF = 0, AF undefined (cleared, as recent Intel and AMD do).
template <typename T>
uint64_t logic(T r) {
  uint64_t ax;
  asm("test %[r], %[r]\n\tlahf" : "=a"(ax) : [r] "r"(r) : "cc");
  return (ax >> 8) & (PF | ZF | SF);
}
#else
// r = a + b + carry_in
template <typename T>
uint64_t add(T a, T b, T r, bool carry_in) {
  uint64_t f = zf_sf_pf(r);
  if (carry_in ? r <= a : r < a) f |= CF;
  if ((a ^ b ^ r) & 0x10) f |= AF;
  if ((~(a ^ b) & (a ^ r)) & sign_bit<T>()) f |= OF;
  return f;
}

// r = a - b - borrow_in
template <typename T>
uint64_t sub(T a, T b, T r, bool borrow_in) {
  uint64_t f = zf_sf_pf(r);
  if (borrow_in ? a <= b : a < b) f |= CF;
  if ((a ^ b ^ r) & 0x10) f |= AF;
  if (((a ^ b) & (a ^ r)) & sign_bit<T>()) f |= OF;
  return f;
}

// AND/OR/XOR/TEST: CF = OF = 0, AF undefined (cleared, as recent Intel and AMD do).
template <typename T>
uint64_t logic(T r) {
  return zf_sf_pf(r);
}
#endif

// r = a + b and r = a - b with no carry in (ADD, SUB, CMP, INC, DEC, NEG,
// CMPS, SCAS, CMPXCHG, XADD): on an x86-64 host the same ADD or SUB gives
// the result and the flags, with no BT to set up a carry.
template <typename T>
uint64_t add_to(T a, T b, T& r) {
#if defined(__x86_64__)
  uint64_t ax;
  asm("add %[b], %[a]\n\tlahf\n\tseto %%al" : [a] "+r"(a), "=&a"(ax) : [b] "r"(b) : "cc");
  r = a;
  return host_flags(ax);
#else
  r = static_cast<T>(a + b);
  return add<T>(a, b, r, false);
#endif
}
template <typename T>
uint64_t sub_to(T a, T b, T& r) {
#if defined(__x86_64__)
  uint64_t ax;
  asm("sub %[b], %[a]\n\tlahf\n\tseto %%al" : [a] "+r"(a), "=&a"(ax) : [b] "r"(b) : "cc");
  r = a;
  return host_flags(ax);
#else
  r = static_cast<T>(a - b);
  return sub<T>(a, b, r, false);
#endif
}

inline void merge(uint64_t& rflags, uint64_t mask, uint64_t f) { rflags = (rflags & ~mask) | f; }

}  // namespace hvsim::core::flags
