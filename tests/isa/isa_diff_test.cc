// Differential test of the integer ISA against the host CPU (x86-64).
//
// Every user-level integer instruction form in the table below is encoded
// with the Zydis encoder, run on random registers, flags and memory both
// natively (copied between a prologue that loads all GPRs and RFLAGS from a
// Ctx and an epilogue that stores them back, in an executable page at a fixed
// address) and in hvsim (an Engine in 64-bit mode with real 4-level page
// tables identity-mapping the same addresses), and the 16 GPRs, RIP, RFLAGS
// (minus the flags the SDM leaves undefined for that instruction, listed in
// the table) and the 64 KiB data page must be identical.
//
// Memory operands address a data page at the same numeric address on both
// sides (kData, mmap'ed with MAP_FIXED_NOREPLACE natively, RAM in hvsim), so
// every addressing form (base, base+index*scale, RIP-relative, absolute,
// 32-bit address size) can be used.
//
// Environment:
//   HVSIM_ISA_SEED=n     seed (default fixed); printed on failure
//   HVSIM_ISA_CASES=n    total random cases (default 300000)
//   HVSIM_ISA_FILTER=s   only forms whose name contains s
//   HVSIM_ISA_STRICT=1   also compare the SDM-undefined flags (to check that
//                        hvsim's choices match the host; not part of the suite)
#include <Zydis/Zydis.h>
#include <cpuid.h>
#include <gtest/gtest.h>
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

constexpr uint64_t kData = 0x200000;  // data page (native and simulated)
constexpr uint64_t kDataSize = 0x10000;
constexpr uint64_t kCode = 0x300000;  // native code page; also the simulated RIP
constexpr uint64_t kInsn = kCode + 0x100;
constexpr uint64_t kEpilogue = kCode + 0x200;
constexpr uint64_t kVarHostRsp = kCode + 0x800;
constexpr uint64_t kVarCtx = kCode + 0x808;
constexpr uint64_t kVarTmp = kCode + 0x810;
constexpr uint64_t kRamSize = 0x400000;
constexpr uint64_t kStackTop = kData + 0x8000;
constexpr uint64_t kCmpFlags = hc::kArithFlags | hc::DF;
constexpr uint64_t kAllArith = hc::kArithFlags;
using hc::AF;
using hc::CF;
using hc::OF;
using hc::PF;
using hc::SF;
using hc::ZF;

struct Ctx {
  uint64_t gpr[16];
  uint64_t rflags;
};

const char* const kRegNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

uint64_t env_u64(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : def;
}

uint64_t size_mask(unsigned bytes) { return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1; }

// ---------------------------------------------------------------- simulated machine

class RamBus : public hc::Bus {
 public:
  RamBus() : ram_(static_cast<uint8_t*>(std::aligned_alloc(4096, kRamSize))) {
    std::memset(ram_, 0, kRamSize);
  }
  ~RamBus() override { std::free(ram_); }
  uint8_t* ram() { return ram_; }
  bool mem_read(uint64_t pa, void* d, unsigned n) override {
    if (pa + n <= kRamSize) {
      std::memcpy(d, ram_ + pa, n);
      return true;
    }
    std::memset(d, 0xff, n);
    return false;
  }
  bool mem_write(uint64_t pa, const void* d, unsigned n) override {
    if (pa + n > kRamSize) return false;
    std::memcpy(ram_ + pa, d, n);
    return true;
  }
  uint32_t io_in(uint16_t, unsigned) override { return ~0u; }
  void io_out(uint16_t, uint32_t, unsigned) override {}
  bool get_dmi(uint64_t pa, hc::DmiRegion& r) override {
    if (pa >= kRamSize) return false;
    r.start = 0;
    r.end = kRamSize - 1;
    r.host = ram_;
    return true;
  }

 private:
  uint8_t* ram_;
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
    // 4-level paging: PML4 at 0x1000 -> PDPT at 0x2000 -> PD at 0x3000 with
    // 2 MiB pages identity-mapping [0, 4 MiB).
    uint8_t* m = bus.ram();
    auto put = [&](uint64_t pa, uint64_t v) { std::memcpy(m + pa, &v, 8); };
    put(0x1000, 0x2000 | 3);
    put(0x2000, 0x3000 | 3);
    put(0x3000, 0x000000 | 0x83);
    put(0x3008, 0x200000 | 0x83);
    hc::ArchState& s = e->s;
    s.cr3 = 0x1000;
    s.cr4 |= hc::CR4_PAE;
    s.efer |= hc::EFER_LME | hc::EFER_LMA;
    s.cr0 |= hc::CR0_PE | hc::CR0_PG;
    const uint32_t code = 0xb | 1u << 4 | 1u << 7 | 1u << 13;  // exec/read, S, P, L
    const uint32_t data = 0x3 | 1u << 4 | 1u << 7 | 1u << 14;  // read/write, S, P, D/B
    for (unsigned i = 0; i < hc::kNumSegs; ++i) {
      s.seg[i] = hc::Segment{};
      s.seg[i].limit = 0xffffffff;
      s.seg[i].attr = i == hc::CS ? code : data;
      s.seg[i].selector = i == hc::CS ? 8 : 16;
    }
    e->set_cpl(0);
    e->update_mode();
    e->flush_tlb();
  }
  uint8_t* data() { return bus.ram() + kData; }
};

// ---------------------------------------------------------------- encoder helpers

ZydisEncoderOperand op_reg(ZydisRegister r) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_REGISTER;
  o.reg.value = r;
  return o;
}
ZydisEncoderOperand op_mem(ZydisRegister base, ZydisRegister index, uint8_t scale, int64_t disp,
                           uint16_t size) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_MEMORY;
  o.mem.base = base;
  o.mem.index = index;
  o.mem.scale = index == ZYDIS_REGISTER_NONE ? 0 : scale;
  o.mem.displacement = disp;
  o.mem.size = size;
  return o;
}
ZydisEncoderOperand op_imm(int64_t v) {
  ZydisEncoderOperand o;
  std::memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
  o.imm.s = v;
  return o;
}

size_t encode(uint8_t* out, uint64_t addr, ZydisMnemonic mn, const ZydisEncoderOperand* ops,
              unsigned n, bool lock = false,
              ZydisOperandSizeHint hint = ZYDIS_OPERAND_SIZE_HINT_NONE) {
  ZydisEncoderRequest req;
  std::memset(&req, 0, sizeof req);
  req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
  req.mnemonic = mn;
  req.operand_count = static_cast<ZyanU8>(n);
  req.operand_size_hint = hint;
  if (lock) req.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
  for (unsigned i = 0; i < n; ++i) req.operands[i] = ops[i];
  ZyanUSize len = ZYDIS_MAX_INSTRUCTION_LENGTH;
  if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, out, &len, addr))) return 0;
  return len;
}

ZydisRegister gpr64(unsigned r) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + r); }
ZydisRegister gpr32(unsigned r) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_EAX + r); }
ZydisRegister gpr_sized(unsigned r, unsigned size, bool high8) {
  switch (size) {
    case 1:
      if (high8) return static_cast<ZydisRegister>(ZYDIS_REGISTER_AH + r);
      return static_cast<ZydisRegister>(ZYDIS_REGISTER_AL + (r < 4 ? r : r + 4));
    case 2: return static_cast<ZydisRegister>(ZYDIS_REGISTER_AX + r);
    case 4: return gpr32(r);
    default: return gpr64(r);
  }
}

std::string hex_bytes(const uint8_t* b, size_t n) {
  std::string s;
  char t[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(t, sizeof t, "%02x", b[i]);
    if (i) s += ' ';
    s += t;
  }
  return s;
}

std::string disasm(const uint8_t* b, size_t n, uint64_t addr) {
  ZydisDisassembledInstruction di;
  if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, addr, b, n, &di)))
    return "<undecodable>";
  return di.text;
}

// ---------------------------------------------------------------- native runner

