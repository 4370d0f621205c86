// VMX basic exit reasons (SDM Vol. 3 appendix C, Table C-1) and their names
// as the trace prints them.
#pragma once

#include <cstdint>

namespace hvsim::vmx {

#define HVSIM_VMX_EXIT_REASONS(X)                                                           \
  X(kExitExceptionNmi, 0, "EXCEPTION_NMI") X(kExitExternalInterrupt, 1, "EXTERNAL_INTERRUPT") \
  X(kExitTripleFault, 2, "TRIPLE_FAULT") X(kExitInit, 3, "INIT_SIGNAL") X(kExitSipi, 4, "SIPI") \
  X(kExitIoSmi, 5, "IO_SMI") X(kExitOtherSmi, 6, "OTHER_SMI")                                \
  X(kExitInterruptWindow, 7, "INTERRUPT_WINDOW") X(kExitNmiWindow, 8, "NMI_WINDOW")           \
  X(kExitTaskSwitch, 9, "TASK_SWITCH") X(kExitCpuid, 10, "CPUID") X(kExitGetsec, 11, "GETSEC") \
  X(kExitHlt, 12, "HLT") X(kExitInvd, 13, "INVD") X(kExitInvlpg, 14, "INVLPG")                \
  X(kExitRdpmc, 15, "RDPMC") X(kExitRdtsc, 16, "RDTSC") X(kExitRsm, 17, "RSM")               \
  X(kExitVmcall, 18, "VMCALL") X(kExitVmclear, 19, "VMCLEAR") X(kExitVmlaunch, 20, "VMLAUNCH") \
  X(kExitVmptrld, 21, "VMPTRLD") X(kExitVmptrst, 22, "VMPTRST") X(kExitVmread, 23, "VMREAD")  \
  X(kExitVmresume, 24, "VMRESUME") X(kExitVmwrite, 25, "VMWRITE") X(kExitVmxoff, 26, "VMXOFF") \
  X(kExitVmxon, 27, "VMXON") X(kExitCrAccess, 28, "CR_ACCESS") X(kExitDrAccess, 29, "DR_ACCESS") \
  X(kExitIo, 30, "IO_INSTRUCTION") X(kExitRdmsr, 31, "MSR_READ") X(kExitWrmsr, 32, "MSR_WRITE") \
  X(kExitInvalidGuestState, 33, "INVALID_STATE") X(kExitMsrLoadFail, 34, "MSR_LOAD_FAIL")     \
  X(kExitMwait, 36, "MWAIT_INSTRUCTION") X(kExitMtf, 37, "MONITOR_TRAP_FLAG")                 \
  X(kExitMonitor, 39, "MONITOR_INSTRUCTION") X(kExitPause, 40, "PAUSE_INSTRUCTION")           \
  X(kExitMceDuringEntry, 41, "MCE_DURING_VMENTRY") X(kExitTprBelowThreshold, 43, "TPR_BELOW_THRESHOLD") \
  X(kExitApicAccess, 44, "APIC_ACCESS") X(kExitEoiInduced, 45, "EOI_INDUCED")                 \
  X(kExitGdtrIdtr, 46, "GDTR_IDTR") X(kExitLdtrTr, 47, "LDTR_TR")                             \
  X(kExitEptViolation, 48, "EPT_VIOLATION") X(kExitEptMisconfig, 49, "EPT_MISCONFIG")         \
  X(kExitInvept, 50, "INVEPT") X(kExitRdtscp, 51, "RDTSCP")                                   \
  X(kExitPreemptionTimer, 52, "PREEMPTION_TIMER") X(kExitInvvpid, 53, "INVVPID")              \
  X(kExitWbinvd, 54, "WBINVD") X(kExitXsetbv, 55, "XSETBV") X(kExitApicWrite, 56, "APIC_WRITE") \
  X(kExitRdrand, 57, "RDRAND") X(kExitInvpcid, 58, "INVPCID") X(kExitVmfunc, 59, "VMFUNC")    \
  X(kExitEncls, 60, "ENCLS") X(kExitRdseed, 61, "RDSEED") X(kExitPmlFull, 62, "PML_FULL")     \
  X(kExitXsaves, 63, "XSAVES") X(kExitXrstors, 64, "XRSTORS")

enum ExitReason : uint32_t {
#define HVSIM_X(id, num, name) id = num,
  HVSIM_VMX_EXIT_REASONS(HVSIM_X)
#undef HVSIM_X
};

constexpr uint32_t kExitEntryFailure = 1u << 31;  // exit reason bit 31 (24.9.1)

// The name of a basic exit reason ("UNKNOWN" for an undefined number).
inline const char* exit_reason_name(uint32_t basic) {
  switch (basic) {
#define HVSIM_X(id, num, name) \
  case num: return name;
    HVSIM_VMX_EXIT_REASONS(HVSIM_X)
#undef HVSIM_X
    default: return "UNKNOWN";
  }
}

}  // namespace hvsim::vmx
