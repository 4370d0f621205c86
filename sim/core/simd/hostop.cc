// Building and running the host stubs of simd.h.
#include <Zydis/Encoder.h>
#include <signal.h>
#include <ucontext.h>

#include <cstring>
#include <initializer_list>
#include <mutex>

#include "sim/core/hostexec/host_code.h"
#include "sim/core/simd/simd.h"

namespace hvsim::core::simd {

namespace {

// ---------------------------------------------------------------- assembler

struct Asm {
  uint8_t buf[1024];
  size_t n = 0;
  bool ok = true;
  void ins(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> ops) {
    ZydisEncoderRequest r;
    std::memset(&r, 0, sizeof r);
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.mnemonic = m;
    r.operand_count = static_cast<ZyanU8>(ops.size());
    unsigned i = 0;
    for (const ZydisEncoderOperand& o : ops) r.operands[i++] = o;
    emit(r);
  }
  void emit(const ZydisEncoderRequest& r) {
    ZyanUSize len = sizeof buf - n;
    if (!ok || !ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&r, buf + n, &len))) {
      ok = false;
      return;
    }
    n += len;
  }
};

ZydisEncoderOperand reg(ZydisRegister r) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_REGISTER;
  o.reg.value = r;
  return o;
}
ZydisEncoderOperand mem(ZydisRegister base, int64_t disp, uint16_t size) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_MEMORY;
  o.mem.base = base;
  o.mem.index = ZYDIS_REGISTER_NONE;
  o.mem.displacement = disp;
  o.mem.size = size;
  return o;
}

constexpr int kScrGpr = offsetof(Scratch, gpr);
constexpr int kScrRax = offsetof(Scratch, rax);
constexpr int kScrRcx = offsetof(Scratch, rcx);
constexpr int kScrRdx = offsetof(Scratch, rdx);
constexpr int kScrFlags = offsetof(Scratch, rflags);
constexpr int kScrMxcsr = offsetof(Scratch, mxcsr);
constexpr int kScrHostMxcsr = offsetof(Scratch, host_mxcsr);
constexpr int kScrMm = offsetof(Scratch, mm);

bool is_rcx_rax_rdx(ZydisRegister r) {
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR16:
    case ZYDIS_REGCLASS_GPR32:
    case ZYDIS_REGCLASS_GPR64: {
      unsigned id = ZydisRegisterGetId(r);
      return id <= 2;
    }
    default:
      return false;
  }
}

bool requires_vex_alignment(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_VMOVAPS:
    case ZYDIS_MNEMONIC_VMOVAPD:
    case ZYDIS_MNEMONIC_VMOVDQA:
    case ZYDIS_MNEMONIC_VMOVNTPS:
    case ZYDIS_MNEMONIC_VMOVNTPD:
    case ZYDIS_MNEMONIC_VMOVNTDQ:
    case ZYDIS_MNEMONIC_VMOVNTDQA:
      return true;
    default:
      return false;
  }
}

// Legacy SSE 128-bit memory operands must be 16-byte aligned except for
// these (SDM Vol. 1 11.6.8 / 12.10.3, Vol. 2 per instruction).
bool legacy_unaligned_ok(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_MOVDQU:
    case ZYDIS_MNEMONIC_LDDQU:
    case ZYDIS_MNEMONIC_PCMPESTRI:
    case ZYDIS_MNEMONIC_PCMPESTRM:
    case ZYDIS_MNEMONIC_PCMPISTRI:
    case ZYDIS_MNEMONIC_PCMPISTRM:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- SIGFPE

thread_local const uint8_t* t_fault_rip = nullptr;
thread_local uint8_t t_fault_len = 0;
thread_local bool t_faulted = false;
struct sigaction g_old_fpe;

void on_sigfpe(int sig, siginfo_t* si, void* ctx) {
  ucontext_t* uc = static_cast<ucontext_t*>(ctx);
  auto rip = reinterpret_cast<const uint8_t*>(uc->uc_mcontext.gregs[REG_RIP]);
  if (t_fault_rip && rip == t_fault_rip) {
    // The host raised #XM for the guest's unmasked exception: skip the
    // instruction (its destination is unchanged; MXCSR keeps the flags the
    // hardware set, restored from the signal frame).
    uc->uc_mcontext.gregs[REG_RIP] += t_fault_len;
    t_faulted = true;
    return;
  }
  // Not ours: hand it to the previous handler, or let the default action
  // happen when the instruction faults again.
  if ((g_old_fpe.sa_flags & SA_SIGINFO) && g_old_fpe.sa_sigaction) {
    g_old_fpe.sa_sigaction(sig, si, ctx);
    return;
  }
  if (g_old_fpe.sa_handler != SIG_DFL && g_old_fpe.sa_handler != SIG_IGN &&
      g_old_fpe.sa_handler != nullptr) {
    g_old_fpe.sa_handler(sig);
    return;
  }
  signal(SIGFPE, SIG_DFL);
}

void install_sigfpe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = &on_sigfpe;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &g_old_fpe);
  });
}

