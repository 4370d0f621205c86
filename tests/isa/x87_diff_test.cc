// Differential test of the x87 FPU and MMX families against the host CPU.
//
// The forms are enumerated from the encoding space, not listed by hand:
// every valid x87 encoding (D8-DF with every register ModRM and every memory
// /reg as [rsi+disp8]), FWAIT, and every 0F / 0F 38 / 0F 3A opcode whose
// operands are MMX registers (with GPRs, memory, imm8). Each case loads a
// random x87 state (FCW with all four rounding modes, the three precisions
// and random masks; random TOP, C0-C3, masked exception flags, empty and
// full registers; operands from special values: +-0, denormals,
// pseudo-denormals, unnormals, +-inf, QNaN/SNaN, pseudo-NaN, extremes,
// integers, BCD), random GPRs, flags and memory, runs the instruction
// natively (FRSTOR, instruction, FNSAVE at a fixed address) and in hvsim,
// and compares FCW, FSW, the full tag word, FIP, FOP, FDP, the eight
// registers, RFLAGS, the GPRs and memory. FCS/FDS are 0 on both sides (the
// host deprecates them, CPUID.7:EBX[13]; the simulated selectors are 0).
//
// Environment: HVSIM_X87_SEED, HVSIM_X87_CASES (default 240000),
// HVSIM_X87_FILTER (substring of the disassembly).
#include <Zydis/Zydis.h>
#include <gtest/gtest.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sim/base/params.h"
#include "sim/core/bus.h"
#include "sim/core/decoder.h"
#include "sim/core/engine.h"
#include "sim/core/fault.h"

namespace hc = hvsim::core;

