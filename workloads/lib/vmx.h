/* Intel VMX helpers for the hypervisor workloads: VMCS field encodings,
 * capability MSRs, control bits, VMX instruction wrappers with error
 * checks, and exit-reason names.  Numbers are from the Intel SDM Vol. 3C
 * (Appendix A "VMX Capability Reporting Facility", Appendix B "Field
 * Encoding in VMCS", Appendix C "VMX Basic Exit Reasons", Chapter 25
 * "Virtual Machine Control Structures"). */
#ifndef WL_VMX_H
#define WL_VMX_H

#include <stdint.h>

/* Capability and control MSRs (SDM Vol. 3C Appendix A; Vol. 4). */
#define MSR_IA32_FEATURE_CONTROL 0x3Au
#define MSR_IA32_VMX_BASIC 0x480u
#define MSR_IA32_VMX_PINBASED_CTLS 0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482u
#define MSR_IA32_VMX_EXIT_CTLS 0x483u
#define MSR_IA32_VMX_ENTRY_CTLS 0x484u
#define MSR_IA32_VMX_MISC 0x485u
#define MSR_IA32_VMX_CR0_FIXED0 0x486u
#define MSR_IA32_VMX_CR0_FIXED1 0x487u
#define MSR_IA32_VMX_CR4_FIXED0 0x488u
#define MSR_IA32_VMX_CR4_FIXED1 0x489u
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48Bu
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48Cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490u
#define VMX_BASIC_TRUE_CTLS (1ull << 55)

#define FEATURE_CONTROL_LOCK (1u << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1u << 2)

/* Pin-based VM-execution controls (SDM 25.6.1). */
#define PIN_EXT_INT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
/* Primary processor-based controls (SDM 25.6.2, Table 25-6). */
#define CPU_INTR_WINDOW (1u << 2)
#define CPU_HLT_EXITING (1u << 7)
#define CPU_INVLPG_EXITING (1u << 9)
#define CPU_MWAIT_EXITING (1u << 10)
#define CPU_RDPMC_EXITING (1u << 11)
#define CPU_RDTSC_EXITING (1u << 12)
#define CPU_CR3_LOAD_EXITING (1u << 15)
#define CPU_CR3_STORE_EXITING (1u << 16)
#define CPU_CR8_LOAD_EXITING (1u << 19)
#define CPU_CR8_STORE_EXITING (1u << 20)
#define CPU_TPR_SHADOW (1u << 21)
#define CPU_MOV_DR_EXITING (1u << 23)
#define CPU_UNCOND_IO_EXITING (1u << 24)
#define CPU_USE_IO_BITMAPS (1u << 25)
#define CPU_MTF (1u << 27)
#define CPU_USE_MSR_BITMAPS (1u << 28)
#define CPU_MONITOR_EXITING (1u << 29)
#define CPU_SECONDARY (1u << 31)
/* Secondary processor-based controls (SDM 25.6.2, Table 25-7). */
#define CPU2_EPT (1u << 1)
#define CPU2_RDTSCP (1u << 3)
#define CPU2_VPID (1u << 5)
#define CPU2_UNRESTRICTED (1u << 7)
#define CPU2_INVPCID (1u << 12)
/* VM-exit controls (SDM 25.7.1). */
#define EXIT_HOST_ADDR64 (1u << 9)
#define EXIT_ACK_INT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
/* VM-entry controls (SDM 25.8.1). */
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* IA32_VMX_EPT_VPID_CAP bits (SDM Appendix A.10). */
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_INVVPID (1ull << 32)

