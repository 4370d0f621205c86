#include "sim/core/decoder.h"

#include "sim/core/fault.h"
#include "sim/timing/decode_deps.h"
#include "sim/timing/simple_core.h"

namespace hvsim::core {

void exec_ud(Engine&, const DecodedInsn&) { raise(kUD); }

Decoder::Decoder(const timing::Latencies& lat) : lat_(lat) {
  static const ZydisMachineMode kModes[kNumDecodeModes] = {
      ZYDIS_MACHINE_MODE_REAL_16,      ZYDIS_MACHINE_MODE_LEGACY_16,
      ZYDIS_MACHINE_MODE_LEGACY_32,    ZYDIS_MACHINE_MODE_LONG_COMPAT_16,
      ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_MACHINE_MODE_LONG_64};
  static const ZydisStackWidth kStack[kNumDecodeModes] = {
      ZYDIS_STACK_WIDTH_16, ZYDIS_STACK_WIDTH_16, ZYDIS_STACK_WIDTH_32,
      ZYDIS_STACK_WIDTH_16, ZYDIS_STACK_WIDTH_32, ZYDIS_STACK_WIDTH_64};
  for (unsigned m = 0; m < kNumDecodeModes; ++m) ZydisDecoderInit(&zydis_[m], kModes[m], kStack[m]);
  isa::register_all_families(table_);
}

namespace {

// Converts a Zydis register operand; false for register classes the core
// does not implement (ZMM, opmask, bound, tables, ...).
bool convert_reg(ZydisRegister r, Operand& o) {
  o.kind = OpKind::kReg;
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8: {
      unsigned i = r - ZYDIS_REGISTER_AL;  // AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8B..R15B
      if (i >= 4 && i < 8) {
        o.reg = static_cast<uint8_t>(i - 4);
        o.high8 = true;
      } else {
        o.reg = static_cast<uint8_t>(i < 4 ? i : i - 4);
      }
      o.size = 1;
      return true;
    }
    case ZYDIS_REGCLASS_GPR16:
    case ZYDIS_REGCLASS_GPR32:
    case ZYDIS_REGCLASS_GPR64:
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    case ZYDIS_REGCLASS_SEGMENT:
      o.rclass = RegClass::kSeg;
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    case ZYDIS_REGCLASS_CONTROL:
      o.rclass = RegClass::kCr;
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    case ZYDIS_REGCLASS_DEBUG:
      o.rclass = RegClass::kDr;
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    case ZYDIS_REGCLASS_X87:
      o.rclass = RegClass::kSt;
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    case ZYDIS_REGCLASS_MMX:
      o.rclass = RegClass::kMmx;
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    case ZYDIS_REGCLASS_XMM:
    case ZYDIS_REGCLASS_YMM:
      o.rclass = RegClass::kXmm;
      o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
      return true;
    default:
      return false;
  }
}

uint8_t convert_base(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return MemOperand::kNoReg;
  if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP || r == ZYDIS_REGISTER_IP)
    return MemOperand::kRip;
  return static_cast<uint8_t>(ZydisRegisterGetId(r));
}

uint8_t scale_shift(uint8_t scale) {
  switch (scale) {
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    default: return 0;
  }
}