// ---------------------------------------------------------------- running

void exec_host(Engine& e, const DecodedInsn& d) {
  const auto* h = static_cast<const HostOpHeader*>(d.aux);
  if (h->gate == static_cast<uint8_t>(Gate::kSse))
    check_sse(e);
  else if (h->gate == static_cast<uint8_t>(Gate::kAvx))
    check_avx(e);
  else if (h->gate == static_cast<uint8_t>(Gate::kMmx))
    check_mmx(e, h->has_xmm);
  Scratch sc;
  uint64_t la = 0;
  if (h->mem_size) {
    la = e.mem_linear(d, h->mem_size, h->mem_write && !h->mem_read);
    if (la & (h->align - 1u)) raise(kGP, 0);
    if (h->mem_read)
      read_bytes(e, la, sc.mem, h->mem_size);
    else if (h->mem_write)
      e.probe_write(la, h->mem_size);
  }
  for (unsigned k = 0; k < h->ngpr; ++k) sc.gpr[k] = e.s.gpr[h->gpr_reg[k]];
  if (h->implicit_gpr) {
    sc.rax = e.s.gpr[RAX];
    sc.rcx = e.s.gpr[RCX];
    sc.rdx = e.s.gpr[RDX];
  }
  if (h->mmx_used)
    for (unsigned i = 0; i < 8; ++i) sc.mm[i] = e.s.x87.r[i].signif;
  using Stub = void (*)(uint64_t (*)[4], Scratch*);
  const uintptr_t code = reinterpret_cast<uintptr_t>(d.aux) + kCodeOffset;
  const uint32_t guest = e.s.vec.mxcsr;
  uint32_t host;
  __asm__ volatile("stmxcsr %0" : "=m"(host));
  if (HVSIM_LIKELY(((host ^ guest) & 0xffc0) == 0 && (host & ~guest & 0x3f) == 0)) {
    // Same control bits, host flags a subset of the guest's: run under the
    // host MXCSR; its flags afterwards are the guest's new ones.
    reinterpret_cast<Stub>(code)(e.s.vec.ymm, &sc);
    e.s.vec.mxcsr = guest | (sc.mxcsr & 0x3f);
  } else {
    sc.mxcsr = guest;
    sc.host_mxcsr = (host & 0xffc0) | (guest & 0x3f);  // keeps the fast case's condition
    const auto stub = reinterpret_cast<Stub>(code + h->slow_off);
    if ((guest & 0x1f80) != 0x1f80) {
      // Some exception is unmasked: the host may fault (see on_sigfpe).
      t_fault_rip = reinterpret_cast<const uint8_t*>(code + h->slow_off + h->insn_off);
      t_fault_len = h->insn_len;
      t_faulted = false;
      stub(e.s.vec.ymm, &sc);
      t_fault_rip = nullptr;
      if (t_faulted) {
        e.s.vec.mxcsr = sc.mxcsr;
        raise_simd_exception(e);
      }
    } else {
      stub(e.s.vec.ymm, &sc);
    }
    e.s.vec.mxcsr = sc.mxcsr;
  }
  for (unsigned k = 0; k < h->ngpr; ++k)
    if (h->gpr_write[k]) e.s.gpr[h->gpr_reg[k]] = sc.gpr[k];
  if (h->implicit_gpr) {
    e.s.gpr[RAX] = sc.rax;
    e.s.gpr[RCX] = sc.rcx;
    e.s.gpr[RDX] = sc.rdx;
  }
  if (h->mmx_used) {
    // SDM Vol. 1 9.5.1: every MMX instruction sets TOP to 0 and all tags
    // valid; a written MMi gets all ones in R_i's exponent and sign.
    X87State& x = e.s.x87;
    x.fsw = static_cast<uint16_t>(x.fsw & ~0x3800);
    x.ftw = 0;
    for (unsigned i = 0; i < 8; ++i)
      if (h->mmx_written & (1u << i)) {
        x.r[i].signif = sc.mm[i];
        x.r[i].sign_exp = 0xffff;
      }
  }
  if (h->flags_mask) e.s.rflags = (e.s.rflags & ~h->flags_mask) | (sc.rflags & h->flags_mask);
  if (h->mem_write) write_bytes(e, la, sc.mem, h->mem_size);
}

}  // namespace

