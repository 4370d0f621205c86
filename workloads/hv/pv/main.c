/* hv_pv: a paravirtual hypervisor in the spirit of Xen's x86-64 PV (see
 * README.md for the design, pv_abi.h for the interface).
 *
 * Module 0: the guest kernel, an ELF64 image linked at PV_GUEST_BASE or
 * above, with a XEN_ELFNOTE_HYPERCALL_PAGE note; the module's string
 * ("path args") becomes start_info.cmd_line.
 *
 * The domain builder (this file) gives the guest the machine memory from
 * PV_GUEST_BASE to the end of that RAM region (below 1 GiB), loads the
 * image, writes the hypercall page, and builds the initial page tables: L1
 * tables mapping all guest memory at its own address (the direct map;
 * frames used as page tables read-only), reached through the hypervisor's
 * L3/L2 of L4 slot 0, and an L4, pinned.  The guest starts in ring 3 (guest
 * kernel mode) at its ELF entry with RSI = start_info. */
#include "hv.h"
#include "elf.h"

struct vcpu vcpu;
struct domain dom;

static uint64_t hv_l3[512] __attribute__((aligned(4096)));
static uint64_t hv_l2[512] __attribute__((aligned(4096)));
/* Slot 0 of user L4s: the hypervisor and the user window only. */
static uint64_t hv_l3u[512] __attribute__((aligned(4096)));
/* L4 slot 256: all machine memory below 4 GiB, 2 MiB global pages. */
static uint64_t dm_l3[512] __attribute__((aligned(4096)));
static uint64_t dm_l2[4][512] __attribute__((aligned(4096)));
static uint64_t hv_l2u[512] __attribute__((aligned(4096)));
static uint64_t gdt[10] __attribute__((aligned(16)));
extern uint64_t boot_pml4[512];
extern uint64_t hv_stack_top;

#define XEN_ELFNOTE_HYPERCALL_PAGE 2

static void setup_fail(const char *why) {
  printf("hv: %s\n", why);
  exit(HV_EXIT_SETUP);
}

static void zero(uint64_t pa, uint64_t len) { memset((void *)pa, 0, len); }

