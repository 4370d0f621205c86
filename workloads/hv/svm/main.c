/* hv_svm: set-up (SVM enable, guest RAM and image, VMCB, permission maps,
 * nested page table), the VMRUN loop and the per-reason exit counts.
 *
 * Command line: mmu=npt (default) | mmu=shadow | mmu=auto (nested paging
 * when CPUID 8000_000Ah EDX[0] offers it, shadow paging otherwise),
 * mem=MIB (guest RAM, default 128).  The guest is the first multiboot module; the module's string
 * ("path args") is the guest's command line. */
#include <stdarg.h>

#include "hv.h"

struct vmcb hv_vmcb;
static struct vmcb host_save;                             /* VMSAVE area of the host */
static uint8_t hsave_area[4096] __attribute__((aligned(4096))); /* VM_HSAVE_PA */
static uint8_t iopm[SVM_IOPM_SIZE] __attribute__((aligned(4096)));
static uint8_t msrpm[SVM_MSRPM_SIZE] __attribute__((aligned(4096)));
static uint64_t npt_pml4[512] __attribute__((aligned(4096)));
static uint64_t npt_pdpt[512] __attribute__((aligned(4096)));
static uint64_t npt_pd[4][512] __attribute__((aligned(4096)));
struct hv_gprs hv_regs;
struct hv_guest hv_guest;
int hv_npt = 1, hv_nrips, hv_flush_by_asid;
static int mmu_auto; /* mmu=auto: hv_npt is decided by svm_enable */

static char guest_cmdline[1024];
static int vmcb_ready; /* the guest state below is worth printing */
static uint64_t exit_counts[256], npf_count, other_count;

#define MIB (1024ul * 1024)

void hv_print_exit_counts(void) {
  struct { uint64_t code, n; } rows[258];
  int nrows = 0;
  for (unsigned c = 0; c < 256; c++)
    if (exit_counts[c]) rows[nrows].code = c, rows[nrows++].n = exit_counts[c];
  if (npf_count) rows[nrows].code = VMEXIT_NPF, rows[nrows++].n = npf_count;
  /* Insertion sort: most frequent first, then by code. */
  for (int i = 1; i < nrows; i++)
    for (int j = i; j > 0 && (rows[j].n > rows[j - 1].n || (rows[j].n == rows[j - 1].n && rows[j].code < rows[j - 1].code)); j--) {
      uint64_t c = rows[j].code, n = rows[j].n;
      rows[j] = rows[j - 1];
      rows[j - 1].code = c, rows[j - 1].n = n;
    }
  if (!hv_npt) printf("hv: shadow paging: %lu fills, %lu flushes\n", shadow_fills, shadow_flushes);
  printf("hv: exits by reason:\n");
  for (int i = 0; i < nrows; i++) {
    const char *name = svm_exit_name(rows[i].code);
    if (name) printf("hv:   %s %lu\n", name, rows[i].n);
    else printf("hv:   VMEXIT_0x%lx %lu\n", rows[i].code, rows[i].n);
  }
  if (other_count) printf("hv:   (other) %lu\n", other_count);
}

void hv_fatal(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("hv: ");
  vprintf(fmt, ap);
  va_end(ap);
  if (!vmcb_ready) exit(code);
  struct vmcb_save *s = &hv_vmcb.save;
  printf("hv: guest rip 0x%lx cs 0x%x cpl %u cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx exitcode 0x%lx info1 0x%lx info2 0x%lx\n",
         s->rip, s->cs.selector, s->cpl, s->cr0, s->cr3, s->cr4, s->efer, hv_vmcb.control.exitcode,
         hv_vmcb.control.exitinfo1, hv_vmcb.control.exitinfo2);
  hv_print_exit_counts();
  exit(code);
}

#include "vmcb_event.c"

void hv_request_tlb_flush(void) {
  hv_vmcb.control.tlb_control = hv_flush_by_asid ? SVM_TLB_FLUSH_ASID : SVM_TLB_FLUSH_ALL;
}

