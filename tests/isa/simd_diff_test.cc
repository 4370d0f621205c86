// Differential test of the SSE..AVX2/FMA/F16C/AES/PCLMUL forms against the
// host CPU. The opcode space (legacy 0F/0F38/0F3A with each mandatory
// prefix and REX.W, VEX 0F/0F38/0F3A with each pp, L and W) is enumerated
// with the Zydis decoder; every valid form of a vector extension (register
// and [RBX+disp8] memory variants) is run on random XMM/YMM registers mixed
// with special values (+-0, denormals, +-inf, QNaN/SNaN, extremes), random
// GPRs and data, under a random MXCSR (rounding mode, DAZ, FTZ, sticky
// flags; exceptions masked), natively and in hvsim (an Engine in 64-bit
// mode), comparing YMM0-15, the GPRs, RFLAGS' arithmetic flags, MXCSR and
// the data window.
//
// Environment: HVSIM_SIMD_SEED (printed on failure), HVSIM_SIMD_CASES
// (default 200000), HVSIM_SIMD_FILTER (only mnemonics containing it).
#include <Zydis/Zydis.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sim/core/simd/host_cpu.h"
#include "tests/unit/core/machine.h"

namespace hc = hvsim::core;
using hc::testing::Machine;

namespace {

constexpr uint64_t kData = 0x200000;  // same numeric address natively and in hvsim
constexpr uint64_t kDataSize = 0x2000;
constexpr uint64_t kBase = kData + 0x1000;  // RBX: [RBX + disp8] stays inside the window

struct alignas(32) Ctx {
  uint64_t ymm[16][4];  // +0
  uint64_t gpr[16];     // +512
  uint64_t rflags;      // +640
  uint32_t mxcsr;       // +648
  uint32_t host_mxcsr;  // +652
  uint64_t mm[8];       // +656
};

uint64_t env_u64(const char* n, uint64_t def) {
  const char* v = std::getenv(n);
  return v && *v ? std::strtoull(v, nullptr, 0) : def;
}

// ---------------------------------------------------------------- native

ZydisEncoderOperand R(ZydisRegister r) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_REGISTER;
  o.reg.value = r;
  return o;
}
ZydisEncoderOperand Mem(ZydisRegister b, int64_t disp, uint16_t size) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_MEMORY;
  o.mem.base = b;
  o.mem.displacement = disp;
  o.mem.size = size;
  return o;
}

// An unmasked SIMD exception on the host arrives as SIGFPE: skip the
// faulting instruction (the hardware left its destination alone and set the
// MXCSR flag, which the signal frame restores) and note it.
const uint8_t* g_native_insn = nullptr;
size_t g_native_len = 0;
bool g_native_faulted = false;

void on_native_fpe(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  if (reinterpret_cast<const uint8_t*>(uc->uc_mcontext.gregs[REG_RIP]) != g_native_insn) std::abort();
  uc->uc_mcontext.gregs[REG_RIP] += static_cast<greg_t>(g_native_len);
  g_native_faulted = true;
}

class Native {
 public:
  bool init() {
    void* d = mmap(reinterpret_cast<void*>(kData), kDataSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void* c = mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (d != reinterpret_cast<void*>(kData) || c == MAP_FAILED) return false;
    struct sigaction sa;  // installed before hvsim's, which hands foreign faults on
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = &on_native_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, nullptr);
    code_ = static_cast<uint8_t*>(c);
    return true;
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(kData); }