/* Loads the ELF image; returns the end of its highest segment. */
static uint64_t load_guest(const uint8_t *img, uint64_t size, uint64_t *entry, uint64_t *hcall_page) {
  const struct elf64_ehdr *eh = (const void *)img;
  if (size < sizeof *eh || memcmp(eh->ident, "\x7f" "ELF", 4) || eh->ident[4] != 2 || eh->machine != 62)
    setup_fail("the guest is not an x86-64 ELF64 image");
  if (eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
    setup_fail("bad ELF program headers");
  uint64_t end = 0;
  *hcall_page = 0;
  for (unsigned i = 0; i < eh->phnum; i++) {
    const struct elf64_phdr *ph = (const void *)(img + eh->phoff + i * sizeof *ph);
    if (ph->offset > size || ph->filesz > size - ph->offset) setup_fail("ELF segment outside the file");
    if (ph->type == PT_LOAD) {
      if (ph->paddr < dom.mem_base || ph->memsz > dom.mem_end - ph->paddr || ph->filesz > ph->memsz)
        setup_fail("ELF segment outside guest memory (link the guest at 32 MiB or above)");
      memcpy((void *)ph->paddr, img + ph->offset, ph->filesz);
      zero(ph->paddr + ph->filesz, ph->memsz - ph->filesz);
      if (ph->paddr + ph->memsz > end) end = ph->paddr + ph->memsz;
    } else if (ph->type == PT_NOTE) {
      for (uint64_t o = 0; o + 12 <= ph->filesz;) {
        const uint32_t *n = (const void *)(img + ph->offset + o);
        uint64_t nsz = (n[0] + 3) & ~3u, dsz = (n[1] + 3) & ~3u;
        const char *name = (const char *)(n + 3);
        if (n[2] == XEN_ELFNOTE_HYPERCALL_PAGE && n[0] == 4 && !memcmp(name, "Xen", 4) && n[1] == 8)
          memcpy(hcall_page, name + nsz, 8);
        o += 12 + nsz + dsz;
      }
    }
  }
  *entry = eh->entry;
  return end;
}

/* 32 bytes per hypercall (pv_abi.h); iret does not return. */
static void write_hypercall_page(uint8_t *p) {
  for (unsigned nr = 0; nr < 128; nr++) {
    uint8_t *e = p + nr * 32;
    memset(e, 0xCC, 32);
    unsigned k = 0;
    e[k++] = 0x51;                                       /* push %rcx */
    e[k++] = 0x41, e[k++] = 0x53;                        /* push %r11 */
    if (nr == __HYPERVISOR_iret) e[k++] = 0x50;          /* push %rax */
    e[k++] = 0xB8;                                       /* mov $nr, %eax */
    e[k++] = (uint8_t)nr, e[k++] = 0, e[k++] = 0, e[k++] = 0;
    e[k++] = 0x0F, e[k++] = 0x05;                        /* syscall */
    if (nr == __HYPERVISOR_iret) {
      e[k++] = 0x0F, e[k++] = 0x0B;                      /* ud2 */
      continue;
    }
    e[k++] = 0x41, e[k++] = 0x5B;                        /* pop %r11 */
    e[k++] = 0x59;                                       /* pop %rcx */
    e[k++] = 0xC3;                                       /* ret */
  }
}

/* The lib's GDT plus entry 8: 64-bit code, DPL 3, the guest kernel's CS. */
static void gdt_init(void) {
  struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d;
  __asm__ volatile("sgdt %0" : "=m"(d));
  memcpy(gdt, (void *)d.base, 64);
  gdt[8] = 0x00AFFA000000FFFFull;
  d.limit = sizeof gdt - 1;
  d.base = (uint64_t)gdt;
  __asm__ volatile("lgdt %0" ::"m"(d) : "memory");
}

static void cpu_init(void) {
  gdt_init();
  wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uint64_t)hv_syscall_entry);
  wrmsr(MSR_SFMASK, 0x47700); /* TF, IF, DF, IOPL, NT, AC cleared on entry */
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
  write_cr0(read_cr0() | CR0_WP); /* the guest's read-only mappings bind the hypervisor too */
  /* The guest runs with RFLAGS.IF set and the hypervisor takes no device
   * interrupts (its timer is polled): mask both 8259s, whose vectors a
   * BIOS leaves at 8-15 (QEMU's PIT would otherwise arrive as vector 8). */
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  set_rsp0(hv_stack_top);
  traps_init();
}

