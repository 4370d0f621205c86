# Performance-counter overflow interrupts through the LVT PC entry (vector
# 0x41): A, PMC0 counts core cycles from -50000; B, PMC1 counts instructions
# from -30000; each with INT set, the guest spinning (no PMU access) until
# the PMI arrives. The handler n (RES+0x40 counts them) saves PMC0 at
# RES+0x100+16n, PMC1 at +4, IA32_PERF_GLOBAL_STATUS at +8, then clears the
# status through IA32_PERF_GLOBAL_OVF_CTRL. RES+0x48: LVT PC after A's PMI;
# RES+0x4c: the status at the end.
.include "common.inc"
main:
  GATE 0x41, pmi_isr
  movl $0x1ff, LAPIC+0xf0         # SVR: APIC enabled
  movl $0x41, LAPIC+0x340         # LVT PC: fixed, vector 0x41
  # A
  xor %edx, %edx
  mov $0x38f, %ecx                # IA32_PERF_GLOBAL_CTRL = 0
  xor %eax, %eax
  wrmsr
  mov $0xc1, %ecx                 # IA32_PMC0 = -50000
  mov $-50000, %eax
  wrmsr
  mov $0x186, %ecx                # IA32_PERFEVTSEL0: EN INT OS USR, core cycles
  mov $0x53003c, %eax
  wrmsr
  mov $0x38f, %ecx
  mov $1, %eax
  wrmsr
  sti
1:cmpl $1, RES+0x40
  jne 1b
  cli
  mov LAPIC+0x340, %eax
  mov %eax, RES+0x48
  # B
  xor %edx, %edx
  mov $0x38f, %ecx
  xor %eax, %eax
  wrmsr
  mov $0x186, %ecx                # PMC0 off
  wrmsr
  mov $0xc2, %ecx                 # IA32_PMC1 = -30000
  mov $-30000, %eax
  wrmsr
  mov $0x187, %ecx                # IA32_PERFEVTSEL1: EN INT OS USR, instructions
  mov $0x5300c0, %eax
  wrmsr
  movl $0x41, LAPIC+0x340         # the PMI masked the entry: unmask it
  mov $0x38f, %ecx
  mov $2, %eax
  wrmsr
  sti
2:cmpl $2, RES+0x40
  jne 2b
  cli
  xor %edx, %edx
  mov $0x38f, %ecx
  xor %eax, %eax
  wrmsr
  mov $0x38e, %ecx
  rdmsr
  mov %eax, RES+0x4c
  mov $0x60, %ecx
  jmp dump_and_exit

pmi_isr:
  push %eax
  push %edx
  push %ecx
  push %ebx
  mov RES+0x40, %ebx
  shl $4, %ebx
  mov $0xc1, %ecx
  rdmsr
  mov %eax, RES+0x100(%ebx)
  mov $0xc2, %ecx
  rdmsr
  mov %eax, RES+0x104(%ebx)
  mov $0x38e, %ecx
  rdmsr
  mov %eax, RES+0x108(%ebx)
  mov $0x390, %ecx                # clear what was set
  wrmsr
  incl RES+0x40
  movl $0, LAPIC+0xb0             # EOI
  pop %ebx
  pop %ecx
  pop %edx
  pop %eax
  iret
