// String instructions with REP/REPE/REPNE: MOVS, STOS, LODS, CMPS, SCAS,
// INS, OUTS (SDM Vol. 2, "REP/REPE/REPZ/REPNE/REPNZ"). The count register
// and the index registers have the address size; DF picks the direction.
// A fault mid-way leaves RCX/RSI/RDI describing the progress so far and RIP
// at the instruction, so it restarts where it stopped (SDM Vol. 1 7.3.9.2).
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

struct Idx {
  Engine& e;
  unsigned asz;
  uint64_t get(unsigned r) const { return Engine::mask_addr(e.s.gpr[r], asz); }
  void set(unsigned r, uint64_t v) const {
    if (asz == 8)
      e.set_gpr<uint64_t>(r, v);
    else if (asz == 4)
      e.set_gpr<uint32_t>(r, static_cast<uint32_t>(v));
    else
      e.set_gpr<uint16_t>(r, static_cast<uint16_t>(v));
  }
  void step(unsigned r, int64_t delta) const { set(r, get(r) + delta); }
};

template <typename T>
int64_t delta(const Engine& e) {
  return (e.s.rflags & DF) ? -static_cast<int64_t>(sizeof(T)) : static_cast<int64_t>(sizeof(T));
}

// Runs `one` once, or under REP while the count is non-zero (and, for
// CMPS/SCAS, while the REPE/REPNE condition holds).
template <bool kCompare, typename F>
inline void repeat(Engine& e, const DecodedInsn& d, F one) {
  const uint32_t per = e.lat().cls[timing::k_string];
  if (!(d.flags & (kRep | kRepne))) {
    one();
    return;
  }
  Idx ix{e, d.addrsize};
  // After `budget` iterations the instruction yields (Engine::rep_budget):
  // RIP stays on it and it resumes from RCX on the next pass.
  // The iterations done are counted however the pass ends, a fault included
  // (they happened: RCX/RSI/RDI record them).
  struct Count {
    Engine& e;
    uint64_t n = 0;
    ~Count() { e.rep_done(n); }
  } done{e};
  const uint64_t budget = e.rep_budget();
  while (ix.get(RCX) != 0) {
    if (done.n == budget) {
      e.s.rip = e.insn_rip();
      e.break_block();
      break;
    }
    one();
    ix.set(RCX, ix.get(RCX) - 1);
    e.add_cycles(per);
    ++done.n;
    if (kCompare) {
      const bool zf = e.s.rflags & ZF;
      if ((d.flags & kRepne) ? zf : !zf) break;
    }
  }
}

template <typename T>
void movs(Engine& e, const DecodedInsn& d) {
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  repeat<false>(e, d, [&] {
    T v = e.read<T>(e.linear(d.mem.seg, ix.get(RSI), sizeof(T), false));
    e.write<T>(e.linear(ES, ix.get(RDI), sizeof(T), true), v);
    ix.step(RSI, dl);
    ix.step(RDI, dl);
  });
}

template <typename T>
void stos(Engine& e, const DecodedInsn& d) {
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  const T v = static_cast<T>(e.s.gpr[RAX]);
  repeat<false>(e, d, [&] {
    e.write<T>(e.linear(ES, ix.get(RDI), sizeof(T), true), v);
    ix.step(RDI, dl);
  });
}

template <typename T>
void lods(Engine& e, const DecodedInsn& d) {
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  repeat<false>(e, d, [&] {
    e.set_gpr<T>(RAX, e.read<T>(e.linear(d.mem.seg, ix.get(RSI), sizeof(T), false)));
    ix.step(RSI, dl);
  });
}

template <typename T>
void cmps(Engine& e, const DecodedInsn& d) {
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  repeat<true>(e, d, [&] {
    T a = e.read<T>(e.linear(d.mem.seg, ix.get(RSI), sizeof(T), false));
    T b = e.read<T>(e.linear(ES, ix.get(RDI), sizeof(T), false));
    T r;
    flags::merge(e.s.rflags, kArithFlags, flags::sub_to<T>(a, b, r));
    ix.step(RSI, dl);
    ix.step(RDI, dl);
  });
}

template <typename T>
void scas(Engine& e, const DecodedInsn& d) {
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  const T a = static_cast<T>(e.s.gpr[RAX]);
  repeat<true>(e, d, [&] {
    T b = e.read<T>(e.linear(ES, ix.get(RDI), sizeof(T), false));
    T r;
    flags::merge(e.s.rflags, kArithFlags, flags::sub_to<T>(a, b, r));
    ix.step(RDI, dl);
  });
}

