// The one list of instruction families, in registration order. Every
// mnemonic belongs to exactly one family (BinderTable::add throws on a
// second registration), so the order only decides which family a bug
// report names first. A new family adds its line here.
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

void register_all_families(BinderTable& t) {
  register_arith(t);
  register_bcd(t);
  register_shift(t);
  register_muldiv(t);
  register_bits(t);
  register_move(t);
  register_control(t);
  register_stack(t);
  register_string(t);
  register_flags(t);
  register_system(t);
  register_misc(t);
  register_random(t);
  register_simd(t);  // before MMX, which chains onto the mnemonics they share
  register_x87(t);
  register_mmx(t);  // after every family that binds XMM forms of its mnemonics (replace)
}

}  // namespace hvsim::core::isa
