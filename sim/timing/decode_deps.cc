#include "sim/timing/decode_deps.h"

namespace hvsim::timing {

uint64_t reg_bit(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return 0;
  const ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
  const ZyanI8 id = ZydisRegisterGetId(big);
  if (id < 0) return 0;
  const unsigned n = static_cast<unsigned>(id);
  switch (ZydisRegisterGetClass(big)) {
    case ZYDIS_REGCLASS_GPR64:
      return reg::gpr(n & 15);
    case ZYDIS_REGCLASS_XMM:
    case ZYDIS_REGCLASS_YMM:
    case ZYDIS_REGCLASS_ZMM:
      return reg::xmm(n & 15);
    case ZYDIS_REGCLASS_X87:
    case ZYDIS_REGCLASS_MMX:  // MM0-7 alias the x87 registers (SDM Vol. 1 9.2.1)
      return uint64_t{1} << (reg::kSt0 + (n & 7));
    case ZYDIS_REGCLASS_SEGMENT:
      return n < 6 ? uint64_t{1} << (reg::kSeg0 + n) : 0;
    default:
      return 0;
  }
}

uint8_t flag_bits(uint32_t z) {
  uint8_t f = 0;
  if (z & ZYDIS_CPUFLAG_CF) f |= flag::kCF;
  if (z & ZYDIS_CPUFLAG_PF) f |= flag::kPF;
  if (z & ZYDIS_CPUFLAG_AF) f |= flag::kAF;
  if (z & ZYDIS_CPUFLAG_ZF) f |= flag::kZF;
  if (z & ZYDIS_CPUFLAG_SF) f |= flag::kSF;
  if (z & ZYDIS_CPUFLAG_OF) f |= flag::kOF;
  if (z & ZYDIS_CPUFLAG_DF) f |= flag::kDF;
  return f;
}

namespace {

// SDM Vol. 3 10.3 "Serializing Instructions" (privileged and
// non-privileged), plus LFENCE, which waits for every older instruction to
// complete before any younger one starts (SDM Vol. 2 LFENCE).
bool serializing(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops) {
  switch (zi.mnemonic) {
    case ZYDIS_MNEMONIC_CPUID:
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_RSM:
    case ZYDIS_MNEMONIC_SERIALIZE:
    case ZYDIS_MNEMONIC_INVD:
    case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVLPG:
    case ZYDIS_MNEMONIC_INVEPT:
    case ZYDIS_MNEMONIC_INVVPID:
    case ZYDIS_MNEMONIC_LGDT:
    case ZYDIS_MNEMONIC_LIDT:
    case ZYDIS_MNEMONIC_LLDT:
    case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_WRMSR:
    case ZYDIS_MNEMONIC_LFENCE:
      return true;
    case ZYDIS_MNEMONIC_MOV:
      // MOV to a control register other than CR8, or to a debug register.
      if (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        const ZydisRegisterClass c = ZydisRegisterGetClass(ops[0].reg.value);
        if (c == ZYDIS_REGCLASS_DEBUG) return true;
        if (c == ZYDIS_REGCLASS_CONTROL && ops[0].reg.value != ZYDIS_REGISTER_CR8) return true;
      }
      return false;
    default:
      return false;
  }
}

BranchKind branch_kind(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops) {
  const bool far = zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
  const bool direct = zi.operand_count_visible > 0 && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
  switch (zi.mnemonic) {
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_SYSEXIT:
      return BranchKind::kFar;
    default:
      break;
  }
  switch (zi.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
      return BranchKind::kCond;
    case ZYDIS_CATEGORY_UNCOND_BR:
      return far ? BranchKind::kFar : direct ? BranchKind::kJump : BranchKind::kIndirectJump;
    case ZYDIS_CATEGORY_CALL:
      return far ? BranchKind::kFar : direct ? BranchKind::kCall : BranchKind::kIndirectCall;
    case ZYDIS_CATEGORY_RET:
      return far ? BranchKind::kFar : BranchKind::kReturn;
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
      return BranchKind::kFar;
    default:
      return BranchKind::kNone;
  }
}

}  // namespace

DecodeDeps decode_deps(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops) {
  DecodeDeps d;
  bool mem_write = false;
  for (unsigned i = 0; i < zi.operand_count; ++i) {
    const ZydisDecodedOperand& o = ops[i];
    if (o.type == ZYDIS_OPERAND_TYPE_REGISTER) {
      const uint64_t b = reg_bit(o.reg.value);
      if (o.actions & ZYDIS_OPERAND_ACTION_MASK_READ) d.src_regs |= b;
      if (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) {
        d.dst_regs |= b;
        // Writing 8 or 16 bits of a GPR merges with the rest of it (SDM
        // Vol. 1 3.4.1.1): the old value is a source. 32-bit writes zero-extend.
        const ZydisRegisterClass c = ZydisRegisterGetClass(o.reg.value);
        if (c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16) d.src_regs |= b;
      }
    } else if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      const uint64_t regs = reg_bit(o.mem.base) | reg_bit(o.mem.index);
      if (o.mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
        d.src_regs |= regs;  // LEA: the address is the result
      } else {
        d.addr_regs |= regs;
        if (o.visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT && zi.mnemonic != ZYDIS_MNEMONIC_NOP)
          d.flags |= kMemOperand;
        if (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) mem_write = true;
      }
    }
  }
  if (zi.cpu_flags) {
    d.src_flags = flag_bits(zi.cpu_flags->tested);
    d.dst_flags = flag_bits(zi.cpu_flags->modified | zi.cpu_flags->set_0 | zi.cpu_flags->set_1 |
                            zi.cpu_flags->undefined);
  }
  if (serializing(zi, ops)) d.flags |= kSerializing;
  // LOCK-prefixed RMW and XCHG with memory (implicitly locked, SDM Vol. 3
  // 9.1.2.2), MFENCE and SFENCE order memory: they wait for the store buffer.
  const bool locked = (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0 ||
                      (zi.mnemonic == ZYDIS_MNEMONIC_XCHG && mem_write);
  if (locked || zi.mnemonic == ZYDIS_MNEMONIC_MFENCE || zi.mnemonic == ZYDIS_MNEMONIC_SFENCE)
    d.flags |= kFence;
  d.branch = branch_kind(zi, ops);
  return d;
}

}  // namespace hvsim::timing