/* VMCS field encodings (SDM Appendix B). */
enum vmcs_field {
  /* 16-bit */
  VMCS_VPID = 0x0000,
  VMCS_GUEST_ES_SEL = 0x0800, VMCS_GUEST_CS_SEL = 0x0802, VMCS_GUEST_SS_SEL = 0x0804,
  VMCS_GUEST_DS_SEL = 0x0806, VMCS_GUEST_FS_SEL = 0x0808, VMCS_GUEST_GS_SEL = 0x080A,
  VMCS_GUEST_LDTR_SEL = 0x080C, VMCS_GUEST_TR_SEL = 0x080E,
  VMCS_HOST_ES_SEL = 0x0C00, VMCS_HOST_CS_SEL = 0x0C02, VMCS_HOST_SS_SEL = 0x0C04,
  VMCS_HOST_DS_SEL = 0x0C06, VMCS_HOST_FS_SEL = 0x0C08, VMCS_HOST_GS_SEL = 0x0C0A,
  VMCS_HOST_TR_SEL = 0x0C0C,
  /* 64-bit control */
  VMCS_IO_BITMAP_A = 0x2000, VMCS_IO_BITMAP_B = 0x2002, VMCS_MSR_BITMAP = 0x2004, VMCS_VIRTUAL_APIC_ADDR = 0x2012,
  VMCS_EXIT_MSR_STORE_ADDR = 0x2006, VMCS_EXIT_MSR_LOAD_ADDR = 0x2008,
  VMCS_ENTRY_MSR_LOAD_ADDR = 0x200A, VMCS_TSC_OFFSET = 0x2010, VMCS_EPT_POINTER = 0x201A,
  /* 64-bit read-only */
  VMCS_GUEST_PHYS_ADDR = 0x2400,
  /* 64-bit guest */
  VMCS_LINK_POINTER = 0x2800, VMCS_GUEST_DEBUGCTL = 0x2802, VMCS_GUEST_PAT = 0x2804,
  VMCS_GUEST_EFER = 0x2806, VMCS_GUEST_PDPTE0 = 0x280A,
  /* 64-bit host */
  VMCS_HOST_PAT = 0x2C00, VMCS_HOST_EFER = 0x2C02,
  /* 32-bit control */
  VMCS_PIN_CTLS = 0x4000, VMCS_CPU_CTLS = 0x4002, VMCS_EXCEPTION_BITMAP = 0x4004,
  VMCS_PF_ERROR_MASK = 0x4006, VMCS_PF_ERROR_MATCH = 0x4008, VMCS_CR3_TARGET_COUNT = 0x400A,
  VMCS_EXIT_CTLS = 0x400C, VMCS_EXIT_MSR_STORE_COUNT = 0x400E, VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
  VMCS_ENTRY_CTLS = 0x4012, VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014, VMCS_ENTRY_INTR_INFO = 0x4016,
  VMCS_ENTRY_EXCEPTION_ERROR = 0x4018, VMCS_ENTRY_INSTR_LEN = 0x401A, VMCS_TPR_THRESHOLD = 0x401C,
  VMCS_CPU_CTLS2 = 0x401E,
  /* 32-bit read-only */
  VMCS_INSTR_ERROR = 0x4400, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INTR_INFO = 0x4404,
  VMCS_EXIT_INTR_ERROR = 0x4406, VMCS_IDT_VECTORING_INFO = 0x4408, VMCS_IDT_VECTORING_ERROR = 0x440A,
  VMCS_EXIT_INSTR_LEN = 0x440C, VMCS_EXIT_INSTR_INFO = 0x440E,
  /* 32-bit guest */
  VMCS_GUEST_ES_LIMIT = 0x4800, VMCS_GUEST_CS_LIMIT = 0x4802, VMCS_GUEST_SS_LIMIT = 0x4804,
  VMCS_GUEST_DS_LIMIT = 0x4806, VMCS_GUEST_FS_LIMIT = 0x4808, VMCS_GUEST_GS_LIMIT = 0x480A,
  VMCS_GUEST_LDTR_LIMIT = 0x480C, VMCS_GUEST_TR_LIMIT = 0x480E, VMCS_GUEST_GDTR_LIMIT = 0x4810,
  VMCS_GUEST_IDTR_LIMIT = 0x4812,
  VMCS_GUEST_ES_AR = 0x4814, VMCS_GUEST_CS_AR = 0x4816, VMCS_GUEST_SS_AR = 0x4818,
  VMCS_GUEST_DS_AR = 0x481A, VMCS_GUEST_FS_AR = 0x481C, VMCS_GUEST_GS_AR = 0x481E,
  VMCS_GUEST_LDTR_AR = 0x4820, VMCS_GUEST_TR_AR = 0x4822,
  VMCS_GUEST_INTERRUPTIBILITY = 0x4824, VMCS_GUEST_ACTIVITY = 0x4826, VMCS_GUEST_SYSENTER_CS = 0x482A,
  /* 32-bit host */
  VMCS_HOST_SYSENTER_CS = 0x4C00,
  /* natural-width control */
  VMCS_CR0_MASK = 0x6000, VMCS_CR4_MASK = 0x6002, VMCS_CR0_SHADOW = 0x6004, VMCS_CR4_SHADOW = 0x6006,
  /* natural-width read-only */
  VMCS_EXIT_QUALIFICATION = 0x6400, VMCS_GUEST_LINEAR_ADDR = 0x640A,
  /* natural-width guest */
  VMCS_GUEST_CR0 = 0x6800, VMCS_GUEST_CR3 = 0x6802, VMCS_GUEST_CR4 = 0x6804,
  VMCS_GUEST_ES_BASE = 0x6806, VMCS_GUEST_CS_BASE = 0x6808, VMCS_GUEST_SS_BASE = 0x680A,
  VMCS_GUEST_DS_BASE = 0x680C, VMCS_GUEST_FS_BASE = 0x680E, VMCS_GUEST_GS_BASE = 0x6810,
  VMCS_GUEST_LDTR_BASE = 0x6812, VMCS_GUEST_TR_BASE = 0x6814, VMCS_GUEST_GDTR_BASE = 0x6816,
  VMCS_GUEST_IDTR_BASE = 0x6818, VMCS_GUEST_DR7 = 0x681A, VMCS_GUEST_RSP = 0x681C,
  VMCS_GUEST_RIP = 0x681E, VMCS_GUEST_RFLAGS = 0x6820, VMCS_GUEST_PENDING_DBG = 0x6822,
  VMCS_GUEST_SYSENTER_ESP = 0x6824, VMCS_GUEST_SYSENTER_EIP = 0x6826,
  /* natural-width host */
  VMCS_HOST_CR0 = 0x6C00, VMCS_HOST_CR3 = 0x6C02, VMCS_HOST_CR4 = 0x6C04,
  VMCS_HOST_FS_BASE = 0x6C06, VMCS_HOST_GS_BASE = 0x6C08, VMCS_HOST_TR_BASE = 0x6C0A,
  VMCS_HOST_GDTR_BASE = 0x6C0C, VMCS_HOST_IDTR_BASE = 0x6C0E, VMCS_HOST_SYSENTER_ESP = 0x6C10,
  VMCS_HOST_SYSENTER_EIP = 0x6C12, VMCS_HOST_RSP = 0x6C14, VMCS_HOST_RIP = 0x6C16,
};

