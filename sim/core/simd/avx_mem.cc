// The vector forms whose memory accesses depend on data, computed here
// element by element so that only the selected elements are accessed and
// can fault: MASKMOVDQU/VMASKMOVDQU (SDM Vol. 2B), VMASKMOVPS/PD, VPMASKMOVD/Q
// (Vol. 2C) and the AVX2 gathers (Vol. 2C VGATHERDPS ..., VPGATHERDD ...).
#include <cstring>

#include "sim/core/simd/simd.h"

namespace hvsim::core::simd {

namespace {

uint8_t* bytes(Engine& e, unsigned reg) { return reinterpret_cast<uint8_t*>(e.s.vec.ymm[reg]); }

// MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose mask byte in xmm2 has bit 7
// set go to seg:[rDI]; every selected byte is checked before any is written.
void maskmovdqu(Engine& e, const DecodedInsn& d) {
  if (d.flags & kVexMaskMov)
    check_avx(e);
  else
    check_sse(e);
  const uint8_t* src = bytes(e, d.op[0].reg);
  const uint8_t* mask = bytes(e, d.op[1].reg);
  const uint64_t base = e.ea(d);
  for (unsigned i = 0; i < 16; ++i)
    if (mask[i] & 0x80)
      e.probe_write(e.linear(d.mem.seg, Engine::mask_addr(base + i, d.addrsize), 1, true), 1);
  for (unsigned i = 0; i < 16; ++i)
    if (mask[i] & 0x80)
      e.write<uint8_t>(e.linear(d.mem.seg, Engine::mask_addr(base + i, d.addrsize), 1, true),
                       src[i]);
}

// VMASKMOVPS/PD, VPMASKMOVD/Q: element size in d.imm2.
void maskmov_load(Engine& e, const DecodedInsn& d) {
  check_avx(e);
  const unsigned es = static_cast<unsigned>(d.imm2), n = d.op[0].size / es;
  const uint8_t* mask = bytes(e, d.op[1].reg);
  uint8_t out[32] = {};
  const uint64_t la = e.mem_linear(d, d.op[0].size, false);
  for (unsigned i = 0; i < n; ++i)
    if (mask[i * es + es - 1] & 0x80) read_bytes(e, la + i * es, out + i * es, es);
  std::memcpy(bytes(e, d.op[0].reg), out, 32);  // VEX.128 zeroes bits 255:128
}

void maskmov_store(Engine& e, const DecodedInsn& d) {
  check_avx(e);
  const unsigned es = static_cast<unsigned>(d.imm2), n = d.op[2].size / es;
  const uint8_t* mask = bytes(e, d.op[1].reg);
  uint8_t src[32];
  std::memcpy(src, bytes(e, d.op[2].reg), 32);
  const uint64_t la = e.mem_linear(d, d.op[2].size, true);
  for (unsigned i = 0; i < n; ++i)
    if (mask[i * es + es - 1] & 0x80) e.probe_write(la + i * es, es);
  for (unsigned i = 0; i < n; ++i)
    if (mask[i * es + es - 1] & 0x80) write_bytes(e, la + i * es, src + i * es, es);
}

// Gathers: element size in d.imm2 (4/8), index size in the high byte of
// d.imm2, index register bytes in d.imm. Elements are gathered in order;
// each completed one clears its mask element, so a fault leaves a
// restartable state (SDM Vol. 2C VGATHERDPS "Operation").
void gather(Engine& e, const DecodedInsn& d) {
  check_avx(e);
  const unsigned es = d.imm2 & 0xff, is = static_cast<unsigned>(d.imm2 >> 8);
  const unsigned dst = d.op[0].reg, msk = d.op[2].reg, idx = d.mem.index;
  if (dst == msk || dst == idx || msk == idx) raise(kUD);
  const unsigned n = std::min<unsigned>(d.op[0].size / es, static_cast<unsigned>(d.imm) / is);
  uint8_t* out = bytes(e, dst);
  uint8_t* mask = bytes(e, msk);
  const uint8_t* index = bytes(e, idx);
  uint64_t base = static_cast<uint64_t>(d.mem.disp);
  if (d.mem.base == MemOperand::kRip)
    base += e.s.rip;
  else if (d.mem.base != MemOperand::kNoReg)
    base += e.s.gpr[d.mem.base];
  for (unsigned i = 0; i < n; ++i) {
    if (!(mask[i * es + es - 1] & 0x80)) continue;
    int64_t ix;
    if (is == 4) {
      int32_t v;
      std::memcpy(&v, index + 4 * i, 4);
      ix = v;
    } else {
      std::memcpy(&ix, index + 8 * i, 8);
    }
    const uint64_t off = Engine::mask_addr(base + (static_cast<uint64_t>(ix) << d.mem.scale), d.addrsize);
    read_bytes(e, e.linear(d.mem.seg, off, es, false), out + i * es, es);
    std::memset(mask + i * es, 0, es);
  }
  // The whole mask is cleared; bits beyond the elements (and 255:128 for
  // VEX.128) are zeroed in the destination and the mask.
  const unsigned used = n * es;
  std::memset(out + used, 0, 32 - used);
  std::memset(mask, 0, 32);
}

void bind_maskmovdqu(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                     DecodedInsn& d) {
  if (d.nops != 2 || !host_has(zi.meta.isa_ext)) return;
  d.mem = MemOperand{};
  for (unsigned i = 0; i < zi.operand_count; ++i)
    if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
      d.mem.seg = static_cast<uint8_t>(ZydisRegisterGetId(ops[i].mem.segment));
  d.mem.base = RDI;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_VEX) d.flags |= kVexMaskMov;
  d.exec = &maskmovdqu;
}

void bind_maskmov(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.nops != 3 || !host_has(zi.meta.isa_ext)) return;
  const bool wide = zi.mnemonic == ZYDIS_MNEMONIC_VMASKMOVPD || zi.mnemonic == ZYDIS_MNEMONIC_VPMASKMOVQ;
  d.imm2 = wide ? 8 : 4;
  if (d.op[0].kind == OpKind::kMem)
    d.exec = &maskmov_store;
  else if (d.op[2].kind == OpKind::kMem)
    d.exec = &maskmov_load;
}