namespace {

constexpr uint64_t kData = 0x200000;
constexpr uint64_t kDataSize = 0x10000;
constexpr uint64_t kBase = kData + 0x1000;  // RSI: memory operands are [rsi+disp8]
constexpr uint64_t kCode = 0x300000;
constexpr uint64_t kInsn = kCode + 0x100;
constexpr uint64_t kEpilogue = kCode + 0x200;
constexpr uint64_t kVarHostRsp = kCode + 0x800, kVarCtx = kCode + 0x808, kVarTmp = kCode + 0x810;
constexpr uint64_t kRamSize = 0x400000;

// The native context (RDI): FNSAVE image, RFLAGS, RAX..RDI.
struct Ctx {
  uint8_t img[112];
  uint64_t rflags;
  uint64_t gpr[8];
};
static_assert(offsetof(Ctx, rflags) == 112 && offsetof(Ctx, gpr) == 120);

uint64_t env_u64(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : def;
}

// ------------------------------------------------------------- native runner

sigjmp_buf g_fpe;

class Native {
 public:
  bool init() {
    void* d = mmap(reinterpret_cast<void*>(kData), kDataSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void* c = mmap(reinterpret_cast<void*>(kCode), 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (d != reinterpret_cast<void*>(kData) || c != reinterpret_cast<void*>(kCode)) return false;
    code_ = static_cast<uint8_t*>(c);
    build();
    return true;
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(kData); }
  // Like run(), but returns false if the instruction raised #MF (SIGFPE).
  bool run_or_trap(Ctx& c, const uint8_t* insn, size_t len) {
    static bool installed = [] {
      struct sigaction sa {};
      sa.sa_handler = [](int) { siglongjmp(g_fpe, 1); };
      sigemptyset(&sa.sa_mask);
      return sigaction(SIGFPE, &sa, nullptr) == 0;
    }();
    if (!installed) std::abort();
    if (sigsetjmp(g_fpe, 1)) return false;
    run(c, insn, len);
    return true;
  }
  void run(Ctx& c, const uint8_t* insn, size_t len) {
    uint8_t* p = code_ + (kInsn - kCode);
    std::memcpy(p, insn, len);
    p[len] = 0xe9;  // JMP rel32 to the epilogue
    const int32_t rel = static_cast<int32_t>(kEpilogue - (kInsn + len + 5));
    std::memcpy(p + len + 1, &rel, 4);
    reinterpret_cast<void (*)(Ctx*)>(kCode)(&c);
  }

 private:
  void build() {
    std::vector<uint8_t> b;
    auto d32 = [&](uint64_t v) {
      const uint32_t x = static_cast<uint32_t>(v);
      for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(x >> (8 * i)));
    };
    auto bytes = [&](std::initializer_list<uint8_t> l) { b.insert(b.end(), l); };
    const uint8_t gprs[7] = {0, 1, 2, 3, 5, 6, 7};  // RSP excluded, RDI last
    bytes({0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57});  // push rbx..r15
    bytes({0x48, 0x89, 0x24, 0x25});  // mov [kVarHostRsp], rsp
    d32(kVarHostRsp);
    bytes({0x48, 0x89, 0x3c, 0x25});  // mov [kVarCtx], rdi
    d32(kVarCtx);
    bytes({0xdd, 0x27});              // frstor [rdi]
    bytes({0xff, 0x77, 112, 0x9d});   // push qword [rdi+112]; popfq
    for (uint8_t r : gprs) {          // mov r, [rdi+120+8r]
      bytes({0x48, 0x8b, static_cast<uint8_t>(0x80 | r << 3 | 7)});
      d32(120 + 8 * r);
    }
    bytes({0xe9});
    d32(kInsn - (kCode + b.size() + 4));
    std::memcpy(code_, b.data(), b.size());
    b.clear();
    bytes({0x48, 0x89, 0x3c, 0x25});  // mov [kVarTmp], rdi
    d32(kVarTmp);
    bytes({0x48, 0x8b, 0x3c, 0x25});  // mov rdi, [kVarCtx]
    d32(kVarCtx);
    bytes({0x9c, 0x8f, 0x47, 112});   // pushfq; pop qword [rdi+112]
    bytes({0xdd, 0x37});              // fnsave [rdi]
    for (uint8_t r : gprs)
      if (r != 7) {
        bytes({0x48, 0x89, static_cast<uint8_t>(0x80 | r << 3 | 7)});
        d32(120 + 8 * r);
      }
    bytes({0x48, 0x8b, 0x04, 0x25});  // mov rax, [kVarTmp]
    d32(kVarTmp);
    bytes({0x48, 0x89, 0x87});  // mov [rdi+176], rax
    d32(120 + 56);
    bytes({0xfc});                        // cld
    bytes({0x48, 0x8b, 0x24, 0x25});      // mov rsp, [kVarHostRsp]
    d32(kVarHostRsp);
    bytes({0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3});
    std::memcpy(code_ + (kEpilogue - kCode), b.data(), b.size());
  }
  uint8_t* code_ = nullptr;
};

// ------------------------------------------------------------- simulated machine

class RamBus : public hc::Bus {
 public:
  RamBus() : ram_(kRamSize, 0) {}
  uint8_t* ram() { return ram_.data(); }
  bool mem_read(uint64_t pa, void* d, unsigned n) override {
    if (pa + n > kRamSize) return false;
    std::memcpy(d, ram_.data() + pa, n);
    return true;
  }
  bool mem_write(uint64_t pa, const void* d, unsigned n) override {
    if (pa + n > kRamSize) return false;
    std::memcpy(ram_.data() + pa, d, n);
    return true;
  }
  uint32_t io_in(uint16_t, unsigned) override { return ~0u; }
  void io_out(uint16_t, uint32_t, unsigned) override {}
  bool get_dmi(uint64_t pa, hc::DmiRegion& r) override {
    if (pa >= kRamSize) return false;
    r.start = 0;
    r.end = kRamSize - 1;
    r.host = ram_.data();
    return true;
  }

