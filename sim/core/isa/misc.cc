// Instructions with no architectural effect on a single in-order core, and
// the hvsim magic operation: NOP (all forms), PAUSE, ENDBR32/64, fences,
// prefetches, UD0/UD1/UD2.
#include "sim/core/core.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

void nop(Engine&, const DecodedInsn&) {}

void pause(Engine& e, const DecodedInsn&) {
  if (virt::GuestHooks* g = e.guest()) g->pause();  // PAUSE exiting
}

// workloads/lib/hvsim_magic.h: `nopw 0x4856XXXX(%rax,%rax,1)`, argument in RDI.
void magic(Engine& e, const DecodedInsn& d) {
  e.magic(static_cast<uint16_t>(d.imm), e.s.gpr[RDI]);
  e.break_block();  // the handler may stop the run or read the counters
}

constexpr int64_t kMagicTag = 0x4856;

void bind_nop(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  // Zydis lists the multi-byte NOP's ModRM operands (memory, then AX).
  if (d.nops >= 1 && d.op[0].kind == OpKind::kMem && d.opsize == 2 && d.mem.base == RAX &&
      d.mem.index == RAX && d.mem.scale == 0 && (d.mem.disp >> 16) == kMagicTag) {
    d.imm = static_cast<uint64_t>(d.mem.disp & 0xffff);
    d.exec = &magic;
    return;
  }
  d.exec = &nop;
}

}  // namespace

void register_misc(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_NOP, &bind_nop, timing::k_nop);
  t.add(ZYDIS_MNEMONIC_PAUSE, HVSIM_PLAIN(pause), timing::k_pause);
  t.add(ZYDIS_MNEMONIC_ENDBR64, HVSIM_PLAIN(nop), timing::k_nop);
  t.add(ZYDIS_MNEMONIC_ENDBR32, HVSIM_PLAIN(nop), timing::k_nop);
  t.add(ZYDIS_MNEMONIC_LFENCE, HVSIM_PLAIN(nop), timing::k_nop);
  t.add(ZYDIS_MNEMONIC_SFENCE, HVSIM_PLAIN(nop), timing::k_nop);
  t.add(ZYDIS_MNEMONIC_MFENCE, HVSIM_PLAIN(nop), timing::k_nop);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_PREFETCH, ZYDIS_MNEMONIC_PREFETCHNTA,
                          ZYDIS_MNEMONIC_PREFETCHT0, ZYDIS_MNEMONIC_PREFETCHT1,
                          ZYDIS_MNEMONIC_PREFETCHT2, ZYDIS_MNEMONIC_PREFETCHW})
    t.add(m, HVSIM_PLAIN(nop), timing::k_nop);
  // UD0/UD1/UD2 are architecturally undefined: no binder, so they #UD.
}

}  // namespace hvsim::core::isa
