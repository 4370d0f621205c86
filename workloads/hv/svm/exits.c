/* #VMEXIT handlers: one function per exit code (APM Vol. 2 Appendix C). */
#include "hv.h"

#define COM1 0x3f8
#define PORT_DEBUG_EXIT 0xf4
#define PORT_POST 0x80
#define PORT_FW_CFG_SEL 0x510
#define PORT_FW_CFG_DATA 0x511

static void set_rax(uint64_t v) { hv_vmcb.save.rax = v; }
static uint64_t rax(void) { return hv_vmcb.save.rax; }

/* CPUID: the host's answers, with SVM hidden (CPUID 8000_0001h ECX[2],
 * leaf 8000_000Ah all zero). */
static void exit_cpuid(void) {
  uint32_t leaf = (uint32_t)rax(), sub = (uint32_t)hv_regs.r[R_RCX];
  struct cpuid_regs r = cpuid(leaf, sub);
  if (leaf == 1) r.ecx |= 1u << 31; /* a hypervisor is present */
  if (leaf == HVSIM_HV_CPUID_LEAF) { /* "hvsimbundled" (hvsim_ext.h) */
    r.eax = HVSIM_HV_CPUID_LEAF;
    r.ebx = 0x69737668u;
    r.ecx = 0x6e75626du;
    r.edx = 0x64656c64u;
  }
  if (leaf == 0x80000001u) r.ecx &= ~CPUID_8000_0001_ECX_SVM;
  if (leaf == 0x8000000au) r.eax = r.ebx = r.ecx = r.edx = 0;
  set_rax(r.eax);
  hv_regs.r[R_RBX] = r.ebx;
  hv_regs.r[R_RCX] = r.ecx;
  hv_regs.r[R_RDX] = r.edx;
  hv_skip_insn(2); /* 0F A2 */
}

static int forwarded_port(uint16_t port) {
  return (port >= COM1 && port <= COM1 + 7) || port == PORT_POST || port == PORT_FW_CFG_SEL ||
         port == PORT_FW_CFG_DATA;
}

static uint32_t port_in(uint16_t port, unsigned size) {
  uint32_t v;
  if (size == 1) {
    uint8_t b;
    __asm__ volatile("inb %1, %0" : "=a"(b) : "Nd"(port));
    v = b;
  } else if (size == 2) {
    uint16_t w;
    __asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"(port));
    v = w;
  } else {
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  }
  return v;
}

static void port_out(uint16_t port, unsigned size, uint32_t v) {
  if (size == 1) outb(port, (uint8_t)v);
  else if (size == 2) outw(port, (uint16_t)v);
  else outl(port, v);
}

/* IN/OUT through the I/O permission map (APM 15.10.2): EXITINFO1 holds
 * the port, size and direction, EXITINFO2 the next RIP. */
static void exit_ioio(void) {
  uint64_t info = hv_vmcb.control.exitinfo1;
  uint16_t port = SVM_IOIO_PORT(info);
  unsigned size = (info & SVM_IOIO_SZ32) ? 4 : (info & SVM_IOIO_SZ16) ? 2 : 1;
  if (info & (SVM_IOIO_STR | SVM_IOIO_REP))
    hv_fatal(HV_EXIT_UNHANDLED, "string I/O to port 0x%x is not emulated\n", port);
  uint32_t mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
  if (info & SVM_IOIO_IN) {
    uint32_t v = forwarded_port(port) ? port_in(port, size) : 0xffffffffu;
    if (size == 4) set_rax(v); /* a 32-bit destination zero-extends */
    else set_rax((rax() & ~(uint64_t)mask) | (v & mask));
  } else {
    uint32_t v = (uint32_t)rax() & mask;
    if (port >= PORT_DEBUG_EXIT && port < PORT_DEBUG_EXIT + 4) {
      printf("hv: guest wrote 0x%x to the debug-exit port\n", v);
      hv_print_exit_counts();
      port_out(port, size, v); /* ends the run with the guest's status */
      for (;;) __asm__ volatile("cli; hlt");
    }
    if (forwarded_port(port)) port_out(port, size, v);
  }
  hv_vmcb.save.rip = hv_vmcb.control.exitinfo2;
  hv_vmcb.control.interrupt_shadow &= ~1ull;
}