 private:
  std::vector<uint8_t> ram_;
};

struct Sim {
  hvsim::base::ParamRegistry reg;
  std::unique_ptr<hvsim::base::Config> cfg;
  RamBus bus;
  std::unique_ptr<hc::Engine> e;
  std::unique_ptr<hc::Decoder> dec;
  Sim() {
    hc::Engine::declare_params(reg);
    cfg = std::make_unique<hvsim::base::Config>(reg);
    e = std::make_unique<hc::Engine>(bus, *cfg);
    dec = std::make_unique<hc::Decoder>(e->lat());
    uint8_t* m = bus.ram();
    auto put = [&](uint64_t pa, uint64_t v) { std::memcpy(m + pa, &v, 8); };
    put(0x1000, 0x2000 | 3);
    put(0x2000, 0x3000 | 3);
    put(0x3000, 0x000000 | 0x83);
    put(0x3008, 0x200000 | 0x83);
    hc::ArchState& s = e->s;
    s.cr3 = 0x1000;
    s.cr4 |= hc::CR4_PAE | hc::CR4_OSFXSR;
    s.efer |= hc::EFER_LME | hc::EFER_LMA;
    s.cr0 = (s.cr0 | hc::CR0_PE | hc::CR0_PG | hc::CR0_NE | hc::CR0_MP) & ~hc::CR0_EM;
    for (unsigned i = 0; i < hc::kNumSegs; ++i) {
      s.seg[i] = hc::Segment{};
      s.seg[i].limit = 0xffffffff;
      s.seg[i].attr = i == hc::CS ? (0xb | 1u << 4 | 1u << 7 | 1u << 13)
                                  : (0x3 | 1u << 4 | 1u << 7 | 1u << 14);
      s.seg[i].selector = 0;  // FCS/FDS: the host stores 0 (deprecated)
    }
    e->set_cpl(0);
    e->update_mode();
    e->flush_tlb();
  }
};

// ------------------------------------------------------------- forms

struct Form {
  uint8_t bytes[8];
  uint8_t n = 0;         // bytes before disp8/imm8
  bool mem = false;      // ModRM is [rsi+disp8]
  bool modrm = false;    // MMX form with ModRM (last of the n bytes): reg/rm chosen per case
  int8_t fixed_reg = -1; // ModRM.reg is an opcode extension
  bool imm8 = false;
  bool gpr_rm = false, gpr_reg = false;  // a GPR in ModRM.rm / ModRM.reg
  bool implicit_rdi = false;  // MASKMOVQ: stores to [rdi]
  unsigned mem_size = 0;
  std::string name;
};

std::string disasm(const uint8_t* b, size_t n) {
  ZydisDisassembledInstruction di;
  if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, kInsn, b, n, &di)))
    return "<undecodable>";
  return di.text;
}

bool decode(const uint8_t* b, size_t n, ZydisDecodedInstruction* zi, ZydisDecodedOperand* ops) {
  ZydisDecoder d;
  ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, b, n, zi, ops));
}