// ---------------------------------------------------------------- checks

void check_sse(const Engine& e) {
  if ((e.s.cr0 & CR0_EM) || !(e.s.cr4 & CR4_OSFXSR)) raise(kUD);
  if (e.s.cr0 & CR0_TS) raise(kNM);
}

void check_avx(const Engine& e) {
  if (!(e.s.cr4 & CR4_OSXSAVE) || (e.s.xcr0 & 6) != 6) raise(kUD);
  if (e.s.mode == Mode::kReal || e.s.mode == Mode::kVm86) raise(kUD);
  if (e.s.cr0 & CR0_TS) raise(kNM);
}

void check_mmx(const Engine& e, bool has_xmm) {
  if ((e.s.cr0 & CR0_EM) || (has_xmm && !(e.s.cr4 & CR4_OSFXSR))) raise(kUD);
  if (e.s.cr0 & CR0_TS) raise(kNM);
  if (e.s.x87.fsw & 0x80) raise(kMF);  // a pending unmasked x87 exception (FSW.ES)
}

void raise_simd_exception(const Engine& e) {
  if (e.s.cr4 & CR4_OSXMMEXCPT) raise(kXM);
  raise(kUD);
}

void read_bytes(Engine& e, uint64_t la, void* buf, unsigned n) {
  switch (n) {
    case 1: { uint8_t v = e.read<uint8_t>(la); std::memcpy(buf, &v, 1); return; }
    case 2: { uint16_t v = e.read<uint16_t>(la); std::memcpy(buf, &v, 2); return; }
    case 4: { uint32_t v = e.read<uint32_t>(la); std::memcpy(buf, &v, 4); return; }
    case 8: { uint64_t v = e.read<uint64_t>(la); std::memcpy(buf, &v, 8); return; }
    default: e.access_slow(la, buf, n, mmu::Access::kRead, e.cpl3()); return;
  }
}

void write_bytes(Engine& e, uint64_t la, const void* buf, unsigned n) {
  switch (n) {
    case 1: { uint8_t v; std::memcpy(&v, buf, 1); e.write<uint8_t>(la, v); return; }
    case 2: { uint16_t v; std::memcpy(&v, buf, 2); e.write<uint16_t>(la, v); return; }
    case 4: { uint32_t v; std::memcpy(&v, buf, 4); e.write<uint32_t>(la, v); return; }
    case 8: { uint64_t v; std::memcpy(&v, buf, 8); e.write<uint64_t>(la, v); return; }
    default: e.access_slow(la, const_cast<void*>(buf), n, mmu::Access::kWrite, e.cpl3()); return;
  }
}

// ---------------------------------------------------------------- binding

