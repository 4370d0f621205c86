// A test machine: an Engine over RAM (DMI) and a port log, with helpers to
// build GDT/IDT/TSS/page tables and to enter each mode by hand.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "sim/base/params.h"
#include "sim/core/engine.h"

namespace hvsim::core::testing {

class RamBus : public Bus {
 public:
  explicit RamBus(size_t bytes) : ram(bytes, 0) {}
  bool mem_read(uint64_t pa, void* data, unsigned len) override {
    if (pa + len > ram.size()) {
      std::memset(data, 0xff, len);
      return false;
    }
    std::memcpy(data, ram.data() + pa, len);
    return true;
  }
  bool mem_write(uint64_t pa, const void* data, unsigned len) override {
    if (pa + len > ram.size()) return false;
    std::memcpy(ram.data() + pa, data, len);
    return true;
  }
  uint32_t io_in(uint16_t port, unsigned len) override {
    ins.push_back(port);
    return len == 4 ? 0x12345678u : len == 2 ? 0x5678u : 0x78u;
  }
  void io_out(uint16_t port, uint32_t v, unsigned) override {
    outs.emplace_back(port, v);
    if (on_out) on_out(port, v);
  }
  bool get_dmi(uint64_t pa, DmiRegion& out) override {
    if (pa >= ram.size()) return false;
    out.start = 0;
    out.end = ram.size() - 1;
    out.host = ram.data();
    return true;
  }
  std::vector<uint8_t> ram;
  std::vector<uint16_t> ins;
  std::vector<std::pair<uint16_t, uint32_t>> outs;
  std::function<void(uint16_t, uint32_t)> on_out;  // a device's response to a port write
};

// Segment attributes (Segment::attr layout).
constexpr uint32_t kCode64 = 0xb | 0x10 | 0x80 | (1u << 13) | (1u << 15);  // L=1, G=1
constexpr uint32_t kCode32 = 0xb | 0x10 | 0x80 | (1u << 14) | (1u << 15);  // D=1, G=1
constexpr uint32_t kData32 = 0x3 | 0x10 | 0x80 | (1u << 14) | (1u << 15);  // B=1, G=1
constexpr uint32_t kCode16 = 0xb | 0x10 | 0x80;
constexpr uint32_t kData16 = 0x3 | 0x10 | 0x80;
constexpr uint32_t dpl(unsigned d) {
  return d << 5;
}

// An 8-byte code/data descriptor from base, limit (raw, in G units) and attr.
inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t attr) {
  return (limit & 0xffffull) | (static_cast<uint64_t>(base & 0xffffff) << 16) |
         (static_cast<uint64_t>(attr & 0xff) << 40) |
         (static_cast<uint64_t>((limit >> 16) & 0xf) << 48) |
         (static_cast<uint64_t>((attr >> 12) & 0xf) << 52) |
         (static_cast<uint64_t>(base >> 24) << 56);
}

// Fixed layout of the test machine (physical = linear, identity paging).
constexpr uint64_t kGdt = 0x1000, kIdt = 0x2000, kStubs = 0x3000, kTss = 0x4000;
constexpr uint64_t kPml4 = 0x10000;
constexpr uint64_t kStack0 = 0x80000, kRsp0 = 0x90000, kIst1 = 0xa0000, kUserStack = 0xb0000;
constexpr uint64_t kCode = 0x100000, kUserCode = 0x110000;
// GDT selectors.
constexpr uint16_t kSelCode64 = 0x08, kSelData0 = 0x10, kSelUCode32 = 0x18, kSelUData = 0x20,
                   kSelUCode64 = 0x28, kSelCode32 = 0x30, kSelCode16 = 0x38, kSelData16 = 0x40,
                   kSelTss = 0x48;

class Machine {
 public:
  Machine() : bus(16 << 20) {
    Engine::declare_params(reg);
    cfg = std::make_unique<base::Config>(reg);
    e = std::make_unique<Engine>(bus, *cfg);
    write_gdt();
  }

  ArchState& s() { return e->s; }

