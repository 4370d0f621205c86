/* VMX instruction wrappers and exit-reason names (see vmx.h). */
#include "vmx.h"

#include "serial.h"
#include "wl.h"
#include "x86.h"

/* The names hvsim prints (sim/vmx/exit_reasons.h, the ones Linux and perf kvm
   stat use), so the hypervisor's counts and exits.txt read alike. */
static const char *const reason_names[VMX_EXIT_REASONS] = {
    [EXIT_EXCEPTION_NMI] = "EXCEPTION_NMI", [EXIT_EXTERNAL_INTERRUPT] = "EXTERNAL_INTERRUPT",
    [EXIT_TRIPLE_FAULT] = "TRIPLE_FAULT", [EXIT_INIT] = "INIT_SIGNAL", [EXIT_SIPI] = "SIPI",
    [EXIT_IO_SMI] = "IO_SMI", [EXIT_OTHER_SMI] = "OTHER_SMI",
    [EXIT_INTERRUPT_WINDOW] = "INTERRUPT_WINDOW", [EXIT_NMI_WINDOW] = "NMI_WINDOW",
    [EXIT_TASK_SWITCH] = "TASK_SWITCH", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC",
    [EXIT_HLT] = "HLT", [EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG", [EXIT_RDPMC] = "RDPMC",
    [EXIT_RDTSC] = "RDTSC", [EXIT_RSM] = "RSM", [EXIT_VMCALL] = "VMCALL", [EXIT_VMCLEAR] = "VMCLEAR",
    [EXIT_VMLAUNCH] = "VMLAUNCH", [EXIT_VMPTRLD] = "VMPTRLD", [EXIT_VMPTRST] = "VMPTRST",
    [EXIT_VMREAD] = "VMREAD", [EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE",
    [EXIT_VMXOFF] = "VMXOFF", [EXIT_VMXON] = "VMXON", [EXIT_CR_ACCESS] = "CR_ACCESS",
    [EXIT_DR_ACCESS] = "DR_ACCESS", [EXIT_IO_INSTRUCTION] = "IO_INSTRUCTION", [EXIT_RDMSR] = "MSR_READ",
    [EXIT_WRMSR] = "MSR_WRITE", [EXIT_INVALID_GUEST_STATE] = "INVALID_STATE",
    [EXIT_MSR_LOADING] = "MSR_LOAD_FAIL", [EXIT_MWAIT] = "MWAIT_INSTRUCTION", [EXIT_MTF] = "MONITOR_TRAP_FLAG",
    [EXIT_MONITOR] = "MONITOR_INSTRUCTION", [EXIT_PAUSE] = "PAUSE_INSTRUCTION", [EXIT_MACHINE_CHECK] = "MCE_DURING_VMENTRY",
    [EXIT_TPR_BELOW_THRESHOLD] = "TPR_BELOW_THRESHOLD", [EXIT_APIC_ACCESS] = "APIC_ACCESS",
    [EXIT_VIRTUALIZED_EOI] = "EOI_INDUCED", [EXIT_GDTR_IDTR] = "GDTR_IDTR",
    [EXIT_LDTR_TR] = "LDTR_TR", [EXIT_EPT_VIOLATION] = "EPT_VIOLATION",
    [EXIT_EPT_MISCONFIG] = "EPT_MISCONFIG", [EXIT_INVEPT] = "INVEPT", [EXIT_RDTSCP] = "RDTSCP",
    [EXIT_PREEMPTION_TIMER] = "PREEMPTION_TIMER", [EXIT_INVVPID] = "INVVPID",
    [EXIT_WBINVD] = "WBINVD", [EXIT_XSETBV] = "XSETBV", [EXIT_APIC_WRITE] = "APIC_WRITE",
    [EXIT_RDRAND] = "RDRAND", [EXIT_INVPCID] = "INVPCID", [EXIT_VMFUNC] = "VMFUNC",
    [EXIT_ENCLS] = "ENCLS", [EXIT_RDSEED] = "RDSEED", [EXIT_PML_FULL] = "PML_FULL",
    [EXIT_XSAVES] = "XSAVES", [EXIT_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_reason_name(unsigned reason) {
  reason &= 0xFFFF;
  if (reason < VMX_EXIT_REASONS && reason_names[reason]) return reason_names[reason];
  return "UNKNOWN";
}

/* SDM Vol. 3C 31.4, Table 31-1 (only the numbers). */
static const char *const error_names[] = {
    "none", "VMCALL in root", "VMCLEAR invalid address", "VMCLEAR VMXON pointer",
    "VMLAUNCH non-clear VMCS", "VMRESUME non-launched VMCS", "VMRESUME after VMXOFF",
    "entry invalid control fields", "entry invalid host state", "VMPTRLD invalid address",
    "VMPTRLD VMXON pointer", "VMPTRLD bad revision", "unsupported VMCS component",
    "VMWRITE read-only component", "?14", "VMXON in root", "entry invalid executive VMCS",
    "entry non-launched executive VMCS", "entry executive VMCS pointer", "VMCALL non-clear VMCS",
    "VMCALL invalid exit controls", "?21", "VMCALL bad MSEG revision", "VMXOFF dual monitor",
    "VMCALL invalid SMM features", "entry invalid exec controls (executive VMCS)",
    "entry events blocked by MOV SS", "?27", "invalid operand to INVEPT/INVVPID"};

const char *vmx_instr_error_name(unsigned err) {
  return err < sizeof error_names / sizeof error_names[0] ? error_names[err] : "?";
}

/* Flags after a VMX instruction: CF=1 VMfailInvalid, ZF=1 VMfailValid. */
#define VMX_STATUS(insn, ...)                                                    \
  ({                                                                           \
    uint8_t cf_, zf_;                                                          \
    __asm__ volatile(insn "; setc %0; setz %1" : "=qm"(cf_), "=qm"(zf_) __VA_ARGS__); \
    cf_ ? 1 : zf_ ? 2 : 0;                                                     \
  })

static void vmx_fail(const char *what, uint32_t field, int st) {
  if (st == 2) {
    uint64_t err = 0;
    __asm__ volatile("vmread %1, %0" : "=r"(err) : "r"((uint64_t)VMCS_INSTR_ERROR) : "cc");
    printf("hv: %s field 0x%x failed: VMfailValid error %lu (%s)\n", what, field, err,
           vmx_instr_error_name((unsigned)err));
  } else {
    printf("hv: %s field 0x%x failed: VMfailInvalid\n", what, field);
  }
  exit(VMX_EXIT_FAIL);
}

uint64_t vmread(uint32_t field) {
  uint64_t v = 0;
  /* %2 = v (destination), %3 = field encoding (AT&T: source first). */
  int st = VMX_STATUS("vmread %3, %2", , "=r"(v) : "r"((uint64_t)field) : "cc");
  if (st) vmx_fail("vmread", field, st);
  return v;
}

void vmwrite(uint32_t field, uint64_t value) {
  int st = VMX_STATUS("vmwrite %2, %3", : "r"(value), "r"((uint64_t)field) : "cc");
  if (st) vmx_fail("vmwrite", field, st);
}

int vmx_vmxon(uint64_t phys) { return VMX_STATUS("vmxon %2", : "m"(phys) : "cc", "memory"); }
int vmx_vmclear(uint64_t phys) { return VMX_STATUS("vmclear %2", : "m"(phys) : "cc", "memory"); }
int vmx_vmptrld(uint64_t phys) { return VMX_STATUS("vmptrld %2", : "m"(phys) : "cc", "memory"); }

struct inv_desc {
  uint64_t lo, hi;
};
int vmx_invept_single(uint64_t eptp) {
  struct inv_desc d = {eptp, 0};
  return VMX_STATUS("invept %2, %3", : "m"(d), "r"((uint64_t)1) : "cc", "memory");
}
int vmx_invvpid_single(uint16_t vpid) {
  struct inv_desc d = {vpid, 0};
  return VMX_STATUS("invvpid %2, %3", : "m"(d), "r"((uint64_t)1) : "cc", "memory");
}

uint32_t vmx_adjust_ctls(uint32_t want, uint32_t msr) {
  uint64_t cap = rdmsr(msr);
  want |= (uint32_t)cap;
  want &= (uint32_t)(cap >> 32);
  return want;
}

int vmx_ctls_allowed(uint32_t want, uint32_t msr) {
  uint64_t cap = rdmsr(msr);
  return (want & (uint32_t)(cap >> 32)) == want;
}
