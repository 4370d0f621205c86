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
  bool has_monitor() const { return monitor_; }  // MONITOR/MWAIT (leaf 1 ECX[3])
  bool has_rdrand() const { return rdrand_; }    // leaf 1 ECX[30]
  bool has_rdseed() const { return rdseed_; }    // leaf 7 EBX[18]
  uint64_t rdrand_seed() const { return rdrand_seed_; }
  bool has_vmx() const { return vmx_ && !is_amd(); }
  // AMD SVM (CPUID 8000_0001h ECX[2]); its leaf 8000_000Ah comes from the
  // svm.* parameters, which svm::attach() hands over with set_svm_leaf().
  bool has_svm() const { return svm_ && is_amd(); }
  void set_svm_leaf(const CpuidResult& r) { svm_leaf_ = r; }
  // Leaf ext::kCpuidLeaf (sim/ext/extension.h): the enabled extensions'
  // feature bits; the leaf reads as zero when no extension is enabled.
  void set_ext_features(uint32_t bits, bool any) {
    ext_bits_ = bits;
    ext_any_ = any;
  }
  bool has_x2apic() const { return x2apic_; }  // leaf 1 ECX[21]
  // The initial APIC ID leaf 1 EBX[31:24] reports (the core index; System).
  void set_apic_id(uint32_t id) { apic_id_ = id; }
  // Intel architectural perfmon v2 (leaf 0AH) or AMD PerfCtrExtCore
  // (8000_0001h ECX[23]); sys/pmu.cc.
  bool has_pmu() const { return pmu_; }
  bool has_mca() const { return mce_; }  // leaf 1 EDX[7] MCE, EDX[14] MCA; sys/mce.cc
  unsigned mce_banks() const { return mce_banks_; }

 private:
  std::string vendor_ = "GenuineIntel";
  std::string brand_;
  uint32_t family_ = 6, model_ = 0x55, stepping_ = 4;
  uint32_t phys_bits_ = 46, lin_bits_ = 48;
  bool pdpe1gb_ = true, nx_ = true, pcid_ = true, smep_ = true, smap_ = true;
  uint32_t apic_id_ = 0;
  bool rdtscp_ = true, fsgsbase_ = true, invpcid_ = true, x2apic_ = true;
  bool vmx_ = true;
  bool avx_ = true;
  bool monitor_ = true, rdrand_ = true, rdseed_ = true;
  uint64_t rdrand_seed_ = 0;
  bool svm_ = true;
  bool pmu_ = true, mce_ = true;
  unsigned mce_banks_ = 10;
  CpuidResult svm_leaf_;
  uint32_t ext_bits_ = 0;
  bool ext_any_ = false;
};

}  // namespace hvsim::core