static void find_memory(void) {
  for (int i = 0; i < wl_mbi.mmap_count; i++) {
    uint64_t b = wl_mbi.mmap[i].base, e = b + wl_mbi.mmap[i].length;
    if (wl_mbi.mmap[i].type != 1 || b > PV_GUEST_BASE || e <= PV_GUEST_BASE + (8ull << 20)) continue;
    if (e > HV_GUEST_MAX_END) e = HV_GUEST_MAX_END;
    mm_init(PV_GUEST_BASE, e & ~0xFFFull);
    return;
  }
  setup_fail("need RAM from 32 MiB to at least 40 MiB for the guest");
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  printf("hv: hv_pv: paravirtual hypervisor (Xen-style x86-64 PV)\n");
  if (wl_mbi.mod_count < 1) setup_fail("no guest kernel (pass it as the first module)");
  if (wl_mbi.mods[0].end > PV_GUEST_BASE) setup_fail("the guest module lies above 32 MiB");
  find_memory();
  cpu_init();
  for (unsigned j = 0; j < 4; j++) {
    for (unsigned k = 0; k < 512; k++)
      dm_l2[j][k] = ((uint64_t)j << 30 | (uint64_t)k << 21) | PTE_P | PTE_W | PTE_PS | PTE_G;
    dm_l3[j] = (uint64_t)dm_l2[j] | PTE_P | PTE_W;
  }
  boot_pml4[256] = (uint64_t)dm_l3 | PTE_P | PTE_W; /* the hypervisor's map of machine memory */
  write_cr3(read_cr3());

  uint64_t entry, hpage;
  const uint8_t *img = (const uint8_t *)(uint64_t)wl_mbi.mods[0].start;
  uint64_t end = load_guest(img, wl_mbi.mods[0].end - wl_mbi.mods[0].start, &entry, &hpage);
  if (!hpage || (hpage & 0xFFF) || hpage < dom.mem_base || hpage + 4096 > end)
    setup_fail("the guest has no XEN_ELFNOTE_HYPERCALL_PAGE note naming a page of its image");
  write_hypercall_page((uint8_t *)hpage);

  /* Boot frames after the image: start_info, shared_info, the direct map's
   * L1 tables, the initial L4. */
  uint64_t next = (end + 0xFFF) & ~0xFFFull;
  const uint64_t nl1 = (dom.mem_end - dom.mem_base + PAGE_2M - 1) / PAGE_2M;
  const uint64_t si_pa = next, sh_pa = next + 4096, l1_pa = next + 8192, l4_pa = l1_pa + nl1 * 4096;
  next = l4_pa + 4096;
  if (next + (4ull << 20) > dom.mem_end) setup_fail("guest memory too small for the image");
  zero(si_pa, next - si_pa);
  for (uint64_t pa = dom.mem_base; pa < dom.mem_end; pa += 4096) {
    const int table = pa >= l1_pa && pa <= l4_pa;
    ((uint64_t *)l1_pa)[(pa - dom.mem_base) >> 12] = pa | PTE_P | PTE_U | (table ? 0 : PTE_W);
  }
  hv_l3[0] = (uint64_t)hv_l2 | PTE_P | PTE_W | PTE_U;
  /* The hypervisor's own mappings are global (CR4.PGE): they survive the
   * CR3 loads of guest mode switches (guest entries cannot be global). */
  for (unsigned i = 0; i < HV_HOLE_END / PAGE_2M; i++)
    hv_l2[i] = hv_l2u[i] = (uint64_t)i * PAGE_2M | PTE_P | PTE_W | PTE_PS | PTE_G;
  write_cr4(read_cr4() | (1u << 7)); /* CR4.PGE */
  const int pcids = pcid_init();
  hv_l3u[0] = (uint64_t)hv_l2u | PTE_P | PTE_W | PTE_U;
  dom.l4_slot0_user = (uint64_t)hv_l3u | PTE_P | PTE_W | PTE_U;
  dom.user_l2 = hv_l2u;
  for (uint64_t k = 0; k < nl1; k++) {
    if (get_page_type(l1_pa + k * 4096, PGT_l1)) setup_fail("cannot validate the direct map");
    hv_l2[HV_HOLE_END / PAGE_2M + k] = (l1_pa + k * 4096) | PTE_P | PTE_W | PTE_U;
  }
  dom.l4_slot0 = (uint64_t)hv_l3 | PTE_P | PTE_W | PTE_U;
  dom.l4_slot256 = boot_pml4[256];
  if (get_page_type(l4_pa, PGT_l4)) setup_fail("cannot validate the initial L4");
  page_info_of(l4_pa)->pinned = 1;

  /* Through the hypervisor's map: guest user mode does not map them. */
  dom.si = (struct start_info *)hv_map(si_pa);
  dom.shared = (struct shared_info *)hv_map(sh_pa);
  dom.shared->vcpu_info[0].evtchn_upcall_mask = 1; /* events masked until the guest is ready */
  struct start_info *si = dom.si;
  memcpy(si->magic, "xen-3.0-x86_64", 15);
  si->nr_pages = (dom.mem_end - dom.mem_base) >> 12;
  si->shared_info = sh_pa;
  si->pt_base = l4_pa;
  si->nr_pt_frames = nl1 + 1;
  si->mem_base = dom.mem_base;
  si->first_free = next;
  const char *cl = wl_mbi.mods[0].string ? wl_mbi.mods[0].string : "";
  size_t n = strlen(cl);
  if (n >= sizeof si->cmd_line) n = sizeof si->cmd_line - 1;
  memcpy(si->cmd_line, cl, n);
  printf("info: hv: guest memory 0x%lx-0x%lx (%lu pages), entry 0x%lx, hypercall page 0x%lx, PCIDs %s\n",
         dom.mem_base, dom.mem_end, si->nr_pages, entry, hpage, pcids ? "on" : "off");

  vcpu.kernel_mode = 1;
  vcpu.cr3 = l4_pa;
  load_mode_cr3(0);
  hv_enter_guest(entry, 0, si_pa);
}
