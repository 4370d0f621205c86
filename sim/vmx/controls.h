// VM-execution, VM-exit and VM-entry control bits (SDM Vol. 3 24.6-24.8) and
// the control words cached in the CPU at VM entry, so that intercept
// predicates are register tests, not VMCS reads.
#pragma once

#include <cstdint>

namespace hvsim::vmx {

namespace pin {  // 24.6.1
enum : uint32_t { kExtIntExiting = 1u << 0, kNmiExiting = 1u << 3, kVirtualNmis = 1u << 5,
                  kPreemptionTimer = 1u << 6, kPostedInterrupts = 1u << 7 };
constexpr uint32_t kDefault1 = 0x16;
}
namespace proc {  // 24.6.2 primary
enum : uint32_t { kIntrWindow = 1u << 2, kTscOffsetting = 1u << 3, kHlt = 1u << 7,
                  kInvlpg = 1u << 9, kMwait = 1u << 10, kRdpmc = 1u << 11, kRdtsc = 1u << 12,
                  kCr3Load = 1u << 15, kCr3Store = 1u << 16, kCr8Load = 1u << 19,
                  kCr8Store = 1u << 20, kTprShadow = 1u << 21, kNmiWindow = 1u << 22,
                  kMovDr = 1u << 23, kUncondIo = 1u << 24, kIoBitmaps = 1u << 25,
                  kMtf = 1u << 27, kMsrBitmaps = 1u << 28, kMonitor = 1u << 29,
                  kPause = 1u << 30, kSecondary = 1u << 31 };
constexpr uint32_t kDefault1 = 0x0401e172;
constexpr uint32_t kTrueDefault1 = 0x04006172;  // CR3-load/store exiting may be 0
}
namespace proc2 {  // 24.6.2 secondary
enum : uint32_t { kVirtApic = 1u << 0, kEpt = 1u << 1, kDescTable = 1u << 2, kRdtscp = 1u << 3,
                  kVirtX2apic = 1u << 4, kVpid = 1u << 5, kWbinvd = 1u << 6,
                  kUnrestricted = 1u << 7, kApicRegVirt = 1u << 8,
                  kVintd = 1u << 9, kRdrand = 1u << 11, kInvpcid = 1u << 12,
                  kVmfunc = 1u << 13, kShadowVmcs = 1u << 14, kRdseed = 1u << 16,
                  kPml = 1u << 17 };
}
namespace exitc {  // 24.7.1
enum : uint32_t { kSaveDebug = 1u << 2, kHostAddrSpace = 1u << 9, kLoadPerf = 1u << 12,
                  kAckIntr = 1u << 15, kSavePat = 1u << 18, kLoadPat = 1u << 19,
                  kSaveEfer = 1u << 20, kLoadEfer = 1u << 21, kSaveTimer = 1u << 22 };
constexpr uint32_t kDefault1 = 0x00036dff;
constexpr uint32_t kTrueDefault1 = 0x00036dfb;  // save debug controls may be 0
}
namespace entryc {  // 24.8.1
enum : uint32_t { kLoadDebug = 1u << 2, kIa32eGuest = 1u << 9, kSmm = 1u << 10,
                  kDualMonitor = 1u << 11, kLoadPerf = 1u << 13, kLoadPat = 1u << 14,
                  kLoadEfer = 1u << 15 };
constexpr uint32_t kDefault1 = 0x000011ff;
constexpr uint32_t kTrueDefault1 = 0x000011fb;  // load debug controls may be 0
}

// Interruption-information fields (24.8.3, 27.2.2).
namespace intr {
enum : uint32_t { kValid = 1u << 31, kErrorValid = 1u << 11, kNmiUnblocking = 1u << 12 };
enum Type : uint32_t { kExternal = 0, kNmi = 2, kHwException = 3, kSoftInt = 4,
                       kPrivSoftException = 5, kSoftException = 6, kOther = 7 };
inline uint32_t make(uint8_t vector, Type t, bool has_error) {
  return kValid | vector | (static_cast<uint32_t>(t) << 8) | (has_error ? static_cast<uint32_t>(kErrorValid) : 0u);
}
}

// Guest interruptibility state (24.4.2, Table 24-3) and activity state.
namespace interruptibility {
enum : uint32_t { kSti = 1u << 0, kMovSs = 1u << 1, kSmi = 1u << 2, kNmi = 1u << 3 };
}
enum ActivityState : uint32_t { kActive = 0, kHlt = 1, kShutdown = 2, kWaitSipi = 3 };

struct Controls {
  uint32_t pin = 0, proc = 0, proc2 = 0, exit = 0, entry = 0;
  uint32_t exception_bitmap = 0, pf_mask = 0, pf_match = 0, cr3_count = 0, tpr_threshold = 0;
  uint64_t cr0_mask = 0, cr4_mask = 0, cr0_shadow = 0, cr4_shadow = 0, cr3_target[4] = {};
  uint64_t io_bitmap[2] = {}, msr_bitmap = 0, tsc_offset = 0, eptp = 0, vmfunc = 0;
  uint64_t eptp_list = 0, vapic = 0, pml_addr = 0, apic_access = 0, eoi_exit[4] = {};
  uint16_t vpid = 0, pinv = 0;
  uint64_t pi_desc = 0;
  uint64_t vmread_bitmap = 0, vmwrite_bitmap = 0, link = ~0ull;  // VMCS shadowing (24.6.15)

  bool has2(uint32_t bit) const { return (proc & proc::kSecondary) && (proc2 & bit); }
};

}  // namespace hvsim::vmx