  // Loads everything from the Ctx (RBP holds it), runs the instruction, stores everything back.
  bool run(Ctx& c, const uint8_t* insn, size_t len) {
    n_ = 0;
    ok_ = true;
    const ZydisRegister saved[6] = {ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R12,
                                    ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15};
    for (ZydisRegister r : saved) ins(ZYDIS_MNEMONIC_PUSH, {R(r)});
    ins(ZYDIS_MNEMONIC_MOV, {R(ZYDIS_REGISTER_RBP), R(ZYDIS_REGISTER_RDI)});
    ins(ZYDIS_MNEMONIC_STMXCSR, {Mem(ZYDIS_REGISTER_RBP, 652, 4)});
    ins(ZYDIS_MNEMONIC_LDMXCSR, {Mem(ZYDIS_REGISTER_RBP, 648, 4)});
    for (unsigned i = 0; i < 16; ++i)
      ins(ZYDIS_MNEMONIC_VMOVDQU, {R(static_cast<ZydisRegister>(ZYDIS_REGISTER_YMM0 + i)),
                                   Mem(ZYDIS_REGISTER_RBP, 32 * i, 32)});
    for (unsigned i = 0; i < 8; ++i)
      ins(ZYDIS_MNEMONIC_MOVQ, {R(static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + i)),
                                Mem(ZYDIS_REGISTER_RBP, 656 + 8 * i, 8)});
    ins(ZYDIS_MNEMONIC_PUSH, {Mem(ZYDIS_REGISTER_RBP, 640, 8)});
    ins(ZYDIS_MNEMONIC_POPFQ, {});
    for (unsigned r = 0; r < 16; ++r)
      if (r != hc::RSP && r != hc::RBP)
        ins(ZYDIS_MNEMONIC_MOV, {R(static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + r)),
                                 Mem(ZYDIS_REGISTER_RBP, 512 + 8 * r, 8)});
    std::memcpy(code_ + n_, insn, len);
    g_native_insn = code_ + n_;
    g_native_len = len;
    n_ += len;
    ins(ZYDIS_MNEMONIC_PUSHFQ, {});
    ins(ZYDIS_MNEMONIC_POP, {Mem(ZYDIS_REGISTER_RBP, 640, 8)});
    for (unsigned r = 0; r < 16; ++r)
      if (r != hc::RSP && r != hc::RBP)
        ins(ZYDIS_MNEMONIC_MOV, {Mem(ZYDIS_REGISTER_RBP, 512 + 8 * r, 8),
                                 R(static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + r))});
    for (unsigned i = 0; i < 16; ++i)
      ins(ZYDIS_MNEMONIC_VMOVDQU, {Mem(ZYDIS_REGISTER_RBP, 32 * i, 32),
                                   R(static_cast<ZydisRegister>(ZYDIS_REGISTER_YMM0 + i))});
    for (unsigned i = 0; i < 8; ++i)
      ins(ZYDIS_MNEMONIC_MOVQ, {Mem(ZYDIS_REGISTER_RBP, 656 + 8 * i, 8),
                                R(static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + i))});
    ins(ZYDIS_MNEMONIC_EMMS, {});
    ins(ZYDIS_MNEMONIC_STMXCSR, {Mem(ZYDIS_REGISTER_RBP, 648, 4)});
    ins(ZYDIS_MNEMONIC_LDMXCSR, {Mem(ZYDIS_REGISTER_RBP, 652, 4)});
    ins(ZYDIS_MNEMONIC_VZEROUPPER, {});
    for (int i = 5; i >= 0; --i) ins(ZYDIS_MNEMONIC_POP, {R(saved[i])});
    ins(ZYDIS_MNEMONIC_RET, {});
    if (!ok_) return false;
    g_native_faulted = false;
    reinterpret_cast<void (*)(Ctx*)>(code_)(&c);
    return true;
  }

 private:
  void ins(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> ops) {
    ZydisEncoderRequest r;
    std::memset(&r, 0, sizeof r);
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.mnemonic = m;
    r.operand_count = static_cast<ZyanU8>(ops.size());
    unsigned i = 0;
    for (const auto& o : ops) r.operands[i++] = o;
    ZyanUSize len = 0x1000 - n_;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&r, code_ + n_, &len))) ok_ = false;
    else n_ += len;
  }
  uint8_t* code_ = nullptr;
  size_t n_ = 0;
  bool ok_ = true;
};

// ---------------------------------------------------------------- forms

