/* The VM-entry loop and the exit handlers (SDM Vol. 3C chapter 28 and
 * Appendix C), guest registers, event injection; the per-reason counts. */
#include "hv.h"

static int injected;
static uint64_t counts[VMX_EXIT_REASONS];
static int counts_printed;

static uint64_t *gpr(unsigned n) {
  static uint64_t *const map[16] = {&gregs.rax, &gregs.rcx, &gregs.rdx, &gregs.rbx, 0,
                                    &gregs.rbp, &gregs.rsi, &gregs.rdi, &gregs.r8, &gregs.r9,
                                    &gregs.r10, &gregs.r11, &gregs.r12, &gregs.r13, &gregs.r14,
                                    &gregs.r15};
  return map[n & 15];
}
uint64_t hv_get_gpr(unsigned n) { return (n & 15) == 4 ? vmread(VMCS_GUEST_RSP) : *gpr(n); }
void hv_set_gpr(unsigned n, uint64_t v) {
  if ((n & 15) == 4)
    vmwrite(VMCS_GUEST_RSP, v);
  else
    *gpr(n) = v;
}

void hv_skip_instruction(void) {
  vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSTR_LEN));
  /* Retiring an instruction ends STI/MOV SS blocking (SDM 26.7.1). */
  uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
  if (intr & 3) vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ull);
}

void hv_inject(uint32_t vector, uint32_t type, int has_error, uint32_t error, uint32_t instr_len) {
  if (hv.mmu == MMU_SHADOW) shadow_cancel_step();
  uint32_t info = INTR_INFO_VALID | type | vector | (has_error ? INTR_INFO_ERROR_VALID : 0);
  vmwrite(VMCS_ENTRY_INTR_INFO, info);
  if (has_error) vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
  vmwrite(VMCS_ENTRY_INSTR_LEN, instr_len);
  injected = 1;
}

void hv_inject_gp(void) { hv_inject(13, INTR_TYPE_HW_EXCEPTION, 1, 0, 0); }

void hv_inject_pf(uint64_t addr, uint32_t error) {
  write_cr2(addr); /* the host takes no page faults before the entry */
  hv_inject(14, INTR_TYPE_HW_EXCEPTION, 1, error, 0);
}

static void handle_cpuid(void) {
  struct cpuid_regs r = cpuid((uint32_t)gregs.rax, (uint32_t)gregs.rcx);
  uint32_t leaf = (uint32_t)gregs.rax;
  if (leaf == 1) {
    r.ecx &= ~(1u << 5); /* VMX */
    r.ecx |= 1u << 31;   /* a hypervisor is present */
    if (hv.mmu == MMU_SHADOW) r.ecx &= ~(1u << 17); /* PCID */
  } else if (leaf == HVSIM_HV_CPUID_LEAF) { /* "hvsimbundled" (hvsim_ext.h) */
    r.eax = HVSIM_HV_CPUID_LEAF;
    r.ebx = 0x69737668u;
    r.ecx = 0x6e75626du;
    r.edx = 0x64656c64u;
  } else if (leaf == 7 && hv.mmu == MMU_SHADOW) {
    r.ebx &= ~((1u << 7) | (1u << 10) | (1u << 20)); /* SMEP, INVPCID, SMAP */
  }
  gregs.rax = r.eax;
  gregs.rbx = r.ebx;
  gregs.rcx = r.ecx;
  gregs.rdx = r.edx;
  hv_skip_instruction();
}

static uint16_t fw_cfg_key;
static uint32_t fw_cfg_off;

static uint8_t fw_cfg_byte(void) {
  uint8_t b = 0;
  uint32_t o = fw_cfg_off++;
  if (fw_cfg_key == 0x0000 && o < 4) b = (uint8_t) "QEMU"[o];
  else if (fw_cfg_key == 0x0003 && o < 8) b = (uint8_t)(hv_guest.ram_size >> (8 * o));
  else if (fw_cfg_key == 0x0005 && o < 2) b = o == 0 ? 1 : 0;
  return b;
}

