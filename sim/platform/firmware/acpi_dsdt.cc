// The DSDT body, hand-assembled AML (ACPI 6.4, 20.2 "AML Grammar
// Definition"). Its one object is the \_S5 package (7.4.2.5 "\_S5 (Soft
// Off)"): Package { SLP_TYPa, SLP_TYPb, reserved, reserved }, the value the
// OS writes to PM1a_CNT.SLP_TYP with SLP_EN to power off. Devices are
// enumerated from the MADT and the legacy ports; nothing else is needed to
// reach userspace and power off.
#include "sim/platform/firmware/acpi.h"

namespace hvsim::platform::firmware {

std::vector<uint8_t> dsdt_aml() {
  constexpr uint8_t kNameOp = 0x08;     // 20.2.5.1 DefName := NameOp NameString DataRefObject
  constexpr uint8_t kPackageOp = 0x12;  // 20.2.5.4 DefPackage := PackageOp PkgLength NumElements
  constexpr uint8_t kBytePrefix = 0x0a; // 20.2.3 ByteConst := BytePrefix ByteData
  constexpr uint8_t kZeroOp = 0x00;
  // Package { SLP_TYPa, SLP_TYPb, 0, 0 }: six bytes of elements.
  constexpr uint8_t kElementBytes = 6;
  // 20.2.4 PkgLength, one-byte form (< 64): counts itself, NumElements and the list.
  constexpr uint8_t kPkgLength = 1 + 1 + kElementBytes;
  std::vector<uint8_t> aml = {kNameOp,   '_',        'S',       '5',         '_',
                              kPackageOp, kPkgLength, 4,         kBytePrefix, kS5SlpTyp,
                              kBytePrefix, kS5SlpTyp, kZeroOp,   kZeroOp};
  return aml;
}

}  // namespace hvsim::platform::firmware