bool vector_ext(ZydisISAExt x) {
  switch (x) {
    case ZYDIS_ISA_EXT_SSE: case ZYDIS_ISA_EXT_SSE2: case ZYDIS_ISA_EXT_SSE3:
    case ZYDIS_ISA_EXT_SSSE3: case ZYDIS_ISA_EXT_SSE4: case ZYDIS_ISA_EXT_AVX:
    case ZYDIS_ISA_EXT_AVX2: case ZYDIS_ISA_EXT_FMA: case ZYDIS_ISA_EXT_F16C:
    case ZYDIS_ISA_EXT_AES: case ZYDIS_ISA_EXT_AVXAES: case ZYDIS_ISA_EXT_PCLMULQDQ:
    case ZYDIS_ISA_EXT_MMX:  // MMX forms run by the vector family when no MMX family binds them
      return true;
    default:
      return false;
  }
}

// Forms the test leaves to other tests: state instructions, prefetches,
// MASKMOVDQU (stores to [RDI]), VZERO*, POPCNT; gathers (VSIB) and MMX
// register forms are not generated.
bool skipped(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_LDMXCSR: case ZYDIS_MNEMONIC_STMXCSR: case ZYDIS_MNEMONIC_VLDMXCSR:
    case ZYDIS_MNEMONIC_VSTMXCSR: case ZYDIS_MNEMONIC_FXSAVE: case ZYDIS_MNEMONIC_FXSAVE64:
    case ZYDIS_MNEMONIC_FXRSTOR: case ZYDIS_MNEMONIC_FXRSTOR64: case ZYDIS_MNEMONIC_PREFETCHNTA:
    case ZYDIS_MNEMONIC_PREFETCHT0: case ZYDIS_MNEMONIC_PREFETCHT1: case ZYDIS_MNEMONIC_PREFETCHT2:
    case ZYDIS_MNEMONIC_MASKMOVDQU: case ZYDIS_MNEMONIC_VMASKMOVDQU:  // store to [RDI]
    case ZYDIS_MNEMONIC_MASKMOVQ: case ZYDIS_MNEMONIC_EMMS:
    case ZYDIS_MNEMONIC_POPCNT: case ZYDIS_MNEMONIC_VZEROALL: case ZYDIS_MNEMONIC_VZEROUPPER:
      return true;
    default:
      return false;
  }
}

struct Form {
  std::vector<uint8_t> head;  // prefixes/escape/opcode up to (not including) ModRM
  bool vex = false;
  bool mem = false;
  unsigned imm = 0;           // immediate bytes
  ZydisMnemonic mnemonic;
};

bool decode(const uint8_t* b, size_t n, ZydisDecodedInstruction& zi, ZydisDecodedOperand* ops) {
  static ZydisDecoder dec = [] {
    ZydisDecoder d;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    return d;
  }();
  return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b, n, &zi, ops));
}

bool usable(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops) {
  if (!vector_ext(zi.meta.isa_ext) || skipped(zi.mnemonic)) return false;
  for (unsigned i = 0; i < zi.operand_count; ++i) {
    const ZydisDecodedOperand& o = ops[i];
    if (o.type == ZYDIS_OPERAND_TYPE_REGISTER) {
      const ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, o.reg.value);
      if (big == ZYDIS_REGISTER_RSP || big == ZYDIS_REGISTER_RBP || big == ZYDIS_REGISTER_RBX)
        return false;
    } else if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      if (i >= zi.operand_count_visible || o.mem.base != ZYDIS_REGISTER_RBX ||
          o.mem.index != ZYDIS_REGISTER_NONE)
        return false;
    }
  }
  return true;
}