static int parse_args(const char *s, uint64_t *mem_mib) {
  while (*s) {
    while (*s == ' ') s++;
    const char *w = s;
    while (*s && *s != ' ') s++;
    unsigned n = (unsigned)(s - w);
    if (!n) break;
    if (n == 7 && !memcmp(w, "mmu=npt", 7)) hv_npt = 1, mmu_auto = 0;
    else if (n == 10 && !memcmp(w, "mmu=shadow", 10)) hv_npt = 0, mmu_auto = 0;
    else if (n == 8 && !memcmp(w, "mmu=auto", 8)) mmu_auto = 1;
    else if (n > 4 && !memcmp(w, "mem=", 4)) {
      uint64_t v = 0;
      for (const char *p = w + 4; p < s; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (uint64_t)(*p - '0');
      }
      if (v < 8 || v > 1024) return -1;
      *mem_mib = v;
    } else {
      return -1;
    }
  }
  return 0;
}

/* SVM present and enabled (APM Vol. 2 15.4 "Enabling SVM"). */
static void svm_enable(void) {
  if (cpuid(0x80000000u, 0).eax < 0x8000000au || !(cpuid(0x80000001u, 0).ecx & CPUID_8000_0001_ECX_SVM))
    hv_fatal(HV_EXIT_SETUP, "CPUID.80000001h:ECX.SVM is 0: no SVM\n");
  if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) hv_fatal(HV_EXIT_SETUP, "VM_CR.SVMDIS is set: SVM disabled\n");
  struct cpuid_regs f = cpuid(0x8000000au, 0);
  if (mmu_auto) hv_npt = (f.edx & CPUID_8000_000A_EDX_NP) != 0;
  if (hv_npt && !(f.edx & CPUID_8000_000A_EDX_NP)) hv_fatal(HV_EXIT_SETUP, "mmu=npt without nested paging\n");
  hv_nrips = !!(f.edx & CPUID_8000_000A_EDX_NRIPS);
  hv_flush_by_asid = !!(f.edx & CPUID_8000_000A_EDX_FLUSH_BY_ASID);
  printf("hv: svm revision %u, %u ASIDs, features 0x%x (np %u nrips %u flush-by-asid %u decode-assists %u)\n",
         f.eax & 0xff, f.ebx, f.edx, f.edx & 1, hv_nrips, hv_flush_by_asid,
         !!(f.edx & CPUID_8000_000A_EDX_DECODE_ASSISTS));
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
  wrmsr(MSR_VM_HSAVE_PA, (uint64_t)hsave_area);
}

/* Nested page table (APM 15.25): guest-physical 0..ram_size -> the RAM
 * block, 2 MiB pages, read/write/execute.  Nested walks are user accesses
 * (15.25.5), so every level has U set. */
static void npt_build(void) {
  const uint64_t f = PTE_P | PTE_W | PTE_U | PTE_A;
  npt_pml4[0] = (uint64_t)npt_pdpt | f;
  for (uint64_t gpa = 0; gpa < hv_guest.ram_size; gpa += PAGE_2M) {
    unsigned gi = (unsigned)(gpa >> 30), di = (unsigned)(gpa >> 21) & 511;
    npt_pdpt[gi] = (uint64_t)npt_pd[gi] | f;
    npt_pd[gi][di] = ((uint64_t)hv_guest.ram + gpa) | f | PTE_PS | PTE_D;
  }
}

static void seg(struct vmcb_seg *s, uint16_t sel, uint64_t desc, uint32_t limit, uint64_t base) {
  s->selector = sel;
  s->attrib = svm_seg_attrib(desc);
  s->limit = limit;
  s->base = base;
}

/* The multiboot entry state (Multiboot 0.6.96 3.2): 32-bit protected mode,
 * flat CS and data segments, paging off, EAX = magic, EBX = info. */