static void handle_io(void) {
  uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);
  unsigned size = (unsigned)(q & 7) + 1, in = (q >> 3) & 1, port = (unsigned)(q >> 16) & 0xFFFF;
  if (q & (1u << 4)) {
    printf("hv: string I/O to port 0x%x not supported\n", port);
    hv_exit(HV_EXIT_UNHANDLED);
  }
  uint32_t val = (uint32_t)gregs.rax;
  if (!in) {
    if (port == 0xf4) {
      hv_skip_instruction();
      hv_exit(val & 0xFF);
    }
    if ((port >= 0x3f8 && port <= 0x3ff) || port == 0x80) {
      outb((uint16_t)port, (uint8_t)val);
    } else if (port == 0x510) {
      fw_cfg_key = (uint16_t)val;
      fw_cfg_off = 0;
    }
  } else {
    uint32_t v = 0xFFFFFFFFu;
    if ((port >= 0x3f8 && port <= 0x3ff) || port == 0x80) {
      v = inb((uint16_t)port);
    } else if (port == 0x511) {
      v = 0;
      for (unsigned i = 0; i < size; i++) v |= (uint32_t)fw_cfg_byte() << (8 * i);
    }
    if (size == 1) gregs.rax = (gregs.rax & ~0xFFull) | (v & 0xFF);
    else if (size == 2) gregs.rax = (gregs.rax & ~0xFFFFull) | (v & 0xFFFF);
    else gregs.rax = v;
  }
  hv_skip_instruction();
}

static uint64_t guest_pat = 0x0007040600070406ull;

static void handle_msr(int write) {
  uint32_t msr = (uint32_t)gregs.rcx;
  uint64_t v = (gregs.rdx << 32) | (uint32_t)gregs.rax;
  int ok = 1;
  if (msr == MSR_EFER) {
    hv_sync_from_vmcs();
    if (write) {
      if (v & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE) ||
          ((v ^ hv.guest_efer) & EFER_LME && (hv.guest_cr0 & CR0_PG))) {
        ok = 0;
      } else {
        hv.guest_efer = (v & ~(uint64_t)EFER_LMA) | (hv.guest_efer & EFER_LMA);
        hv_update_paging_state();
      }
    } else {
      v = hv.guest_efer;
    }
  } else if ((msr >= 0xC0000081u && msr <= 0xC0000084u) || msr == 0xC0000102u || msr == 0xC0000103u) {
    if (write) wrmsr(msr, v); /* not used by the hypervisor: pass through */
    else v = rdmsr(msr);
  } else if (msr == 0xC0000100u || msr == 0xC0000101u) {
    uint32_t f = msr == 0xC0000100u ? VMCS_GUEST_FS_BASE : VMCS_GUEST_GS_BASE;
    if (write) vmwrite(f, v);
    else v = vmread(f);
  } else if (msr >= 0x174 && msr <= 0x176) {
    static const uint32_t f[3] = {VMCS_GUEST_SYSENTER_CS, VMCS_GUEST_SYSENTER_ESP, VMCS_GUEST_SYSENTER_EIP};
    if (write) vmwrite(f[msr - 0x174], v);
    else v = vmread(f[msr - 0x174]);
  } else if (msr == 0x10) {
    if (!write) v = rdtsc();
  } else if (msr == 0x277) {
    if (write) guest_pat = v;
    else v = guest_pat;
  } else if (msr == MSR_IA32_FEATURE_CONTROL) {
    if (write) ok = 0;
    else v = FEATURE_CONTROL_LOCK; /* VMX not offered to the guest */
  } else if (msr == 0x1B || msr == 0x1A0 || msr == 0xFE || msr == 0x2FF || (msr >= 0x200 && msr < 0x210) ||
             msr == 0x250 || msr == 0x258 || msr == 0x259 || (msr >= 0x268 && msr <= 0x26F)) {
    /* APIC base, MISC_ENABLE, MTRRs: the host's values; writes ignored. */
    if (!write) v = rdmsr(msr);
  } else {
    ok = 0;
  }
  if (!ok) {
    hv_inject_gp();
    return;
  }
  if (!write) {
    gregs.rax = (uint32_t)v;
    gregs.rdx = v >> 32;
  }
  hv_skip_instruction();
}

static void set_cr0(uint64_t v) {
  if ((v & CR0_PG) && !(v & CR0_PE)) {
    hv_inject_gp();
    return;
  }
  if ((v & CR0_PG) && !(hv.guest_cr0 & CR0_PG) && (hv.guest_efer & EFER_LME) && !(hv.guest_cr4 & CR4_PAE)) {
    hv_inject_gp();
    return;
  }
  uint64_t old = hv.guest_cr0;
  hv.guest_cr0 = v;
  if (hv.mmu == MMU_SHADOW && ((old ^ v) & (CR0_PG | CR0_WP))) shadow_flush_all();
  hv_update_paging_state();
  hv_skip_instruction();
}