// Fills operands, sizes and prefixes; false if an operand is of a kind the
// core does not implement.
bool convert(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
  d.len = zi.length;
  d.opsize = static_cast<uint8_t>(zi.operand_width / 8);
  d.addrsize = static_cast<uint8_t>(zi.address_width / 8);
  d.mnemonic = static_cast<uint16_t>(zi.mnemonic);
  d.cond = zi.opcode & 0xf;  // Jcc/SETcc/CMOVcc carry the condition in the low nibble
  if (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) d.flags |= kLock;
  if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) d.flags |= kRep;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE) d.flags |= kRepne;
  unsigned n = zi.operand_count_visible < DecodedInsn::kMaxOps ? zi.operand_count_visible
                                                                : DecodedInsn::kMaxOps;
  d.nops = static_cast<uint8_t>(n);
  bool have_imm = false;
  for (unsigned i = 0; i < n; ++i) {
    const ZydisDecodedOperand& z = ops[i];
    Operand& o = d.op[i];
    o.size = static_cast<uint8_t>(z.size / 8);
    switch (z.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER:
        if (!convert_reg(z.reg.value, o)) return false;
        break;
      case ZYDIS_OPERAND_TYPE_MEMORY:
        o.kind = OpKind::kMem;
        d.mem.seg = z.mem.segment == ZYDIS_REGISTER_NONE
                        ? static_cast<uint8_t>(DS)
                        : static_cast<uint8_t>(ZydisRegisterGetId(z.mem.segment));
        d.mem.base = convert_base(z.mem.base);
        d.mem.index = convert_base(z.mem.index);
        d.mem.scale = scale_shift(z.mem.scale);
        d.mem.disp = z.mem.disp.has_displacement ? z.mem.disp.value : 0;
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o.kind = OpKind::kImm;
        if (!have_imm) {
          d.imm = z.imm.value.u;
          have_imm = true;
        } else {
          d.imm2 = z.imm.value.u;
        }
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:  // far ptr16:16/32: offset in imm, selector in imm2
        o.kind = OpKind::kImm;
        d.imm = z.ptr.offset;
        d.imm2 = z.ptr.segment;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool is_branch_category(ZydisInstructionCategory c) {
  switch (c) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
      return true;
    default:
      return false;
  }
}

}  // namespace

void Decoder::bind(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                   DecodedInsn& d) const {
  const isa::Binder& b = table_.get(zi.mnemonic);
  d.tclass = b.tclass;
  if (b.ends_block || is_branch_category(zi.meta.category)) d.flags |= kEndsBlock;
  d.deps = timing::decode_deps(zi, ops);
  if (b.bind && convert(zi, ops, d)) b.bind(zi, ops, d);
  if (!d.exec) {
    d.exec = &exec_ud;
    d.flags |= kEndsBlock;
  }
}

// The simple model adds timing.mem_operand_cycles for an explicit memory
// operand (not LEA's or a NOP's): kMemOperand, from the converted operands,
// so that extension-decoded instructions get it too.
void Decoder::charge(DecodedInsn& d) const {
  d.mem.classify(d.addrsize);
  d.deps.flags &= static_cast<uint8_t>(~timing::kMemOperand);
  for (unsigned i = 0; i < d.nops; ++i)
    if (d.op[i].kind == OpKind::kMem && d.mnemonic != ZYDIS_MNEMONIC_LEA &&
        d.mnemonic != ZYDIS_MNEMONIC_NOP) {
      d.deps.flags |= timing::kMemOperand;
      break;
    }
  d.plain_cost = timing::SimpleCore::class_cost(lat_, d.tclass, d.deps.flags);
}

DecodeStatus Decoder::decode(const uint8_t* bytes, size_t avail, DecodeMode mode,
                             DecodedInsn& d) const {
  d = DecodedInsn{};
  for (const hvsim::ext::Extension* e : exts_) {
    if (unsigned len = e->decode(bytes, avail, mode, d)) {
      d.len = static_cast<uint8_t>(len);
      charge(d);
      return DecodeStatus::kOk;
    }
    d = DecodedInsn{};
  }
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  ZyanStatus st = ZydisDecoderDecodeFull(&zydis_[mode], bytes, avail, &zi, ops);
  if (st == ZYDIS_STATUS_NO_MORE_DATA && avail < 15) return DecodeStatus::kNeedMoreBytes;
  if (!ZYAN_SUCCESS(st)) {
    // Undefined encoding: #UD. Its length is unknown; 1 is never used because
    // #UD rolls RIP back to the instruction.
    d.exec = &exec_ud;
    d.len = 1;
    d.flags = kEndsBlock;
    d.plain_cost = timing::SimpleCore::class_cost(lat_, d.tclass, d.deps.flags);
    return DecodeStatus::kOk;
  }
  bind(zi, ops, d);
  charge(d);
  return DecodeStatus::kOk;
}

}  // namespace hvsim::core