class Native {
 public:
  bool init(std::string* err) {
    void* d = mmap(reinterpret_cast<void*>(kData), kDataSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void* c = mmap(reinterpret_cast<void*>(kCode), 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (d != reinterpret_cast<void*>(kData) || c != reinterpret_cast<void*>(kCode)) {
      *err = "cannot map the fixed native data/code pages at 0x200000/0x300000";
      return false;
    }
    code_ = static_cast<uint8_t*>(c);
    return build(err);
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(kData); }

  // Runs `insn` once with the registers and flags of `c`, which receive the result.
  void run(Ctx& c, const uint8_t* insn, size_t len) {
    std::memcpy(code_ + (kInsn - kCode), insn, len);
    ZydisEncoderOperand j = op_imm(static_cast<int64_t>(kEpilogue));
    size_t n = encode(code_ + (kInsn - kCode) + len, kInsn + len, ZYDIS_MNEMONIC_JMP, &j, 1);
    if (!n) std::abort();
    reinterpret_cast<void (*)(Ctx*)>(kCode)(&c);
  }

 private:
  bool build(std::string* err) {
    uint8_t* p = code_;
    uint64_t a = kCode;
    bool ok = true;
    auto emit = [&](ZydisMnemonic mn, std::initializer_list<ZydisEncoderOperand> ops,
                    ZydisOperandSizeHint hint = ZYDIS_OPERAND_SIZE_HINT_NONE) {
      size_t n = encode(p, a, mn, ops.begin(), static_cast<unsigned>(ops.size()), false, hint);
      if (!n) ok = false;
      p += n;
      a += n;
    };
    auto abs64 = [](uint64_t addr) {
      return op_mem(ZYDIS_REGISTER_RIP, ZYDIS_REGISTER_NONE, 0, static_cast<int64_t>(addr), 8);
    };
    auto ctx = [](unsigned off) {
      return op_mem(ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_NONE, 0, off, 8);
    };
    const ZydisRegister saved[6] = {ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R12,
                                    ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15};
    // Prologue: save the host's callee-saved registers and RSP, load the Ctx.
    for (ZydisRegister r : saved) emit(ZYDIS_MNEMONIC_PUSH, {op_reg(r)});
    emit(ZYDIS_MNEMONIC_MOV, {abs64(kVarHostRsp), op_reg(ZYDIS_REGISTER_RSP)});
    emit(ZYDIS_MNEMONIC_MOV, {abs64(kVarCtx), op_reg(ZYDIS_REGISTER_RDI)});
    emit(ZYDIS_MNEMONIC_PUSH, {ctx(128)});
    emit(ZYDIS_MNEMONIC_POPFQ, {});
    for (unsigned r = 0; r < 16; ++r)
      if (r != hc::RSP && r != hc::RDI) emit(ZYDIS_MNEMONIC_MOV, {op_reg(gpr64(r)), ctx(8 * r)});
    emit(ZYDIS_MNEMONIC_MOV, {op_reg(ZYDIS_REGISTER_RSP), ctx(8 * hc::RSP)});
    emit(ZYDIS_MNEMONIC_MOV, {op_reg(ZYDIS_REGISTER_RDI), ctx(8 * hc::RDI)});
    emit(ZYDIS_MNEMONIC_JMP, {op_imm(static_cast<int64_t>(kInsn))});
    if (a > kInsn) ok = false;
    // Epilogue: store every GPR and RFLAGS (no flag-changing instruction
    // before PUSHFQ, no use of the guest's stack), restore the host.
    p = code_ + (kEpilogue - kCode);
    a = kEpilogue;
    emit(ZYDIS_MNEMONIC_MOV, {abs64(kVarTmp), op_reg(ZYDIS_REGISTER_RDI)});
    emit(ZYDIS_MNEMONIC_MOV, {op_reg(ZYDIS_REGISTER_RDI), abs64(kVarCtx)});
    for (unsigned r = 0; r < 16; ++r)
      if (r != hc::RDI) emit(ZYDIS_MNEMONIC_MOV, {ctx(8 * r), op_reg(gpr64(r))});
    emit(ZYDIS_MNEMONIC_MOV, {op_reg(ZYDIS_REGISTER_RAX), abs64(kVarTmp)});
    emit(ZYDIS_MNEMONIC_MOV, {ctx(8 * hc::RDI), op_reg(ZYDIS_REGISTER_RAX)});
    emit(ZYDIS_MNEMONIC_MOV, {op_reg(ZYDIS_REGISTER_RSP), abs64(kVarHostRsp)});
    emit(ZYDIS_MNEMONIC_PUSHFQ, {});
    emit(ZYDIS_MNEMONIC_POP, {op_reg(ZYDIS_REGISTER_RAX)});
    emit(ZYDIS_MNEMONIC_MOV, {ctx(128), op_reg(ZYDIS_REGISTER_RAX)});
    emit(ZYDIS_MNEMONIC_CLD, {});
    for (int i = 5; i >= 0; --i) emit(ZYDIS_MNEMONIC_POP, {op_reg(saved[i])});
    emit(ZYDIS_MNEMONIC_RET, {});
    if (a > kVarHostRsp) ok = false;
    if (!ok) *err = "encoding the native prologue/epilogue failed";
    return ok;
  }

  uint8_t* code_ = nullptr;
};

// ---------------------------------------------------------------- forms

enum class K : uint8_t { kNone, kR, kM, kI, kCL, kOne };

struct Spec {
  K k = K::kNone;
  uint8_t size = 0;  // bytes; for kI the largest immediate encoding (8 only for MOV r64, imm64)
};

struct Case;
using FixFn = void (*)(Case&);
using UndefFn = uint64_t (*)(const Case&);

struct Form {
  std::string name;
  ZydisMnemonic mn = ZYDIS_MNEMONIC_INVALID;
  uint8_t size = 0;  // operand size in bytes
  uint8_t nops = 0;
  Spec op[3];
  bool lock = false;
  uint16_t addr_reserve = 0;  // GPRs never used to address memory (set by the fixup)
  uint16_t op_reserve = 0;    // GPRs never used as register operands
  uint64_t undef = 0;         // flags the SDM leaves undefined
  FixFn fix = nullptr;        // adjusts random inputs (counts, divisors, ...)
  UndefFn undef_fn = nullptr; // input-dependent undefined flags
  bool agen = false;          // LEA: the memory operand is only an address
  uint8_t align = 1;          // alignment of the memory operand
  ZydisOperandSizeHint hint = ZYDIS_OPERAND_SIZE_HINT_NONE;
};

struct Chosen {
  K k = K::kNone;
  uint8_t size = 0;
  uint8_t reg = 0;
  bool high8 = false;
  int64_t imm = 0;
};

struct MemChoice {
  ZydisRegister base = ZYDIS_REGISTER_NONE, index = ZYDIS_REGISTER_NONE;
  uint8_t scale = 1;
  int64_t disp = 0;
  uint64_t target = 0;  // address accessed (inside the data page)
};

struct Case {
  const Form* f = nullptr;
  Ctx in{};
  Chosen op[3];
  MemChoice m;
  std::mt19937_64* rng = nullptr;
  uint64_t r() { return (*rng)(); }
};

// A random value biased towards the edges of 8/16/32/64-bit ranges.
uint64_t interesting(std::mt19937_64& g) {
  uint64_t v = g();
  unsigned k = 1u << (g() % 4);  // 1, 2, 4, 8 bytes
  uint64_t m = size_mask(k), sign = 1ull << (8 * k - 1);
  uint64_t x;
  switch (g() % 10) {
    case 0: x = 0; break;
    case 1: x = 1 + g() % 3; break;
    case 2: x = m - g() % 3; break;  // -1, -2, -3
    case 3: x = sign + g() % 2; break;
    case 4: x = sign - 1 - g() % 2; break;
    case 5: x = g() % 64; break;
    default: return v;
  }
  switch (g() % 3) {
    case 0: return x;                              // zero-extended
    case 1: return (v & ~m) | x;                   // random upper bits
    default: return (x & sign) ? x | ~m : x;       // sign-extended
  }
}

uint64_t get_op(const Case& c, int i) {
  const Chosen& o = c.op[i];
  uint64_t m = size_mask(o.size);
  switch (o.k) {
    case K::kR: return (c.in.gpr[o.reg] >> (o.high8 ? 8 : 0)) & m;
    case K::kM: {
      uint64_t v = 0;
      std::memcpy(&v, reinterpret_cast<const void*>(c.m.target), o.size > 8 ? 8 : o.size);
      return v;
    }
    case K::kI:
    case K::kOne: return static_cast<uint64_t>(c.op[i].imm) & m;
    case K::kCL: return c.in.gpr[hc::RCX] & 0xff;
    default: return 0;
  }
}

void set_op(Case& c, int i, uint64_t v) {
  Chosen& o = c.op[i];
  uint64_t m = size_mask(o.size);
  switch (o.k) {
    case K::kR: {
      unsigned sh = o.high8 ? 8 : 0;
      c.in.gpr[o.reg] = (c.in.gpr[o.reg] & ~(m << sh)) | ((v & m) << sh);
      break;
    }
    case K::kM: std::memcpy(reinterpret_cast<void*>(c.m.target), &v, o.size > 8 ? 8 : o.size); break;
    case K::kI: o.imm = static_cast<int64_t>(v); break;
    case K::kCL: c.in.gpr[hc::RCX] = (c.in.gpr[hc::RCX] & ~0xffull) | (v & 0xff); break;
    default: break;
  }
}

void set_low(Case& c, unsigned reg, unsigned size, uint64_t v) {
  uint64_t m = size_mask(size);
  c.in.gpr[reg] = (c.in.gpr[reg] & ~m) | (v & m);
}

// ---- per-instruction fixups and undefined-flag rules

unsigned count_of(const Case& c) { return static_cast<unsigned>(get_op(c, c.f->nops - 1)); }
unsigned masked_count(const Case& c) { return count_of(c) & (c.f->size == 8 ? 63 : 31); }

uint64_t pick_count(Case& c) {
  static const uint8_t kEdge[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255};
  if (c.r() % 2) return kEdge[c.r() % sizeof kEdge];
  return c.r() % 4 ? c.r() % (c.f->size * 8 + 2) : c.r() & 0xff;
}

void fix_count(Case& c) {
  int i = c.f->nops - 1;
  if (c.op[i].k == K::kOne) return;
  uint64_t v = pick_count(c);
  // SHLD/SHRD with a 16-bit operand and a count above 16: undefined.
  if ((c.f->mn == ZYDIS_MNEMONIC_SHLD || c.f->mn == ZYDIS_MNEMONIC_SHRD) && c.f->size == 2 &&
      (v & 31) > 16)
    v = c.r() % 17;
  if (c.op[i].k == K::kCL)
    c.in.gpr[hc::RCX] = (c.in.gpr[hc::RCX] & ~0xffull) | (v & 0xff);
  else
    c.op[i].imm = static_cast<int64_t>(v & 0xff);
}

// SHL/SHR/SAR: AF undefined for a non-zero count, OF unless the count is 1,
// CF for SHL/SHR when the count is >= the operand width.
uint64_t undef_shift(const Case& c) {
  unsigned n = masked_count(c);
  if (n == 0) return 0;
  uint64_t m = AF;
  if (n != 1) m |= OF;
  if (c.f->mn != ZYDIS_MNEMONIC_SAR && n >= c.f->size * 8u) m |= CF;
  return m;
}
// ROL/ROR/RCL/RCR: OF undefined unless the masked count is 1.
uint64_t undef_rotate(const Case& c) {
  unsigned n = masked_count(c);
  return n > 1 ? OF : 0;
}
// SHLD/SHRD: AF undefined for a non-zero count, OF unless it is 1.
uint64_t undef_shd(const Case& c) {
  unsigned n = masked_count(c);
  if (n == 0) return 0;
  return n == 1 ? AF : AF | OF;
}

// DIV/IDIV: choose quotient, divisor and remainder so that no #DE happens
// (the faulting cases are tested separately), then write dividend and divisor.
template <bool is_signed>
void fix_div(Case& c) {
  const unsigned w = c.f->size * 8;
  using U = unsigned __int128;
  uint64_t m = size_mask(c.f->size);
  U n;
  uint64_t dv;
  if (!is_signed) {
    do dv = interesting(*c.rng) & m;
    while (dv == 0);
    uint64_t q = interesting(*c.rng) & m;
    uint64_t rem = c.r() % dv;
    n = U(q) * dv + rem;
  } else {
    auto sext = [&](uint64_t v) {
      return w == 64 ? static_cast<int64_t>(v)
                     : static_cast<int64_t>(v << (64 - w)) >> (64 - w);
    };
    int64_t sd;
    do sd = sext(interesting(*c.rng));
    while (sd == 0);
    int64_t q = sext(interesting(*c.rng));
    __int128 p = static_cast<__int128>(q) * sd;
    uint64_t ad = sd < 0 ? 0 - static_cast<uint64_t>(sd) : static_cast<uint64_t>(sd);
    __int128 rem = static_cast<__int128>(c.r() % ad);
    if (p < 0 || (p == 0 && (c.r() & 1))) rem = -rem;
    n = static_cast<U>(p + rem);
    dv = static_cast<uint64_t>(sd) & m;
  }
  set_op(c, 0, dv);
  if (w == 8) {
    set_low(c, hc::RAX, 2, static_cast<uint64_t>(n));
  } else {
    set_low(c, hc::RAX, c.f->size, static_cast<uint64_t>(n));
    set_low(c, hc::RDX, c.f->size, static_cast<uint64_t>(n >> w));
  }
}

// BT* with a memory operand and a register offset: keep the bit offset
// within +-2 KiB of the operand (the data page).
void fix_bt(Case& c) {
  if (c.op[0].k == K::kM && c.op[1].k == K::kR) {
    int64_t off = static_cast<int64_t>(c.r() % 32768) - 16384;
    set_op(c, 1, static_cast<uint64_t>(off));
  }
}

// CMPXCHG: half the time, make the accumulator equal to the destination.
void fix_cmpxchg(Case& c) {
  if (c.r() % 2) set_low(c, hc::RAX, c.f->size, get_op(c, 0));
}
// CMPXCHG8B/16B: half the time, make rDX:rAX equal to the memory operand.
void fix_cmpxchg_wide(Case& c) {
  if (c.r() % 2) {
    unsigned half = c.f->size / 2;
    uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, reinterpret_cast<const void*>(c.m.target), half);
    std::memcpy(&hi, reinterpret_cast<const void*>(c.m.target + half), half);
    set_low(c, hc::RAX, half, lo);
    set_low(c, hc::RDX, half, hi);
  }
}

// Scans, counts and BMI: a zero source now and then.
void fix_zero_src(Case& c) {
  if (c.r() % 4 == 0) set_op(c, c.f->nops - 1 == 0 ? 0 : 1, 0);
}
// BEXTR/BZHI: meaningful start/length/index values in the control register.
void fix_bextr(Case& c) {
  if (c.r() % 4) set_op(c, 2, (get_op(c, 2) & ~0xffffull) | (c.r() % 72) | (c.r() % 72) << 8);
}
void fix_bzhi(Case& c) {
  if (c.r() % 4) set_op(c, 2, (get_op(c, 2) & ~0xffull) | (c.r() % 72));
}

std::vector<Form> g_forms;

std::string spec_name(const Spec& s) {
  const char* sz = s.size == 1 ? "8" : s.size == 2 ? "16" : s.size == 4 ? "32" : s.size == 8 ? "64" : "128";
  switch (s.k) {
    case K::kR: return std::string("r") + sz;
    case K::kM: return std::string("m") + sz;
    case K::kI: return s.size == 8 ? "imm64" : "imm";
    case K::kCL: return "cl";
    case K::kOne: return "1";
    default: return "";
  }
}

Form& add(ZydisMnemonic mn, unsigned size, std::initializer_list<Spec> ops, uint64_t undef = 0,
          FixFn fix = nullptr, UndefFn uf = nullptr, bool lock = false) {
  Form f;
  f.mn = mn;
  f.size = static_cast<uint8_t>(size);
  f.nops = static_cast<uint8_t>(ops.size());
  unsigned i = 0;
  for (const Spec& s : ops) f.op[i++] = s;
  f.undef = undef;
  f.fix = fix;
  f.undef_fn = uf;
  f.lock = lock;
  f.name = std::string(lock ? "lock " : "") + ZydisMnemonicGetString(mn);
  for (unsigned j = 0; j < f.nops; ++j) f.name += (j ? "," : " ") + spec_name(f.op[j]);
  if (f.nops == 0 && size) f.name += "/" + std::to_string(size * 8);
  g_forms.push_back(f);
  return g_forms.back();
}

Spec R(unsigned s) { return {K::kR, static_cast<uint8_t>(s)}; }
Spec M(unsigned s) { return {K::kM, static_cast<uint8_t>(s)}; }
Spec I(unsigned s) { return {K::kI, static_cast<uint8_t>(s > 4 ? 4 : s)}; }
Spec I8() { return {K::kI, 1}; }
Spec CL() { return {K::kCL, 1}; }
Spec One() { return {K::kOne, 1}; }

constexpr uint16_t bit(unsigned r) { return static_cast<uint16_t>(1u << r); }

bool host_has(unsigned leaf, unsigned sub, int reg, unsigned b) {
  unsigned r[4] = {};
  if (!__get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3])) return false;
  return (r[reg] >> b) & 1;
}

