// Descriptor-table registers and TLB/cache maintenance: LGDT, LIDT, SGDT,
// SIDT, LLDT, SLDT, LTR, STR, INVLPG, INVPCID, WBINVD, INVD, CLFLUSH
// (SDM Vol. 2A/2B; Vol. 3 2.4, 4.10.4).
#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/register.h"

namespace hvsim::core::sys {

namespace {

void require_cpl0(const Engine& e) {
  if (e.s.cpl != 0 || e.s.mode == Mode::kVm86) raise(kGP, 0);
}
void require_umip_ok(const Engine& e) {
  if ((e.s.cr4 & CR4_UMIP) && e.s.cpl > 0) raise(kGP, 0);
}

// LGDT/LIDT m16&32 / m16&64: 16-bit operand size keeps 24 base bits.
template <bool kIdt>
void load_table(Engine& e, const DecodedInsn& d) {
  if (d.op[0].kind != OpKind::kMem) raise(kUD);
  require_cpl0(e);
  if (virt::GuestHooks* g = e.guest())
    g->desc_table(kIdt ? virt::DescTable::kIdtr : virt::DescTable::kGdtr, true);
  const uint64_t ea = e.ea(d);
  const uint16_t limit = e.read<uint16_t>(e.linear(d.mem.seg, ea, 2, false));
  const uint64_t bea = Engine::mask_addr(ea + 2, d.addrsize);
  uint64_t base;
  if (e.long64()) {
    base = e.read<uint64_t>(e.linear(d.mem.seg, bea, 8, false));
    if (!canonical(e, base)) raise(kGP, 0);
  } else {
    base = e.read<uint32_t>(e.linear(d.mem.seg, bea, 4, false));
    if (d.opsize == 2) base &= 0xffffff;
  }
  TableReg& t = kIdt ? e.s.idtr : e.s.gdtr;
  t.base = base;
  t.limit = limit;
}

// SGDT/SIDT: 32 base bits outside 64-bit mode (whatever the operand size).
template <bool kIdt>
void store_table(Engine& e, const DecodedInsn& d) {
  if (d.op[0].kind != OpKind::kMem) raise(kUD);
  require_umip_ok(e);
  if (virt::GuestHooks* g = e.guest())
    g->desc_table(kIdt ? virt::DescTable::kIdtr : virt::DescTable::kGdtr, false);
  const TableReg& t = kIdt ? e.s.idtr : e.s.gdtr;
  const uint64_t ea = e.ea(d);
  const unsigned n = e.long64() ? 10 : 6;
  const uint64_t la = e.linear(d.mem.seg, ea, n, true);
  e.probe_write(la, n);
  e.write<uint16_t>(la, t.limit);
  const uint64_t bla = e.linear(d.mem.seg, Engine::mask_addr(ea + 2, d.addrsize), n - 2, true);
  if (e.long64())
    e.write<uint64_t>(bla, t.base);
  else
    e.write<uint32_t>(bla, static_cast<uint32_t>(t.base));
}

uint16_t selector_operand(Engine& e, const DecodedInsn& d) {
  if (d.op[0].kind == OpKind::kReg) return static_cast<uint16_t>(e.s.gpr[d.op[0].reg]);
  return e.read<uint16_t>(e.mem_linear(d, 2, false));
}

// SLDT/STR: a register destination gets the zero-extended selector.
void store_selector(Engine& e, const DecodedInsn& d, uint16_t sel) {
  if (d.op[0].kind == OpKind::kMem)
    e.write<uint16_t>(e.mem_linear(d, 2, true), sel);
  else if (d.opsize == 2)
    e.set_gpr<uint16_t>(d.op[0].reg, sel);
  else
    e.s.gpr[d.op[0].reg] = sel;
}

// LLDT (SDM Vol. 2A): a GDT selector of an LDT descriptor (16 bytes in IA-32e).
void lldt(Engine& e, const DecodedInsn& d) {
  if (!protected_mode(e)) raise(kUD);
  require_cpl0(e);
  if (virt::GuestHooks* g = e.guest()) g->desc_table(virt::DescTable::kLdtr, true);
  const uint16_t sel = selector_operand(e, d);
  if (sel_null(sel)) {
    e.s.ldtr = null_segment(sel);
    return;
  }
  if (sel & 4) raise(kGP, sel_err(sel));
  Descriptor ld = ia32e(e) ? read_descriptor16(e, sel) : read_descriptor(e, sel);
  if (ld.s() || ld.type() != kLdt) raise(kGP, sel_err(sel));
  if (ia32e(e) && ((ld.hi >> 40) & 0x1f)) raise(kGP, sel_err(sel));
  if (!ld.present()) raise(kNP, sel_err(sel));
  Segment sg = ld.to_segment(sel);
  if (ia32e(e)) {
    if (!canonical(e, ld.base64())) raise(kGP, sel_err(sel));
    sg.base = ld.base64();
  }
  e.s.ldtr = sg;
}

// LTR (SDM Vol. 2A): an available TSS in the GDT, then marked busy.
void ltr(Engine& e, const DecodedInsn& d) {
  if (!protected_mode(e)) raise(kUD);
  require_cpl0(e);
  if (virt::GuestHooks* g = e.guest()) g->desc_table(virt::DescTable::kTr, true);
  const uint16_t sel = selector_operand(e, d);
  if (sel_null(sel)) raise(kGP, 0);
  if (sel & 4) raise(kGP, sel_err(sel));
  Descriptor td = ia32e(e) ? read_descriptor16(e, sel) : read_descriptor(e, sel);
  const bool ok = !td.s() && (td.type() == kTss32Avail || (!ia32e(e) && td.type() == kTss16Avail));
  if (!ok) raise(kGP, sel_err(sel));
  if (ia32e(e) && ((td.hi >> 40) & 0x1f)) raise(kGP, sel_err(sel));
  if (!td.present()) raise(kNP, sel_err(sel));
  if (ia32e(e) && !canonical(e, td.base64())) raise(kGP, sel_err(sel));
  set_tss_busy(e, sel, td);
  Segment sg = td.to_segment(sel);
  if (ia32e(e)) sg.base = td.base64();
  e.s.tr = sg;
}

void sldt(Engine& e, const DecodedInsn& d) {
  if (!protected_mode(e)) raise(kUD);
  require_umip_ok(e);
  if (virt::GuestHooks* g = e.guest()) g->desc_table(virt::DescTable::kLdtr, false);
  store_selector(e, d, e.s.ldtr.selector);
}

void str(Engine& e, const DecodedInsn& d) {
  if (!protected_mode(e)) raise(kUD);
  require_umip_ok(e);
  if (virt::GuestHooks* g = e.guest()) g->desc_table(virt::DescTable::kTr, false);
  store_selector(e, d, e.s.tr.selector);
}

// INVLPG (SDM Vol. 2A): the linear address of the operand; never faults on it.
void invlpg(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  const Segment& sg = e.s.seg[d.mem.seg];
  uint64_t la = e.ea(d);
  if (!e.long64())
    la = static_cast<uint32_t>(sg.base + la);
  else if (d.mem.seg >= FS)
    la += sg.base;
  if (virt::GuestHooks* g = e.guest()) g->invlpg(la);
  e.mmu().invlpg(la, e.paging_regs());
  // A large-page translation covers many host-TLB entries.
  e.flush_tlb_page_any(la);
  e.break_block();
}

// INVPCID (SDM Vol. 2A, Vol. 3 4.10.4.1): types 0-3.
void invpcid(Engine& e, const DecodedInsn& d) {
  if (!(e.cpuid().query(7, 0).ebx & (1u << 10))) raise(kUD);  // CPUID.7:EBX.INVPCID
  if (!protected_mode(e)) raise(kGP, 0);
  require_cpl0(e);
  if (virt::GuestHooks* g = e.guest()) g->invpcid(d);
  const uint64_t type =
      e.long64() ? e.s.gpr[d.op[0].reg] : static_cast<uint32_t>(e.s.gpr[d.op[0].reg]);
  const uint64_t ea = e.ea(d);
  const uint64_t lo = e.read<uint64_t>(e.linear(d.mem.seg, ea, 8, false));
  const uint64_t hi =
      e.read<uint64_t>(e.linear(d.mem.seg, Engine::mask_addr(ea + 8, d.addrsize), 8, false));
  if (type > 3) raise(kGP, 0);
  if (type <= 1 && (lo >> 12)) raise(kGP, 0);  // PCID in bits 11:0, bits 63:12 reserved
  if (type == 0 && !canonical(e, hi)) raise(kGP, 0);
  if ((type == 0 || type == 1) && !(e.s.cr4 & CR4_PCIDE) && (lo & 0xfff)) raise(kGP, 0);
  e.mmu().invpcid(static_cast<unsigned>(type), static_cast<uint16_t>(lo & 0xfff), hi,
                  e.paging_regs());
  e.flush_tlb();
  e.break_block();
}

void cache_control(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  if (virt::GuestHooks* g = e.guest()) {
    if (d.mnemonic == ZYDIS_MNEMONIC_INVD)
      g->invd();
    else
      g->wbinvd();
  }
}

// CLFLUSH: the line must be readable (faults like a byte load); otherwise a no-op.
void clflush(Engine& e, const DecodedInsn& d) {
  (void)e.read<uint8_t>(e.mem_linear(d, 1, false));
}

}  // namespace

void register_tables(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_LGDT, &bind_plain<&load_table<false>>, k_system, true);
  t.add(ZYDIS_MNEMONIC_LIDT, &bind_plain<&load_table<true>>, k_system, true);
  t.add(ZYDIS_MNEMONIC_SGDT, &bind_plain<&store_table<false>>, k_system);
  t.add(ZYDIS_MNEMONIC_SIDT, &bind_plain<&store_table<true>>, k_system);
  t.add(ZYDIS_MNEMONIC_LLDT, &bind_plain<&lldt>, k_system, true);
  t.add(ZYDIS_MNEMONIC_SLDT, &bind_plain<&sldt>, k_system);
  t.add(ZYDIS_MNEMONIC_LTR, &bind_plain<&ltr>, k_system, true);
  t.add(ZYDIS_MNEMONIC_STR, &bind_plain<&str>, k_system);
  t.add(ZYDIS_MNEMONIC_INVLPG, &bind_plain<&invlpg>, k_system, true);
  t.add(ZYDIS_MNEMONIC_INVPCID, &bind_plain<&invpcid>, k_system, true);
  t.add(ZYDIS_MNEMONIC_WBINVD, &bind_plain<&cache_control>, k_system);
  t.add(ZYDIS_MNEMONIC_INVD, &bind_plain<&cache_control>, k_system);
  t.add(ZYDIS_MNEMONIC_CLFLUSH, &bind_plain<&clflush>, k_move);
}

}  // namespace hvsim::core::sys
