/* hv_vmx: a small VMX hypervisor running one 64-bit multiboot guest.
 *
 * Command line: [mmu=ept|shadow|auto] [mem=MIB]   (defaults: ept, 64;
 * auto: EPT when the processor offers it, shadow paging otherwise)
 * Module 0: the guest, an ELF64 multiboot v1 kernel; the module's string
 * ("path args") becomes the guest's command line.
 *
 * Memory: guest-physical [0, mem) is a contiguous host region aligned to
 * 4 MiB (host = ram_host + guest-physical).  mmu=ept maps it with EPT
 * (2 MiB pages when IA32_VMX_EPT_VPID_CAP allows, VPID when available);
 * mmu=shadow keeps shadow page tables (shadow.c).
 *
 * Guest start state (Multiboot 0.6.96 section 3.2): 32-bit protected mode,
 * flat 4 GiB CS/DS/ES/FS/GS/SS, paging off, EAX = 0x2BADB002, EBX = the
 * guest-physical address of a multiboot information structure built here.
 *  - mmu=ept needs "unrestricted guest" (secondary control bit 7), which
 *    exempts CR0.PE/PG from the CR0 fixed bits (SDM Vol. 3C 26.3.1.1).
 *  - mmu=shadow runs without EPT, so CR0.PG must really be 1: while the
 *    guest believes paging is off, the real CR3 points at a 32-bit page
 *    directory of 4 MiB pages (real CR4.PSE = 1) mapping guest-linear =
 *    guest-physical to the host region; the guest reads its own CR0/CR4
 *    through the read shadows (every CR0/CR4 bit is host-owned).  When the
 *    guest turns paging on (only 4-level IA-32e paging is supported) the
 *    real CR3 becomes the shadow PML4 and "IA-32e mode guest" is set.
 *
 * Required capabilities (checked, else exit 0x7a): VMX in CPUID, VMXON
 * allowed by IA32_FEATURE_CONTROL, "load/save IA32_EFER" entry/exit
 * controls, "activate secondary controls" plus EPT and unrestricted guest
 * for mmu=ept.  Optional: MSR bitmaps (else every RDMSR/WRMSR exits and is
 * emulated), VPID, monitor trap flag (shadow fallback for writes to page
 * tables by instructions the emulator does not decode), RDTSCP.  All
 * controls are adjusted to the allowed-0/allowed-1 settings of the
 * IA32_VMX_(TRUE_)*_CTLS MSRs.
 *
 * At the guest's write to port 0xf4 (isa-debug-exit) the hypervisor prints
 * "hv: exits by reason:" and one "hv:   NAME COUNT" line per reason, most
 * frequent first, then writes the guest's value to port 0xf4 itself.
 */
#include "hv.h"

struct hv hv;
struct guest_regs gregs;

extern char __image_end[];

static uint64_t counts[VMX_EXIT_REASONS];
static uint64_t heap_next, heap_end;
static int injected;
static int counts_printed;

/* ---------------------------------------------------------------- utils */

static int str_starts(const char *s, const char *p) {
  while (*p)
    if (*s++ != *p++) return 0;
  return 1;
}

static uint64_t parse_num(const char *s) {
  uint64_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
  return v;
}