void build_forms() {
  if (!g_forms.empty()) return;
  const unsigned kAll[] = {1, 2, 4, 8};
  const unsigned kWide[] = {2, 4, 8};
  const unsigned kVex[] = {4, 8};
  // ---- arith.cc
  struct { ZydisMnemonic mn; bool lockable; uint64_t undef; } alu[] = {
      {ZYDIS_MNEMONIC_ADD, true, 0},  {ZYDIS_MNEMONIC_OR, true, AF},  {ZYDIS_MNEMONIC_ADC, true, 0},
      {ZYDIS_MNEMONIC_SBB, true, 0},  {ZYDIS_MNEMONIC_AND, true, AF}, {ZYDIS_MNEMONIC_SUB, true, 0},
      {ZYDIS_MNEMONIC_XOR, true, AF}, {ZYDIS_MNEMONIC_CMP, false, 0}};
  for (auto& a : alu)
    for (unsigned s : kAll) {
      add(a.mn, s, {R(s), R(s)}, a.undef);
      add(a.mn, s, {R(s), M(s)}, a.undef);
      add(a.mn, s, {M(s), R(s)}, a.undef);
      add(a.mn, s, {R(s), I(s)}, a.undef);
      add(a.mn, s, {M(s), I(s)}, a.undef);
      if (a.lockable) {
        add(a.mn, s, {M(s), R(s)}, a.undef, nullptr, nullptr, true);
        add(a.mn, s, {M(s), I(s)}, a.undef, nullptr, nullptr, true);
      }
    }
  for (unsigned s : kAll) {
    add(ZYDIS_MNEMONIC_TEST, s, {R(s), R(s)}, AF);
    add(ZYDIS_MNEMONIC_TEST, s, {M(s), R(s)}, AF);
    add(ZYDIS_MNEMONIC_TEST, s, {R(s), I(s)}, AF);
    add(ZYDIS_MNEMONIC_TEST, s, {M(s), I(s)}, AF);
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG,
                             ZYDIS_MNEMONIC_NOT}) {
      add(mn, s, {R(s)});
      add(mn, s, {M(s)});
      add(mn, s, {M(s)}, 0, nullptr, nullptr, true);
    }
  }
  add(ZYDIS_MNEMONIC_CBW, 2, {});
  add(ZYDIS_MNEMONIC_CWDE, 4, {});
  add(ZYDIS_MNEMONIC_CDQE, 8, {});
  add(ZYDIS_MNEMONIC_CWD, 2, {});
  add(ZYDIS_MNEMONIC_CDQ, 4, {});
  add(ZYDIS_MNEMONIC_CQO, 8, {});
  // ---- shift.cc
  for (unsigned s : kAll) {
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR,
                             ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
                             ZYDIS_MNEMONIC_RCR}) {
      bool rot = mn != ZYDIS_MNEMONIC_SHL && mn != ZYDIS_MNEMONIC_SHR && mn != ZYDIS_MNEMONIC_SAR;
      UndefFn uf = rot ? &undef_rotate : &undef_shift;
      for (Spec cnt : {One(), CL(), I8()}) {
        add(mn, s, {R(s), cnt}, 0, &fix_count, uf).addr_reserve = bit(hc::RCX);
        add(mn, s, {M(s), cnt}, 0, &fix_count, uf).addr_reserve = bit(hc::RCX);
      }
    }
  }
  for (unsigned s : kWide)
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_SHLD, ZYDIS_MNEMONIC_SHRD})
      for (Spec cnt : {CL(), I8()}) {
        add(mn, s, {R(s), R(s), cnt}, 0, &fix_count, &undef_shd).addr_reserve = bit(hc::RCX);
        add(mn, s, {M(s), R(s), cnt}, 0, &fix_count, &undef_shd).addr_reserve = bit(hc::RCX);
      }
  // ---- muldiv.cc
  const uint64_t kMulUndef = SF | ZF | AF | PF;
  for (unsigned s : kAll) {
    add(ZYDIS_MNEMONIC_MUL, s, {R(s)}, kMulUndef);
    add(ZYDIS_MNEMONIC_MUL, s, {M(s)}, kMulUndef);
    add(ZYDIS_MNEMONIC_IMUL, s, {R(s)}, kMulUndef);
    add(ZYDIS_MNEMONIC_IMUL, s, {M(s)}, kMulUndef);
    for (bool sg : {false, true}) {
      ZydisMnemonic mn = sg ? ZYDIS_MNEMONIC_IDIV : ZYDIS_MNEMONIC_DIV;
      FixFn fx = sg ? &fix_div<true> : &fix_div<false>;
      for (Spec o : {R(s), M(s)}) {
        Form& f = add(mn, s, {o}, kAllArith, fx);
        f.addr_reserve = bit(hc::RAX) | bit(hc::RDX);
        f.op_reserve = bit(hc::RAX) | bit(hc::RDX);
      }
    }
  }
  for (unsigned s : kWide) {
    add(ZYDIS_MNEMONIC_IMUL, s, {R(s), R(s)}, kMulUndef);
    add(ZYDIS_MNEMONIC_IMUL, s, {R(s), M(s)}, kMulUndef);
    add(ZYDIS_MNEMONIC_IMUL, s, {R(s), R(s), I(s)}, kMulUndef);
    add(ZYDIS_MNEMONIC_IMUL, s, {R(s), M(s), I(s)}, kMulUndef);
  }
  // ---- bits.cc
  for (unsigned s : kWide) {
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR,
                             ZYDIS_MNEMONIC_BTC}) {
      const uint64_t u = OF | SF | AF | PF;
      add(mn, s, {R(s), R(s)}, u);
      add(mn, s, {M(s), R(s)}, u, &fix_bt);
      add(mn, s, {R(s), I8()}, u);
      add(mn, s, {M(s), I8()}, u);
      if (mn != ZYDIS_MNEMONIC_BT) {
        add(mn, s, {M(s), R(s)}, u, &fix_bt, nullptr, true);
        add(mn, s, {M(s), I8()}, u, nullptr, nullptr, true);
      }
    }
    const uint64_t kScanUndef = CF | OF | SF | AF | PF;
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR}) {
      add(mn, s, {R(s), R(s)}, kScanUndef, &fix_zero_src);
      add(mn, s, {R(s), M(s)}, kScanUndef, &fix_zero_src);
    }
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_TZCNT, ZYDIS_MNEMONIC_LZCNT}) {
      add(mn, s, {R(s), R(s)}, OF | SF | AF | PF, &fix_zero_src);
      add(mn, s, {R(s), M(s)}, OF | SF | AF | PF, &fix_zero_src);
    }
    add(ZYDIS_MNEMONIC_POPCNT, s, {R(s), R(s)}, 0, &fix_zero_src);
    add(ZYDIS_MNEMONIC_POPCNT, s, {R(s), M(s)}, 0, &fix_zero_src);
  }
  for (unsigned s : kVex) add(ZYDIS_MNEMONIC_BSWAP, s, {R(s)});  // 16-bit BSWAP is undefined
  const bool bmi1 = host_has(7, 0, 1, 3), bmi2 = host_has(7, 0, 1, 8), adx = host_has(7, 0, 1, 19);
  for (unsigned s : kVex) {
    if (bmi1) {
      add(ZYDIS_MNEMONIC_ANDN, s, {R(s), R(s), R(s)}, AF | PF);
      add(ZYDIS_MNEMONIC_ANDN, s, {R(s), R(s), M(s)}, AF | PF);
      add(ZYDIS_MNEMONIC_BEXTR, s, {R(s), R(s), R(s)}, AF | SF | PF, &fix_bextr);
      add(ZYDIS_MNEMONIC_BEXTR, s, {R(s), M(s), R(s)}, AF | SF | PF, &fix_bextr);
      for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_BLSI, ZYDIS_MNEMONIC_BLSMSK, ZYDIS_MNEMONIC_BLSR}) {
        add(mn, s, {R(s), R(s)}, AF | PF, &fix_zero_src);
        add(mn, s, {R(s), M(s)}, AF | PF, &fix_zero_src);
      }
    }
    if (bmi2) {
      add(ZYDIS_MNEMONIC_BZHI, s, {R(s), R(s), R(s)}, AF | PF, &fix_bzhi);
      add(ZYDIS_MNEMONIC_BZHI, s, {R(s), M(s), R(s)}, AF | PF, &fix_bzhi);
      for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_MULX, ZYDIS_MNEMONIC_PDEP, ZYDIS_MNEMONIC_PEXT}) {
        add(mn, s, {R(s), R(s), R(s)});
        add(mn, s, {R(s), R(s), M(s)});
      }
      add(ZYDIS_MNEMONIC_RORX, s, {R(s), R(s), I8()});
      add(ZYDIS_MNEMONIC_RORX, s, {R(s), M(s), I8()});
      for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_SARX, ZYDIS_MNEMONIC_SHLX, ZYDIS_MNEMONIC_SHRX}) {
        add(mn, s, {R(s), R(s), R(s)});
        add(mn, s, {R(s), M(s), R(s)});
      }
    }
    if (adx)
      for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_ADCX, ZYDIS_MNEMONIC_ADOX}) {
        add(mn, s, {R(s), R(s)});
        add(mn, s, {R(s), M(s)});
      }
  }
  // ---- the lead's families (move.cc, stack.cc, flagops.cc)
  for (unsigned s : kAll) {
    add(ZYDIS_MNEMONIC_MOV, s, {R(s), R(s)});
    add(ZYDIS_MNEMONIC_MOV, s, {R(s), M(s)});
    add(ZYDIS_MNEMONIC_MOV, s, {M(s), R(s)});
    add(ZYDIS_MNEMONIC_MOV, s, {R(s), I(s)});
    add(ZYDIS_MNEMONIC_MOV, s, {M(s), I(s)});
    add(ZYDIS_MNEMONIC_XCHG, s, {R(s), R(s)});
    add(ZYDIS_MNEMONIC_XCHG, s, {M(s), R(s)});
    add(ZYDIS_MNEMONIC_XCHG, s, {M(s), R(s)}, 0, nullptr, nullptr, true);
    for (bool lk : {false, true}) {
      for (Spec d : {M(s), R(s)}) {
        if (lk && d.k == K::kR) continue;
        Form& f = add(ZYDIS_MNEMONIC_CMPXCHG, s, {d, R(s)}, 0, &fix_cmpxchg, nullptr, lk);
        f.addr_reserve = bit(hc::RAX);
        f.op_reserve = 0;
        add(ZYDIS_MNEMONIC_XADD, s, {d, R(s)}, 0, nullptr, nullptr, lk);
      }
    }
  }
  add(ZYDIS_MNEMONIC_MOV, 8, {R(8), {K::kI, 8}});
  for (unsigned d : kWide)
    for (unsigned s : {1u, 2u})
      if (s < d)
        for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_MOVZX, ZYDIS_MNEMONIC_MOVSX}) {
          add(mn, d, {R(d), R(s)});
          add(mn, d, {R(d), M(s)});
        }
  add(ZYDIS_MNEMONIC_MOVSXD, 8, {R(8), R(4)});
  add(ZYDIS_MNEMONIC_MOVSXD, 8, {R(8), M(4)});
  for (unsigned s : kWide) {
    Form& f = add(ZYDIS_MNEMONIC_LEA, s, {R(s), M(8)});
    f.agen = true;
    f.name = "lea r" + std::to_string(8 * s) + ",agen";
  }
  static const ZydisMnemonic kCmov[16] = {
      ZYDIS_MNEMONIC_CMOVO,  ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
      ZYDIS_MNEMONIC_CMOVZ,  ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
      ZYDIS_MNEMONIC_CMOVS,  ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
      ZYDIS_MNEMONIC_CMOVL,  ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
  static const ZydisMnemonic kSet[16] = {
      ZYDIS_MNEMONIC_SETO,  ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
      ZYDIS_MNEMONIC_SETZ,  ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
      ZYDIS_MNEMONIC_SETS,  ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
      ZYDIS_MNEMONIC_SETL,  ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
  for (unsigned cc = 0; cc < 16; ++cc) {
    for (unsigned s : kWide) {
      add(kCmov[cc], s, {R(s), R(s)});
      add(kCmov[cc], s, {R(s), M(s)});
    }
    add(kSet[cc], 1, {R(1)});
    add(kSet[cc], 1, {M(1)});
  }
  for (bool lk : {false, true}) {
    Form& f8 = add(ZYDIS_MNEMONIC_CMPXCHG8B, 8, {M(8)}, 0, &fix_cmpxchg_wide, nullptr, lk);
    f8.addr_reserve = bit(hc::RAX) | bit(hc::RDX);
    Form& f16 = add(ZYDIS_MNEMONIC_CMPXCHG16B, 16, {M(16)}, 0, &fix_cmpxchg_wide, nullptr, lk);
    f16.addr_reserve = bit(hc::RAX) | bit(hc::RDX);
    f16.align = 16;
  }
  for (unsigned s : {2u, 8u}) {
    add(ZYDIS_MNEMONIC_PUSH, s, {R(s)});
    add(ZYDIS_MNEMONIC_POP, s, {R(s)});
    add(ZYDIS_MNEMONIC_PUSH, s, {M(s)});
    add(ZYDIS_MNEMONIC_POP, s, {M(s)});
  }
  add(ZYDIS_MNEMONIC_PUSH, 8, {I(4)}).hint = ZYDIS_OPERAND_SIZE_HINT_64;
  for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_LAHF, ZYDIS_MNEMONIC_SAHF, ZYDIS_MNEMONIC_CLC,
                           ZYDIS_MNEMONIC_STC, ZYDIS_MNEMONIC_CMC})
    add(mn, 0, {});
}

