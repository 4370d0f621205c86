// Fuzz target (e): decode and execute random bytes in every CPU mode, as
// tests/unit/core/random_code_test.cc does with a fixed generator.
// Input: byte 0 picks the mode, the next 32 bytes give the 16 GPRs (so
// pointers reach anywhere in RAM), the rest is the code (at most 8 KiB).
// Checks: fuzz_machine.h's run_checked (known exits, no exception, ASan).
#include <algorithm>
#include <cstring>
#include <vector>

#include "tests/fuzz/fuzz_machine.h"

namespace {

using namespace hvsim::core;
using namespace hvsim::core::testing;

enum CpuMode : uint8_t {
  kReal,        // real mode, code at 0000:8000
  kProt16,      // protected mode, 16-bit code segment
  kProt32,      // protected mode, flat 32-bit, no paging
  kProt32User,  // protected mode at CPL 3
  kV8086,       // virtual-8086 mode (EFLAGS.VM) under a 32-bit monitor
  kLong64,      // 64-bit mode at CPL 0, 4-level paging
  kLong64User,  // 64-bit mode at CPL 3
  kCompat32,    // compatibility mode (32-bit code segment in IA-32e mode)
  kModes
};

constexpr size_t kHeader = 1 + 32;
constexpr uint64_t kLowCode = 0x8000;  // below 64 KiB, clear of the GDT, IDT and TSS
constexpr size_t kMaxCode = 8192;

void enter(Machine& m, CpuMode mode) {
  ArchState& s = m.s();
  switch (mode) {
    case kReal:
      m.enter_real(kLowCode);
      return;
    case kProt16:
      m.enter_prot32();
      s.seg[CS] = m.seg(kSelCode16, kCode16, 0xffff);
      for (unsigned i : {ES, SS, DS, FS, GS}) s.seg[i] = m.seg(kSelData16, kData16, 0xffff);
      s.rip = kLowCode;  // 16-bit offsets: the code is loaded below 64 KiB
      s.gpr[RSP] = 0x7000;
      break;
    case kProt32:
      m.enter_prot32();
      return;
    case kProt32User:
      m.enter_prot32();
      s.seg[CS] = m.seg(kSelUCode32 | 3, kCode32 | dpl(3));
      for (unsigned i : {ES, SS, DS, FS, GS}) s.seg[i] = m.seg(kSelUData | 3, kData32 | dpl(3));
      s.gpr[RSP] = kUserStack;
      m.e->set_cpl(3);
      break;
    case kV8086:
      m.enter_prot32();
      for (unsigned i = 0; i < kNumSegs; ++i) s.seg[i] = Segment{0x800, kLowCode, 0xffff, 0xf3};
      s.rip = 0;  // CS:IP = 0800:0000, linear 0x8000
      s.gpr[RSP] = 0x6000;
      s.rflags = 2 | (1u << 17);  // VM
      m.e->set_cpl(3);
      break;
    case kLong64:
      m.enter_long64();
      return;
    case kLong64User:
      m.enter_long64();
      s.seg[CS] = m.seg(kSelUCode64 | 3, kCode64 | dpl(3));
      for (unsigned i : {ES, SS, DS, FS, GS}) s.seg[i] = m.seg(kSelUData | 3, kData32 | dpl(3));
      s.gpr[RSP] = kUserStack;
      m.e->set_cpl(3);
      break;
    case kCompat32:
      m.enter_long64();
      s.seg[CS] = m.seg(kSelCode32, kCode32);
      break;
    default:
      return;
  }
  m.e->update_mode();
  m.e->flush_tlb();
}

void write_seeds(const std::string& dir) {
  // Per mode: a few ordinary instructions, then a store through RBX, an
  // exception (UD2), and HLT.
  const std::vector<uint8_t> code = {0x90, 0x31, 0xc0, 0x40, 0x89, 0x03, 0x0f, 0x0b, 0xf4};
  for (uint8_t mode = 0; mode < kModes; ++mode) {
    std::vector<uint8_t> in(kHeader, 0);
    in[0] = mode;
    in[1 + 2 * RBX + 1] = 0x50;  // RBX = 0x5000
    in.insert(in.end(), code.begin(), code.end());
    hvsim::fuzz::write_seed(dir, "mode-" + std::to_string(mode), in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hvsim::fuzz::maybe_write_seeds(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeader) return 0;
  const CpuMode mode = static_cast<CpuMode>(data[0] % kModes);
  static Machine m;
  static const bool configured = [] {
    m.e.reset();
    hvsim::fuzz::guard_ram(m);
    hvsim::fuzz::configure_for_fuzzing(*m.cfg);
    return true;
  }();
  (void)configured;
  hvsim::fuzz::reset_machine(m);
  const size_t n = std::min(size - kHeader, kMaxCode);
  const std::vector<uint8_t> code(data + kHeader, data + kHeader + n);
  // Real, 16-bit and v8086 code runs at linear kLowCode; the rest at kCode.
  const bool low = mode == kReal || mode == kProt16 || mode == kV8086;
  if (!code.empty()) m.load(low ? kLowCode : kCode, code);
  enter(m, mode);
  // A 32-bit TSS needs SS0 next to ESP0 for interrupts from CPL 3 and v8086.
  if (mode == kProt32User || mode == kV8086) m.poke<uint16_t>(kTss + 8, kSelData0);
  for (unsigned r = 0; r < 16; ++r) {
    if (r == RSP) continue;
    uint16_t v;
    std::memcpy(&v, data + 1 + 2 * r, 2);
    m.s().gpr[r] = static_cast<uint64_t>(v) << 8;  // 0 .. 16 MiB: pointers into RAM
  }
  hvsim::fuzz::run_checked(m, 1000, 2);
  hvsim::fuzz::finish_machine(m);
  return 0;
}
