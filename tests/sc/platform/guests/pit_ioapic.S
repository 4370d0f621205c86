# The 8254 through I/O APIC pin 2 (ISA IRQ 0's override) to the local APIC,
# the 8259 masked. RES+0x40: interrupts; RES+0x100+8n: their TSC.
.include "common.inc"
main:
  GATE 0x30, isr
  mov $0xff, %al                  # mask both 8259s
  out %al, $0x21
  out %al, $0xa1
  movl $0x1ff, LAPIC+0xf0         # SVR: APIC enabled
  movl $0x15, 0xfec00000          # IOREGSEL: redirection entry 2, high half
  movl $0, 0xfec00010             # destination APIC 0
  movl $0x14, 0xfec00000          # entry 2, low half
  movl $0x30, 0xfec00010          # vector 0x30, fixed, edge, unmasked
  rdtsc
  mov %eax, RES+0x00
  mov %edx, RES+0x04
  mov $0x34, %al
  out %al, $0x43
  mov $0xa9, %al
  out %al, $0x40
  mov $0x04, %al
  out %al, $0x40
  sti
6:hlt
  cmpl $3, RES+0x40
  jb 6b
  cli
  mov $0x60, %ecx
  jmp dump_and_exit

isr:
  push %eax
  push %edx
  push %ecx
  rdtsc
  mov RES+0x40, %ecx
  mov %eax, RES+0x100(,%ecx,8)
  mov %edx, RES+0x104(,%ecx,8)
  incl RES+0x40
  movl $0, LAPIC+0xb0             # EOI
  pop %ecx
  pop %edx
  pop %eax
  iret