static void handle_cr(void) {
  uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);
  unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
  hv_sync_from_vmcs();
  if (type == 0) { /* MOV to CR */
    uint64_t v = hv_get_gpr(reg);
    if (cr == 0) {
      set_cr0(v);
    } else if (cr == 3) {
      if (hv.mmu == MMU_SHADOW) {
        hv.guest_cr3 = v & ~(1ull << 63);
        shadow_flush_all();
        if (hv.guest_cr0 & CR0_PG) vmwrite(VMCS_GUEST_CR3, shadow_real_cr3());
      } else {
        vmwrite(VMCS_GUEST_CR3, v & ~(1ull << 63));
        if (hv.cpu_ctls2 & CPU2_VPID) vmx_invvpid_single(1);
      }
      hv_skip_instruction();
    } else if (cr == 4) {
      if ((v & CR4_VMXE) || (v & ~hv.cr4_fixed1 & ~hv.cr4_fixed0) ||
          (hv.mmu == MMU_SHADOW && (v & (CR4_PCIDE | CR4_SMEP | CR4_SMAP))) ||
          ((hv.guest_efer & EFER_LMA) && !(v & CR4_PAE))) {
        hv_inject_gp();
        return;
      }
      uint64_t old = hv.guest_cr4;
      hv.guest_cr4 = v;
      if (hv.mmu == MMU_SHADOW && ((old ^ v) & (CR4_PAE | CR4_PSE | CR4_PGE))) shadow_flush_all();
      hv_update_paging_state();
      hv_skip_instruction();
    } else if (cr == 8) {
      hv.tpr = v & 15;
      hv_skip_instruction();
    } else {
      hv_inject_gp();
    }
  } else if (type == 1) { /* MOV from CR */
    uint64_t v = 0;
    if (cr == 3) v = hv.mmu == MMU_SHADOW ? hv.guest_cr3 : vmread(VMCS_GUEST_CR3);
    else if (cr == 8) v = hv.tpr;
    hv_set_gpr(reg, v);
    hv_skip_instruction();
  } else if (type == 2) { /* CLTS */
    set_cr0(hv.guest_cr0 & ~CR0_TS);
  } else { /* LMSW: may set PE but not clear it */
    uint64_t src = (q >> 16) & 0xF;
    set_cr0((hv.guest_cr0 & ~0xEull) | (src & 0xE) | ((src | hv.guest_cr0) & 1));
  }
}

void hv_dump_guest(const char *why) {
  printf("hv: %s: rip 0x%lx rsp 0x%lx cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx qual 0x%lx\n", why,
         vmread(VMCS_GUEST_RIP), vmread(VMCS_GUEST_RSP), vmread(VMCS_GUEST_CR0), vmread(VMCS_GUEST_CR3),
         vmread(VMCS_GUEST_CR4), vmread(VMCS_GUEST_EFER), vmread(VMCS_EXIT_QUALIFICATION));
}