// SDM Vol. 1 19.5: in protected mode with CPL > IOPL (or in virtual-8086
// mode) the TSS I/O permission bitmap decides; the bitmap check belongs to
// the system family's IN/OUT, so string I/O here allows only CPL <= IOPL.
void io_check(const Engine& e) {
  if (e.s.mode == Mode::kReal) return;
  if (e.s.cpl > ((e.s.rflags & IOPL) >> 12) || e.s.mode == Mode::kVm86) raise(kGP, 0);
}

template <typename T>
void ins(Engine& e, const DecodedInsn& d) {
  io_check(e);
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  const uint16_t port = static_cast<uint16_t>(e.s.gpr[RDX]);
  if (virt::GuestHooks* g = e.guest()) g->io(port, sizeof(T), true, true, d.flags & kRep, false);
  repeat<false>(e, d, [&] {
    uint64_t la = e.linear(ES, ix.get(RDI), sizeof(T), true);
    e.probe_write(la, sizeof(T));  // the port read must not happen before a #PF
    e.write<T>(la, static_cast<T>(e.io_in(port, sizeof(T))));
    ix.step(RDI, dl);
  });
}

template <typename T>
void outs(Engine& e, const DecodedInsn& d) {
  io_check(e);
  Idx ix{e, d.addrsize};
  const int64_t dl = delta<T>(e);
  const uint16_t port = static_cast<uint16_t>(e.s.gpr[RDX]);
  if (virt::GuestHooks* g = e.guest()) g->io(port, sizeof(T), false, true, d.flags & kRep, false);
  repeat<false>(e, d, [&] {
    T v = e.read<T>(e.linear(d.mem.seg, ix.get(RSI), sizeof(T), false));
    e.io_out(port, v, sizeof(T));
    ix.step(RSI, dl);
  });
}

// The source segment (DS unless overridden) is on a hidden operand.
void find_source_segment(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                         DecodedInsn& d) {
  d.mem.seg = DS;
  for (unsigned i = 0; i < zi.operand_count; ++i) {
    const ZydisDecodedOperand& o = ops[i];
    if (o.type != ZYDIS_OPERAND_TYPE_MEMORY || o.mem.segment == ZYDIS_REGISTER_NONE) continue;
    ZydisRegister b = o.mem.base;
    if (b == ZYDIS_REGISTER_RSI || b == ZYDIS_REGISTER_ESI || b == ZYDIS_REGISTER_SI)
      d.mem.seg = static_cast<uint8_t>(ZydisRegisterGetId(o.mem.segment));
  }
}

template <ExecFn F, bool kStringForm>
void bind_string(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                 DecodedInsn& d) {
  // MOVSD and CMPSD are also SSE2 mnemonics (F2 0F 10 / F2 0F C2): those
  // have visible XMM operands and belong to the vector family.
  if (kStringForm && zi.operand_count_visible != 0 && zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
    return bind_sse_string_form(zi, ops, d);
  find_source_segment(zi, ops, d);
  d.nops = 0;
  d.exec = F;
}

#define HVSIM_STRING(M, fn)                                                           \
  t.add(ZYDIS_MNEMONIC_##M##B, &bind_string<&fn<uint8_t>, true>, timing::k_string);   \
  t.add(ZYDIS_MNEMONIC_##M##W, &bind_string<&fn<uint16_t>, true>, timing::k_string);  \
  t.add(ZYDIS_MNEMONIC_##M##D, &bind_string<&fn<uint32_t>, true>, timing::k_string)

}  // namespace

void register_string(BinderTable& t) {
  HVSIM_STRING(MOVS, movs);
  HVSIM_STRING(STOS, stos);
  HVSIM_STRING(LODS, lods);
  HVSIM_STRING(CMPS, cmps);
  HVSIM_STRING(SCAS, scas);
  HVSIM_STRING(INS, ins);
  HVSIM_STRING(OUTS, outs);
  t.add(ZYDIS_MNEMONIC_MOVSQ, &bind_string<&movs<uint64_t>, true>, timing::k_string);
  t.add(ZYDIS_MNEMONIC_STOSQ, &bind_string<&stos<uint64_t>, true>, timing::k_string);
  t.add(ZYDIS_MNEMONIC_LODSQ, &bind_string<&lods<uint64_t>, true>, timing::k_string);
  t.add(ZYDIS_MNEMONIC_CMPSQ, &bind_string<&cmps<uint64_t>, true>, timing::k_string);
  t.add(ZYDIS_MNEMONIC_SCASQ, &bind_string<&scas<uint64_t>, true>, timing::k_string);
}

}  // namespace hvsim::core::isa
