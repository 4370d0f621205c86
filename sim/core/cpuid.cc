#include "sim/core/cpuid.h"

#include <cstring>

#include "sim/core/simd/host_cpu.h"
#include "sim/ext/extension.h"

namespace hvsim::core {

void CpuidModel::declare_params(hvsim::base::ParamRegistry& reg) {
  reg.add_string("cpu.vendor", "GenuineIntel", "CPUID vendor string (leaf 0)",
                 {"GenuineIntel", "AuthenticAMD"});
  reg.add_string("cpu.brand", "hvsim x86-64 model", "CPUID brand string (leaves 0x80000002-4)");
  reg.add_uint("cpu.family", 6, "", "CPUID family (leaf 1 EAX)", 0, 0xff + 0xf);
  reg.add_uint("cpu.model", 0x55, "", "CPUID model (leaf 1 EAX)", 0, 0xff);
  reg.add_uint("cpu.stepping", 4, "", "CPUID stepping (leaf 1 EAX)", 0, 0xf);
  reg.add_uint("cpu.phys_addr_bits", 46, "bits", "MAXPHYADDR (leaf 0x80000008 EAX[7:0])", 36, 52);
  reg.add_uint("cpu.linear_addr_bits", 48, "bits", "linear address width (leaf 0x80000008 EAX[15:8])",
               48, 48);
  reg.add_bool("cpu.pdpe1gb", true, "1 GiB pages (leaf 0x80000001 EDX[26])");
  reg.add_bool("cpu.nx", true, "execute-disable bit (leaf 0x80000001 EDX[20])");
  reg.add_bool("cpu.pcid", true, "process-context identifiers (leaf 1 ECX[17])");
  reg.add_bool("cpu.smep", true, "supervisor-mode execution prevention (leaf 7 EBX[7])");
  reg.add_bool("cpu.smap", true, "supervisor-mode access prevention (leaf 7 EBX[20])");
  reg.add_bool("cpu.rdtscp", true, "RDTSCP and IA32_TSC_AUX (leaf 0x80000001 EDX[27])");
  reg.add_bool("cpu.fsgsbase", true, "RD/WR FS/GS BASE instructions (leaf 7 EBX[0])");
  reg.add_bool("cpu.invpcid", true, "INVPCID (leaf 7 EBX[10])");
  reg.add_bool("cpu.x2apic", true, "x2APIC mode of the local APIC (leaf 1 ECX[21])");
  reg.add_bool("cpu.pmu", true,
               "performance counters: Intel architectural perfmon v2 (leaf 0xA), AMD core "
               "counters with PerfCtrExtCore (leaf 0x80000001 ECX[23]); sys/pmu.cc");
  reg.add_bool("cpu.mce", true, "machine-check MSRs (leaf 1 EDX[7] MCE, EDX[14] MCA); sys/mce.cc");
  reg.add_uint("cpu.mce_banks", 10, "banks", "machine-check banks (IA32_MCG_CAP[7:0])", 1, 10);
  reg.add_bool("cpu.monitor", true,
               "MONITOR/MWAIT (leaf 1 ECX[3], leaf 5); MWAIT returns at once (sys/priv.cc)");
  reg.add_bool("cpu.rdrand", true, "RDRAND (leaf 1 ECX[30]); values from cpu.rdrand_seed");
  reg.add_bool("cpu.rdseed", true, "RDSEED (leaf 7 EBX[18]); values from cpu.rdrand_seed");
  reg.add_uint("cpu.rdrand_seed", 0x68767369, "",
               "seed of the deterministic generator behind RDRAND/RDSEED (same seed, same values)");
  reg.add_bool("cpu.avx", true,
               "AVX, AVX2, FMA, F16C and the AVX state component (XCR0 bit 2); "
               "withheld anyway when the host lacks them (they run on the host FPU)");
  reg.add_bool("cpu.vmx", true,
               "VMX (leaf 1 ECX[5]); the capabilities are the vmx.* parameters (Intel vendor only)");
  reg.add_bool("cpu.svm", true,
               "SVM (leaf 0x80000001 ECX[2]); the capabilities are the svm.* parameters "
               "(AuthenticAMD vendor only)");
}

void CpuidModel::configure(const hvsim::base::Config& cfg) {
  vendor_ = cfg.get_string("cpu.vendor");
  brand_ = cfg.get_string("cpu.brand");
  family_ = static_cast<uint32_t>(cfg.get_uint("cpu.family"));
  model_ = static_cast<uint32_t>(cfg.get_uint("cpu.model"));
  stepping_ = static_cast<uint32_t>(cfg.get_uint("cpu.stepping"));
  phys_bits_ = static_cast<uint32_t>(cfg.get_uint("cpu.phys_addr_bits"));
  lin_bits_ = static_cast<uint32_t>(cfg.get_uint("cpu.linear_addr_bits"));
  pdpe1gb_ = cfg.get_bool("cpu.pdpe1gb");
  nx_ = cfg.get_bool("cpu.nx");
  pcid_ = cfg.get_bool("cpu.pcid");
  smep_ = cfg.get_bool("cpu.smep");
  smap_ = cfg.get_bool("cpu.smap");
  rdtscp_ = cfg.get_bool("cpu.rdtscp");
  fsgsbase_ = cfg.get_bool("cpu.fsgsbase");
  invpcid_ = cfg.get_bool("cpu.invpcid");
  monitor_ = cfg.get_bool("cpu.monitor");
  rdrand_ = cfg.get_bool("cpu.rdrand");
  rdseed_ = cfg.get_bool("cpu.rdseed");
  rdrand_seed_ = cfg.get_uint("cpu.rdrand_seed");
  vmx_ = cfg.get_bool("cpu.vmx");
  avx_ = cfg.get_bool("cpu.avx");
  svm_ = cfg.get_bool("cpu.svm");
  x2apic_ = cfg.get_bool("cpu.x2apic");
  pmu_ = cfg.get_bool("cpu.pmu");
  mce_ = cfg.get_bool("cpu.mce");
  mce_banks_ = static_cast<unsigned>(cfg.get_uint("cpu.mce_banks"));
}

namespace {
uint32_t str4(const std::string& s, size_t off) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i)
    if (off + i < s.size()) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[off + i])) << (8 * i);
  return v;
}
}  // namespace