std::vector<Form> build_forms() {
  std::vector<Form> forms;
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  for (unsigned op = 0xd8; op <= 0xdf; ++op)
    for (unsigned m = 0; m < 256; ++m) {
      const bool mem = (m >> 6) != 3;
      if (mem && ((m >> 6) != 1 || (m & 7) != 6)) continue;  // [rsi+disp8] only
      Form f;
      f.bytes[0] = static_cast<uint8_t>(op);
      f.bytes[1] = static_cast<uint8_t>(m);
      f.n = 2;
      f.mem = mem;
      uint8_t b[8] = {f.bytes[0], f.bytes[1], 0x10};
      if (!decode(b, mem ? 3 : 2, &zi, ops)) continue;
      for (unsigned i = 0; i < zi.operand_count_visible; ++i)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) f.mem_size = ops[i].size / 8;
      f.name = disasm(b, mem ? 3 : 2);
      forms.push_back(f);
      if (mem) {  // with an operand-size prefix: the 14/94-byte formats of FNSTENV & co.
        Form p = f;
        p.bytes[0] = 0x66;
        p.bytes[1] = static_cast<uint8_t>(op);
        p.bytes[2] = static_cast<uint8_t>(m);
        p.n = 3;
        const uint8_t pb[4] = {0x66, f.bytes[0], f.bytes[1], 0x10};
        if (!decode(pb, 4, &zi, ops)) continue;
        for (unsigned i = 0; i < zi.operand_count_visible; ++i)
          if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) p.mem_size = ops[i].size / 8;
        p.name = "o16 " + disasm(pb, 4);
        forms.push_back(p);
      }
    }
  Form wait;
  wait.bytes[0] = 0x9b;
  wait.n = 1;
  wait.name = "fwait";
  forms.push_back(wait);
  // MMX: 0F xx, 0F 38 xx, 0F 3A xx, with and without REX.W; ModRM.reg is
  // either an MMX/GPR register (random per case) or an opcode extension.
  for (unsigned map = 0; map < 3; ++map)
    for (unsigned rexw = 0; rexw < 2; ++rexw)
      for (unsigned op = 0; op < 256; ++op)
        for (unsigned mem = 0; mem < 2; ++mem) {
          if (map == 0 && (op == 0x0e || op == 0x0f || op == 0x38 || op == 0x3a)) continue;
          Form base;
          if (rexw) base.bytes[base.n++] = 0x48;
          base.bytes[base.n++] = 0x0f;
          if (map == 1) base.bytes[base.n++] = 0x38;
          if (map == 2) base.bytes[base.n++] = 0x3a;
          base.bytes[base.n++] = static_cast<uint8_t>(op);
          std::vector<Form> found;
          std::vector<ZydisMnemonic> mns;
          for (unsigned reg = 0; reg < 8; ++reg) {
            Form f = base;
            uint8_t b[16];
            std::memcpy(b, f.bytes, f.n);
            b[f.n] = static_cast<uint8_t>((mem ? 0x46 : 0xc1) | reg << 3);
            b[f.n + 1] = 0x10;
            b[f.n + 2] = 0x05;
            b[f.n + 3] = 0x90;
            if (!decode(b, f.n + 4, &zi, ops)) continue;
            // CVTPI2PS/CVTPS2PI/... convert between MMX and XMM under MXCSR:
            // the SSE family's (not bound here).
            if (std::strncmp(ZydisMnemonicGetString(zi.mnemonic), "cvt", 3) == 0) continue;
            const bool has_modrm = zi.attributes & ZYDIS_ATTRIB_HAS_MODRM;
            if (!has_modrm && (mem || reg)) continue;
            bool has_mmx = zi.mnemonic == ZYDIS_MNEMONIC_EMMS, other = false;
            for (unsigned i = 0; i < zi.operand_count_visible; ++i) {
              const ZydisDecodedOperand& o = ops[i];
              if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
                f.mem_size = o.size / 8;
              } else if (o.type == ZYDIS_OPERAND_TYPE_REGISTER) {
                const auto c = ZydisRegisterGetClass(o.reg.value);
                if (c == ZYDIS_REGCLASS_MMX) {
                  has_mmx = true;
                } else if (c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR64) {
                  if (o.encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM) f.gpr_rm = true;
                  else if (o.encoding == ZYDIS_OPERAND_ENCODING_MODRM_REG) f.gpr_reg = true;
                  else other = true;
                } else {
                  other = true;
                }
              } else if (o.type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
                other = true;
              }
            }
            if (!has_mmx || other) continue;
            if (rexw && !f.gpr_rm && !f.gpr_reg) continue;  // REX.W only matters with a GPR
            if (has_modrm && ((zi.raw.modrm.mod != 3) != (mem != 0))) continue;
            f.mem = mem;
            f.imm8 = zi.raw.imm[0].size == 8;
            f.implicit_rdi = zi.mnemonic == ZYDIS_MNEMONIC_MASKMOVQ;
            if (has_modrm) {
              f.bytes[f.n] = b[f.n];
              ++f.n;
              f.modrm = true;
            }
            f.fixed_reg = static_cast<int8_t>(reg);
            f.name = disasm(b, zi.length);
            found.push_back(f);
            mns.push_back(zi.mnemonic);
          }
          bool uniform = found.size() == 8;
          for (ZydisMnemonic m : mns) uniform &= m == mns[0];
          if (uniform) {
            found[0].fixed_reg = -1;
            forms.push_back(found[0]);
          } else {
            forms.insert(forms.end(), found.begin(), found.end());
          }
        }
  return forms;
}

// ------------------------------------------------------------- special values

struct F80 {
  uint64_t m;
  uint16_t se;
};

F80 special80(std::mt19937_64& g) {
  const uint16_t s = (g() & 1) ? 0x8000 : 0;
  const uint64_t r = g();
  switch (g() % 16) {
    case 0: return {0, s};                                               // zero
    case 1: return {r & ~(1ull << 63), s};                               // denormal
    case 2: return {r | 1ull << 63, s};                                  // pseudo-denormal
    case 3: return {r & ~(1ull << 63), static_cast<uint16_t>(s | (1 + g() % 0x7ffe))};  // unnormal
    case 4: return {1ull << 63, static_cast<uint16_t>(s | 0x7fff)};    // infinity
    case 5: return {r | 3ull << 62, static_cast<uint16_t>(s | 0x7fff)};  // QNaN
    case 6: return {((r & ~(3ull << 62)) | 1) | 1ull << 63, static_cast<uint16_t>(s | 0x7fff)};  // SNaN
    case 7: return {r & ~(1ull << 63), static_cast<uint16_t>(s | 0x7fff)};  // pseudo-NaN/inf
    case 8: return {~0ull, static_cast<uint16_t>(s | 0x7ffe)};           // largest
    case 9: return {1ull << 63, static_cast<uint16_t>(s | 1)};           // smallest normal
    case 10: {                                                           // small integers
      const uint64_t v = 1 + g() % 1000;
      const int lz = __builtin_clzll(v);
      return {v << lz, static_cast<uint16_t>(s | (0x3fff + 63 - lz))};
    }
    case 11: return {r | 1ull << 63, static_cast<uint16_t>(s | (0x3fff + 62 + g() % 4))};  // ~2^63
    case 12: return {r | 1ull << 63, static_cast<uint16_t>(s | (0x3ff0 + g() % 0x60))};  // huge args too
    case 13: return {r | 1ull << 63, static_cast<uint16_t>(s | (0x3f81 + g() % 6))};   // float32 edge
    case 14: return {r | 1ull << 63, static_cast<uint16_t>(s | (0x3c01 + g() % 6))};   // float64 edge
    default: return {r | 1ull << 63, static_cast<uint16_t>(s | (0x3fff - 40 + g() % 80))};
  }
}

