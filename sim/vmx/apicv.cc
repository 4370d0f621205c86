// APIC virtualization (SDM Vol. 3 ch. 29): the virtual-APIC page and its
// registers, TPR/PPR/EOI/self-IPI virtualization, the evaluation and
// delivery of virtual interrupts (29.1-29.2) and accesses to the
// APIC-access page (29.4). The virtual-APIC page is guest memory the VMM
// reads; RVI and SVI live in the guest-interrupt-status field.
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx {

namespace {
// Register offsets in the (virtual-)APIC page (29.1, Table 11-1).
enum : unsigned { kVtpr = 0x80, kVppr = 0xa0, kVeoi = 0xb0, kVisr = 0x100, kVirr = 0x200,
                  kVicrLo = 0x300, kVicrHi = 0x310 };

// 29.4.2: with APIC-register virtualization, reads of these registers
// (the first dword of each 16-byte slot) are virtualized.
bool readable(unsigned reg) {
  switch (reg) {
    case 0x20: case 0x30: case 0x80: case 0xb0: case 0xd0: case 0xe0: case 0xf0:
    case 0x280: case 0x300: case 0x310: case 0x380: case 0x3e0:
      return true;
    default:
      return (reg >= 0x100 && reg <= 0x270) || (reg >= 0x320 && reg <= 0x370);
  }
}
// 29.4.3.1: ... and writes of these.
bool writable(unsigned reg) {
  switch (reg) {
    case 0x20: case 0x80: case 0xb0: case 0xd0: case 0xe0: case 0xf0: case 0x280:
    case 0x300: case 0x310: case 0x380: case 0x3e0:
      return true;
    default:
      return reg >= 0x320 && reg <= 0x370;
  }
}
}  // namespace

uint32_t Vmx::vapic_read(unsigned off) { return static_cast<uint32_t>(e_.read_phys(c_.vapic + off, 4)); }
void Vmx::vapic_write(unsigned off, uint32_t v) { e_.write_phys(c_.vapic + off, v, 4); }

// The highest vector set in the 256-bit VISR or VIRR (0 when none).
unsigned Vmx::vapic_highest(unsigned base) {
  for (int i = 7; i >= 0; --i) {
    const uint32_t w = vapic_read(base + 0x10 * static_cast<unsigned>(i));
    if (w) return static_cast<unsigned>(i) * 32 + 31 - static_cast<unsigned>(__builtin_clz(w));
  }
  return 0;
}
void Vmx::vapic_set_bit(unsigned base, unsigned vector, bool on) {
  const unsigned off = base + 0x10 * (vector / 32);
  const uint32_t bit = 1u << (vector % 32);
  const uint32_t w = vapic_read(off);
  vapic_write(off, on ? (w | bit) : (w & ~bit));
}

uint16_t Vmx::intr_status() { return static_cast<uint16_t>(vmcs().get(F::GUEST_INTR_STATUS)); }
void Vmx::set_intr_status(unsigned rvi, unsigned svi) {
  vmcs().set(F::GUEST_INTR_STATUS, (rvi & 0xff) | ((svi & 0xff) << 8));
}

// 29.1.3 PPR virtualization.
void Vmx::ppr_virtualization() {
  const uint32_t vtpr = vapic_read(kVtpr) & 0xff;
  const unsigned svi = intr_status() >> 8;
  vapic_write(kVppr, (vtpr >> 4) >= (svi >> 4) ? vtpr : (svi & 0xf0));
}

// 29.2.1: a virtual interrupt is recognized when interrupt-window exiting
// is 0 and RVI[7:4] > VPPR[7:4].
void Vmx::evaluate_virtual_interrupts() {
  const unsigned rvi = intr_status() & 0xff;
  const unsigned vppr = vapic_read(kVppr) & 0xff;
  vintr_ = !(c_.proc & proc::kIntrWindow) && (rvi >> 4) > (vppr >> 4);
  if (vintr_) e_.set_guest_poll(true, c_.proc & proc::kMtf);  // boundary() delivers it
}

// 29.1.2 TPR virtualization (after a write of VTPR): with virtual-interrupt
// delivery PPR virtualization and evaluation; else the trap-like
// TPR-below-threshold exit when VTPR[7:4] < TPR threshold[3:0].
void Vmx::tpr_virtualization() {
  if (c_.has2(proc2::kVintd)) {
    ppr_virtualization();
    evaluate_virtual_interrupts();
    return;
  }
  if (((vapic_read(kVtpr) >> 4) & 0xf) < (c_.tpr_threshold & 0xf))
    throw virt::GuestExit{kExitTprBelowThreshold, 0, true};
}

// 29.1.4 EOI virtualization: the in-service vector SVI retires; an EOI-exit
// bitmap bit makes it a trap-like EOI-induced exit (qualification: vector).
void Vmx::eoi_virtualization() {
  const unsigned vector = intr_status() >> 8;
  vapic_set_bit(kVisr, vector, false);
  set_intr_status(intr_status() & 0xff, vapic_highest(kVisr));
  ppr_virtualization();
  if ((c_.eoi_exit[vector / 64] >> (vector % 64)) & 1)
    throw virt::GuestExit{kExitEoiInduced, vector, true};
  evaluate_virtual_interrupts();
}

// 29.1.5 self-IPI virtualization.
void Vmx::self_ipi_virtualization(unsigned vector) {
  vapic_set_bit(kVirr, vector, true);
  const unsigned status = intr_status();
  if (vector >= (status & 0xff)) set_intr_status(vector, status >> 8);
  evaluate_virtual_interrupts();
}

// 29.2.2 virtual-interrupt delivery, at a boundary with RFLAGS.IF = 1 and
// no STI/MOV-SS blocking: RVI moves to VISR and SVI, VPPR follows, RVI
// becomes the next VIRR vector, and the vector is delivered through the
// guest IDT as an external interrupt.
void Vmx::deliver_virtual_interrupt() {
  const unsigned vector = intr_status() & 0xff;
  vapic_set_bit(kVisr, vector, true);
  vapic_write(kVppr, vector & 0xf0);
  vapic_set_bit(kVirr, vector, false);
  set_intr_status(vapic_highest(kVirr), vector);
  vintr_ = false;
  e_.set_halted(false);
  e_.deliver_event(static_cast<uint8_t>(vector), false, 0, false, virt::EventType::kExternal);
}

// 29.6 posted-interrupt processing, for an acknowledged notification
// vector: clear ON (bit 256 of the descriptor), EOI to the local APIC,
// move the 256-bit PIR (bytes 31:0) into VIRR, raise RVI to its highest
// vector, evaluate.
void Vmx::process_posted_interrupts() {
  const uint64_t d = c_.pi_desc;
  e_.write_phys(d + 32, e_.read_phys(d + 32, 1) & ~1ull, 1);
  if (core::ApicRegisters* apic = e_.apic()) apic->eoi();
  unsigned top = 0;
  for (unsigned i = 0; i < 8; ++i) {
    const uint32_t pir = static_cast<uint32_t>(e_.read_phys(d + 4 * i, 4));
    if (!pir) continue;
    e_.write_phys(d + 4 * i, 0, 4);
    vapic_write(kVirr + 0x10 * i, vapic_read(kVirr + 0x10 * i) | pir);
    top = i * 32 + 31 - static_cast<unsigned>(__builtin_clz(pir));
  }
  const unsigned status = intr_status();
  if (top > (status & 0xffu)) set_intr_status(top, status >> 8);
  evaluate_virtual_interrupts();
  e_.notify_interrupt();
}

// VM entry with virtual-interrupt delivery (26.3.2.5): PPR virtualization
// and evaluation of pending virtual interrupts.
void Vmx::enter_virtual_apic() {
  vintr_ = false;
  apic_write_off_ = kNoApicWrite;
  e_.guest_context().apic_access_page =
      c_.has2(proc2::kVirtApic) ? (c_.apic_access & ~0xfffull) : ~0ull;
  if (c_.has2(proc2::kVintd)) {
    ppr_virtualization();
    evaluate_virtual_interrupts();
  }
}

// 29.4: a linear access to the APIC-access page. Reads are virtualized (from
// the virtual-APIC page) for VTPR, or with APIC-register virtualization for
// the registers of 29.4.2; writes for VTPR, VEOI and VICR_LO with
// virtual-interrupt delivery, or those of 29.4.3.1 with APIC-register
// virtualization. Fetches, accesses without "use TPR shadow", accesses not
// within the first dword of a register and other offsets are fault-like
// APIC-access VM exits (qualification: offset, access type in 15:12,
// 28.2.1 Table 28-6; type 3 during event delivery).
uint64_t Vmx::apic_access(uint64_t pa, unsigned kind) {
  const unsigned off = pa & 0xfff, reg = off & ~0xfu;
  bool virt = false;
  if (kind != 2 && (c_.proc & proc::kTprShadow) && (off & 0xf) < 4 && off < 0x400) {
    const bool regvirt = c_.has2(proc2::kApicRegVirt);
    if (kind == 0)
      virt = regvirt ? readable(reg) : reg == kVtpr;
    else
      virt = regvirt ? writable(reg)
                     : reg == kVtpr || (c_.has2(proc2::kVintd) && (reg == kVeoi || reg == kVicrLo));
  }
  if (!virt) {
    const unsigned type = (vectoring_info_ & intr::kValid) ? 3 : kind;
    virt::GuestExit x{kExitApicAccess, off | (static_cast<uint64_t>(type) << 12)};
    // 27.2.5: a data access during instruction execution reports the
    // instruction's length (RIP is already past it here).
    if (type < 2) x.insn_len = static_cast<uint32_t>(e_.s.rip - e_.insn_rip());
    throw x;
  }
  if (kind == 1) {
    apic_write_off_ = reg;
    e_.set_guest_poll(true, c_.proc & proc::kMtf);
  }
  return c_.vapic + off;
}

// 29.4.3.2 APIC-write emulation, after the instruction that wrote the
// APIC-access page (trap-like, before other boundary events).
void Vmx::apic_write_emulation() {
  const unsigned reg = apic_write_off_;
  apic_write_off_ = kNoApicWrite;
  const bool vid = c_.has2(proc2::kVintd);
  switch (reg) {
    case kVtpr:
      vapic_write(kVtpr, vapic_read(kVtpr) & 0xff);  // bytes 3:1 cleared
      tpr_virtualization();
      return;
    case kVeoi:
      if (vid) {
        eoi_virtualization();
        return;
      }
      break;
    case kVicrLo: {
      // Self-IPI virtualization for a fixed, edge, self-shorthand IPI of a
      // vector >= 16 with the reserved bits clear; else an APIC-write exit.
      const uint32_t icr = vapic_read(kVicrLo);
      if (vid && !(icr & 0xfff3b700u) && ((icr >> 18) & 3) == 1 && (icr & 0xff) >= 16) {
        self_ipi_virtualization(icr & 0xff);
        return;
      }
      break;
    }
    case kVicrHi:
      vapic_write(kVicrHi, vapic_read(kVicrHi) & 0xff000000u);
      return;
    default:
      break;
  }
  throw virt::GuestExit{kExitApicWrite, reg, true};
}

// 29.5 "virtualize x2APIC mode": RDMSR of 808H (with APIC-register
// virtualization: of any MSR in 800H-8FFH) reads the virtual-APIC page at
// (ECX & FFH) << 4; WRMSR of 808H writes VTPR (TPR
// virtualization), with virtual-interrupt delivery 80BH is EOI
// virtualization and 83FH self-IPI virtualization. Other MSRs of the range
// are accessed normally.
bool Vmx::msr_virtualized(uint32_t index, bool write, uint64_t* value) {
  if (!c_.has2(proc2::kVirtX2apic) || index < 0x800 || index > 0x8ff) return false;
  const unsigned off = (index & 0xff) << 4;
  if (!write) {
    if (!c_.has2(proc2::kApicRegVirt) && index != 0x808) return false;
    *value = e_.read_phys(c_.vapic + off, 8);
    return true;
  }
  const bool vid = c_.has2(proc2::kVintd);
  if (index == 0x808) {
    if (*value >> 8) core::raise(core::kGP, 0);
    e_.write_phys(c_.vapic + off, *value, 8);
    tpr_virtualization();
    return true;
  }
  if (vid && index == 0x80b) {
    if (*value) core::raise(core::kGP, 0);
    eoi_virtualization();
    return true;
  }
  if (vid && index == 0x83f) {
    if (*value >> 8) core::raise(core::kGP, 0);
    if (*value < 16) {
      e_.write_phys(c_.vapic + off, *value, 8);
      throw virt::GuestExit{kExitApicWrite, off, true};
    }
    self_ipi_virtualization(static_cast<unsigned>(*value));
    return true;
  }
  return false;
}

}  // namespace hvsim::vmx