void bind_gather(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                 DecodedInsn& d) {
  if (d.nops != 3 || d.op[1].kind != OpKind::kMem || !host_has(zi.meta.isa_ext)) return;
  unsigned es = 4, is = 4;  // element and index sizes
  switch (zi.mnemonic) {
    case ZYDIS_MNEMONIC_VGATHERDPD: case ZYDIS_MNEMONIC_VPGATHERDQ: es = 8; break;
    case ZYDIS_MNEMONIC_VGATHERQPS: case ZYDIS_MNEMONIC_VPGATHERQD: is = 8; break;
    case ZYDIS_MNEMONIC_VGATHERQPD: case ZYDIS_MNEMONIC_VPGATHERQQ: es = is = 8; break;
    default: break;
  }
  d.imm2 = es | is << 8;
  d.imm = ZydisRegisterGetClass(ops[1].mem.index) == ZYDIS_REGCLASS_YMM ? 32 : 16;
  d.exec = &gather;
}

}  // namespace

void register_avx_mem(isa::BinderTable& t) {
  using timing::k_simd_move;
  t.add(ZYDIS_MNEMONIC_MASKMOVDQU, &bind_maskmovdqu, k_simd_move);
  t.add(ZYDIS_MNEMONIC_VMASKMOVDQU, &bind_maskmovdqu, k_simd_move);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_VMASKMOVPS, ZYDIS_MNEMONIC_VMASKMOVPD,
                          ZYDIS_MNEMONIC_VPMASKMOVD, ZYDIS_MNEMONIC_VPMASKMOVQ})
    t.add(m, &bind_maskmov, k_simd_move);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_VGATHERDPS, ZYDIS_MNEMONIC_VGATHERDPD,
                          ZYDIS_MNEMONIC_VGATHERQPS, ZYDIS_MNEMONIC_VGATHERQPD,
                          ZYDIS_MNEMONIC_VPGATHERDD, ZYDIS_MNEMONIC_VPGATHERDQ,
                          ZYDIS_MNEMONIC_VPGATHERQD, ZYDIS_MNEMONIC_VPGATHERQQ})
    t.add(m, &bind_gather, k_simd_move);
}

}  // namespace hvsim::core::simd