uint64_t special_int(std::mt19937_64& g, unsigned bits) {
  const uint64_t sign = 1ull << (bits - 1), mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
  switch (g() % 8) {
    case 0: return 0;
    case 1: return sign;
    case 2: return sign - 1;
    case 3: return mask;
    case 4: return g() % 200;
    case 5: return (0 - (g() % 200)) & mask;
    default: return g() & mask;
  }
}

uint64_t special_float_bits(std::mt19937_64& g, unsigned bits) {
  const unsigned eb = bits == 32 ? 8 : 11, mb = bits == 32 ? 23 : 52;
  const uint64_t emax = (1ull << eb) - 1, mmask = (1ull << mb) - 1;
  const uint64_t s = (g() & 1) ? 1ull << (bits - 1) : 0, r = g() & mmask;
  uint64_t e;
  uint64_t m = r;
  switch (g() % 10) {
    case 0: e = 0; m = 0; break;
    case 1: e = 0; m = r | 1; break;  // denormal
    case 2: e = emax; m = 0; break;   // infinity
    case 3: e = emax; m = r | 1ull << (mb - 1); break;  // QNaN
    case 4: e = emax; m = (r & ~(1ull << (mb - 1))) | 1; break;  // SNaN
    case 5: e = emax - 1; m = mmask; break;
    case 6: e = 1; break;
    default: e = (emax >> 1) - 20 + g() % 40; break;
  }
  return s | e << mb | m;
}

void fill_operand(std::mt19937_64& g, uint8_t* p, unsigned size) {
  switch (size) {
    case 2: {
      const uint16_t v = static_cast<uint16_t>(special_int(g, 16));
      std::memcpy(p, &v, 2);
      break;
    }
    case 4: {
      const uint32_t v = static_cast<uint32_t>(g() & 1 ? special_int(g, 32) : special_float_bits(g, 32));
      std::memcpy(p, &v, 4);
      break;
    }
    case 8: {
      const uint64_t v = g() & 1 ? special_int(g, 64) : special_float_bits(g, 64);
      std::memcpy(p, &v, 8);
      break;
    }
    case 10: {
      if (g() % 3 == 0) {  // packed BCD
        for (int i = 0; i < 9; ++i) {
          unsigned lo = g() % 10, hi = g() % 10;
          if (g() % 50 == 0) lo = 10 + g() % 6;  // invalid digit
          p[i] = static_cast<uint8_t>(hi << 4 | lo);
        }
        p[9] = g() & 1 ? 0x80 : 0;
      } else {
        const F80 f = special80(g);
        std::memcpy(p, &f.m, 8);
        std::memcpy(p + 8, &f.se, 2);
      }
      break;
    }
    default: break;
  }
}