// ---------------------------------------------------------------- case generation

// Chooses a register for an operand of `size` bytes outside `reserve`.
void pick_reg(Case& c, Chosen& o, unsigned size, uint16_t reserve) {
  for (;;) {
    if (size == 1) {
      unsigned k = c.r() % 20;  // AL..BL, AH..BH, SPL..DIL, R8B..R15B
      if (k >= 4 && k < 8) {
        o.reg = static_cast<uint8_t>(k - 4);
        o.high8 = true;
      } else {
        o.reg = static_cast<uint8_t>(k < 4 ? k : k - 4);
        o.high8 = false;
      }
    } else {
      o.reg = static_cast<uint8_t>(c.r() % 16);
      o.high8 = false;
    }
    if (!(reserve & bit(o.reg))) return;
  }
}

int64_t pick_imm(Case& c, unsigned size) {
  uint64_t v = interesting(*c.rng);
  if (c.r() % 2) v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(v)));
  switch (size) {
    case 1: return static_cast<int8_t>(v);
    case 2: return static_cast<int16_t>(v);
    case 4: return static_cast<int32_t>(v);
    default: return static_cast<int64_t>(v);
  }
}

// Builds the memory operand: registers and displacement such that the
// effective address is `target`. Returns the encoder operand.
ZydisEncoderOperand pick_mem(Case& c, unsigned size, uint16_t reserve) {
  MemChoice& m = c.m;
  const Form& f = *c.f;
  auto pick = [&](uint16_t res) {
    unsigned r;
    do r = c.r() % 16;
    while (res & bit(r));
    return r;
  };
  if (f.agen) {
    // LEA: any registers with any values; the address is not accessed.
    bool a32 = c.r() % 3 == 0;
    unsigned mode = c.r() % 5;
    ZydisRegister base = ZYDIS_REGISTER_NONE, index = ZYDIS_REGISTER_NONE;
    if (mode == 4 && !a32) {
      base = ZYDIS_REGISTER_RIP;
    } else {
      if (mode != 3) base = a32 ? gpr32(pick(0)) : gpr64(pick(0));
      if (mode >= 2) index = a32 ? gpr32(pick(bit(hc::RSP))) : gpr64(pick(bit(hc::RSP)));
    }
    int64_t disp = c.r() % 3 == 0 ? 0 : c.r() % 2 ? static_cast<int8_t>(c.r())
                                                    : static_cast<int32_t>(c.r());
    m.base = base;
    m.index = index;
    m.scale = static_cast<uint8_t>(1u << (c.r() % 4));
    m.disp = base == ZYDIS_REGISTER_RIP ? static_cast<int64_t>(kInsn + 0x100 + disp / 16) : disp;
    // Zydis wants the address size as the size of an address-generation operand.
    return op_mem(m.base, m.index, m.scale, m.disp, a32 ? 4 : 8);
  }
  const uint64_t align = f.align;
  m.target = (kData + 0x1000 + c.r() % 0xc000) & ~(align - 1);
  reserve |= bit(hc::RSP);
  unsigned mode = c.r() % 6;
  m.base = m.index = ZYDIS_REGISTER_NONE;
  m.scale = 1;
  m.disp = 0;
  const bool a32 = mode == 5;
  auto rdisp = [&]() -> int64_t {
    switch (c.r() % 3) {
      case 0: return 0;
      case 1: return static_cast<int8_t>(c.r());
      default: return static_cast<int64_t>(c.r() % 0x200000) - 0x100000;
    }
  };
  switch (mode) {
    case 0:  // [base + disp]
    case 1: {
      unsigned b = pick(reserve);
      m.disp = mode == 0 ? 0 : rdisp();
      m.base = gpr64(b);
      c.in.gpr[b] = m.target - static_cast<uint64_t>(m.disp);
      break;
    }
    case 2:
    case 5: {  // [base + index*scale + disp], 64- or 32-bit address size
      unsigned b = pick(reserve);
      unsigned x = pick(reserve | bit(b));
      m.scale = static_cast<uint8_t>(1u << (c.r() % 4));
      m.disp = rdisp();
      int64_t xv = static_cast<int64_t>(c.r() % 0x400) - 0x200;
      uint64_t bv = m.target - static_cast<uint64_t>(m.disp) - static_cast<uint64_t>(xv) * m.scale;
      if (a32) {
        c.in.gpr[x] = (c.r() << 32) | static_cast<uint32_t>(xv);
        c.in.gpr[b] = (c.r() << 32) | static_cast<uint32_t>(bv);
        m.base = gpr32(b);
        m.index = gpr32(x);
      } else {
        c.in.gpr[x] = static_cast<uint64_t>(xv);
        c.in.gpr[b] = bv;
        m.base = gpr64(b);
        m.index = gpr64(x);
      }
      break;
    }
    case 3:  // RIP-relative (the encoder takes the absolute target)
      m.base = ZYDIS_REGISTER_RIP;
      m.disp = static_cast<int64_t>(m.target);
      break;
    default:  // absolute [disp32]
      m.disp = static_cast<int64_t>(m.target);
      break;
  }
  return op_mem(m.base, m.index, m.scale, m.disp, static_cast<uint16_t>(size));
}