std::vector<Form> enumerate_forms() {
  std::vector<Form> forms;
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  auto add = [&](std::vector<uint8_t> head, bool vex) {
    for (int mem = 0; mem < 2; ++mem) {
      std::vector<uint8_t> b = head;
      b.push_back(mem ? 0x43 : 0xc1);  // [rbx+disp8] or reg,reg (rax/ecx/xmm0/xmm1)
      if (mem) b.push_back(0x20);
      const size_t base_len = b.size();
      for (int i = 0; i < 4; ++i) b.push_back(0);
      if (!decode(b.data(), b.size(), zi, ops) || !usable(zi, ops)) continue;
      Form f;
      f.head = head;
      f.vex = vex;
      f.mem = mem;
      f.imm = zi.length - base_len;
      f.mnemonic = zi.mnemonic;
      forms.push_back(f);
    }
  };
  const uint8_t pfx[4] = {0, 0x66, 0xf2, 0xf3};
  for (int p = 0; p < 4; ++p)
    for (int w = 0; w < 2; ++w)
      for (int map = 0; map < 3; ++map)
        for (int op = 0; op < 256; ++op) {
          std::vector<uint8_t> h;
          if (pfx[p]) h.push_back(pfx[p]);
          if (w) h.push_back(0x48);
          h.push_back(0x0f);
          if (map == 1) h.push_back(0x38);
          if (map == 2) h.push_back(0x3a);
          h.push_back(static_cast<uint8_t>(op));
          add(h, false);
        }
  for (int mm = 1; mm <= 3; ++mm)
    for (int pp = 0; pp < 4; ++pp)
      for (int l = 0; l < 2; ++l)
        for (int w = 0; w < 2; ++w)
          for (int op = 0; op < 256; ++op)
            add({0xc4, static_cast<uint8_t>(0xe0 | mm),
                 static_cast<uint8_t>(w << 7 | 0xf << 3 | l << 2 | pp), static_cast<uint8_t>(op)},
                true);
  return forms;
}

// ---------------------------------------------------------------- values

uint64_t special64(std::mt19937_64& g) {
  static const uint64_t d[] = {0, 0x8000000000000000, 1, 0x800fffffffffffff, 0x7ff0000000000000,
                               0xfff0000000000000, 0x7ff8000000000000, 0x7ff4000000000001,
                               0xfff8000000000000, 0x7fefffffffffffff, 0x0010000000000000,
                               0x3ff0000000000000, 0xbff0000000000000, 0x43e0000000000000,
                               0xc3e0000000000000, 0x41e0000000000000};
  static const uint32_t f[] = {0, 0x80000000, 1, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000,
                               0x7fa00001, 0xffc00000, 0x7f7fffff, 0x00800000, 0x3f800000,
                               0xbf800000, 0x4f000000, 0xcf000000, 0x477fe000};
  switch (g() % 4) {
    case 0: return d[g() % 16];
    case 1: return f[g() % 16] | static_cast<uint64_t>(f[g() % 16]) << 32;
    case 2: {  // random finite doubles / floats near 1
      uint64_t v = g();
      return (v & 0x800fffffffffffffull) | (static_cast<uint64_t>(0x3f0 + g() % 32) << 52);
    }
    default: return g();
  }
}

std::string hex(const uint8_t* b, size_t n) {
  std::string s;
  char t[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(t, sizeof t, "%02x", b[i]);
    s += t;
  }
  return s;
}