  void load(uint64_t pa, const std::vector<uint8_t>& bytes) {
    std::memcpy(bus.ram.data() + pa, bytes.data(), bytes.size());
  }
  template <typename T>
  void poke(uint64_t pa, T v) {
    std::memcpy(bus.ram.data() + pa, &v, sizeof v);
  }
  template <typename T>
  T peek(uint64_t pa) const {
    T v;
    std::memcpy(&v, bus.ram.data() + pa, sizeof v);
    return v;
  }

  RunExit run(uint64_t max_insns = 100000) {
    e->set_insn_limit(e->instructions() + max_insns);
    return e->run(~0ull);
  }

  void write_gdt() {
    poke<uint64_t>(kGdt + kSelCode64, seg_desc(0, 0xfffff, kCode64));
    poke<uint64_t>(kGdt + kSelData0, seg_desc(0, 0xfffff, kData32));
    poke<uint64_t>(kGdt + kSelUCode32, seg_desc(0, 0xfffff, kCode32 | dpl(3)));
    poke<uint64_t>(kGdt + kSelUData, seg_desc(0, 0xfffff, kData32 | dpl(3)));
    poke<uint64_t>(kGdt + kSelUCode64, seg_desc(0, 0xfffff, kCode64 | dpl(3)));
    poke<uint64_t>(kGdt + kSelCode32, seg_desc(0, 0xfffff, kCode32));
    poke<uint64_t>(kGdt + kSelCode16, seg_desc(0, 0xffff, kCode16));
    poke<uint64_t>(kGdt + kSelData16, seg_desc(0, 0xffff, kData16));
    // 64-bit TSS (available), 16-byte descriptor; also usable as a 32-bit TSS.
    poke<uint64_t>(kGdt + kSelTss, seg_desc(static_cast<uint32_t>(kTss), 0x67, 0x89));
    poke<uint64_t>(kGdt + kSelTss + 8, 0);
    // 64-bit TSS: RSP0, IST1; I/O map base beyond the limit (no bitmap).
    poke<uint64_t>(kTss + 4, kRsp0);
    poke<uint64_t>(kTss + 0x24, kIst1);
    poke<uint16_t>(kTss + 0x66, 0x68);
  }

  // Identity map of the first 8 MiB with 2 MiB user-accessible pages (PAE / 4-level).
  void write_page_tables() {
    poke<uint64_t>(kPml4, (kPml4 + 0x1000) | 7);
    poke<uint64_t>(kPml4 + 0x1000, (kPml4 + 0x2000) | 7);
    for (uint64_t i = 0; i < 4; ++i) poke<uint64_t>(kPml4 + 0x2000 + 8 * i, (i << 21) | 0x87);
  }

  // A 64-bit interrupt/trap gate for `vector` to `target`.
  void set_gate64(unsigned vector, uint64_t target, unsigned type = 0xe, unsigned gdpl = 0,
                  unsigned ist = 0, bool present = true, uint16_t sel = kSelCode64) {
    uint64_t lo = (target & 0xffff) | (static_cast<uint64_t>(sel) << 16) |
                  (static_cast<uint64_t>(ist) << 32) |
                  (static_cast<uint64_t>(type | gdpl << 5 | (present ? 0x80 : 0)) << 40) |
                  (((target >> 16) & 0xffff) << 48);
    poke<uint64_t>(kIdt + 16 * vector, lo);
    poke<uint64_t>(kIdt + 16 * vector + 8, target >> 32);
  }
  // A 32-bit gate (8-byte IDT entries).
  void set_gate32(unsigned vector, uint32_t target, unsigned type = 0xe, unsigned gdpl = 0,
                  uint16_t sel = kSelCode32) {
    uint64_t lo = (target & 0xffff) | (static_cast<uint64_t>(sel) << 16) |
                  (static_cast<uint64_t>(type | gdpl << 5 | 0x80) << 40) |
                  (static_cast<uint64_t>(target >> 16) << 48);
    poke<uint64_t>(kIdt + 8 * vector, lo);
  }

