// Processor extended state: LDMXCSR/STMXCSR, FXSAVE/FXRSTOR, XGETBV/XSETBV
// and XSAVE/XSAVEOPT/XSAVEC/XSAVES/XRSTOR/XRSTORS (SDM Vol. 1 10.5 and
// chapter 13, Vol. 2 per instruction). Supported components: x87 (bit 0),
// SSE (bit 1), AVX (bit 2) in the standard layout (legacy area 512 bytes,
// header 64, AVX upper halves at 576, 256 bytes); no supervisor component,
// so IA32_XSS accepts only 0.
#include <cstring>

#include "sim/core/simd/simd.h"
#include "sim/core/sys/register.h"
#include "sim/core/sys/xstate.h"

namespace hvsim::core::sys {

namespace {

constexpr unsigned kHeader = 512, kAvxOff = 576, kAreaSize = 832;

unsigned nxmm(const Engine& e) { return e.long64() ? 16 : 8; }

void check_mxcsr(uint32_t v) {
  if (v & ~kMxcsrMask) raise(kGP, 0);
}

// ---- LDMXCSR / STMXCSR (SDM Vol. 2A LDMXCSR, Vol. 2B STMXCSR)

void gate(Engine& e, const DecodedInsn& d) {
  if (d.flags & kVexForm)
    simd::check_avx(e);
  else
    simd::check_sse(e);
}

void ldmxcsr(Engine& e, const DecodedInsn& d) {
  gate(e, d);
  const uint32_t v = e.read<uint32_t>(e.mem_linear(d, 4, false));
  check_mxcsr(v);
  e.s.vec.mxcsr = v;
}

void stmxcsr(Engine& e, const DecodedInsn& d) {
  gate(e, d);
  e.write<uint32_t>(e.mem_linear(d, 4, true), e.s.vec.mxcsr);
}

// ---- the legacy region (SDM Vol. 1 10.5.1 Table 10-2 / 10-3)

// x87 tag of a register's contents: 00 valid, 01 zero, 10 special (SDM Vol. 1 8.1.7).
unsigned tag_of(const Float80& r) {
  const unsigned exp = r.sign_exp & 0x7fff;
  if (exp == 0x7fff) return 2;
  if (exp == 0) return r.signif == 0 ? 1 : 2;
  return (r.signif >> 63) ? 0 : 2;  // unnormals are special
}

void put_legacy_x87(const Engine& e, uint8_t* a, bool rex_w) {
  const X87State& x = e.s.x87;
  std::memcpy(a + 0, &x.fcw, 2);
  std::memcpy(a + 2, &x.fsw, 2);
  uint8_t abridged = 0;
  for (unsigned i = 0; i < 8; ++i)
    if (((x.ftw >> (2 * i)) & 3) != 3) abridged |= static_cast<uint8_t>(1u << i);
  a[4] = abridged;
  a[5] = 0;
  std::memcpy(a + 6, &x.fop, 2);
  if (rex_w) {
    std::memcpy(a + 8, &x.fip, 8);
    std::memcpy(a + 16, &x.fdp, 8);
  } else {
    const uint32_t ip = static_cast<uint32_t>(x.fip), dp = static_cast<uint32_t>(x.fdp);
    std::memcpy(a + 8, &ip, 4);
    std::memcpy(a + 12, &x.fcs, 2);
    std::memset(a + 14, 0, 2);
    std::memcpy(a + 16, &dp, 4);
    std::memcpy(a + 20, &x.fds, 2);
    std::memset(a + 22, 0, 2);
  }
  for (unsigned i = 0; i < 8; ++i) {  // ST(i) order
    const Float80& r = x.r[(x.top() + i) & 7];
    uint8_t* p = a + 32 + 16 * i;
    std::memset(p, 0, 16);
    std::memcpy(p, &r.signif, 8);
    std::memcpy(p + 8, &r.sign_exp, 2);
  }
}

void get_legacy_x87(Engine& e, const uint8_t* a, bool rex_w) {
  X87State& x = e.s.x87;
  std::memcpy(&x.fcw, a + 0, 2);
  std::memcpy(&x.fsw, a + 2, 2);
  std::memcpy(&x.fop, a + 6, 2);
  x.fop &= 0x7ff;
  if (rex_w) {
    std::memcpy(&x.fip, a + 8, 8);
    std::memcpy(&x.fdp, a + 16, 8);
  } else {
    uint32_t ip, dp;
    std::memcpy(&ip, a + 8, 4);
    std::memcpy(&x.fcs, a + 12, 2);
    std::memcpy(&dp, a + 16, 4);
    std::memcpy(&x.fds, a + 20, 2);
    x.fip = ip;
    x.fdp = dp;
  }
  for (unsigned i = 0; i < 8; ++i) {
    Float80& r = x.r[(x.top() + i) & 7];
    std::memcpy(&r.signif, a + 32 + 16 * i, 8);
    std::memcpy(&r.sign_exp, a + 32 + 16 * i + 8, 2);
  }
  // The full tag word follows from the abridged one and the contents (FXRSTOR "Operation").
  uint16_t ftw = 0;
  for (unsigned i = 0; i < 8; ++i)
    ftw |= static_cast<uint16_t>(((a[4] >> i) & 1 ? tag_of(x.r[i]) : 3u) << (2 * i));
  x.ftw = ftw;
}

void put_xmm(const Engine& e, uint8_t* a) {
  for (unsigned i = 0; i < nxmm(e); ++i) std::memcpy(a + 160 + 16 * i, e.s.vec.ymm[i], 16);
}
void get_xmm(Engine& e, const uint8_t* a) {
  for (unsigned i = 0; i < nxmm(e); ++i) std::memcpy(e.s.vec.ymm[i], a + 160 + 16 * i, 16);
}
void put_mxcsr(const Engine& e, uint8_t* a) {
  std::memcpy(a + 24, &e.s.vec.mxcsr, 4);
  std::memcpy(a + 28, &kMxcsrMask, 4);
}
void put_avx(const Engine& e, uint8_t* a) {
  for (unsigned i = 0; i < nxmm(e); ++i) std::memcpy(a + 16 * i, &e.s.vec.ymm[i][2], 16);
}
void get_avx(Engine& e, const uint8_t* a) {
  for (unsigned i = 0; i < nxmm(e); ++i) std::memcpy(&e.s.vec.ymm[i][2], a + 16 * i, 16);
}

// Initial configurations (SDM Vol. 1 13.6).
void init_x87(Engine& e) {
  X87State& x = e.s.x87;
  x = X87State{};
  x.fcw = 0x037f;
  x.ftw = 0xffff;
}
void init_sse(Engine& e) {
  for (unsigned i = 0; i < nxmm(e); ++i) e.s.vec.ymm[i][0] = e.s.vec.ymm[i][1] = 0;
}
void init_avx(Engine& e) {
  for (unsigned i = 0; i < nxmm(e); ++i) e.s.vec.ymm[i][2] = e.s.vec.ymm[i][3] = 0;
}

uint64_t mem_la(Engine& e, const DecodedInsn& d, unsigned size, bool write, unsigned align) {
  const uint64_t la = e.mem_linear(d, size, write);
  if (la & (align - 1)) raise(kGP, 0);
  return la;
}

// ---- FXSAVE / FXRSTOR (SDM Vol. 2A): #UD if CR0.EM, #NM if CR0.TS, 16-byte aligned.

void fx_gate(const Engine& e) {
  if (e.s.cr0 & CR0_EM) raise(kUD);
  if (e.s.cr0 & CR0_TS) raise(kNM);
}

template <bool kRexW>
void fxsave(Engine& e, const DecodedInsn& d) {
  fx_gate(e);
  const uint64_t la = mem_la(e, d, 512, true, 16);
  uint8_t a[512];
  e.access_slow(la, a, 512, mmu::Access::kRead, e.cpl3());  // bytes 464-511 are left as they were
  put_legacy_x87(e, a, kRexW);
  put_mxcsr(e, a);
  put_xmm(e, a);
  e.access_slow(la, a, 512, mmu::Access::kWrite, e.cpl3());
}

template <bool kRexW>
void fxrstor(Engine& e, const DecodedInsn& d) {
  fx_gate(e);
  const uint64_t la = mem_la(e, d, 512, false, 16);
  uint8_t a[512];
  e.access_slow(la, a, 512, mmu::Access::kRead, e.cpl3());
  uint32_t mx;
  std::memcpy(&mx, a + 24, 4);
  check_mxcsr(mx);
  get_legacy_x87(e, a, kRexW);
  e.s.vec.mxcsr = mx;
  get_xmm(e, a);
}

}  // namespace

// XINUSE (SDM Vol. 1 13.6): a component not in its initial configuration.
uint64_t xinuse(const Engine& e) {
  uint64_t r = 0;
  const X87State& x = e.s.x87;
  bool x87 = x.fcw != 0x037f || x.fsw != 0 || x.ftw != 0xffff || x.fop || x.fip || x.fdp;
  for (const Float80& f : x.r) x87 |= f.signif || f.sign_exp;
  if (x87) r |= 1;
  bool sse = e.s.vec.mxcsr != 0x1f80, avx = false;
  for (unsigned i = 0; i < 16; ++i) {
    sse |= e.s.vec.ymm[i][0] || e.s.vec.ymm[i][1];
    avx |= e.s.vec.ymm[i][2] || e.s.vec.ymm[i][3];
  }
  if (sse) r |= 2;
  if (avx) r |= 4;
  return r;
}

uint32_t xsave_size(uint64_t mask) { return (mask & 4) ? kAreaSize : kAvxOff; }

namespace {

void xsave_gate(const Engine& e) {
  if (!(e.s.cr4 & CR4_OSXSAVE)) raise(kUD);
  if (e.s.cr0 & CR0_TS) raise(kNM);
}

uint64_t edx_eax(const Engine& e) {
  return (e.s.gpr[RDX] << 32) | static_cast<uint32_t>(e.s.gpr[RAX]);
}

enum class Save { kStd, kOpt, kCompact, kSupervisor };

// XSAVE, XSAVEOPT (skips components in their initial configuration, which
// the SDM allows), XSAVEC and XSAVES (compacted: header XCOMP_BV = RFBM | bit 63).
template <Save kKind, bool kRexW>
void xsave(Engine& e, const DecodedInsn& d) {
  xsave_gate(e);
  if (kKind == Save::kSupervisor && e.s.cpl != 0) raise(kGP, 0);
  const uint64_t enabled = kKind == Save::kSupervisor ? (e.s.xcr0 | e.s.xss) : e.s.xcr0;
  const uint64_t rfbm = enabled & edx_eax(e);
  const uint64_t inuse = xinuse(e);
  const unsigned size = xsave_size(rfbm);
  const uint64_t la = mem_la(e, d, size, true, 64);
  uint8_t a[kAreaSize];
  e.access_slow(la, a, size, mmu::Access::kRead, e.cpl3());  // keep the bytes not written
  uint64_t bv;
  std::memcpy(&bv, a + kHeader, 8);
  const bool compact = kKind == Save::kCompact || kKind == Save::kSupervisor;
  const uint64_t save = (kKind == Save::kStd) ? rfbm : (rfbm & inuse);
  if (save & 1) put_legacy_x87(e, a, kRexW);
  if (rfbm & 6) put_mxcsr(e, a);
  if (save & 2) put_xmm(e, a);
  if (save & 4) put_avx(e, a + kAvxOff);
  if (compact) {
    std::memset(a + kHeader, 0, 64);
    bv = rfbm & inuse;
    const uint64_t comp = rfbm | (1ull << 63);
    std::memcpy(a + kHeader + 8, &comp, 8);
  } else {
    bv = (bv & ~rfbm) | (rfbm & inuse);
  }
  std::memcpy(a + kHeader, &bv, 8);
  e.access_slow(la, a, size, mmu::Access::kWrite, e.cpl3());
}

// XRSTOR and XRSTORS (SDM Vol. 1 13.8, Vol. 2D XRSTOR "Operation").
template <bool kSupervisor, bool kRexW>
void xrstor(Engine& e, const DecodedInsn& d) {
  xsave_gate(e);
  if (kSupervisor && e.s.cpl != 0) raise(kGP, 0);
  const uint64_t enabled = kSupervisor ? (e.s.xcr0 | e.s.xss) : e.s.xcr0;
  const uint64_t rfbm = enabled & edx_eax(e);
  const uint64_t la = mem_la(e, d, kAvxOff, false, 64);
  uint8_t hdr[64];
  e.access_slow(la + kHeader, hdr, 64, mmu::Access::kRead, e.cpl3());
  uint64_t bv, comp;
  std::memcpy(&bv, hdr, 8);
  std::memcpy(&comp, hdr + 8, 8);
  const bool compact = comp >> 63;
  if (kSupervisor && !compact) raise(kGP, 0);
  if (compact) {
    const uint64_t cmask = comp & ~(1ull << 63);
    if (cmask & ~enabled) raise(kGP, 0);
    if (bv & ~cmask) raise(kGP, 0);
  } else {
    if (comp) raise(kGP, 0);
    if (bv & ~e.s.xcr0) raise(kGP, 0);
  }
  for (unsigned i = 16; i < 64; ++i)
    if (hdr[i]) raise(kGP, 0);
  uint8_t a[kAreaSize];
  const unsigned size = xsave_size(compact ? (comp & rfbm) : rfbm);
  if (size > kAvxOff) e.mem_linear(d, size, false);  // segment limit of the whole area
  e.access_slow(la, a, size, mmu::Access::kRead, e.cpl3());
  uint32_t mx;
  std::memcpy(&mx, a + 24, 4);
  const bool load_mx = compact ? (rfbm & bv & 6) != 0 : (rfbm & 6) != 0;
  if (load_mx) check_mxcsr(mx);
  // Every check is done: load (XSTATE_BV[i] = 1) or initialize each requested component.
  if (rfbm & 1) {
    if (bv & 1)
      get_legacy_x87(e, a, kRexW);
    else
      init_x87(e);
  }
  if (rfbm & 2) {
    if (bv & 2)
      get_xmm(e, a);
    else
      init_sse(e);
  }
  if (rfbm & 4) {
    if (bv & 4)
      get_avx(e, a + kAvxOff);
    else
      init_avx(e);
  }
  if (load_mx)
    e.s.vec.mxcsr = mx;
  else if (compact && (rfbm & 2))
    e.s.vec.mxcsr = 0x1f80;
}

// XGETBV (SDM Vol. 2D): ECX = 0 reads XCR0, ECX = 1 reads XCR0 AND XINUSE.
void xgetbv(Engine& e, const DecodedInsn&) {
  if (!(e.s.cr4 & CR4_OSXSAVE)) raise(kUD);
  uint64_t v;
  switch (static_cast<uint32_t>(e.s.gpr[RCX])) {
    case 0: v = e.s.xcr0; break;
    case 1: v = e.s.xcr0 & xinuse(e); break;
    default: raise(kGP, 0);
  }
  e.set_gpr<uint32_t>(RAX, static_cast<uint32_t>(v));
  e.set_gpr<uint32_t>(RDX, static_cast<uint32_t>(v >> 32));
}

// XSETBV (SDM Vol. 2D): CPL 0; ECX = 0; bit 0 set; AVX needs SSE; only supported bits.
// In VMX non-root operation it always exits (SDM Vol. 3 26.1.2); under SVM
// when intercepted (APM Vol. 2 15.9): the hook runs after #UD and the CPL check.
void xsetbv(Engine& e, const DecodedInsn&) {
  if (!(e.s.cr4 & CR4_OSXSAVE)) raise(kUD);
  if (e.s.cpl != 0 || e.s.mode == Mode::kVm86) raise(kGP, 0);
  if (virt::GuestHooks* g = e.guest()) g->xsetbv();
  const uint64_t v = edx_eax(e);
  if (static_cast<uint32_t>(e.s.gpr[RCX]) != 0) raise(kGP, 0);
  if (!(v & 1) || (v & ~xcr0_supported(e)) || ((v & 4) && !(v & 2))) raise(kGP, 0);
  e.s.xcr0 = v;
  e.break_block();
}

void bind_state(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.nops < 1 || d.op[0].kind != OpKind::kMem) return;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_VEX) d.flags |= kVexForm;
  switch (zi.mnemonic) {
    case ZYDIS_MNEMONIC_LDMXCSR: case ZYDIS_MNEMONIC_VLDMXCSR: d.exec = &ldmxcsr; break;
    case ZYDIS_MNEMONIC_STMXCSR: case ZYDIS_MNEMONIC_VSTMXCSR: d.exec = &stmxcsr; break;
    case ZYDIS_MNEMONIC_FXSAVE: d.exec = &fxsave<false>; break;
    case ZYDIS_MNEMONIC_FXSAVE64: d.exec = &fxsave<true>; break;
    case ZYDIS_MNEMONIC_FXRSTOR: d.exec = &fxrstor<false>; break;
    case ZYDIS_MNEMONIC_FXRSTOR64: d.exec = &fxrstor<true>; break;
    case ZYDIS_MNEMONIC_XSAVE: d.exec = &xsave<Save::kStd, false>; break;
    case ZYDIS_MNEMONIC_XSAVE64: d.exec = &xsave<Save::kStd, true>; break;
    case ZYDIS_MNEMONIC_XSAVEOPT: d.exec = &xsave<Save::kOpt, false>; break;
    case ZYDIS_MNEMONIC_XSAVEOPT64: d.exec = &xsave<Save::kOpt, true>; break;
    case ZYDIS_MNEMONIC_XSAVEC: d.exec = &xsave<Save::kCompact, false>; break;
    case ZYDIS_MNEMONIC_XSAVEC64: d.exec = &xsave<Save::kCompact, true>; break;
    case ZYDIS_MNEMONIC_XSAVES: d.exec = &xsave<Save::kSupervisor, false>; break;
    case ZYDIS_MNEMONIC_XSAVES64: d.exec = &xsave<Save::kSupervisor, true>; break;
    case ZYDIS_MNEMONIC_XRSTOR: d.exec = &xrstor<false, false>; break;
    case ZYDIS_MNEMONIC_XRSTOR64: d.exec = &xrstor<false, true>; break;
    case ZYDIS_MNEMONIC_XRSTORS: d.exec = &xrstor<true, false>; break;
    case ZYDIS_MNEMONIC_XRSTORS64: d.exec = &xrstor<true, true>; break;
    default: break;
  }
}

}  // namespace