TEST(SimdDiff, RandomFormsMatchHost) {
  const auto& hcpu = hc::simd::host_cpu();
  if (!(hcpu.avx2 && hcpu.fma && hcpu.f16c && hcpu.aes && hcpu.pclmul))
    GTEST_SKIP() << "host lacks AVX2/FMA/F16C/AES/PCLMUL";
  static Native native;
  static bool inited = native.init();
  ASSERT_TRUE(inited) << "cannot map the fixed native data page at 0x200000";
  const char* filter = std::getenv("HVSIM_SIMD_FILTER");
  std::vector<Form> forms;
  for (const Form& f : enumerate_forms())
    if (!filter || std::strstr(ZydisMnemonicGetString(f.mnemonic), filter)) forms.push_back(f);
  std::set<ZydisMnemonic> mnemonics;
  for (const Form& f : forms) mnemonics.insert(f.mnemonic);
  std::printf("simd diff: %zu forms, %zu mnemonics\n", forms.size(), mnemonics.size());
  ASSERT_GT(forms.size(), filter ? 0u : 1000u);
  const uint64_t seed = env_u64("HVSIM_SIMD_SEED", 20261206);
  const uint64_t cases = env_u64("HVSIM_SIMD_CASES", 200000);
  std::mt19937_64 g(seed);

  Machine m;
  m.enter_long64();
  m.s().cr4 |= hc::CR4_OSFXSR | hc::CR4_OSXMMEXCPT | hc::CR4_OSXSAVE;
  m.s().xcr0 = 7;
  hc::Engine& e = *m.e;

  uint64_t ran = 0, mismatches = 0, faults = 0;
  std::map<ZydisMnemonic, uint64_t> per;
  for (uint64_t n = 0; ran < cases && n < 4 * cases && mismatches < 10; ++n) {
    const Form& f = forms[g() % forms.size()];
    // Random register fields: REX.R/B (or VEX.R/B), ModRM.reg/rm, VEX.vvvv.
    std::vector<uint8_t> b;
    uint8_t modrm = f.mem ? static_cast<uint8_t>(0x43 | (g() % 8) << 3)
                          : static_cast<uint8_t>(0xc0 | (g() % 64));
    if (f.vex) {
      b = f.head;
      b[1] = static_cast<uint8_t>((b[1] & 0x1f) | 0x40 | (g() % 2) << 7 | (f.mem ? 0x20 : (g() % 2) << 5));
      b[2] = static_cast<uint8_t>((b[2] & 0x87) | (g() % 16) << 3);
    } else {
      size_t i = 0;
      if (f.head[0] == 0x66 || f.head[0] == 0xf2 || f.head[0] == 0xf3) b.push_back(f.head[i++]);
      uint8_t rex = 0x40;
      if (i < f.head.size() && f.head[i] == 0x48) {
        rex |= 8;
        ++i;
      }
      rex |= static_cast<uint8_t>((g() % 2) << 2 | (f.mem ? 0 : (g() % 2)));
      if (rex != 0x40 || g() % 2) b.push_back(rex);
      b.insert(b.end(), f.head.begin() + static_cast<long>(i), f.head.end());
    }
    b.push_back(modrm);
    int8_t disp = 0;
    if (f.mem) {
      disp = static_cast<int8_t>(32 * (static_cast<int>(g() % 8) - 4));
      b.push_back(static_cast<uint8_t>(disp));
    }
    for (unsigned i = 0; i < f.imm; ++i) b.push_back(static_cast<uint8_t>(g()));
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!decode(b.data(), b.size(), zi, ops) || zi.length != b.size() || !usable(zi, ops)) continue;

    Ctx c;
    for (auto& r : c.ymm)
      for (auto& l : r) l = special64(g);
    for (unsigned r = 0; r < 16; ++r) c.gpr[r] = g() % 4 == 0 ? special64(g) : g();
    for (auto& x : c.mm) x = g();
    c.gpr[hc::RBX] = kBase;
    c.gpr[hc::RSP] = 0;
    c.gpr[hc::RBP] = 0;
    c.rflags = 0x202 | (g() & hc::kArithFlags);
    // Random rounding mode, DAZ, FTZ and sticky flags; in one case out of
    // four some exceptions unmasked (then #XM must match the host's fault).
    c.mxcsr = 0x1f80 | static_cast<uint32_t>(g() & (0x6000 | 0x8000 | 0x40 | 0x3f));
    if (g() % 4 == 0) c.mxcsr &= ~(static_cast<uint32_t>(g() & 0x3f) << 7);
    std::vector<uint8_t> data(kDataSize);
    for (auto& x : data) x = static_cast<uint8_t>(g());
    for (size_t k = 0; k + 8 <= 512; k += 8) {  // special values around RBX
      uint64_t v = special64(g);
      std::memcpy(&data[0x1000 - 256 + k], &v, 8);
    }

    // hvsim
    Ctx s = c;
    std::memcpy(m.bus.ram.data() + kData, data.data(), kDataSize);
    e.phys_write(hc::testing::kCode, b.data(), static_cast<unsigned>(b.size()));
    e.s.rip = hc::testing::kCode;
    e.s.rflags = s.rflags;
    for (unsigned r = 0; r < 16; ++r) e.s.gpr[r] = s.gpr[r];
    e.s.gpr[hc::RSP] = hc::testing::kStack0;
    e.s.gpr[hc::RBP] = 0;
    std::memcpy(e.s.vec.ymm, s.ymm, sizeof s.ymm);
    e.s.x87 = hc::X87State{};
    for (unsigned i = 0; i < 8; ++i) e.s.x87.r[i].signif = s.mm[i];
    e.s.vec.mxcsr = s.mxcsr;
    m.run(1);
    // native
    std::memcpy(native.data(), data.data(), kDataSize);
    ASSERT_TRUE(native.run(c, b.data(), b.size()));
    ++ran;
    ++per[f.mnemonic];

    std::string diff;
    // Delivered to the #XM handler stub (mov r14d, 19; hlt), which may have run.
    const bool sim_xm = e.s.rip >= Machine::stub(hc::kXM) && e.s.rip < Machine::stub(hc::kXM) + 16;
    if (g_native_faulted) {
      ++faults;
      if (!sim_xm) diff += " host faulted (#XM), hvsim did not";
      // The faulting instruction changed nothing but MXCSR's flags (RFLAGS
      // in hvsim is the handler's, which the delivery left as it was).
      if (sim_xm) e.s.gpr[hc::R14] = c.gpr[hc::R14];
    } else if (e.s.rip != hc::testing::kCode + b.size()) {
      diff += " rip/exception";
    }
    if (std::memcmp(e.s.vec.ymm, c.ymm, sizeof c.ymm)) {
      for (unsigned r = 0; r < 16; ++r)
        if (std::memcmp(e.s.vec.ymm[r], c.ymm[r], 32))
          diff += " ymm" + std::to_string(r) + " sim=" + hex(reinterpret_cast<uint8_t*>(e.s.vec.ymm[r]), 32) +
                  " host=" + hex(reinterpret_cast<uint8_t*>(c.ymm[r]), 32);
    }
    for (unsigned r = 0; r < 16; ++r)
      if (r != hc::RSP && r != hc::RBP && e.s.gpr[r] != c.gpr[r]) diff += " gpr" + std::to_string(r);
    if ((e.s.rflags ^ c.rflags) & hc::kArithFlags) diff += " rflags";
    for (unsigned i = 0; i < 8; ++i)
      if (e.s.x87.r[i].signif != c.mm[i]) diff += " mm" + std::to_string(i);
    // After an MMX instruction TOP is 0 and no register is empty (SDM Vol. 1 9.5.1).
    bool any_empty = false;
    for (unsigned i = 0; i < 8; ++i) any_empty |= ((e.s.x87.ftw >> (2 * i)) & 3) == 3;
    if (zi.meta.isa_ext == ZYDIS_ISA_EXT_MMX && !g_native_faulted && (any_empty || e.s.x87.top() != 0))
      diff += " no x87->MMX transition";
    if (e.s.vec.mxcsr != c.mxcsr) diff += " mxcsr";
    if (std::memcmp(m.bus.ram.data() + kData, native.data(), kDataSize)) diff += " memory";
    if (!diff.empty()) {
      ++mismatches;
      ADD_FAILURE() << "seed " << seed << " case " << n << ": " << hex(b.data(), b.size()) << " ("
                    << ZydisMnemonicGetString(zi.mnemonic) << ") mxcsr=" << std::hex << s.mxcsr
                    << ":" << diff;
    }
  }
  std::printf("simd diff: %" PRIu64 " cases (%" PRIu64 " raising #XM on both), %zu mnemonics "
              "exercised, %" PRIu64 " mismatches (seed %" PRIu64 ")\n",
              ran, faults, per.size(), mismatches, seed);
  EXPECT_EQ(ran, cases);
}

}  // namespace
