// The consistency checks of VMRUN (AMD APM Vol. 2 15.5.1 "Canonicalization
// and Consistency Checks"), one small named predicate each, run in a fixed
// order: guest state, then controls. The first that fails ends the VMRUN
// in #VMEXIT(VMEXIT_INVALID) (exit.cc). The mirror of sim/vmx/entry_checks.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/engine.h"
#include "sim/svm/caps.h"
#include "sim/svm/vmcb.h"

namespace hvsim::svm {

// Why a VMRUN fails its consistency checks, for tests and traces.
enum class Check : uint8_t {
  kOk, kSvmeClear, kCr0CdNw, kCr0High, kCr3Mbz, kCr4Mbz, kDr6High, kDr7High, kEferMbz,
  kLongModeUnsupported, kLmePgNoPae, kLmePgNoPe, kLongCsLAndD, kNoVmrunIntercept,
  kIopmBeyondMaxPa, kMsrpmBeyondMaxPa, kBadEventInj, kAsidZero, kNpUnsupported,
};
// The APM's wording of the condition ("ok" for kOk).
const char* check_name(Check c);

// What the checks look at: the VMCB image, the capabilities, the processor.
struct VmrunCtx {
  core::Engine& e;
  const Vmcb& v;
  const SvmCaps& caps;
};

using ConsistencyFn = bool (*)(const VmrunCtx&);
struct ConsistencyCheck {
  Check id;
  const char* name;
  ConsistencyFn ok;
};

// Every check, in the order they run.
const std::vector<ConsistencyCheck>& consistency_checks();
// The first failing check, or kOk.
Check first_failed_check(const VmrunCtx& ctx);

}  // namespace hvsim::svm