static void handle_exit(uint32_t reason_full) {
  unsigned reason = reason_full & 0xFFFF;
  if (reason < VMX_EXIT_REASONS) counts[reason]++;
  if (reason_full & EXIT_REASON_ENTRY_FAILURE) {
    printf("hv: VM entry failed: reason %u (%s)\n", reason, vmx_exit_reason_name(reason));
    hv_dump_guest("entry failure");
    hv_exit(HV_EXIT_SETUP);
  }
  uint32_t vec = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
  injected = 0;
  switch (reason) {
    case EXIT_EXCEPTION_NMI: {
      uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
      unsigned v = info & 0xFF;
      if (v == 1 && hv.mmu == MMU_SHADOW && shadow_handle_db()) {
        break;
      } else if (v == 14 && hv.mmu == MMU_SHADOW && (info & 0x700) == INTR_TYPE_HW_EXCEPTION) {
        shadow_handle_pf(vmread(VMCS_EXIT_QUALIFICATION), (uint32_t)vmread(VMCS_EXIT_INTR_ERROR), vec);
      } else {
        /* Not intercepted for its own sake: hand it to the guest. */
        hv_inject(v, info & 0x700, (info & INTR_INFO_ERROR_VALID) != 0, (uint32_t)vmread(VMCS_EXIT_INTR_ERROR),
                  (uint32_t)vmread(VMCS_EXIT_INSTR_LEN));
      }
      break;
    }
    case EXIT_EXTERNAL_INTERRUPT:
      break; /* the PIC is masked; nothing to forward */
    case EXIT_TRIPLE_FAULT:
      hv_dump_guest("guest triple fault");
      hv_exit(HV_EXIT_TRIPLE_FAULT);
    case EXIT_CPUID:
      handle_cpuid();
      break;
    case EXIT_HLT:
      if (!(vmread(VMCS_GUEST_RFLAGS) & (1u << 9))) {
        printf("hv: guest halted with interrupts disabled\n");
        hv_exit(HV_EXIT_HALTED);
      }
      hv_skip_instruction();
      break;
    case EXIT_INVLPG:
      if (hv.mmu == MMU_SHADOW) shadow_invlpg(vmread(VMCS_EXIT_QUALIFICATION));
      else if (hv.cpu_ctls2 & CPU2_VPID) vmx_invvpid_single(1);
      hv_skip_instruction();
      break;
    case EXIT_VMCALL: /* hypercalls: RAX 0 = exit(RBX), 1 = putc(BL) */
      if (gregs.rax == 0) {
        hv_skip_instruction();
        hv_exit((int)(gregs.rbx & 0xFF));
      }
      if (gregs.rax == 1) {
        serial_putc((char)gregs.rbx);
        gregs.rax = 0;
      } else {
        gregs.rax = hv_hypercall(gregs.rax, gregs.rbx); /* HVSIM_HC_NOP, lib/hv_fastcall.c */
      }
      hv_skip_instruction();
      break;
    case EXIT_CR_ACCESS:
      handle_cr();
      break;
    case EXIT_IO_INSTRUCTION:
      handle_io();
      break;
    case EXIT_RDMSR:
    case EXIT_WRMSR:
      handle_msr(reason == EXIT_WRMSR);
      break;
    case EXIT_MTF:
      shadow_handle_mtf();
      break;
    case EXIT_EPT_VIOLATION:
    case EXIT_EPT_MISCONFIG:
      printf("hv: %s at guest-physical 0x%lx\n", vmx_exit_reason_name(reason), vmread(VMCS_GUEST_PHYS_ADDR));
      hv_dump_guest("EPT");
      hv_exit(HV_EXIT_EPT);
    default:
      printf("hv: unhandled exit reason %u (%s)\n", reason, vmx_exit_reason_name(reason));
      hv_dump_guest("unhandled");
      hv_exit(HV_EXIT_UNHANDLED);
  }
  /* An exit during event delivery: deliver the event again (SDM 28.2.4),
   * unless the handler injected something else. */
  if (!injected && (vec & INTR_INFO_VALID)) {
    hv_inject(vec & 0xFF, vec & 0x700, (vec & INTR_INFO_ERROR_VALID) != 0,
              (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR), (uint32_t)vmread(VMCS_EXIT_INSTR_LEN));
  }
}

void hv_print_counts(void) {
  if (counts_printed) return;
  counts_printed = 1;
  printf("hv: exits by reason:\n");
  int done[VMX_EXIT_REASONS] = {0};
  for (;;) {
    int best = -1;
    for (int r = 0; r < VMX_EXIT_REASONS; r++)
      if (!done[r] && counts[r] && (best < 0 || counts[r] > counts[best])) best = r;
    if (best < 0) break;
    done[best] = 1;
    printf("hv:   %s %lu\n", vmx_exit_reason_name((unsigned)best), counts[best]);
  }
}

/* VM entries until the guest ends the run (SDM Vol. 3C 26, 27). */
void hv_run(void) {
  int launched = 0;
  for (;;) {
    int st = vmx_run(&gregs, launched);
    if (st) {
      printf("hv: %s failed: %s", launched ? "VMRESUME" : "VMLAUNCH", st == 1 ? "VMfailInvalid\n" : "");
      if (st == 2) {
        unsigned e = (unsigned)vmread(VMCS_INSTR_ERROR);
        printf("error %u (%s)\n", e, vmx_instr_error_name(e));
      }
      hv_exit(HV_EXIT_SETUP);
    }
    launched = 1;
    handle_exit((uint32_t)vmread(VMCS_EXIT_REASON));
  }
}