uint64_t xcr0_supported(const Engine& e) {
  const CpuidResult l1 = e.cpuid().query(1, 0);
  uint64_t m = 3;  // x87 and SSE
  if (l1.ecx & (1u << 28)) m |= 4;  // AVX
  return m;
}

void cpuid_state_fields(const Engine& e, uint32_t leaf, uint32_t subleaf, CpuidResult& r) {
  if (leaf == 1 && (r.ecx & (1u << 26)) && (e.s.cr4 & CR4_OSXSAVE)) r.ecx |= 1u << 27;
  if (leaf == 0xd && subleaf == 0 && r.eax) r.ebx = xsave_size(e.s.xcr0);
  if (leaf == 0xd && subleaf == 1 && r.eax) r.ebx = xsave_size(e.s.xcr0 | e.s.xss);
}

void register_xstate(BinderTable& t) {
  using timing::k_xsave;
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_LDMXCSR, ZYDIS_MNEMONIC_VLDMXCSR, ZYDIS_MNEMONIC_STMXCSR,
        ZYDIS_MNEMONIC_VSTMXCSR, ZYDIS_MNEMONIC_FXSAVE, ZYDIS_MNEMONIC_FXSAVE64,
        ZYDIS_MNEMONIC_FXRSTOR, ZYDIS_MNEMONIC_FXRSTOR64, ZYDIS_MNEMONIC_XSAVE,
        ZYDIS_MNEMONIC_XSAVE64, ZYDIS_MNEMONIC_XSAVEOPT, ZYDIS_MNEMONIC_XSAVEOPT64,
        ZYDIS_MNEMONIC_XSAVEC, ZYDIS_MNEMONIC_XSAVEC64, ZYDIS_MNEMONIC_XSAVES,
        ZYDIS_MNEMONIC_XSAVES64, ZYDIS_MNEMONIC_XRSTOR, ZYDIS_MNEMONIC_XRSTOR64,
        ZYDIS_MNEMONIC_XRSTORS, ZYDIS_MNEMONIC_XRSTORS64})
    t.add(m, &bind_state, k_xsave);
  t.add(ZYDIS_MNEMONIC_XGETBV, &bind_plain<&xgetbv>, k_xsave);
  t.add(ZYDIS_MNEMONIC_XSETBV, &bind_plain<&xsetbv>, k_xsave, true);
}

}  // namespace hvsim::core::sys