static void vmcb_init(uint32_t mbi) {
  struct vmcb_control *c = &hv_vmcb.control;
  struct vmcb_save *s = &hv_vmcb.save;
  memset(&hv_vmcb, 0, sizeof hv_vmcb);

  c->intercept_misc1 = SVM_INTERCEPT1_CPUID | SVM_INTERCEPT1_HLT | SVM_INTERCEPT1_IOIO_PROT |
                       SVM_INTERCEPT1_MSR_PROT | SVM_INTERCEPT1_SHUTDOWN | SVM_INTERCEPT1_INVLPGA;
  c->intercept_misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
                       SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI | SVM_INTERCEPT2_SKINIT;
  c->iopm_base_pa = (uint64_t)iopm;
  c->msrpm_base_pa = (uint64_t)msrpm;
  c->guest_asid = HV_ASID;
  c->tlb_control = SVM_TLB_FLUSH_ALL; /* first run */
  c->vintr = SVM_VINTR_MASKING;       /* guest CR8/IF are virtual; host IF gates physical INTR */

  /* A GDT in guest low memory matching the hidden state below. */
  uint64_t *gdt = hv_gpa_to_hva(&hv_guest, 0x8000, 24);
  gdt[0] = 0;
  gdt[1] = 0x00CF9A000000FFFFull; /* 0x08: 32-bit code, flat */
  gdt[2] = 0x00CF92000000FFFFull; /* 0x10: data, flat */
  seg(&s->cs, 0x08, gdt[1] | (1ull << 40), 0xffffffffu, 0);
  seg(&s->ds, 0x10, gdt[2] | (1ull << 40), 0xffffffffu, 0);
  s->es = s->ss = s->fs = s->gs = s->ds;
  s->gdtr.base = 0x8000;
  s->gdtr.limit = 23;
  s->idtr.limit = 0;
  s->tr.attrib = 0x8b; /* present, busy 32-bit TSS */
  s->tr.limit = 0xffff;
  s->ldtr.attrib = 0x82;
  s->cpl = 0;
  s->rflags = 0x2;
  s->rip = hv_guest.entry;
  s->rax = MB_BOOT_MAGIC;
  hv_regs.r[R_RBX] = mbi;
  s->dr6 = 0xffff0ff0u;
  s->dr7 = 0x400;
  s->g_pat = 0x0007040600070406ull; /* PAT power-on value */
  s->cr0 = 0x11;                    /* PE, ET */
  s->efer = EFER_SVME;              /* the guest sees 0 (MSR intercept) */

  if (hv_npt) {
    npt_build();
    c->np_control = SVM_NP_ENABLE;
    c->n_cr3 = (uint64_t)npt_pml4;
  } else {
    shadow_init();
  }

  /* Every port and MSR intercepted, then the pass-through MSRs opened:
   * the segment bases and SYSCALL/SYSENTER MSRs, swapped by VMSAVE/VMLOAD. */
  memset(iopm, 0xff, sizeof iopm);
  memset(msrpm, 0xff, sizeof msrpm);
  static const uint32_t pass[] = {0xC0000100u, 0xC0000101u, 0xC0000102u, MSR_STAR, MSR_LSTAR,
                                  0xC0000083u, MSR_SFMASK, 0x174, 0x175, 0x176};
  for (unsigned i = 0; i < sizeof pass / sizeof pass[0]; i++) svm_msrpm_set(msrpm, pass[i], 0, 0);
}

static void load_guest(uint64_t mem_mib) {
  if (wl_mbi.mod_count < 1) hv_fatal(HV_EXIT_SETUP, "no guest: pass the guest kernel as the first multiboot module\n");
  if (hv_guest_from_module(&hv_guest, mem_mib * MIB, PAGE_2M, 0, guest_cmdline, sizeof guest_cmdline))
    exit(HV_EXIT_SETUP);
  if (hv_guest.ram_size > 4 * PAGE_1G) hv_guest.ram_size = 4 * PAGE_1G;
  memset(hv_guest.ram, 0, HV_GUEST_LOW_RAM_END);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  uint64_t mem_mib = 128;
  if (parse_args(wl_mbi.args, &mem_mib)) {
    printf("hv: bad arguments \"%s\" (mmu=npt|shadow|auto mem=MIB)\n", wl_mbi.args);
    return HV_EXIT_SETUP;
  }
  svm_enable();
  load_guest(mem_mib);
  uint32_t gmbi = hv_guest_build_mbi(&hv_guest, HV_GUEST_MBI, guest_cmdline);
  printf("hv: mmu=%s, guest RAM %lu MiB at host 0x%lx, entry 0x%lx, cmdline \"%s\"\n", hv_npt ? "npt" : "shadow",
         hv_guest.ram_size / MIB, (uint64_t)hv_guest.ram, hv_guest.entry, guest_cmdline);
  vmcb_init(gmbi);
  vmcb_ready = 1;
  hv_fastcall_setup();
  hv_smp_start(); /* returns at once on one CPU */
  for (;;) {
    hv_vmcb.control.vmcb_clean = 0; /* nothing cached: every field may have changed */
    svm_run((uint64_t)&hv_vmcb, &hv_regs, (uint64_t)&host_save);
    hv_vmcb.control.tlb_control = SVM_TLB_DO_NOTHING;
    uint64_t code = hv_vmcb.control.exitcode;
    if (code < 256) exit_counts[code]++;
    else if (code == VMEXIT_NPF) npf_count++;
    else other_count++;
    hv_handle_exit();
  }
}