// SDM Vol. 2A CPUID; only features the core implements are reported.
CpuidResult CpuidModel::query(uint32_t leaf, uint32_t subleaf) const {
  CpuidResult r;
  switch (leaf) {
    case 0:
      r.eax = 0xd;  // through leaf 0DH (XSAVE); 0AH reads zero without the Intel PMU
      r.ebx = str4(vendor_, 0);
      r.edx = str4(vendor_, 4);
      r.ecx = str4(vendor_, 8);
      break;
    case 1: {
      uint32_t fam = family_ > 0xf ? 0xf : family_;
      uint32_t ext_fam = family_ > 0xf ? family_ - 0xf : 0;
      r.eax = stepping_ | (model_ & 0xf) << 4 | fam << 8 | (model_ >> 4) << 16 | ext_fam << 20;
      // CLFLUSH line 8*8 bytes, 1 logical processor, EBX[31:24] the initial APIC ID.
      r.ebx = 8u << 8 | 1u << 16 | (apic_id_ & 0xff) << 24;
      r.ecx = 1u << 13;           // CMPXCHG16B
      if (monitor_) r.ecx |= 1u << 3;
      if (has_vmx()) r.ecx |= 1u << 5;
      if (pcid_) r.ecx |= 1u << 17;
      if (x2apic_) r.ecx |= 1u << 21;
      r.ecx |= 1u << 23;  // POPCNT
      r.ecx |= 1u << 24;  // TSC-deadline mode of the local APIC timer (intc/local_apic.cc)
      if (rdrand_) r.ecx |= 1u << 30;
      r.edx = 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 9 | 1u << 11 | 1u << 13 |
              1u << 15 | 1u << 16 | 1u << 17;  // PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36
      if (mce_) r.edx |= 1u << 7 | 1u << 14;   // MCE, MCA
      r.edx |= 1u << 0;   // FPU: the whole x87 instruction set (sim/core/x87)
      r.edx |= 1u << 23;  // MMX (sim/core/x87/mmx.cc)
      // Vector extensions (sim/core/simd, sys/xstate.cc); OSXSAVE (bit 27)
      // mirrors CR4 and is filled in by the CPUID instruction.
      if (const simd::HostCpu& h = simd::host_cpu(); h.os_avx) {
        r.edx |= 1u << 24 | 1u << 25 | 1u << 26;  // FXSR SSE SSE2
        r.ecx |= 1u << 26;                         // XSAVE
        if (h.sse3) r.ecx |= 1u << 0;
        if (h.pclmul) r.ecx |= 1u << 1;
        if (h.ssse3) r.ecx |= 1u << 9;
        if (h.sse41 && h.sse42) r.ecx |= 1u << 19 | 1u << 20;
        if (h.aes) r.ecx |= 1u << 25;
        if (avx_ && h.avx) {
          r.ecx |= 1u << 28;
          if (h.fma) r.ecx |= 1u << 12;
          if (h.f16c) r.ecx |= 1u << 29;
        }
      }
      break;
    }
    case 5:  // MONITOR/MWAIT: 64-byte monitor line, EMX and interrupt break-event
      if (monitor_) {  // (ECX[1:0]); no MWAIT C-state sub-states (EDX = 0)
        r.eax = 64;
        r.ebx = 64;
        r.ecx = 3;
      }
      break;
    case 7:
      if (subleaf == 0) {
        if (fsgsbase_) r.ebx |= 1u << 0;
        r.ebx |= 1u << 3 | 1u << 8 | 1u << 19;  // BMI1, BMI2, ADX (isa/bits.cc)
        if (smep_) r.ebx |= 1u << 7;
        if (invpcid_) r.ebx |= 1u << 10;
        if (rdseed_) r.ebx |= 1u << 18;
        if (smap_) r.ebx |= 1u << 20;
        if (avx_ && simd::host_cpu().avx && simd::host_cpu().avx2) r.ebx |= 1u << 5;  // AVX2
      }
      break;
    case 0xd:  // XSAVE components (SDM Vol. 1 13.2); EBX of subleaves 0 and 1 follow XCR0/XSS
      if (simd::host_cpu().os_avx) {
        const bool avx = avx_ && simd::host_cpu().avx;
        if (subleaf == 0) {
          r.eax = avx ? 7 : 3;
          r.ebx = 576;
          r.ecx = avx ? 832 : 576;
        } else if (subleaf == 1) {
          r.eax = 0xf;  // XSAVEOPT, XSAVEC (and compacted XRSTOR), XGETBV ECX=1, XSAVES/IA32_XSS
          r.ebx = 576;
        } else if (subleaf == 2 && avx) {
          r.eax = 256;  // AVX: YMM_Hi128 at offset 576 of the standard layout
          r.ebx = 576;
        }
      }
      break;
    // Architectural perfmon (SDM Vol. 3 20.2.2): version 2, 4 GP and 3 fixed
    // counters, 48 bits wide, all 7 architectural events present.
    case 0xa:
      if (pmu_ && !is_amd()) {
        r.eax = 2 | 4u << 8 | 48u << 16 | 7u << 24;
        r.edx = 3 | 48u << 5;
      }
      break;
    case 0x80000000:
      r.eax = has_svm() ? 0x8000000a : 0x80000008;
      if (is_amd()) {
        r.ebx = str4(vendor_, 0);
        r.edx = str4(vendor_, 4);
        r.ecx = str4(vendor_, 8);
      }
      break;
    case 0x80000001:
      r.ecx = 1u << 0 | 1u << 5;  // LAHF/SAHF in 64-bit mode, LZCNT
      r.edx = 1u << 11 | 1u << 29;  // SYSCALL/SYSRET, long mode
      if (has_svm()) r.ecx |= 1u << 2;  // SVM (APM Vol. 3 E.4.2)
      if (pmu_ && is_amd()) r.ecx |= 1u << 23;  // PerfCtrExtCore: six core counters
      if (nx_) r.edx |= 1u << 20;
      if (pdpe1gb_) r.edx |= 1u << 26;
      if (rdtscp_) r.edx |= 1u << 27;
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      size_t off = (leaf - 0x80000002) * 16;
      r.eax = str4(brand_, off);
      r.ebx = str4(brand_, off + 4);
      r.ecx = str4(brand_, off + 8);
      r.edx = str4(brand_, off + 12);
      break;
    }
    case 0x80000008:
      r.eax = phys_bits_ | lin_bits_ << 8;
      break;
    case 0x8000000a:  // SVM revision, ASIDs, features (APM Vol. 3 E.4.9)
      if (has_svm()) r = svm_leaf_;
      break;
    case ext::kCpuidLeaf:  // proposed features (sim/ext/extension.h)
      if (ext_any_) {
        r.eax = ext_bits_;
        std::memcpy(&r.ebx, "hvsi", 4);
        std::memcpy(&r.edx, "mExt", 4);
        std::memcpy(&r.ecx, "Feat", 4);
      }
      break;
    default:
      break;  // unknown leaves read as zero (Intel returns the highest basic leaf's data)
  }
  return r;
}

}  // namespace hvsim::core