// A random x87 state as a 32-bit protected-mode FNSAVE image, with no
// exception pending (the host would trap on a waiting instruction).
void random_state(std::mt19937_64& g, uint8_t* img, bool pending) {
  std::memset(img, 0, 112);
  static const uint16_t kPc[3] = {0, 2, 3};
  const uint16_t masks = g() % 4 ? 0x3f : static_cast<uint16_t>(g() & 0x3f);
  uint16_t fcw = static_cast<uint16_t>(0x40 | masks | kPc[g() % 3] << 8 | (g() % 4) << 10 |
                                             (g() % 8 == 0 ? 0x1000 : 0));
  uint16_t fsw = static_cast<uint16_t>((g() % 8) << 11 | (g() & 0x4700));
  if (g() % 2) fsw |= static_cast<uint16_t>(g() & masks & 0x3f);  // masked sticky flags
  if (pending) {  // an unmasked exception flag, ES and B
    const uint16_t bit = static_cast<uint16_t>(1u << (g() % 6));
    fcw = static_cast<uint16_t>(fcw & ~bit);
    fsw = static_cast<uint16_t>(fsw | bit | 0x8080);
  }
  uint16_t ftw = 0;
  const unsigned mode = g() % 8;  // 0: all empty, 1: all full, else random
  for (unsigned i = 0; i < 8; ++i) {
    bool empty = mode == 0 || (mode > 1 && g() % 4 == 0);
    ftw = static_cast<uint16_t>(ftw | (empty ? 3u : 0u) << (2 * i));
  }
  std::memcpy(img + 0, &fcw, 2);
  std::memcpy(img + 4, &fsw, 2);
  std::memcpy(img + 8, &ftw, 2);
  const uint32_t fip = static_cast<uint32_t>(g()), fdp = static_cast<uint32_t>(g());
  const uint32_t fop = static_cast<uint32_t>(g() & 0x7ff) << 16;
  std::memcpy(img + 12, &fip, 4);
  std::memcpy(img + 16, &fop, 4);
  std::memcpy(img + 20, &fdp, 4);
  for (unsigned i = 0; i < 8; ++i) {
    F80 f = special80(g);
    if (g() % 8 == 0) f = {g(), static_cast<uint16_t>(g())};  // MMX-style contents
    std::memcpy(img + 28 + 10 * i, &f.m, 8);
    std::memcpy(img + 36 + 10 * i, &f.se, 2);
  }
}

void to_state(const uint8_t* img, hc::X87State& x) {
  uint16_t w;
  uint32_t d;
  std::memcpy(&x.fcw, img, 2);
  std::memcpy(&x.fsw, img + 4, 2);
  std::memcpy(&x.ftw, img + 8, 2);
  std::memcpy(&d, img + 12, 4);
  x.fip = d;
  std::memcpy(&w, img + 16, 2);
  x.fcs = w;
  std::memcpy(&w, img + 18, 2);
  x.fop = w & 0x7ff;
  std::memcpy(&d, img + 20, 4);
  x.fdp = d;
  std::memcpy(&w, img + 24, 2);
  x.fds = w;
  for (unsigned i = 0; i < 8; ++i) {
    hc::Float80& r = x.r[(x.top() + i) & 7];
    std::memcpy(&r.signif, img + 28 + 10 * i, 8);
    std::memcpy(&r.sign_exp, img + 36 + 10 * i, 2);
  }
}

// The full tag word FNSAVE stores (SDM Vol. 1 8.1.7): only "empty" comes
// from the tag word FRSTOR loaded; hvsim keeps the full form in X87State.
uint16_t full_tags(const hc::X87State& x) {
  uint16_t t = 0;
  for (unsigned i = 0; i < 8; ++i) {
    unsigned tag = (x.ftw >> (2 * i)) & 3;
    if (tag != 3) {
      const unsigned e = x.r[i].sign_exp & 0x7fff;
      const bool j = x.r[i].signif >> 63;
      if (e == 0 && x.r[i].signif == 0) tag = 1;
      else if (e == 0 || e == 0x7fff || !j) tag = 2;
      else tag = 0;
    }
    t = static_cast<uint16_t>(t | tag << (2 * i));
  }
  return t;
}

std::string dump(const hc::X87State& x) {
  char b[128];
  std::snprintf(b, sizeof b, "fcw=%04x fsw=%04x ftw=%04x fip=%08" PRIx64 " fop=%03x fdp=%08" PRIx64,
                x.fcw, x.fsw, x.ftw, x.fip, x.fop, x.fdp);
  std::string s = b;
  for (unsigned i = 0; i < 8; ++i) {
    const hc::Float80& r = x.r[(x.top() + i) & 7];
    std::snprintf(b, sizeof b, "\n      st%u=%04x:%016" PRIx64, i, r.sign_exp, r.signif);
    s += b;
  }
  return s;
}

