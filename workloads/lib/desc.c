#include "desc.h"

#include "serial.h"
#include "wl.h"
#include "x86.h"

struct tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
  uint16_t off_lo, sel;
  uint8_t ist, type_attr;
  uint16_t off_mid;
  uint32_t off_hi, zero;
} __attribute__((packed));

struct dtr {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static wl_handler handlers[256];
static uint8_t rsp0_stack[16384] __attribute__((aligned(16)));
static uint8_t df_stack[8192] __attribute__((aligned(16)));
extern const uint64_t isr_stub_table[256];

static void set_gate(unsigned v, uint64_t addr, unsigned ist, unsigned dpl) {
  struct idt_gate *g = &idt[v];
  g->off_lo = (uint16_t)addr;
  g->sel = SEL_KCODE;
  g->ist = (uint8_t)ist;
  g->type_attr = (uint8_t)(0x8E | (dpl << 5)); /* present, 64-bit interrupt gate */
  g->off_mid = (uint16_t)(addr >> 16);
  g->off_hi = (uint32_t)(addr >> 32);
  g->zero = 0;
}

void set_gate_dpl(unsigned v, unsigned dpl) { set_gate(v, isr_stub_table[v], idt[v].ist, dpl); }
void set_handler(unsigned v, wl_handler h) { handlers[v & 255] = h; }
void set_rsp0(uint64_t rsp0) { tss.rsp[0] = rsp0; }

void desc_init(void) {
  gdt[0] = 0;
  gdt[1] = 0x00AF9A000000FFFFull; /* kernel code, L=1 */
  gdt[2] = 0x00CF92000000FFFFull; /* kernel data */
  gdt[3] = 0x00CFFA000000FFFFull; /* user code 32 (unused) */
  gdt[4] = 0x00CFF2000000FFFFull; /* user data, DPL 3 */
  gdt[5] = 0x00AFFA000000FFFFull; /* user code, L=1, DPL 3 */
  /* 64-bit TSS descriptor, 16 bytes: SDM Vol. 3A 8.2.3 (type 9 = available). */
  uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
  gdt[6] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
           ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
  gdt[7] = base >> 32;

  tss.rsp[0] = (uint64_t)(rsp0_stack + sizeof rsp0_stack);
  tss.ist[0] = (uint64_t)(df_stack + sizeof df_stack); /* IST1 */
  tss.iomap_base = sizeof tss; /* no I/O bitmap */

  struct dtr g = {sizeof gdt - 1, (uint64_t)gdt};
  __asm__ volatile(
      "lgdt %0\n\t"
      "pushq %1\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movl %2, %%eax\n\t"
      "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%ss\n\t"
      "xorl %%eax, %%eax\n\tmovl %%eax, %%fs\n\tmovl %%eax, %%gs\n\t"
      "ltr %w3"
      :
      : "m"(g), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
      : "rax", "memory");

  for (unsigned v = 0; v < 256; v++) set_gate(v, isr_stub_table[v], v == 8 ? 1 : 0, 0);
  set_gate_dpl(3, 3); /* int3 and INT 0x80 usable from ring 3 */
  set_gate_dpl(0x80, 3);
  struct dtr i = {sizeof idt - 1, (uint64_t)idt};
  __asm__ volatile("lidt %0" ::"m"(i) : "memory");
}

static const char *const names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};

void wl_dispatch(struct wl_frame *f) {
  wl_handler h = handlers[f->vector & 255];
  if (h) {
    h(f);
    return;
  }
  const char *n = f->vector < 32 && names[f->vector] ? names[f->vector] : "int";
  printf("FATAL: unexpected %s vector %lu error 0x%lx rip 0x%lx cs 0x%lx rsp 0x%lx cr2 0x%lx\n", n,
         f->vector, f->error, f->rip, f->cs, f->rsp, read_cr2());
  exit(WL_EXIT_FATAL);
}
