#include "sim/platform/intc/io_apic.h"

namespace hvsim::platform::intc {
namespace {
// Writable redirection-entry bits (82093AA 3.2.4): vector, delivery mode,
// destination mode, polarity, trigger, mask, destination [63:56].
constexpr uint64_t kWritable = 0xff00'0000'0001'afffull;
}  // namespace

IoApic::IoApic(ApicBus& bus, uint8_t id) : bus_(bus), reset_id_(id) { reset(); }

// 82093AA 3.0: after reset all entries are masked, the rest 0.
void IoApic::reset() {
  regsel_ = 0;
  id_ = reset_id_;
  redir_.fill(kMask);
  level_.fill(false);
}

uint32_t IoApic::read(uint64_t offset, unsigned len) {
  uint32_t v = 0;
  if (offset < 4)
    v = uint32_t(regsel_) >> (8 * offset);
  else if (offset >= kWindow && offset < kWindow + 4)
    v = read_reg(regsel_) >> (8 * (offset - kWindow));
  return len >= 4 ? v : v & ((1u << (8 * len)) - 1);
}

void IoApic::write(uint64_t offset, uint32_t value, unsigned len) {
  (void)len;
  if (offset == kRegSel)
    regsel_ = uint8_t(value);
  else if (offset == kWindow)
    write_reg(regsel_, value);
}

// 82093AA 3.1: 00h IOAPICID (bits 27:24), 01h IOAPICVER, 02h IOAPICARB,
// 10h-3Fh the redirection table, low dword at 10h + 2n.
uint32_t IoApic::read_reg(uint8_t index) const {
  switch (index) {
    case 0x00: return uint32_t(id_) << 24;
    case 0x01: return kVersion;
    case 0x02: return uint32_t(id_) << 24;  // arbitration ID is loaded from the ID
    default: break;
  }
  if (index >= 0x10 && index < 0x10 + 2 * kPins) {
    const uint64_t e = redir_[(index - 0x10) / 2];
    return index & 1 ? uint32_t(e >> 32) : uint32_t(e);
  }
  return 0;
}

void IoApic::write_reg(uint8_t index, uint32_t value) {
  if (index == 0x00) {
    id_ = (value >> 24) & 0xf;
    return;
  }
  if (index < 0x10 || index >= 0x10 + 2 * kPins) return;  // version, arbitration: read-only
  const unsigned pin = (index - 0x10) / 2;
  uint64_t& e = redir_[pin];
  const uint64_t keep = e & (kRemoteIrr | kDeliveryStatus);
  uint64_t ne = index & 1 ? (e & 0xffffffffull) | (uint64_t(value) << 32)
                          : (e & 0xffffffff00000000ull) | value;
  ne = (ne & kWritable) | keep;
  if (!(ne & kTrigger)) ne &= ~kRemoteIrr;  // Remote IRR is undefined for edge entries
  e = ne;
  service(pin);  // an unmasked, asserted level pin is delivered now
}

void IoApic::send(unsigned pin) {
  const uint64_t e = redir_[pin];
  ApicMessage m;
  m.vector = uint8_t(e);
  m.mode = DeliveryMode((e >> 8) & 7);
  m.logical = e & (1u << 11);
  m.level = e & kTrigger;
  // 82093AA 3.2.4: bits 63:56 (physical: the APIC ID; the 82093AA decodes
  // bits 59:56, xAPIC-era parts and QEMU all 8 bits, 0xff broadcast).
  m.dest = uint32_t(e >> 56);
  ++delivered[pin];
  if (bus_.deliver(m) && m.level && m.mode != DeliveryMode::kExtInt) redir_[pin] |= kRemoteIrr;
}

void IoApic::service(unsigned pin) {
  const uint64_t e = redir_[pin];
  if ((e & kTrigger) && level_[pin] && !(e & kMask) && !(e & kRemoteIrr)) send(pin);
}

void IoApic::set_pin(unsigned pin, bool asserted) {
  if (pin >= kPins) return;
  const bool rising = asserted && !level_[pin];
  level_[pin] = asserted;
  if (rising) ++asserts[pin];
  const uint64_t e = redir_[pin];
  if (e & kTrigger) {
    service(pin);
  } else if (rising) {
    if (e & kMask)
      ++masked_edges;  // an edge on a masked input is lost
    else
      send(pin);
  }
}

void IoApic::eoi(uint8_t vector) {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& e = redir_[pin];
    if ((e & kRemoteIrr) && uint8_t(e) == vector) {
      e &= ~kRemoteIrr;
      ++eois;
      service(pin);
    }
  }
}

}  // namespace hvsim::platform::intc
