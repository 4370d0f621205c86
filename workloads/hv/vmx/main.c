/* hv_vmx: a small VMX hypervisor running one 64-bit multiboot guest.
 *
 * Command line: [mmu=ept|shadow|auto] [mem=MIB] [tpr=shadow|exit]
 * (defaults: ept, 64, shadow; auto: EPT when the processor offers it, shadow
 * paging otherwise; tpr=shadow uses the TPR shadow when offered, so CR8
 * accesses do not exit, tpr=exit intercepts every CR8 access)
 * Module 0: the guest, an ELF64 multiboot v1 kernel; the module's string
 * ("path args") becomes the guest's command line.
 *
 * Memory: guest-physical [0, mem) is a contiguous host region aligned to
 * 4 MiB (host = hv_guest.ram + guest-physical; lib/hv_guest_loader.c),
 * followed by the hypervisor's own pages (hv_alloc_pages).  mmu=ept maps it with EPT
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
struct hv_guest hv_guest;
struct guest_regs gregs;

#define HEAP_BYTES (8ull << 20)

static uint64_t heap_next, heap_end;
static char guest_cmdline[1024];

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

/* Ends the run: hvsim and QEMU stop at the port 0xf4 write; Bochs has no
 * isa-debug-exit, so the status is also printed and Bochs' shutdown port
 * (0x8900, the string "Shutdown") is used. */
void hv_exit(int code) {
  hv_print_counts();
  if (hv.mmu == MMU_SHADOW) printf("info: hv: %lu single-stepped page-table writes\n", stepped);
  printf("hv: exit %d\n", code);
  while (!(inb(0x3fd) & 0x40)) /* LSR.TEMT: the last byte has left the UART */
    ;
  outb(0xf4, (uint8_t)code);
  const char *s = "Shutdown";
  while (*s) outb(0x8900, (uint8_t)*s++);
  for (;;) __asm__ volatile("cli; hlt");
}

static void parse_cmdline(uint64_t *ram_size) {
  hv.mmu = MMU_EPT;
  *ram_size = 64ull << 20;
  for (const char *a = wl_mbi.cmdline; *a;) {
    while (*a == ' ') a++;
    if (str_starts(a, "mmu=shadow")) hv.mmu = MMU_SHADOW;
    else if (str_starts(a, "mmu=ept")) hv.mmu = MMU_EPT;
    else if (str_starts(a, "mmu=auto")) hv.mmu = MMU_AUTO;
    else if (str_starts(a, "mem=")) *ram_size = parse_num(a + 4) << 20;
    else if (str_starts(a, "tpr=exit")) hv.tpr_exit = 1;
    else if (str_starts(a, "tpr=shadow")) hv.tpr_exit = 0;
    while (*a && *a != ' ') a++;
  }
  if (*ram_size < (8ull << 20)) *ram_size = 8ull << 20;
  *ram_size &= ~((4ull << 20) - 1);
}

/* Guest RAM 4 MiB aligned (mmu=shadow maps it with 4 MiB pages while the
 * guest's paging is off), the hypervisor's pages after it; the guest
 * image; its multiboot information in the page after the image. */
static uint32_t load_guest(uint64_t ram_size) {
  if (hv_guest_from_module(&hv_guest, ram_size, 4ull << 20, HEAP_BYTES, guest_cmdline, sizeof guest_cmdline))
    hv_exit(HV_EXIT_SETUP);
  if (hv_guest.ram_size != ram_size) {
    printf("hv: no room for %lu MiB of guest RAM\n", ram_size >> 20);
    hv_exit(HV_EXIT_SETUP);
  }
  heap_next = (uint64_t)(uintptr_t)hv_guest.ram + hv_guest.ram_size;
  heap_end = heap_next + HEAP_BYTES;
  printf("hv: guest \"%s\"\n", guest_cmdline);
  return hv_guest_build_mbi(&hv_guest, (uint32_t)((hv_guest.image_hi + 4095) & ~4095ull), guest_cmdline);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  uint64_t ram_size;
  parse_cmdline(&ram_size);
  printf("hv: VMX hypervisor, cmdline \"%s\"\n", wl_mbi.args);
  if (wl_mbi.mod_count < 1) {
    printf("hv: no guest module\n");
    hv_exit(HV_EXIT_SETUP);
  }
  /* No interrupts reach the guest: mask both legacy PICs. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
  uint32_t gmbi = load_guest(ram_size);
  vmx_setup(hv_guest.entry, gmbi);
  hv_fastcall_setup();
  hv_smp_start(); /* returns at once on one CPU */
  hv_run();
}
