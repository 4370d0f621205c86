// RDRAND and RDSEED r16/r32/r64 (SDM Vol. 2B). The values come from the
// engine's deterministic generators (sim/core/rng.h, cpu.rdrand_seed), so a
// run is bit-reproducible; every execution succeeds: CF = 1 and OF, SF, ZF,
// AF, PF = 0. Each is #UD unless CPUID advertises it (cpu.rdrand: leaf 1
// ECX[30]; cpu.rdseed: leaf 7 EBX[18]). Any CPL, any mode.
#include "sim/core/core.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

template <bool kSeed, typename T>
void rdrand(Engine& e, const DecodedInsn& d) {
  if (!(kSeed ? e.cpuid().has_rdseed() : e.cpuid().has_rdrand())) raise(kUD);
  // RDRAND/RDSEED exiting (SDM Vol. 3 25.1.3): after the #UD check.
  if (virt::GuestHooks* g = e.guest()) g->rdrand(kSeed, d.op[0].reg, sizeof(T));
  const uint64_t v = (kSeed ? e.rng.rdseed : e.rng.rdrand).next();
  e.set_gpr<T>(d.op[0].reg, static_cast<T>(v));
  e.s.rflags = (e.s.rflags & ~(CF | OF | SF | ZF | AF | PF)) | CF;
}

template <bool kSeed>
void bind_rdrand(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.nops < 1 || d.op[0].kind != OpKind::kReg) return;  // #UD
  switch (d.opsize) {
    case 2: d.exec = &rdrand<kSeed, uint16_t>; break;
    case 4: d.exec = &rdrand<kSeed, uint32_t>; break;
    case 8: d.exec = &rdrand<kSeed, uint64_t>; break;
    default: break;
  }
}

}  // namespace

void register_random(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_RDRAND, &bind_rdrand<false>, timing::k_system);
  t.add(ZYDIS_MNEMONIC_RDSEED, &bind_rdrand<true>, timing::k_system);
}

}  // namespace hvsim::core::isa