std::string compare(const hc::X87State& a, const hc::X87State& b) {
  std::string d;
  if (a.fcw != b.fcw) d += " fcw";
  if (a.fsw != b.fsw) d += " fsw";
  if (a.ftw != b.ftw) d += " ftw";
  if (static_cast<uint32_t>(a.fip) != static_cast<uint32_t>(b.fip)) d += " fip";
  if (a.fop != b.fop) d += " fop";
  if (static_cast<uint32_t>(a.fdp) != static_cast<uint32_t>(b.fdp)) d += " fdp";
  for (unsigned i = 0; i < 8; ++i)
    if (a.r[i].signif != b.r[i].signif || a.r[i].sign_exp != b.r[i].sign_exp) {
      d += " R" + std::to_string(i);
    }
  return d;
}

Native* native() {
  static Native* n = [] {
    auto* p = new Native();
    return p->init() ? p : nullptr;
  }();
  return n;
}

// Runs `total` random cases over the forms; with `pending` every case
// starts with an unmasked exception pending, and both sides must agree on
// whether the instruction faults (#MF / SIGFPE) before it executes.
void run_cases(bool pending, uint64_t total_default) {
  Native* nat = native();
  ASSERT_NE(nat, nullptr) << "cannot map the fixed native pages at 0x200000/0x300000";
  Sim sim;
  const std::vector<Form> all = build_forms();
  const char* filter = std::getenv("HVSIM_X87_FILTER");
  std::vector<const Form*> forms;
  for (const Form& f : all)
    if (!filter || f.name.find(filter) != std::string::npos) forms.push_back(&f);
  ASSERT_FALSE(forms.empty());
  const uint64_t seed = env_u64("HVSIM_X87_SEED", 0x87f00d);
  const uint64_t total = env_u64(pending ? "HVSIM_X87_PENDING_CASES" : "HVSIM_X87_CASES",
                                 total_default);
  std::mt19937_64 g(seed);
  uint8_t* sdata = sim.bus.ram() + kData;
  for (uint64_t i = 0; i < kDataSize; i += 8) {
    const uint64_t v = g();
    std::memcpy(nat->data() + i, &v, 8);
  }
  uint64_t cases = 0, failures = 0, traps = 0;
  std::map<std::string, uint64_t> failed;
  unsigned printed = 0;
  for (uint64_t k = 0; k < total; ++k) {
    const Form& f = *forms[k % forms.size()];
    uint8_t bytes[16];
    std::memcpy(bytes, f.bytes, f.n);
    size_t len = f.n;
    const uint8_t gprs[6] = {0, 1, 2, 3, 5, 7};
    if (f.modrm) {
      uint8_t reg = g() % 8, rm = g() % 8;
      if (f.gpr_reg) reg = gprs[g() % 6];
      if (f.gpr_rm) rm = gprs[g() % 6];
      if (f.fixed_reg >= 0) reg = static_cast<uint8_t>(f.fixed_reg);
      bytes[len - 1] = f.mem ? static_cast<uint8_t>(0x46 | reg << 3)
                             : static_cast<uint8_t>(0xc0 | reg << 3 | rm);
    }
    const uint8_t disp = static_cast<uint8_t>(g() % 0x70);
    if (f.mem) bytes[len++] = disp;
    if (f.imm8) bytes[len++] = static_cast<uint8_t>(g() % 4 ? g() % 80 : g());
    Ctx in{};
    random_state(g, in.img, pending);
    in.rflags = 0x202 | (g() & (hc::CF | hc::PF | hc::AF | hc::ZF | hc::SF | hc::OF));
    for (unsigned r = 0; r < 8; ++r) in.gpr[r] = g() % 3 ? g() : special_int(g, 64);
    in.gpr[hc::RSI] = kBase;
    if (f.implicit_rdi) in.gpr[hc::RDI] = kBase + disp;
    if (f.mem || f.implicit_rdi) {
      uint8_t* p = nat->data() + (kBase - kData) + disp;
      for (unsigned i = 0; i < 128; i += 8) {
        const uint64_t v = g();
        std::memcpy(p + i, &v, 8);
      }
      fill_operand(g, p, f.mem_size);
    }
    std::memcpy(sdata, nat->data(), kDataSize);
    // Native. On a host whose FXSAVE/XSAVE keeps FIP/FDP/FOP only while an
    // exception is pending (AMD), a task switch between FRSTOR and FNSAVE
    // loses them (Linux zeroes them there): FIP then reads neither the
    // value loaded nor the instruction's address, or an instruction without
    // a memory operand leaves FDP other than it was loaded. Such a run is
    // repeated from the same input.
    Ctx out = in;
    bool nat_trap = !nat->run_or_trap(out, bytes, len);
    for (unsigned tries = 0; tries < 7; ++tries) {
      uint32_t ip_in, ip_out, dp_in, dp_out;
      std::memcpy(&ip_in, in.img + 12, 4);
      std::memcpy(&ip_out, out.img + 12, 4);
      std::memcpy(&dp_in, in.img + 20, 4);
      std::memcpy(&dp_out, out.img + 20, 4);
      const bool ip_ok = ip_out == ip_in || ip_out == static_cast<uint32_t>(kInsn);
      const bool dp_ok = dp_out == dp_in || ((f.mem || f.implicit_rdi) && dp_out != 0);
      if (nat_trap || (ip_ok && dp_ok)) break;
      std::memcpy(nat->data(), sdata, kDataSize);
      out = in;
      nat_trap = !nat->run_or_trap(out, bytes, len);
    }
    bool sim_trap = false;
    hc::X87State want;
    to_state(out.img, want);
    // hvsim.
    hc::Engine& e = *sim.e;
    to_state(in.img, e.s.x87);
    e.s.x87.ftw = full_tags(e.s.x87);
    e.s.rflags = in.rflags;
    for (unsigned r = 0; r < 8; ++r) e.s.gpr[r] = in.gpr[r];
    e.s.rip = kInsn + len;
    std::string diff;
    hc::DecodedInsn d;
    if (sim.dec->decode(bytes, len, hc::kDecLong64, d) != hc::DecodeStatus::kOk || d.len != len) {
      diff = " decoded length";
    } else {
      try {
        d.exec(e, d);
      } catch (const hc::Fault& flt) {
        if (flt.vector == hc::kMF) sim_trap = true;
        else diff = " hvsim raised vector " + std::to_string(flt.vector);
      }
    }
    if (diff.empty() && nat_trap != sim_trap) {
      diff = nat_trap ? " host raised #MF, hvsim did not" : " hvsim raised #MF, host did not";
    } else if (diff.empty() && nat_trap) {
      // Both faulted before executing: hvsim changed nothing.
      hc::X87State before;
      to_state(in.img, before);
      before.ftw = full_tags(before);
      diff = compare(before, e.s.x87);
      if (std::memcmp(sdata, nat->data(), kDataSize) != 0) diff += " memory";
    } else if (diff.empty()) {
      diff = compare(want, e.s.x87);
      for (unsigned r = 0; r < 8; ++r)
        if (r != hc::RSP && e.s.gpr[r] != out.gpr[r]) diff += " gpr" + std::to_string(r);
      if ((e.s.rflags ^ out.rflags) & hc::kArithFlags) diff += " rflags";
      if (std::memcmp(sdata, nat->data(), kDataSize) != 0) diff += " memory";
    }
    ++cases;
    traps += sim_trap && nat_trap;
    if (!diff.empty()) {
      ++failures;
      if (++failed[f.name] <= 2 && printed < 40) {
        ++printed;
        ADD_FAILURE() << "mismatch: " << disasm(bytes, len) << " seed=" << seed << " case=" << k
                      << " differs:" << diff << "\n  in:   " << [&] {
                           hc::X87State x;
                           to_state(in.img, x);
                           return dump(x);
                         }() << "\n  host: " << dump(want) << "\n  hvsim:" << dump(e.s.x87);
      }
    }
  }
  std::string summary;
  for (auto& [name, n] : failed) summary += "\n  " + name + ": " + std::to_string(n);
  std::printf("[x87] %s%zu forms, %" PRIu64 " cases (%" PRIu64 " faulted with #MF), seed %#" PRIx64
              ", %" PRIu64 " mismatches\n",
              pending ? "pending exception: " : "", forms.size(), cases, traps, seed, failures);
  EXPECT_EQ(failures, 0u) << "seed=" << seed << "; failing forms:" << summary;
  if (!filter && !pending) {
    EXPECT_GE(cases, std::min<uint64_t>(total, 200000));
  }
}

}  // namespace

TEST(X87Diff, RandomFormsMatchHost) { run_cases(false, 240000); }

// Waiting instructions fault on a pending exception, no-wait ones
// (FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE, FNENI, ...) run: the
// same split as the host's, form by form.
TEST(X87Diff, PendingExceptionFaultsLikeTheHost) { run_cases(true, 20000); }