bool bind_host(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d,
               Gate gate) {
  HostOpHeader h;
  std::memset(&h, 0, sizeof h);
  h.gate = static_cast<uint8_t>(gate);
  h.align = 1;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) return false;
  // The vector instructions that write EFLAGS (COMIS/UCOMIS, PTEST/VTEST,
  // PCMPxSTRx) define all six arithmetic flags; Zydis lists only some of
  // them for the VEX forms, so all six come from the host.
  if (zi.cpu_flags && (zi.cpu_flags->modified | zi.cpu_flags->set_0 | zi.cpu_flags->set_1 |
                       zi.cpu_flags->undefined))
    h.flags_mask = kArithFlags;
  bool used_xmm[16] = {};
  ZydisEncoderRequest req;
  if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
          &zi, ops, zi.operand_count_visible, &req)))
    return false;
  req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
  req.prefixes &= ~(ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_ADDRESSSIZE);
  req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
  for (unsigned i = 0; i < zi.operand_count; ++i) {
    const ZydisDecodedOperand& o = ops[i];
    const bool visible = i < zi.operand_count_visible;
    if (o.type == ZYDIS_OPERAND_TYPE_REGISTER) {
      const ZydisRegisterClass c = ZydisRegisterGetClass(o.reg.value);
      if (c == ZYDIS_REGCLASS_XMM || c == ZYDIS_REGCLASS_YMM) {
        used_xmm[ZydisRegisterGetId(o.reg.value)] = true;
        h.has_xmm = 1;
      } else if (c == ZYDIS_REGCLASS_MMX && gate == Gate::kMmx) {
        const unsigned id = ZydisRegisterGetId(o.reg.value);
        h.mmx_used |= static_cast<uint8_t>(1u << id);
        if (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
          h.mmx_written |= static_cast<uint8_t>(1u << id);
      } else if (c == ZYDIS_REGCLASS_GPR16 || c == ZYDIS_REGCLASS_GPR32 ||
                 c == ZYDIS_REGCLASS_GPR64) {
        if (!visible) {
          if (!is_rcx_rax_rdx(o.reg.value)) return false;
          h.implicit_gpr = 1;
          continue;
        }
        if (h.ngpr == 4) return false;
        const unsigned k = h.ngpr++;
        h.gpr_reg[k] = static_cast<uint8_t>(ZydisRegisterGetId(o.reg.value));
        h.gpr_write[k] = (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) ? 1 : 0;
        const ZydisRegister base = c == ZYDIS_REGCLASS_GPR16   ? ZYDIS_REGISTER_R8W
                                   : c == ZYDIS_REGCLASS_GPR32 ? ZYDIS_REGISTER_R8D
                                                               : ZYDIS_REGISTER_R8;
        req.operands[i].reg.value = static_cast<ZydisRegister>(base + k);
      } else if (c == ZYDIS_REGCLASS_FLAGS || c == ZYDIS_REGCLASS_IP ||
                 o.reg.value == ZYDIS_REGISTER_MXCSR) {
        if (visible) return false;
      } else {
        return false;  // MMX, x87, 8-bit GPRs, ... are not taken here
      }
    } else if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      if (!visible || o.mem.type != ZYDIS_MEMOP_TYPE_MEM) return false;
      if (ZydisRegisterGetClass(o.mem.index) == ZYDIS_REGCLASS_XMM ||
          ZydisRegisterGetClass(o.mem.index) == ZYDIS_REGCLASS_YMM)
        return false;  // VSIB (gathers) is not a plain memory operand
      if (o.size == 0 || o.size / 8 > sizeof(Scratch::mem)) return false;
      if (o.actions & (ZYDIS_OPERAND_ACTION_CONDREAD | ZYDIS_OPERAND_ACTION_CONDWRITE))
        return false;  // masked loads/stores fault per element
      h.mem_size = static_cast<uint8_t>(o.size / 8);
      h.mem_read = (o.actions & ZYDIS_OPERAND_ACTION_READ) ? 1 : 0;
      h.mem_write = (o.actions & ZYDIS_OPERAND_ACTION_WRITE) ? 1 : 0;
      ZydisEncoderOperand& eo = req.operands[i];
      eo.mem.base = ZYDIS_REGISTER_RSI;
      eo.mem.index = ZYDIS_REGISTER_NONE;
      eo.mem.scale = 0;
      eo.mem.displacement = 0;
      if (gate == Gate::kAvx && requires_vex_alignment(zi.mnemonic)) h.align = h.mem_size;
      if (gate == Gate::kSse && h.mem_size == 16 && !legacy_unaligned_ok(zi.mnemonic))
        h.align = 16;
    } else if (o.type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
      return false;
    }
  }

  // Two variants of the code: "fast" runs under the host's MXCSR (used when
  // its control bits equal the guest's and its flags are a subset of the
  // guest's, so the flags it reads back are exactly the guest's new ones);
  // "slow" loads the guest MXCSR and afterwards the value the engine asks
  // for. LDMXCSR is costly, and the fast case is the common one.
  const bool wide = gate == Gate::kAvx;
  const ZydisRegister vbase = wide ? ZYDIS_REGISTER_YMM0 : ZYDIS_REGISTER_XMM0;
  const uint16_t vsize = wide ? 32 : 16;
  Asm a;
  size_t insn_off = 0, insn_len = 0, slow_off = 0;
  for (int slow = 0; slow < 2; ++slow) {
    if (slow) slow_off = a.n;
    if (slow) a.ins(ZYDIS_MNEMONIC_LDMXCSR, {mem(ZYDIS_REGISTER_RSI, kScrMxcsr, 4)});
    // VEX forms move all 256 bits; legacy forms only the low 128 (VEX.128
    // loads, so the host's upper halves are clean and no SSE/AVX transition
    // penalty is paid) and the guest's bits 255:128 are never written.
    for (unsigned r = 0; r < 16; ++r)
      if (used_xmm[r])
        a.ins(ZYDIS_MNEMONIC_VMOVDQU, {reg(static_cast<ZydisRegister>(vbase + r)),
                                       mem(ZYDIS_REGISTER_RDI, 32 * r, vsize)});
    for (unsigned k = 0; k < h.ngpr; ++k)
      a.ins(ZYDIS_MNEMONIC_MOV, {reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_R8 + k)),
                                 mem(ZYDIS_REGISTER_RSI, kScrGpr + 8 * k, 8)});
    for (unsigned i = 0; i < 8; ++i)
      if (h.mmx_used & (1u << i))
        a.ins(ZYDIS_MNEMONIC_MOVQ, {reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + i)),
                                    mem(ZYDIS_REGISTER_RSI, kScrMm + 8 * i, 8)});
    if (h.implicit_gpr) {
      a.ins(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_RAX), mem(ZYDIS_REGISTER_RSI, kScrRax, 8)});
      a.ins(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_RCX), mem(ZYDIS_REGISTER_RSI, kScrRcx, 8)});
      a.ins(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_RDX), mem(ZYDIS_REGISTER_RSI, kScrRdx, 8)});
    }
    const size_t at = a.n;
    a.emit(req);
    if (slow) {
      insn_off = at - slow_off;
      insn_len = a.n - at;
    }
    a.ins(ZYDIS_MNEMONIC_PUSHFQ, {});
    a.ins(ZYDIS_MNEMONIC_POP, {mem(ZYDIS_REGISTER_RSI, kScrFlags, 8)});
    for (unsigned r = 0; r < 16; ++r)
      if (used_xmm[r])
        a.ins(ZYDIS_MNEMONIC_VMOVDQU, {mem(ZYDIS_REGISTER_RDI, 32 * r, vsize),
                                       reg(static_cast<ZydisRegister>(vbase + r))});
    for (unsigned k = 0; k < h.ngpr; ++k)
      a.ins(ZYDIS_MNEMONIC_MOV, {mem(ZYDIS_REGISTER_RSI, kScrGpr + 8 * k, 8),
                                 reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_R8 + k))});
    if (h.implicit_gpr) {
      a.ins(ZYDIS_MNEMONIC_MOV, {mem(ZYDIS_REGISTER_RSI, kScrRax, 8), reg(ZYDIS_REGISTER_RAX)});
      a.ins(ZYDIS_MNEMONIC_MOV, {mem(ZYDIS_REGISTER_RSI, kScrRcx, 8), reg(ZYDIS_REGISTER_RCX)});
      a.ins(ZYDIS_MNEMONIC_MOV, {mem(ZYDIS_REGISTER_RSI, kScrRdx, 8), reg(ZYDIS_REGISTER_RDX)});
    }
    for (unsigned i = 0; i < 8; ++i)
      if (h.mmx_written & (1u << i))
        a.ins(ZYDIS_MNEMONIC_MOVQ, {mem(ZYDIS_REGISTER_RSI, kScrMm + 8 * i, 8),
                                    reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + i))});
    if (h.mmx_used) a.ins(ZYDIS_MNEMONIC_EMMS, {});  // the host's x87 stack is empty again
    a.ins(ZYDIS_MNEMONIC_STMXCSR, {mem(ZYDIS_REGISTER_RSI, kScrMxcsr, 4)});
    if (slow) a.ins(ZYDIS_MNEMONIC_LDMXCSR, {mem(ZYDIS_REGISTER_RSI, kScrHostMxcsr, 4)});
    a.ins(ZYDIS_MNEMONIC_VZEROUPPER, {});
    a.ins(ZYDIS_MNEMONIC_RET, {});
  }
  if (!a.ok || insn_off > 255 || insn_len > 15 || slow_off > 0xffff) return false;
  h.insn_off = static_cast<uint8_t>(insn_off);
  h.insn_len = static_cast<uint8_t>(insn_len);
  h.slow_off = static_cast<uint16_t>(slow_off);
  h.is_store_only = h.mem_write && !h.mem_read;

  uint8_t bytes[kCodeOffset + sizeof a.buf];
  std::memset(bytes, 0, kCodeOffset);
  static_assert(sizeof(HostOpHeader) <= kCodeOffset);
  std::memcpy(bytes, &h, sizeof h);
  std::memcpy(bytes + kCodeOffset, a.buf, a.n);
  install_sigfpe();
  d.aux = hostexec::HostCode::instance().get(bytes, kCodeOffset + a.n);
  d.exec = &exec_host;
  return true;
}

}  // namespace hvsim::core::simd