  // Handler stubs: vector v runs `mov r14d, v; hlt` (64-bit) or `mov esi, v; hlt` (32-bit).
  static uint64_t stub(unsigned v) { return kStubs + 16 * v; }
  void write_stubs64() {
    for (unsigned v = 0; v < 256; ++v) {
      load(stub(v), {0x41, 0xbe, static_cast<uint8_t>(v), 0, 0, 0, 0xf4});
      set_gate64(v, stub(v));
    }
  }
  void write_stubs32() {
    for (unsigned v = 0; v < 256; ++v) {
      load(stub(v), {0xbe, static_cast<uint8_t>(v), 0, 0, 0, 0xf4});
      set_gate32(v, static_cast<uint32_t>(stub(v)));
    }
  }

  Segment seg(uint16_t sel, uint32_t attr, uint32_t limit = 0xffffffff) {
    return Segment{sel, 0, limit, attr | 1};
  }

  // 64-bit mode at CPL 0 with paging, a GDT, an IDT of stubs and a TSS.
  void enter_long64(uint64_t rip = kCode) {
    write_page_tables();
    write_stubs64();
    ArchState& st = e->s;
    st.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
    st.cr4 = CR4_PAE;
    st.cr3 = kPml4;
    st.efer = EFER_LME | EFER_LMA | EFER_SCE;
    st.gdtr = TableReg{kGdt, 0x57};
    st.idtr = TableReg{kIdt, 256 * 16 - 1};
    for (unsigned i = 0; i < kNumSegs; ++i) st.seg[i] = seg(kSelData0, kData32);
    st.seg[CS] = seg(kSelCode64, kCode64);
    st.tr = Segment{kSelTss, kTss, 0x67, 0x8b};
    st.ldtr = Segment{0, 0, 0, 1u << 16};
    st.gpr[RSP] = kStack0;
    st.rip = rip;
    st.rflags = 2;
    e->set_cpl(0);
    e->update_mode();
    e->flush_tlb();
  }

  // 32-bit protected mode at CPL 0, no paging, 8-byte IDT entries.
  void enter_prot32(uint64_t rip = kCode) {
    write_stubs32();
    ArchState& st = e->s;
    st.cr0 = CR0_PE | CR0_ET | CR0_NE;
    st.gdtr = TableReg{kGdt, 0x57};
    st.idtr = TableReg{kIdt, 256 * 8 - 1};
    for (unsigned i = 0; i < kNumSegs; ++i) st.seg[i] = seg(kSelData0, kData32);
    st.seg[CS] = seg(kSelCode32, kCode32);
    st.tr = Segment{kSelTss, kTss, 0x67, 0x8b};
    st.ldtr = Segment{0, 0, 0, 1u << 16};
    st.gpr[RSP] = kStack0;
    st.rip = rip;
    st.rflags = 2;
    e->set_cpl(0);
    e->update_mode();
    e->flush_tlb();
  }

  // Real mode as after reset, but starting at 0000:rip.
  void enter_real(uint16_t ip) {
    ArchState& st = e->s;
    for (unsigned i = 0; i < kNumSegs; ++i) st.seg[i] = Segment{0, 0, 0xffff, 0x93};
    st.seg[CS] = Segment{0, 0, 0xffff, 0x9b};
    st.tr = Segment{0, 0, 0xffff, 0x8b};
    st.ldtr = Segment{0, 0, 0xffff, 0x82};
    st.gdtr = TableReg{0, 0xffff};
    st.idtr = TableReg{0, 0x3ff};
    st.rip = ip;
    st.gpr[RSP] = 0x7000;
    e->set_cpl(0);
    e->update_mode();
    e->flush_tlb();
  }

  uint64_t stack64(unsigned i) const { return peek<uint64_t>(e->s.gpr[RSP] + 8 * i); }

  base::ParamRegistry reg;
  std::unique_ptr<base::Config> cfg;
  RamBus bus;
  std::unique_ptr<Engine> e;
};

}  // namespace hvsim::core::testing