/* Basic exit reasons (SDM Appendix C). */
enum vmx_exit_reason {
  EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTERRUPT = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3,
  EXIT_SIPI = 4, EXIT_IO_SMI = 5, EXIT_OTHER_SMI = 6, EXIT_INTERRUPT_WINDOW = 7,
  EXIT_NMI_WINDOW = 8, EXIT_TASK_SWITCH = 9, EXIT_CPUID = 10, EXIT_GETSEC = 11, EXIT_HLT = 12,
  EXIT_INVD = 13, EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16, EXIT_RSM = 17,
  EXIT_VMCALL = 18, EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21, EXIT_VMPTRST = 22,
  EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25, EXIT_VMXOFF = 26, EXIT_VMXON = 27,
  EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29, EXIT_IO_INSTRUCTION = 30, EXIT_RDMSR = 31,
  EXIT_WRMSR = 32, EXIT_INVALID_GUEST_STATE = 33, EXIT_MSR_LOADING = 34, EXIT_MWAIT = 36,
  EXIT_MTF = 37, EXIT_MONITOR = 39, EXIT_PAUSE = 40, EXIT_MACHINE_CHECK = 41,
  EXIT_TPR_BELOW_THRESHOLD = 43, EXIT_APIC_ACCESS = 44, EXIT_VIRTUALIZED_EOI = 45,
  EXIT_GDTR_IDTR = 46, EXIT_LDTR_TR = 47, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49,
  EXIT_INVEPT = 50, EXIT_RDTSCP = 51, EXIT_PREEMPTION_TIMER = 52, EXIT_INVVPID = 53,
  EXIT_WBINVD = 54, EXIT_XSETBV = 55, EXIT_APIC_WRITE = 56, EXIT_RDRAND = 57, EXIT_INVPCID = 58,
  EXIT_VMFUNC = 59, EXIT_ENCLS = 60, EXIT_RDSEED = 61, EXIT_PML_FULL = 62, EXIT_XSAVES = 63,
  EXIT_XRSTORS = 64,
  VMX_EXIT_REASONS = 70
};
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Interruption-information format (SDM 25.8.3 / 25.9.2). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_ERROR_VALID (1u << 11)
#define INTR_TYPE_EXT_INT (0u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_SW_INT (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SW_EXCEPTION (6u << 8)

/* Name of a basic exit reason ("CPUID", "IO_INSTRUCTION", ...). */
const char *vmx_exit_reason_name(unsigned reason);
/* Name of a VM-instruction error number (SDM 31.4). */
const char *vmx_instr_error_name(unsigned err);

/* Wrappers that check the VMX status flags (SDM 31.2: CF = VMfailInvalid,
 * ZF = VMfailValid with the error in VMCS_INSTR_ERROR).  On failure they
 * print the instruction, field and error, then exit with VMX_EXIT_FAIL. */
#define VMX_EXIT_FAIL 0x79
uint64_t vmread(uint32_t field);
void vmwrite(uint32_t field, uint64_t value);
/* Status-returning forms: 0 success, 1 VMfailInvalid, 2 VMfailValid. */
int vmx_vmxon(uint64_t phys);
int vmx_vmclear(uint64_t phys);
int vmx_vmptrld(uint64_t phys);
int vmx_invept_single(uint64_t eptp);
int vmx_invvpid_single(uint16_t vpid);

/* Adjusts desired control bits to a capability MSR: bits set in the low
 * half (allowed-0 settings = 1) are forced on, bits clear in the high half
 * (allowed-1 settings) are forced off (SDM Appendix A.3-A.5). */
uint32_t vmx_adjust_ctls(uint32_t want, uint32_t msr);
/* True when every bit of want is allowed to be 1 by the capability MSR. */
int vmx_ctls_allowed(uint32_t want, uint32_t msr);

#endif