#include <cpuid.h>

namespace hvsim::core::simd {

const HostCpu& host_cpu() {
  static const HostCpu h = [] {
    HostCpu c;
    unsigned a, b, cx, d;
    if (__get_cpuid_count(1, 0, &a, &b, &cx, &d)) {
      c.sse3 = cx & 1;
      c.pclmul = cx & (1u << 1);
      c.ssse3 = cx & (1u << 9);
      c.fma = cx & (1u << 12);
      c.sse41 = cx & (1u << 19);
      c.sse42 = cx & (1u << 20);
      c.aes = cx & (1u << 25);
      c.xsave = cx & (1u << 26);
      c.avx = cx & (1u << 28);
      c.f16c = cx & (1u << 29);
      if ((cx & (1u << 27)) && c.avx) {
        uint32_t lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        c.os_avx = (lo & 6) == 6;
      }
    }
    if (__get_cpuid_count(7, 0, &a, &b, &cx, &d)) c.avx2 = b & (1u << 5);
    // The stubs load and store YMM registers with VMOVDQU: without OS-enabled
    // AVX nothing vector runs on the host at all.
    if (!c.os_avx) c = HostCpu{};
    return c;
  }();
  return h;
}

bool host_has(ZydisISAExt x) {
  const HostCpu& h = host_cpu();
  switch (x) {
    case ZYDIS_ISA_EXT_SSE:
    case ZYDIS_ISA_EXT_SSE2: return h.os_avx;
    case ZYDIS_ISA_EXT_SSE3: return h.sse3;
    case ZYDIS_ISA_EXT_SSSE3: return h.ssse3;
    case ZYDIS_ISA_EXT_SSE4: return h.sse41 && h.sse42;
    case ZYDIS_ISA_EXT_AVX: return h.avx;
    case ZYDIS_ISA_EXT_AVX2:
    case ZYDIS_ISA_EXT_AVX2GATHER: return h.avx2;
    case ZYDIS_ISA_EXT_FMA: return h.fma;
    case ZYDIS_ISA_EXT_F16C: return h.f16c;
    case ZYDIS_ISA_EXT_AES: return h.aes;
    case ZYDIS_ISA_EXT_AVXAES: return h.aes && h.avx;
    case ZYDIS_ISA_EXT_PCLMULQDQ: return h.pclmul;
    default: return false;
  }
}

}  // namespace hvsim::core::simd
