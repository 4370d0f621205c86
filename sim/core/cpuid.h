// The CPU model CPUID reports, built from the config (cpu.*), so a preset can
// offer or withhold a feature. Leaves follow SDM Vol. 2A "CPUID" and the AMD
// APM Vol. 3 appendix E.
#pragma once

#include <cstdint>
#include <string>

#include "sim/base/params.h"

namespace hvsim::core {

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

class CpuidModel {
 public:
  static void declare_params(hvsim::base::ParamRegistry& reg);
  void configure(const hvsim::base::Config& cfg);
  CpuidResult query(uint32_t leaf, uint32_t subleaf) const;

  uint32_t maxphyaddr() const { return phys_bits_; }
  uint32_t linear_bits() const { return lin_bits_; }
  bool has_1g_pages() const { return pdpe1gb_; }
  bool is_amd() const { return vendor_ == "AuthenticAMD"; }
  bool has_vmx() const { return vmx_ && !is_amd(); }

 private:
  std::string vendor_ = "GenuineIntel";
  std::string brand_;
  uint32_t family_ = 6, model_ = 0x55, stepping_ = 4;
  uint32_t phys_bits_ = 46, lin_bits_ = 48;
  bool pdpe1gb_ = true, nx_ = true, pcid_ = true, smep_ = true, smap_ = true;
  bool rdtscp_ = true, fsgsbase_ = true, invpcid_ = true, x2apic_ = true;
  bool vmx_ = true;
};

}  // namespace hvsim::core