// Generates the inputs of one case and encodes it; false if the encoder
// rejects the combination (e.g. AH with a REX prefix): the caller retries.
bool generate(Case& c, uint8_t* bytes, size_t* len) {
  const Form& f = *c.f;
  for (unsigned i = 0; i < 16; ++i) c.in.gpr[i] = interesting(*c.rng);
  c.in.gpr[hc::RSP] = kStackTop - 8 * (c.r() % 64) - (c.r() % 8 == 0 ? 2 : 0);
  c.in.rflags = 0x2 | (c.r() & hc::kArithFlags);
  uint16_t op_regs = 0;
  for (unsigned i = 0; i < f.nops; ++i) {
    Chosen& o = c.op[i];
    o = Chosen{};
    o.k = f.op[i].k;
    o.size = f.op[i].size;
    if (o.k == K::kR) {
      pick_reg(c, o, o.size, f.op_reserve);
      op_regs |= bit(o.reg);
    } else if (o.k == K::kI) {
      // Count/bit-offset immediates are bytes; others have the operand size.
      o.size = f.op[i].size == 1 ? 1 : std::min<uint8_t>(f.size, 8);
      o.imm = pick_imm(c, f.op[i].size);
      if (o.size == 1 && f.size != 1)  // counts and bit offsets: imm8 is unsigned
        o.imm = static_cast<int64_t>(c.r() % 2 ? c.r() % (8 * f.size + 2) : c.r() & 0xff);
    } else if (o.k == K::kOne) {
      o.imm = 1;
    }
  }
  ZydisEncoderOperand eo[3];
  for (unsigned i = 0; i < f.nops; ++i) {
    const Chosen& o = c.op[i];
    if (o.k == K::kM) {
      uint16_t reserve = f.addr_reserve | (f.fix ? op_regs : 0);
      eo[i] = pick_mem(c, f.op[i].size, reserve);
    }
  }
  if (!f.agen)
    for (unsigned i = 0; i < f.nops; ++i)
      if (c.op[i].k == K::kM) {
        // Fresh random bytes around the operand.
        uint8_t* p = reinterpret_cast<uint8_t*>(c.m.target) - 32;
        for (unsigned k = 0; k < 96; k += 8) {
          uint64_t v = interesting(*c.rng);
          std::memcpy(p + k, &v, 8);
        }
      }
  if (f.fix) f.fix(c);
  for (unsigned i = 0; i < f.nops; ++i) {
    const Chosen& o = c.op[i];
    switch (o.k) {
      case K::kR: eo[i] = op_reg(gpr_sized(o.reg, o.size, o.high8)); break;
      case K::kI:
      case K::kOne: eo[i] = op_imm(o.imm); break;
      case K::kCL: eo[i] = op_reg(ZYDIS_REGISTER_CL); break;
      default: break;
    }
  }
  *len = encode(bytes, kInsn, f.mn, eo, f.nops, f.lock, f.hint);
  return *len != 0;
}

