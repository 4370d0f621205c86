# The 8254 in mode 2 through the 8259 (LINT0 in ExtINT, the APIC untouched)
# wakes HLT every period. RES+0x40: interrupts; RES+0x100+8n: their TSC.
.include "common.inc"
main:
  GATE 0x20, pit_isr
  mov $0x11, %al                  # ICW1: edge, cascade, ICW4
  out %al, $0x20
  out %al, $0xa0
  mov $0x20, %al                  # ICW2: vectors 0x20 and 0x28
  out %al, $0x21
  mov $0x28, %al
  out %al, $0xa1
  mov $0x04, %al                  # ICW3: slave on IR2
  out %al, $0x21
  mov $0x02, %al
  out %al, $0xa1
  mov $0x01, %al                  # ICW4: 8086 mode
  out %al, $0x21
  out %al, $0xa1
  mov $0xfe, %al                  # only IRQ 0
  out %al, $0x21
  mov $0xff, %al
  out %al, $0xa1
  rdtsc
  mov %eax, RES+0x00
  mov %edx, RES+0x04
  mov $0x34, %al                  # counter 0, LSB then MSB, mode 2, binary
  out %al, $0x43
  mov $0xa9, %al                  # 1193 = 0x4a9: about 1 ms
  out %al, $0x40
  mov $0x04, %al
  out %al, $0x40
  sti
6:hlt
  cmpl $5, RES+0x40
  jb 6b
  cli
  mov $0x60, %ecx
  jmp dump_and_exit

pit_isr:
  push %eax
  push %edx
  push %ecx
  rdtsc
  mov RES+0x40, %ecx
  mov %eax, RES+0x100(,%ecx,8)
  mov %edx, RES+0x104(,%ecx,8)
  incl RES+0x40
  mov $0x20, %al                  # non-specific EOI
  out %al, $0x20
  pop %ecx
  pop %edx
  pop %eax
  iret
