// The hottest memory handlers' fast path: a 64-bit-mode address that hits
// the host-pointer TLB, with no call but the data charge, made last as a
// tail call (Engine::charge_last), so that the handler needs no stack frame
// (no callee-saved registers pushed and popped per instruction). Any other
// case (legacy modes, a host-TLB miss, a page split) runs the handler's
// general form `general` (the family's operand-generic handler, marked
// noinline so that it stays a tail call) from the start: the fast path has
// no side effect before it commits. Only for handlers that cannot fault after
// their access (the charge would otherwise precede the fault, as in read()).
#pragma once

#include "sim/core/engine.h"

namespace hvsim::core::isa {

// Reads the T at the memory operand and hands it to k(v).
template <typename T, typename K>
inline void load_then(Engine& e, const DecodedInsn& d, ExecFn general, K k) {
  uint64_t la, pa;
  T v;
  if (HVSIM_UNLIKELY(!e.linear64(d, &la) || !e.read_fast<T>(la, &v, &pa))) return general(e, d);
  k(v);
  e.charge_last(pa, sizeof(T), false);
}

// Writes v to the memory operand.
template <typename T>
inline void store_last(Engine& e, const DecodedInsn& d, ExecFn general, T v) {
  uint64_t la, pa;
  if (HVSIM_UNLIKELY(!e.linear64(d, &la) || !e.write_fast<T>(la, v, &pa))) return general(e, d);
  e.charge_last(pa, sizeof(T), true);
}

}  // namespace hvsim::core::isa