std::string dump_ctx(const Ctx& c) {
  std::string s;
  char line[64];
  for (unsigned i = 0; i < 16; ++i) {
    std::snprintf(line, sizeof line, "%s%-3s=%016" PRIx64, i % 4 ? "  " : "\n    ", kRegNames[i],
                  c.gpr[i]);
    s += line;
  }
  std::snprintf(line, sizeof line, "\n    rflags=%#" PRIx64, c.rflags);
  return s + line;
}

struct Runner {
  Native nat;
  Sim sim;
  std::string err;
  bool ok = false;
  Runner() { ok = nat.init(&err); }
};

Runner& runner() {
  static Runner* r = new Runner();  // lives for the whole process (the fixed mappings stay)
  return *r;
}

// Runs one encoded case in hvsim; returns false with `fault` set if it faulted.
bool sim_exec(Sim& sim, const uint8_t* bytes, size_t len, const Ctx& in, Ctx* out,
              hc::Fault* fault, std::string* why) {
  hc::DecodedInsn d;
  if (sim.dec->decode(bytes, len, hc::kDecLong64, d) != hc::DecodeStatus::kOk || d.len != len) {
    *why = "hvsim decoded a different length";
    return false;
  }
  hc::Engine& e = *sim.e;
  std::memcpy(e.s.gpr, in.gpr, sizeof in.gpr);
  e.s.rflags = in.rflags;
  e.s.rip = kInsn + len;
  try {
    d.exec(e, d);
  } catch (const hc::Fault& f) {
    *fault = f;
    std::memcpy(out->gpr, e.s.gpr, sizeof out->gpr);
    out->rflags = e.s.rflags;
    char msg[64];
    std::snprintf(msg, sizeof msg, "hvsim raised exception %u", f.vector);
    *why = msg;
    return false;
  }
  std::memcpy(out->gpr, e.s.gpr, sizeof out->gpr);
  out->rflags = e.s.rflags;
  if (e.s.rip != kInsn + len) {
    *why = "hvsim changed RIP";
    return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------- tests

TEST(IsaDiff, RandomFormsMatchHost) {
  Runner& rn = runner();
  ASSERT_TRUE(rn.ok) << rn.err;
  build_forms();
  const uint64_t seed = env_u64("HVSIM_ISA_SEED", 0x5eed1234);
  const uint64_t total = env_u64("HVSIM_ISA_CASES", 300000);
  const bool strict = env_u64("HVSIM_ISA_STRICT", 0) != 0;
  const char* filter = std::getenv("HVSIM_ISA_FILTER");
  std::vector<const Form*> forms;
  for (const Form& f : g_forms)
    if (!filter || f.name.find(filter) != std::string::npos) forms.push_back(&f);
  ASSERT_FALSE(forms.empty());
  const uint64_t per_form = (total + forms.size() - 1) / forms.size();

  std::mt19937_64 rng(seed);
  // Same random content in both data pages.
  for (uint64_t i = 0; i < kDataSize; i += 8) {
    uint64_t v = rng();
    std::memcpy(rn.nat.data() + i, &v, 8);
  }
  std::memcpy(rn.sim.data(), rn.nat.data(), kDataSize);

  uint64_t cases = 0, failures = 0, printed = 0;
  std::map<std::string, uint64_t> failed_forms;
  std::vector<std::string> unencodable;
  for (const Form* f : forms) {
    uint64_t form_fail = 0;
    unsigned encode_fail = 0;
    for (uint64_t k = 0; k < per_form; ++k) {
      Case c;
      c.f = f;
      c.rng = &rng;
      uint8_t bytes[16];
      size_t len = 0;
      if (!generate(c, bytes, &len)) {
        if (++encode_fail > 1000 + 10 * k) {
          unencodable.push_back(f->name);
          break;
        }
        --k;
        continue;
      }
      std::memcpy(rn.sim.data(), rn.nat.data(), kDataSize);
      Ctx nout = c.in;
      rn.nat.run(nout, bytes, len);
      Ctx sout{};
      hc::Fault fault{};
      std::string why;
      bool sim_ok = sim_exec(rn.sim, bytes, len, c.in, &sout, &fault, &why);
      ++cases;
      uint64_t undef = strict ? 0 : f->undef | (f->undef_fn ? f->undef_fn(c) : 0);
      bool same = sim_ok;
      std::string diff;
      if (sim_ok) {
        for (unsigned i = 0; i < 16; ++i)
          if (nout.gpr[i] != sout.gpr[i]) {
            same = false;
            diff += std::string(" ") + kRegNames[i];
          }
        if ((nout.rflags ^ sout.rflags) & kCmpFlags & ~undef) {
          same = false;
          char t[48];
          std::snprintf(t, sizeof t, " rflags(%#" PRIx64 ")",
                        (nout.rflags ^ sout.rflags) & kCmpFlags & ~undef);
          diff += t;
        }
        if (std::memcmp(rn.sim.data(), rn.nat.data(), kDataSize) != 0) {
          same = false;
          for (uint64_t i = 0; i < kDataSize; ++i)
            if (rn.sim.data()[i] != rn.nat.data()[i]) {
              char t[48];
              std::snprintf(t, sizeof t, " memory@%#" PRIx64, kData + i);
              diff += t;
              break;
            }
        }
      } else {
        diff = " " + why;
      }
      if (!same) {
        ++failures;
        ++form_fail;
        if (form_fail <= 2 && printed < 60) {
          ++printed;
          ADD_FAILURE() << "mismatch: " << f->name << "  [" << hex_bytes(bytes, len) << "]  "
                        << disasm(bytes, len, kInsn) << "\n  seed=" << seed << " case=" << cases
                        << " differs:" << diff << " (undefined flags masked: " << std::hex
                        << undef << std::dec << ")"
                        << "\n  input:" << dump_ctx(c.in) << "\n  host:" << dump_ctx(nout)
                        << "\n  hvsim:" << dump_ctx(sout);
        }
        // Resynchronize the data pages for the next case.
        std::memcpy(rn.sim.data(), rn.nat.data(), kDataSize);
      }
    }
    if (form_fail) failed_forms[f->name] = form_fail;
    if (encode_fail > per_form / 2 && std::getenv("HVSIM_ISA_VERBOSE"))
      std::printf("[isa] %s: %u encodings rejected for %" PRIu64 " cases\n", f->name.c_str(),
                  encode_fail, per_form);
  }
  std::string summary;
  for (auto& [name, n] : failed_forms) summary += "\n  " + name + ": " + std::to_string(n);
  std::printf("[isa] %zu forms, %" PRIu64 " cases, seed %" PRIu64 ", %" PRIu64 " failures\n",
              forms.size(), cases, seed, failures);
  EXPECT_EQ(failures, 0u) << "seed=" << seed << "; failing forms:" << summary;
  std::string ue;
  for (auto& n : unencodable) ue += "\n  " + n;
  EXPECT_TRUE(unencodable.empty()) << "forms the encoder never accepted:" << ue;
  if (filter == nullptr) {
    EXPECT_GE(cases, std::min<uint64_t>(total, 100000));
  }
}

// DIV/IDIV that must raise #DE (divide by zero, quotient overflow including
// INT_MIN / -1): hvsim raises #DE and leaves registers, flags and memory
// unchanged. (Not run natively: the host would deliver SIGFPE.)
TEST(IsaDiff, DivideErrorLeavesStateUnchanged) {
  Runner& rn = runner();
  ASSERT_TRUE(rn.ok) << rn.err;
  build_forms();
  std::mt19937_64 rng(env_u64("HVSIM_ISA_SEED", 0x5eed1234) ^ 0xde);
  unsigned n = 0;
  for (const Form& f : g_forms) {
    if (f.mn != ZYDIS_MNEMONIC_DIV && f.mn != ZYDIS_MNEMONIC_IDIV) continue;
    const bool sg = f.mn == ZYDIS_MNEMONIC_IDIV;
    const unsigned w = f.size * 8;
    const uint64_t m = size_mask(f.size);
    for (unsigned k = 0; k < 300; ++k) {
      Case c;
      c.f = &f;
      c.rng = &rng;
      uint8_t bytes[16];
      size_t len = 0;
      Form nofix = f;
      nofix.fix = nullptr;
      c.f = &nofix;
      if (!generate(c, bytes, &len)) {
        --k;
        continue;
      }
      c.f = &f;
      // Dividend halves (for bytes: AH:AL) and a divisor that must fault.
      uint64_t lo = rng(), hi, dv;
      switch (k % 3) {
        case 0:  // divide by zero
          dv = 0;
          hi = rng();
          break;
        case 1:  // quotient overflow
          if (!sg) {
            dv = (interesting(rng) & m) | 1;
            hi = dv | (rng() & m);  // hi >= dv
          } else {
            dv = 1 + rng() % 3;                        // small positive divisor
            hi = (1ull << (w - 2)) | (rng() & (m >> 2));  // large positive dividend
          }
          break;
        default:  // IDIV INT_MIN / -1 (DIV: hi == divisor)
          if (sg) {
            dv = m;   // -1
            hi = m;   // dividend = -2^(w-1): high half all ones, low half 1000...0
            lo = 1ull << (w - 1);
          } else {
            dv = (interesting(rng) & m) | 1;
            hi = dv;
          }
          break;
      }
      set_op(c, 0, dv);
      if (w == 8) {
        set_low(c, hc::RAX, 2, (lo & 0xff) | (hi & 0xff) << 8);
      } else {
        set_low(c, hc::RAX, f.size, lo);
        set_low(c, hc::RDX, f.size, hi);
      }
      std::memcpy(rn.sim.data(), rn.nat.data(), kDataSize);
      Ctx sout{};
      hc::Fault fault{};
      std::string why;
      bool ok = sim_exec(rn.sim, bytes, len, c.in, &sout, &fault, &why);
      ++n;
      bool same_state = std::memcmp(sout.gpr, c.in.gpr, sizeof sout.gpr) == 0 &&
                        sout.rflags == c.in.rflags &&
                        std::memcmp(rn.sim.data(), rn.nat.data(), kDataSize) == 0;
      if (ok || fault.vector != hc::kDE || !same_state) {
        ADD_FAILURE() << f.name << " [" << hex_bytes(bytes, len) << "] "
                      << disasm(bytes, len, kInsn) << ": expected #DE with no state change; "
                      << (ok ? "no fault" : why) << "\n  input:" << dump_ctx(c.in)
                      << "\n  hvsim:" << dump_ctx(sout);
        return;
      }
    }
  }
  EXPECT_GT(n, 1000u);
}

// Encodings that must #UD in 64-bit mode: LOCK with a register destination
// or on an instruction that does not take it, and the BCD instructions.
TEST(IsaDiff, UndefinedEncodingsRaiseUd) {
  Runner& rn = runner();
  ASSERT_TRUE(rn.ok) << rn.err;
  const std::vector<std::vector<uint8_t>> cases = {
      {0xf0, 0x01, 0xd8},              // lock add eax, ebx
      {0xf0, 0x48, 0x83, 0xc0, 0x01},  // lock add rax, 1
      {0xf0, 0x39, 0x18},              // lock cmp [rax], ebx
      {0xf0, 0x85, 0x18},              // lock test [rax], ebx
      {0xf0, 0xf7, 0xd8},              // lock neg eax
      {0xf0, 0xff, 0xc0},              // lock inc eax
      {0xf0, 0x0f, 0xba, 0xe8, 0x03},  // lock bts eax, 3
      {0xf0, 0x0f, 0xa3, 0x18},        // lock bt [rax], ebx
      {0xf0, 0xd1, 0x20},              // lock shl dword [rax], 1
      {0xf0, 0xf7, 0x20},              // lock mul dword [rax]
      {0xf0, 0x0f, 0xaf, 0x00},        // lock imul eax, [rax]
      {0xf0, 0x0f, 0xbc, 0x00},        // lock bsf eax, [rax]
      {0xf0, 0x98},                    // lock cwde
      {0x27}, {0x2f}, {0x37}, {0x3f},  // daa das aaa aas
      {0xd4, 0x0a}, {0xd5, 0x0a},      // aam aad
  };
  hc::Engine& e = *rn.sim.e;
  for (const auto& b : cases) {
    uint64_t in[16];
    for (unsigned i = 0; i < 16; ++i) in[i] = kData + 0x1000 + 8 * i;
    std::memcpy(e.s.gpr, in, sizeof in);
    e.s.rflags = 0x2;
    hc::DecodedInsn d;
    std::vector<uint8_t> buf(b);
    buf.resize(15, 0x90);  // so that a rejected encoding never asks for more bytes
    ASSERT_EQ(rn.sim.dec->decode(buf.data(), buf.size(), hc::kDecLong64, d), hc::DecodeStatus::kOk);
    int vector = -1;
    try {
      d.exec(e, d);
    } catch (const hc::Fault& f) {
      vector = f.vector;
    }
    EXPECT_EQ(vector, hc::kUD) << "[" << hex_bytes(b.data(), b.size()) << "] "
                               << disasm(b.data(), b.size(), kInsn) << ": expected #UD";
    EXPECT_EQ(std::memcmp(e.s.gpr, in, sizeof in), 0);
    EXPECT_EQ(e.s.rflags, 0x2u);
  }
}

// The BCD adjustments cannot run natively in 64-bit mode; check them in
// compatibility mode (32-bit code segment) against the SDM's worked examples.
TEST(IsaDiff, BcdAdjustInCompatibilityMode) {
  Sim sim;
  hc::Engine& e = *sim.e;
  e.s.seg[hc::CS].attr = (e.s.seg[hc::CS].attr & ~(1u << 13)) | (1u << 14);  // L=0, D=1
  e.update_mode();
  ASSERT_EQ(e.s.mode, hc::Mode::kCompat32);
  struct Vec {
    std::vector<uint8_t> bytes;
    uint16_t ax_in;
    uint64_t fl_in;
    uint16_t ax_out;
    uint64_t fl_set, fl_clear;  // flags that must be set / clear afterwards
    const char* what;
  };
  const Vec vecs[] = {
      {{0x27}, 0x00ae, 0, 0x0014, CF, 0, "daa after 79h+35h"},
      {{0x27}, 0x0011, AF, 0x0017, AF, CF, "daa after 08h+09h"},
      {{0x2f}, 0x00ee, CF | AF, 0x0088, CF | AF, 0, "das after 35h-47h"},
      {{0x37}, 0x0011, AF, 0x0107, CF | AF, 0, "aaa after 08h+09h"},
      {{0x37}, 0x0005, 0, 0x0005, 0, CF | AF, "aaa, no adjustment"},
      {{0x3f}, 0x01fd, AF, 0x0007, CF | AF, 0, "aas after 12-5"},
      {{0xd4, 0x0a}, 0x003f, 0, 0x0603, 0, ZF, "aam 63"},
      {{0xd5, 0x0a}, 0x0603, 0, 0x003f, 0, ZF, "aad 0603h"},
      {{0xd4, 0x10}, 0x00ff, 0, 0x0f0f, PF, ZF, "aam 16"},
  };
  for (const Vec& v : vecs) {
    std::vector<uint8_t> buf(v.bytes);
    buf.resize(15, 0x90);
    hc::DecodedInsn d;
    ASSERT_EQ(sim.dec->decode(buf.data(), buf.size(), hc::kDecCompat32, d), hc::DecodeStatus::kOk);
    e.s.gpr[hc::RAX] = 0x12340000u | v.ax_in;
    e.s.rflags = 0x2 | v.fl_in;
    d.exec(e, d);
    EXPECT_EQ(e.s.gpr[hc::RAX], 0x12340000u | v.ax_out) << v.what;
    EXPECT_EQ(e.s.rflags & v.fl_set, v.fl_set) << v.what;
    EXPECT_EQ(e.s.rflags & v.fl_clear, 0u) << v.what;
  }
  // AAM 0: #DE.
  const uint8_t aam0[15] = {0xd4, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                            0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
  hc::DecodedInsn d;
  ASSERT_EQ(sim.dec->decode(aam0, sizeof aam0, hc::kDecCompat32, d), hc::DecodeStatus::kOk);
  int vector = -1;
  try {
    d.exec(e, d);
  } catch (const hc::Fault& f) {
    vector = f.vector;
  }
  EXPECT_EQ(vector, hc::kDE);
}