/* RDMSR/WRMSR of intercepted MSRs (EXITINFO1: 0 read, 1 write). */
static void exit_msr(void) {
  uint32_t msr = (uint32_t)hv_regs.r[R_RCX];
  int write = hv_vmcb.control.exitinfo1 & 1;
  uint64_t v = (rax() & 0xffffffffu) | (hv_regs.r[R_RDX] << 32);
  struct vmcb_save *s = &hv_vmcb.save;
  if (!write) {
    switch (msr) {
      case MSR_EFER: v = hv_npt ? s->efer & ~(uint64_t)EFER_SVME : shadow_guest_efer(); break;
      case 0x277: v = s->g_pat; break;                            /* PAT */
      case 0x10: case 0x1b: case 0xfe: case 0x2ff: v = rdmsr(msr); break; /* TSC, APIC_BASE, MTRRs */
      default:
        hv_inject_exception(13, 1, 0);
        return;
    }
    set_rax(v & 0xffffffffu);
    hv_regs.r[R_RDX] = v >> 32;
  } else {
    switch (msr) {
      case MSR_EFER:
        if (hv_npt) s->efer = (v & ~(uint64_t)EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
        else shadow_write_efer(v);
        break;
      case 0x277: s->g_pat = v; break;
      case 0x1b: case 0x2ff: break; /* ignored */
      default:
        hv_inject_exception(13, 1, 0);
        return;
    }
  }
  hv_skip_insn(2); /* 0F 32 / 0F 30 */
}

/* MOV to/from CR0, CR3, CR4, CLTS (mmu=shadow): decoded from the guest's
 * instruction bytes, as decode assists (EXITINFO1) may be absent. */
static void exit_cr(void) {
  struct hv_cr_op op;
  if (hv_decode_at_rip(&op)) hv_fatal(HV_EXIT_UNHANDLED, "cannot decode the CR access\n");
  uint64_t mask = hv_guest_long_mode() ? ~0ull : 0xffffffffu;
  switch (op.kind) {
    case HV_OP_MOV_FROM_CR: hv_set_gpr(op.gpr, shadow_read_cr(op.cr) & mask); break;
    case HV_OP_MOV_TO_CR: shadow_write_cr(op.cr, hv_get_gpr(op.gpr) & mask); break;
    case HV_OP_CLTS: shadow_write_cr(0, shadow_read_cr(0) & ~8ull); break;
    default: hv_fatal(HV_EXIT_UNHANDLED, "CR access by an instruction not emulated\n");
  }
  hv_skip_insn(op.len);
}

static void exit_invlpg(void) {
  struct hv_cr_op op;
  if (hv_decode_at_rip(&op) || op.kind != HV_OP_INVLPG) hv_fatal(HV_EXIT_UNHANDLED, "cannot decode INVLPG\n");
  shadow_invlpg(op.addr);
  hv_skip_insn(op.len);
}

/* VMMCALL (0F 01 D9): RAX = 0 asks "which hypervisor", answering
 * 0x53564d ("SVM"); others are the shared hypercalls (hv_hypercall,
 * lib/hv_fastcall.c: HVSIM_HC_NOP returns RBX + 1, unknown ones -1). */
static void exit_vmmcall(void) {
  set_rax(rax() == 0 ? 0x53564d : hv_hypercall(rax(), hv_regs.r[R_RBX]));
  hv_skip_insn(3);
}

/* An event being delivered when the exit happened (EXITINTINFO, APM
 * 15.7.2) is injected again.  A software interrupt or INT3/INTO is not:
 * RIP still points at the instruction, which raises it again (no next-RIP
 * is needed that way). */
static void reinject_pending_event(void) {
  uint64_t e = hv_vmcb.control.exitintinfo;
  hv_vmcb.control.eventinj = 0;
  if (!(e & SVM_EVENT_VALID)) return;
  unsigned type = SVM_EVENT_TYPE(e), vec = SVM_EVENT_VECTOR(e);
  if (type == SVM_EVENT_TYPE_SOFT_INT || (type == SVM_EVENT_TYPE_EXCEPTION && (vec == 3 || vec == 4))) return;
  hv_vmcb.control.eventinj = e;
}

void hv_handle_exit(void) {
  uint64_t code = hv_vmcb.control.exitcode;
  reinject_pending_event();
  switch (code) {
    case VMEXIT_CPUID: exit_cpuid(); break;
    case VMEXIT_IOIO: exit_ioio(); break;
    case VMEXIT_MSR: exit_msr(); break;
    case VMEXIT_CR0_READ: case VMEXIT_CR3_READ: case VMEXIT_CR4_READ:
    case VMEXIT_CR0_WRITE: case VMEXIT_CR3_WRITE: case VMEXIT_CR4_WRITE:
      exit_cr();
      break;
    case VMEXIT_INVLPG: exit_invlpg(); break;
    case VMEXIT_EXCP_PF: shadow_page_fault(hv_vmcb.control.exitinfo1, hv_vmcb.control.exitinfo2); break;
    case VMEXIT_VMMCALL: exit_vmmcall(); break;
    case VMEXIT_VMRUN: case VMEXIT_VMLOAD: case VMEXIT_VMSAVE: case VMEXIT_STGI: case VMEXIT_CLGI:
    case VMEXIT_SKINIT: case VMEXIT_INVLPGA:
      hv_inject_exception(6, 0, 0); /* #UD: the guest sees EFER.SVME = 0 */
      break;
    case VMEXIT_HLT: hv_fatal(HV_EXIT_HALTED, "guest halted (HLT with nothing to wake it)\n");
    case VMEXIT_SHUTDOWN: hv_fatal(HV_EXIT_SHUTDOWN, "guest shutdown (triple fault)\n");
    case VMEXIT_NPF:
      hv_fatal(HV_EXIT_NPF, "nested page fault at guest-physical 0x%lx (error 0x%lx): outside guest RAM\n",
               hv_vmcb.control.exitinfo2, hv_vmcb.control.exitinfo1);
    case VMEXIT_INVALID: hv_fatal(HV_EXIT_INVALID, "VMRUN failed: invalid guest state\n");
    default: {
      const char *n = svm_exit_name(code);
      hv_fatal(HV_EXIT_UNHANDLED, "unhandled exit %s (0x%lx)\n", n ? n : "?", code);
    }
  }
}
