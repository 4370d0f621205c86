// The DSDT body, hand-assembled AML (ACPI 6.4, 20.2 "AML Grammar
// Definition"). Two objects:
//  - \_S5 (7.4.2.5 "\_S5 (Soft Off)"): Package { SLP_TYPa, SLP_TYPb,
//    reserved, reserved }, the value the OS writes to PM1a_CNT.SLP_TYP
//    with SLP_EN to power off;
//  - \_SB.PCI0, the PCI root bridge (PNP0A03, bus 0, 6.1.5 _HID, 6.1.1
//    _ADR, 6.1.12 _UID), so the OS scans bus 0 through configuration
//    mechanism #1 and finds the 440FX (devices/pci_host.h). Its _CRS
//    (6.2.2) gives only the bus range 0-255: there is no device behind it
//    needing I/O or memory windows.
// Other devices are found from the MADT and the legacy ports.
#include <stdexcept>

#include "sim/platform/firmware/acpi.h"

namespace hvsim::platform::firmware {

namespace {

constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kNameOp = 0x08;      // 20.2.5.1 DefName := NameOp NameString DataRefObject
constexpr uint8_t kBytePrefix = 0x0a;  // 20.2.3 ByteConst := BytePrefix ByteData
constexpr uint8_t kDWordPrefix = 0x0c; // 20.2.3 DWordConst := DWordPrefix DWordData
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;    // 20.2.5.4 DefBuffer := BufferOp PkgLength BufferSize ByteList     // 20.2.5.1 DefScope := ScopeOp PkgLength NameString TermList
constexpr uint8_t kPackageOp = 0x12;   // 20.2.5.4 DefPackage := PackageOp PkgLength NumElements ...
constexpr uint8_t kExtOpPrefix = 0x5b, kDeviceOp = 0x82;  // 20.2.5.2 DefDevice
constexpr uint8_t kRootChar = 0x5c;    // '\'

void add(std::vector<uint8_t>& v, std::initializer_list<uint8_t> b) {
  for (uint8_t x : b) v.push_back(x);
}
void add(std::vector<uint8_t>& v, const std::vector<uint8_t>& b) {
  for (uint8_t x : b) v.push_back(x);
}

// 20.2.4 PkgLength in its one-byte form (bodies under 63 bytes): the
// length counts itself and what follows.
uint8_t pkg_length(size_t body) {
  if (body > 62) throw std::length_error("AML package too long for a one-byte PkgLength");
  return uint8_t(1 + body);
}

// EisaId("PNP0A03") (19.6.35): three letters compressed into 5 bits each,
// then the product number, stored big-endian: 41 D0 0A 03.
constexpr uint8_t kPnp0a03[4] = {0x41, 0xd0, 0x0a, 0x03};

std::vector<uint8_t> pci0_device() {
  std::vector<uint8_t> body = {'P', 'C', 'I', '0'};
  add(body, {kNameOp, '_', 'H', 'I', 'D', kDWordPrefix, kPnp0a03[0], kPnp0a03[1], kPnp0a03[2],
             kPnp0a03[3]});
  add(body, {kNameOp, '_', 'A', 'D', 'R', kZeroOp});
  add(body, {kNameOp, '_', 'U', 'I', 'D', kZeroOp});
  // _CRS: a Word Address Space Descriptor (6.4.3.5.3) for bus numbers
  // 0-0xFF (type 2; MinFixed, MaxFixed, producer), then the End Tag
  // (6.4.2.9, checksum 0: "treated as correct").
  const std::vector<uint8_t> crs = {0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01, 0x79, 0x00};
  add(body, {kNameOp, '_', 'C', 'R', 'S', kBufferOp, pkg_length(2 + crs.size()), kBytePrefix,
             uint8_t(crs.size())});
  add(body, crs);
  std::vector<uint8_t> dev = {kExtOpPrefix, kDeviceOp, pkg_length(body.size())};
  add(dev, body);
  return dev;
}

}  // namespace

std::vector<uint8_t> dsdt_aml() {
  std::vector<uint8_t> aml;
  // Name (_S5, Package (4) { S5, S5, Zero, Zero }): six bytes of elements.
  add(aml, {kNameOp, '_', 'S', '5', '_', kPackageOp, pkg_length(1 + 6), 4, kBytePrefix, kS5SlpTyp,
            kBytePrefix, kS5SlpTyp, kZeroOp, kZeroOp});
  // Scope (\_SB) { Device (PCI0) { ... } }
  std::vector<uint8_t> scope_body = {kRootChar, '_', 'S', 'B', '_'};
  add(scope_body, pci0_device());
  add(aml, {kScopeOp, pkg_length(scope_body.size())});
  add(aml, scope_body);
  return aml;
}

}  // namespace hvsim::platform::firmware