static void zero_page(void *p) {
  uint64_t n = 512;
  __asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

void *hv_alloc_pages(unsigned n) {
  if (heap_next + (uint64_t)n * 4096 > heap_end) {
    printf("hv: out of host memory\n");
    hv_exit(HV_EXIT_SETUP);
  }
  void *p = (void *)(uintptr_t)heap_next;
  heap_next += (uint64_t)n * 4096;
  for (unsigned i = 0; i < n; i++) zero_page((char *)p + i * 4096);
  return p;
}

static void print_counts(void) {
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

/* Ends the run: hvsim and QEMU stop at the port 0xf4 write; Bochs has no
 * isa-debug-exit, so the status is also printed and Bochs' shutdown port
 * (0x8900, the string "Shutdown") is used. */
void hv_exit(int code) {
  print_counts();
  if (hv.mmu == MMU_SHADOW) printf("info: hv: %lu single-stepped page-table writes\n", stepped);
  printf("hv: exit %d\n", code);
  while (!(inb(0x3fd) & 0x40)) /* LSR.TEMT: the last byte has left the UART */
    ;
  outb(0xf4, (uint8_t)code);
  const char *s = "Shutdown";
  while (*s) outb(0x8900, (uint8_t)*s++);
  for (;;) __asm__ volatile("cli; hlt");
}

/* ------------------------------------------------------- guest state */

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

static void skip_instruction(void) {
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

static void inject_gp(void) { hv_inject(13, INTR_TYPE_HW_EXCEPTION, 1, 0, 0); }

void hv_inject_pf(uint64_t addr, uint32_t error) {
  write_cr2(addr); /* the host takes no page faults before the entry */
  hv_inject(14, INTR_TYPE_HW_EXCEPTION, 1, error, 0);
}

#define CR0_PE 1ull
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

static uint64_t cr0_mask, cr4_mask;

/* mmu=ept: the guest changes CR0.PG, CR3, CR4 (unmasked bits) and EFER.LMA
 * without exits; refresh the hypervisor's view first. */
static void sync_from_vmcs(void) {
  if (hv.mmu != MMU_EPT) return;
  hv.guest_cr0 = (vmread(VMCS_GUEST_CR0) & ~cr0_mask) | (vmread(VMCS_CR0_SHADOW) & cr0_mask);
  hv.guest_cr4 = (vmread(VMCS_GUEST_CR4) & ~cr4_mask) | (vmread(VMCS_CR4_SHADOW) & cr4_mask);
  hv.guest_efer = vmread(VMCS_GUEST_EFER);
}

void hv_update_paging_state(void) {
  uint64_t cr0, cr4, efer = hv.guest_efer & ~(uint64_t)(EFER_LMA | EFER_LME);
  int lma = (hv.guest_efer & EFER_LME) && (hv.guest_cr0 & CR0_PG);
  if (hv.mmu == MMU_EPT) {
    uint64_t must1 = hv.cr0_fixed0 & ~(CR0_PE | CR0_PG); /* unrestricted guest */
    cr0 = (hv.guest_cr0 | must1) & hv.cr0_fixed1;
    cr4 = (hv.guest_cr4 | hv.cr4_fixed0) & hv.cr4_fixed1;
    if (lma) efer |= EFER_LMA | EFER_LME;
    else efer |= hv.guest_efer & EFER_LME;
  } else {
    cr0 = (hv.guest_cr0 | hv.cr0_fixed0 | CR0_PG | CR0_PE | CR0_WP) & hv.cr0_fixed1;
    if (hv.guest_cr0 & CR0_PG) {
      if (!lma || !(hv.guest_cr4 & CR4_PAE)) {
        printf("hv: mmu=shadow supports only 4-level IA-32e guest paging (cr0 0x%lx cr4 0x%lx efer 0x%lx)\n",
               hv.guest_cr0, hv.guest_cr4, hv.guest_efer);
        hv_exit(HV_EXIT_UNHANDLED);
      }
      cr4 = (hv.guest_cr4 | hv.cr4_fixed0 | CR4_PAE) & hv.cr4_fixed1;
      efer |= EFER_LMA | EFER_LME;
    } else {
      cr4 = ((hv.guest_cr4 & ~(CR4_PAE | CR4_PCIDE | CR4_SMEP | CR4_SMAP)) | hv.cr4_fixed0 | CR4_PSE) &
            hv.cr4_fixed1;
    }
    vmwrite(VMCS_GUEST_CR3, shadow_real_cr3());
  }
  vmwrite(VMCS_GUEST_CR0, cr0);
  vmwrite(VMCS_GUEST_CR4, cr4);
  vmwrite(VMCS_CR0_SHADOW, hv.guest_cr0);
  vmwrite(VMCS_CR4_SHADOW, hv.guest_cr4);
  if (lma) hv.guest_efer |= EFER_LMA;
  else hv.guest_efer &= ~(uint64_t)EFER_LMA;
  vmwrite(VMCS_GUEST_EFER, efer);
  hv.entry_ctls = lma ? hv.entry_ctls | ENTRY_IA32E_GUEST : hv.entry_ctls & ~ENTRY_IA32E_GUEST;
  vmwrite(VMCS_ENTRY_CTLS, hv.entry_ctls);
}

/* ------------------------------------------------------------ loading */

struct elf64_ehdr {
  uint8_t ident[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static char guest_cmdline[256];

/* Loads the PT_LOAD segments at their physical addresses; returns the
 * entry point and the end of the image. */
static uint64_t load_guest(const uint8_t *img, uint64_t size, uint64_t *image_end) {
  const struct elf64_ehdr *eh = (const void *)img;
  if (size < sizeof *eh || eh->ident[0] != 0x7f || eh->ident[1] != 'E' || eh->ident[2] != 'L' ||
      eh->ident[3] != 'F' || eh->ident[4] != 2 || eh->machine != 62) {
    printf("hv: module 0 is not an x86-64 ELF64 file\n");
    hv_exit(HV_EXIT_SETUP);
  }
  uint64_t end = 0;
  for (unsigned i = 0; i < eh->phnum; i++) {
    const struct elf64_phdr *ph = (const void *)(img + eh->phoff + (uint64_t)i * eh->phentsize);
    if (ph->type != 1 || ph->memsz == 0) continue;
    if (ph->paddr + ph->memsz > hv.ram_size || ph->offset + ph->filesz > size) {
      printf("hv: guest segment 0x%lx+0x%lx does not fit\n", ph->paddr, ph->memsz);
      hv_exit(HV_EXIT_SETUP);
    }
    memcpy(gpa_to_host(ph->paddr), img + ph->offset, ph->filesz);
    memset((char *)gpa_to_host(ph->paddr) + ph->filesz, 0, ph->memsz - ph->filesz);
    if (ph->paddr + ph->memsz > end) end = ph->paddr + ph->memsz;
  }
  *image_end = end;
  return eh->entry;
}

/* Multiboot information for the guest, after its image. */
static uint32_t build_guest_mbi(uint64_t image_end) {
  uint64_t at = (image_end + 4095) & ~4095ull;
  struct mb_info *mi = gpa_to_host(at);
  memset(mi, 0, 4096);
  struct mb_mmap_entry *mm = (void *)((char *)mi + 128);
  const uint64_t ranges[4][3] = {
      {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, hv.ram_size - 0x100000, 1}};
  for (int i = 0; i < 4; i++) {
    mm[i].size = sizeof mm[i] - 4;
    mm[i].base = ranges[i][0];
    mm[i].length = ranges[i][1];
    mm[i].type = (uint32_t)ranges[i][2];
  }
  char *cl = (char *)mi + 512;
  size_t n = strlen(guest_cmdline);
  memcpy(cl, guest_cmdline, n + 1);
  mi->flags = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP;
  mi->mem_lower = 639;
  mi->mem_upper = (uint32_t)((hv.ram_size - 0x100000) >> 10);
  mi->cmdline = (uint32_t)(at + 512);
  mi->mmap_addr = (uint32_t)(at + 128);
  mi->mmap_length = 4 * sizeof mm[0];
  return (uint32_t)at;
}

/* Picks a host region for guest RAM plus the hypervisor's heap: above the
 * image and the modules, inside an available memory-map range. */
static void place_guest_ram(uint64_t heap_bytes) {
  uint64_t low = (uint64_t)(uintptr_t)__image_end;
  for (int i = 0; i < wl_mbi.mod_count; i++)
    if (wl_mbi.mods[i].end > low) low = wl_mbi.mods[i].end;
  const uint64_t align = 4ull << 20, need = hv.ram_size + heap_bytes;
  for (int i = 0; i < wl_mbi.mmap_count; i++) {
    if (wl_mbi.mmap[i].type != 1) continue;
    uint64_t b = wl_mbi.mmap[i].base, e = b + wl_mbi.mmap[i].length;
    if (b < low) b = low;
    b = (b + align - 1) & ~(align - 1);
    if (b + need <= e && b + need <= (4ull << 30)) {
      hv.ram_host = b;
      heap_next = b + hv.ram_size;
      heap_end = b + need;
      return;
    }
  }
  printf("hv: no room for %lu MiB of guest RAM\n", hv.ram_size >> 20);
  hv_exit(HV_EXIT_SETUP);
}

/* ----------------------------------------------------------------- EPT */

static uint64_t eptp;

static void ept_build(uint64_t cap) {
  uint64_t mt = (cap & EPT_CAP_WB) ? 6 : 0;
  uint64_t *pml4 = hv_alloc_pages(1), *pdpt = hv_alloc_pages(1);
  pml4[0] = (uint64_t)(uintptr_t)pdpt | 7;
  for (uint64_t gb = 0; gb * PAGE_1G < hv.ram_size; gb++) {
    uint64_t *pd = hv_alloc_pages(1);
    pdpt[gb] = (uint64_t)(uintptr_t)pd | 7;
    for (uint64_t i = 0; i < 512; i++) {
      uint64_t gpa = gb * PAGE_1G + i * PAGE_2M;
      if (gpa >= hv.ram_size) break;
      if (cap & EPT_CAP_2M) {
        pd[i] = (hv.ram_host + gpa) | 7 | (mt << 3) | (1ull << 7);
      } else {
        uint64_t *pt = hv_alloc_pages(1);
        pd[i] = (uint64_t)(uintptr_t)pt | 7;
        for (uint64_t j = 0; j < 512; j++) pt[j] = (hv.ram_host + gpa + j * PAGE_4K) | 7 | (mt << 3);
      }
    }
  }
  eptp = (uint64_t)(uintptr_t)pml4 | mt | (3ull << 3);
}

/* ---------------------------------------------------------- VMX setup */

struct dtr {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

static uint64_t msr_ctl(uint32_t plain, uint32_t true_msr, int use_true) { return use_true ? true_msr : plain; }

static void allow_msr(uint8_t *bitmap, uint32_t msr, int rd, int wr) {
  uint32_t off = msr >= 0xC0000000u ? 1024 : 0, bit = msr & 0x1FFF;
  if (rd) bitmap[off + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
  if (wr) bitmap[2048 + off + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

static void vmx_setup(uint64_t entry, uint32_t mbi) {
  if (!(cpuid(1, 0).ecx & (1u << 5))) {
    printf("hv: CPUID reports no VMX\n");
    hv_exit(HV_EXIT_SETUP);
  }
  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
  } else if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
    printf("hv: VMXON disabled by IA32_FEATURE_CONTROL (0x%lx)\n", fc);
    hv_exit(HV_EXIT_SETUP);
  }
  uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
  int use_true = (basic & VMX_BASIC_TRUE_CTLS) != 0;
  hv.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
  hv.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
  hv.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
  hv.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
  printf("info: hv: VMX basic 0x%lx cr0 fixed 0x%lx/0x%lx cr4 fixed 0x%lx/0x%lx\n", basic, hv.cr0_fixed0,
         hv.cr0_fixed1, hv.cr4_fixed0, hv.cr4_fixed1);

  write_cr4(read_cr4() | CR4_VMXE);
  write_cr0((read_cr0() | hv.cr0_fixed0) & hv.cr0_fixed1);
  write_cr4((read_cr4() | hv.cr4_fixed0) & hv.cr4_fixed1);

  uint32_t rev = (uint32_t)basic & 0x7FFFFFFF;
  uint32_t *vmxon = hv_alloc_pages(1), *vmcs = hv_alloc_pages(1);
  vmxon[0] = rev;
  vmcs[0] = rev;
  if (vmx_vmxon((uint64_t)(uintptr_t)vmxon)) {
    printf("hv: VMXON failed\n");
    hv_exit(HV_EXIT_SETUP);
  }
  if (vmx_vmclear((uint64_t)(uintptr_t)vmcs) || vmx_vmptrld((uint64_t)(uintptr_t)vmcs)) {
    printf("hv: VMCLEAR/VMPTRLD failed\n");
    hv_exit(HV_EXIT_SETUP);
  }

  /* Controls. */
  uint32_t pin_msr = msr_ctl(MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS, use_true);
  uint32_t cpu_msr = msr_ctl(MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, use_true);
  uint32_t exit_msr = msr_ctl(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS, use_true);
  uint32_t entry_msr = msr_ctl(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS, use_true);
  if (hv.mmu == MMU_AUTO) {
    /* mmu=auto: EPT when the processor offers what mmu=ept needs (secondary
     * controls with EPT and unrestricted guest, 4-level EPT walks; SDM Vol. 3
     * A.3.3, A.10), shadow paging otherwise. */
    int ept_ok = (rdmsr(cpu_msr) >> 63) &&
                 ((rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & (CPU2_EPT | CPU2_UNRESTRICTED)) ==
                     (CPU2_EPT | CPU2_UNRESTRICTED) &&
                 (rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & EPT_CAP_WALK4);
    hv.mmu = ept_ok ? MMU_EPT : MMU_SHADOW;
  }
  int shadow = hv.mmu == MMU_SHADOW;

  uint32_t pin = vmx_adjust_ctls(PIN_EXT_INT_EXITING, pin_msr);
  uint32_t cpu_want = CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS | CPU_SECONDARY |
                      CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING;
  if (shadow) cpu_want |= CPU_INVLPG_EXITING | CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING;
  uint32_t cpu = vmx_adjust_ctls(cpu_want, cpu_msr);
  hv.have_mtf = vmx_ctls_allowed(CPU_MTF, cpu_msr);
  printf("info: hv: pin 0x%lx cpu 0x%lx cpu2 0x%lx exit 0x%lx entry 0x%lx ept/vpid 0x%lx misc 0x%lx\n", rdmsr(pin_msr),
         rdmsr(cpu_msr), (rdmsr(cpu_msr) >> 63) ? rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0, rdmsr(exit_msr),
         rdmsr(entry_msr), (rdmsr(cpu_msr) >> 63) ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0, rdmsr(MSR_IA32_VMX_MISC));
  uint32_t cpu2 = 0;
  uint64_t ept_cap = 0;
  if (cpu & CPU_SECONDARY) {
    uint32_t want2 = 0;
    if (!shadow) want2 |= CPU2_EPT | CPU2_UNRESTRICTED | CPU2_VPID;
    if (cpuid(0x80000001, 0).edx & (1u << 27)) want2 |= CPU2_RDTSCP;
    /* Take only what is allowed (the allowed-0 half is all zero). */
    cpu2 = vmx_adjust_ctls(want2, MSR_IA32_VMX_PROCBASED_CTLS2);
    if (cpu2 & (CPU2_EPT | CPU2_VPID)) ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
  }
  if (!shadow) {
    if ((cpu2 & (CPU2_EPT | CPU2_UNRESTRICTED)) != (CPU2_EPT | CPU2_UNRESTRICTED) ||
        !(ept_cap & EPT_CAP_WALK4)) {
      printf("hv: mmu=ept needs EPT (4-level walk) and unrestricted guest (secondary 0x%x, cap 0x%lx)\n",
             cpu2, ept_cap);
      hv_exit(HV_EXIT_SETUP);
    }
  }
  uint32_t exitc = vmx_adjust_ctls(EXIT_HOST_ADDR64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER, exit_msr);
  uint32_t entryc = vmx_adjust_ctls(ENTRY_LOAD_EFER, entry_msr);
  if ((exitc & (EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_HOST_ADDR64)) !=
          (EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_HOST_ADDR64) ||
      !(entryc & ENTRY_LOAD_EFER)) {
    printf("hv: need load/save IA32_EFER controls (exit 0x%x entry 0x%x)\n", exitc, entryc);
    hv_exit(HV_EXIT_SETUP);
  }
  hv.cpu_ctls = cpu;
  hv.cpu_ctls2 = cpu2;
  hv.entry_ctls = entryc;
  vmwrite(VMCS_PIN_CTLS, pin);
  vmwrite(VMCS_CPU_CTLS, cpu);
  if (cpu & CPU_SECONDARY) vmwrite(VMCS_CPU_CTLS2, cpu2);
  vmwrite(VMCS_EXIT_CTLS, exitc);
  vmwrite(VMCS_ENTRY_CTLS, entryc);
  vmwrite(VMCS_EXCEPTION_BITMAP, shadow ? (1u << 14) : 0);
  vmwrite(VMCS_PF_ERROR_MASK, 0);
  vmwrite(VMCS_PF_ERROR_MATCH, 0);
  vmwrite(VMCS_CR3_TARGET_COUNT, 0);
  vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
  vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
  vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
  vmwrite(VMCS_ENTRY_INTR_INFO, 0);
  if (cpu & CPU_USE_MSR_BITMAPS) {
    uint8_t *bm = hv_alloc_pages(1);
    memset(bm, 0xFF, 4096);
    for (uint32_t m = 0xC0000081u; m <= 0xC0000084u; m++) allow_msr(bm, m, 1, 1); /* STAR..SFMASK */
    for (uint32_t m = 0xC0000100u; m <= 0xC0000103u; m++) allow_msr(bm, m, 1, 1); /* FS/GS/KGS base, TSC_AUX */
    allow_msr(bm, 0x10, 1, 0);                                                      /* TSC */
    vmwrite(VMCS_MSR_BITMAP, (uint64_t)(uintptr_t)bm);
  }
  if (cpu2 & CPU2_EPT) {
    ept_build(ept_cap);
    vmwrite(VMCS_EPT_POINTER, eptp);
  }
  if (cpu2 & CPU2_VPID) vmwrite(VMCS_VPID, 1);

  /* Which CR bits exits and read shadows cover. */
  if (shadow) {
    cr0_mask = ~0ull;
    cr4_mask = ~0ull;
  } else {
    cr0_mask = ((hv.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~hv.cr0_fixed1) & 0xFFFFFFFFull;
    cr4_mask = (hv.cr4_fixed0 | ~hv.cr4_fixed1) & 0xFFFFFFFFull;
  }
  vmwrite(VMCS_CR0_MASK, cr0_mask);
  vmwrite(VMCS_CR4_MASK, cr4_mask);

  /* Host state: what the hypervisor runs with now. */
  struct dtr gdtr, idtr;
  uint16_t tr;
  __asm__ volatile("sgdt %0; sidt %1; str %2" : "=m"(gdtr), "=m"(idtr), "=r"(tr));
  const uint64_t *gdt = (const uint64_t *)gdtr.base;
  uint64_t d = gdt[tr >> 3];
  uint64_t tr_base = ((d >> 16) & 0xFFFFFF) | ((d >> 56) << 24) | (gdt[(tr >> 3) + 1] << 32);
  vmwrite(VMCS_HOST_CR0, read_cr0());
  vmwrite(VMCS_HOST_CR3, read_cr3());
  vmwrite(VMCS_HOST_CR4, read_cr4());
  vmwrite(VMCS_HOST_CS_SEL, SEL_KCODE);
  vmwrite(VMCS_HOST_SS_SEL, SEL_KDATA);
  vmwrite(VMCS_HOST_DS_SEL, SEL_KDATA);
  vmwrite(VMCS_HOST_ES_SEL, SEL_KDATA);
  vmwrite(VMCS_HOST_FS_SEL, 0);
  vmwrite(VMCS_HOST_GS_SEL, 0);
  vmwrite(VMCS_HOST_TR_SEL, tr);
  vmwrite(VMCS_HOST_FS_BASE, 0);
  vmwrite(VMCS_HOST_GS_BASE, 0);
  vmwrite(VMCS_HOST_TR_BASE, tr_base);
  vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
  vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
  vmwrite(VMCS_HOST_SYSENTER_CS, 0);
  vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
  vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
  vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
  vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);

  /* Guest state: the multiboot entry state. */
  static const uint32_t segs[6][2] = {
      {VMCS_GUEST_ES_SEL, 0x10}, {VMCS_GUEST_CS_SEL, 0x08}, {VMCS_GUEST_SS_SEL, 0x10},
      {VMCS_GUEST_DS_SEL, 0x10}, {VMCS_GUEST_FS_SEL, 0x10}, {VMCS_GUEST_GS_SEL, 0x10}};
  for (int i = 0; i < 6; i++) {
    uint32_t f = segs[i][0] - VMCS_GUEST_ES_SEL; /* 2 * segment index */
    vmwrite(segs[i][0], segs[i][1]);
    vmwrite(VMCS_GUEST_ES_BASE + f, 0);
    vmwrite(VMCS_GUEST_ES_LIMIT + f, 0xFFFFFFFF);
    vmwrite(VMCS_GUEST_ES_AR + f, segs[i][1] == 0x08 ? 0xC09B : 0xC093);
  }
  vmwrite(VMCS_GUEST_LDTR_SEL, 0);
  vmwrite(VMCS_GUEST_LDTR_BASE, 0);
  vmwrite(VMCS_GUEST_LDTR_LIMIT, 0);
  vmwrite(VMCS_GUEST_LDTR_AR, 0x10000); /* unusable */
  vmwrite(VMCS_GUEST_TR_SEL, 0);
  vmwrite(VMCS_GUEST_TR_BASE, 0);
  vmwrite(VMCS_GUEST_TR_LIMIT, 0x67);
  vmwrite(VMCS_GUEST_TR_AR, 0x8B); /* present, busy 32-bit TSS */
  vmwrite(VMCS_GUEST_GDTR_BASE, 0);
  vmwrite(VMCS_GUEST_GDTR_LIMIT, 0);
  vmwrite(VMCS_GUEST_IDTR_BASE, 0);
  vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);
  vmwrite(VMCS_GUEST_DR7, 0x400);
  vmwrite(VMCS_GUEST_DEBUGCTL, 0);
  vmwrite(VMCS_GUEST_RSP, 0x7000);
  vmwrite(VMCS_GUEST_RIP, entry);
  vmwrite(VMCS_GUEST_RFLAGS, 0x2);
  vmwrite(VMCS_GUEST_PENDING_DBG, 0);
  vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
  vmwrite(VMCS_GUEST_ACTIVITY, 0);
  vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
  vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
  vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
  vmwrite(VMCS_LINK_POINTER, ~0ull);
  vmwrite(VMCS_GUEST_CR3, 0);
  hv.guest_cr0 = 0x11; /* PE, ET */
  hv.guest_cr4 = 0;
  hv.guest_efer = 0;
  if (shadow) shadow_init();
  hv_update_paging_state();
  gregs.rax = MB_BOOT_MAGIC;
  gregs.rbx = mbi;
  printf("hv: mmu=%s%s%s, guest RAM %lu MiB at host 0x%lx\n", shadow ? "shadow" : "ept",
         (cpu2 & CPU2_VPID) ? " vpid" : "", (cpu & CPU_USE_MSR_BITMAPS) ? " msr-bitmaps" : "",
         hv.ram_size >> 20, hv.ram_host);
}

/* --------------------------------------------------------- exit handlers */

static void handle_cpuid(void) {
  struct cpuid_regs r = cpuid((uint32_t)gregs.rax, (uint32_t)gregs.rcx);
  uint32_t leaf = (uint32_t)gregs.rax;
  if (leaf == 1) {
    r.ecx &= ~(1u << 5); /* VMX */
    if (hv.mmu == MMU_SHADOW) r.ecx &= ~(1u << 17); /* PCID */
  } else if (leaf == 7 && hv.mmu == MMU_SHADOW) {
    r.ebx &= ~((1u << 7) | (1u << 10) | (1u << 20)); /* SMEP, INVPCID, SMAP */
  }
  gregs.rax = r.eax;
  gregs.rbx = r.ebx;
  gregs.rcx = r.ecx;
  gregs.rdx = r.edx;
  skip_instruction();
}

static uint16_t fw_cfg_key;
static uint32_t fw_cfg_off;

static uint8_t fw_cfg_byte(void) {
  uint8_t b = 0;
  uint32_t o = fw_cfg_off++;
  if (fw_cfg_key == 0x0000 && o < 4) b = (uint8_t) "QEMU"[o];
  else if (fw_cfg_key == 0x0003 && o < 8) b = (uint8_t)(hv.ram_size >> (8 * o));
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
      skip_instruction();
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
  skip_instruction();
}

static uint64_t guest_pat = 0x0007040600070406ull;

static void handle_msr(int write) {
  uint32_t msr = (uint32_t)gregs.rcx;
  uint64_t v = (gregs.rdx << 32) | (uint32_t)gregs.rax;
  int ok = 1;
  if (msr == MSR_EFER) {
    sync_from_vmcs();
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
    inject_gp();
    return;
  }
  if (!write) {
    gregs.rax = (uint32_t)v;
    gregs.rdx = v >> 32;
  }
  skip_instruction();
}

static void set_cr0(uint64_t v) {
  if ((v & CR0_PG) && !(v & CR0_PE)) {
    inject_gp();
    return;
  }
  if ((v & CR0_PG) && !(hv.guest_cr0 & CR0_PG) && (hv.guest_efer & EFER_LME) && !(hv.guest_cr4 & CR4_PAE)) {
    inject_gp();
    return;
  }
  uint64_t old = hv.guest_cr0;
  hv.guest_cr0 = v;
  if (hv.mmu == MMU_SHADOW && ((old ^ v) & (CR0_PG | CR0_WP))) shadow_flush_all();
  hv_update_paging_state();
  skip_instruction();
}

static void handle_cr(void) {
  uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);
  unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
  sync_from_vmcs();
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
      skip_instruction();
    } else if (cr == 4) {
      if ((v & CR4_VMXE) || (v & ~hv.cr4_fixed1 & ~hv.cr4_fixed0) ||
          (hv.mmu == MMU_SHADOW && (v & (CR4_PCIDE | CR4_SMEP | CR4_SMAP))) ||
          ((hv.guest_efer & EFER_LMA) && !(v & CR4_PAE))) {
        inject_gp();
        return;
      }
      uint64_t old = hv.guest_cr4;
      hv.guest_cr4 = v;
      if (hv.mmu == MMU_SHADOW && ((old ^ v) & (CR4_PAE | CR4_PSE | CR4_PGE))) shadow_flush_all();
      hv_update_paging_state();
      skip_instruction();
    } else if (cr == 8) {
      hv.tpr = v & 15;
      skip_instruction();
    } else {
      inject_gp();
    }
  } else if (type == 1) { /* MOV from CR */
    uint64_t v = 0;
    if (cr == 3) v = hv.mmu == MMU_SHADOW ? hv.guest_cr3 : vmread(VMCS_GUEST_CR3);
    else if (cr == 8) v = hv.tpr;
    hv_set_gpr(reg, v);
    skip_instruction();
  } else if (type == 2) { /* CLTS */
    set_cr0(hv.guest_cr0 & ~CR0_TS);
  } else { /* LMSW: may set PE but not clear it */
    uint64_t src = (q >> 16) & 0xF;
    set_cr0((hv.guest_cr0 & ~0xEull) | (src & 0xE) | ((src | hv.guest_cr0) & 1));
  }
}

static void dump_guest(const char *why) {
  printf("hv: %s: rip 0x%lx rsp 0x%lx cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx qual 0x%lx\n", why,
         vmread(VMCS_GUEST_RIP), vmread(VMCS_GUEST_RSP), vmread(VMCS_GUEST_CR0), vmread(VMCS_GUEST_CR3),
         vmread(VMCS_GUEST_CR4), vmread(VMCS_GUEST_EFER), vmread(VMCS_EXIT_QUALIFICATION));
}

static void handle_exit(uint32_t reason_full) {
  unsigned reason = reason_full & 0xFFFF;
  if (reason < VMX_EXIT_REASONS) counts[reason]++;
  if (reason_full & EXIT_REASON_ENTRY_FAILURE) {
    printf("hv: VM entry failed: reason %u (%s)\n", reason, vmx_exit_reason_name(reason));
    dump_guest("entry failure");
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
      dump_guest("guest triple fault");
      hv_exit(HV_EXIT_TRIPLE_FAULT);
    case EXIT_CPUID:
      handle_cpuid();
      break;
    case EXIT_HLT:
      if (!(vmread(VMCS_GUEST_RFLAGS) & (1u << 9))) {
        printf("hv: guest halted with interrupts disabled\n");
        hv_exit(HV_EXIT_HALTED);
      }
      skip_instruction();
      break;
    case EXIT_INVLPG:
      if (hv.mmu == MMU_SHADOW) shadow_invlpg(vmread(VMCS_EXIT_QUALIFICATION));
      else if (hv.cpu_ctls2 & CPU2_VPID) vmx_invvpid_single(1);
      skip_instruction();
      break;
    case EXIT_VMCALL: /* hypercalls: RAX 0 = exit(RBX), 1 = putc(BL) */
      if (gregs.rax == 0) {
        skip_instruction();
        hv_exit((int)(gregs.rbx & 0xFF));
      }
      if (gregs.rax == 1) {
        serial_putc((char)gregs.rbx);
        gregs.rax = 0;
      } else {
        gregs.rax = ~0ull;
      }
      skip_instruction();
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
      dump_guest("EPT");
      hv_exit(HV_EXIT_EPT);
    default:
      printf("hv: unhandled exit reason %u (%s)\n", reason, vmx_exit_reason_name(reason));
      dump_guest("unhandled");
      hv_exit(HV_EXIT_UNHANDLED);
  }
  /* An exit during event delivery: deliver the event again (SDM 28.2.4),
   * unless the handler injected something else. */
  if (!injected && (vec & INTR_INFO_VALID)) {
    hv_inject(vec & 0xFF, vec & 0x700, (vec & INTR_INFO_ERROR_VALID) != 0,
              (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR), (uint32_t)vmread(VMCS_EXIT_INSTR_LEN));
  }
}

/* ---------------------------------------------------------------- main */

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  hv.mmu = MMU_EPT;
  hv.ram_size = 64ull << 20;
  for (const char *a = wl_mbi.cmdline; *a;) {
    while (*a == ' ') a++;
    if (str_starts(a, "mmu=shadow")) hv.mmu = MMU_SHADOW;
    else if (str_starts(a, "mmu=ept")) hv.mmu = MMU_EPT;
    else if (str_starts(a, "mmu=auto")) hv.mmu = MMU_AUTO;
    else if (str_starts(a, "mem=")) hv.ram_size = parse_num(a + 4) << 20;
    while (*a && *a != ' ') a++;
  }
  if (hv.ram_size < (8ull << 20)) hv.ram_size = 8ull << 20;
  hv.ram_size &= ~((4ull << 20) - 1);
  printf("hv: VMX hypervisor, cmdline \"%s\"\n", wl_mbi.args);
  if (wl_mbi.mod_count < 1) {
    printf("hv: no guest module\n");
    hv_exit(HV_EXIT_SETUP);
  }
  /* The module's string before the loader's memory is reused. */
  const char *ms = wl_mbi.mods[0].string;
  size_t n = strlen(ms);
  if (n >= sizeof guest_cmdline) n = sizeof guest_cmdline - 1;
  memcpy(guest_cmdline, ms, n);
  guest_cmdline[n] = 0;
  printf("hv: guest \"%s\"\n", guest_cmdline);

  /* No interrupts reach the guest: mask both legacy PICs. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);

  place_guest_ram(8ull << 20);
  uint64_t image_end;
  const uint8_t *img = (const uint8_t *)(uintptr_t)wl_mbi.mods[0].start;
  uint64_t entry = load_guest(img, wl_mbi.mods[0].end - wl_mbi.mods[0].start, &image_end);
  uint32_t gmbi = build_guest_mbi(image_end);
  vmx_setup(entry, gmbi);

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
