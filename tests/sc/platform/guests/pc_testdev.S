# QEMU's pc-testdev as kvm-unit-tests uses it: an ISA IRQ line raised through
# port 0x2000+14 reaches the I/O APIC (pin 14, vector 0x42); the scratch
# register at 0xe0/0xe8; its memory at 0xff000000. RES+0x40 counts the
# interrupts; RES+0x44: the scratch register read at 0xe0 after byte writes
# at 0xe8-0xeb; RES+0x48/0x4c: two dwords copied to 0xff000000 and back;
# RES+0x50: interrupts after the line was lowered and raised again.
.include "common.inc"
.set IOAPIC, 0xfec00000
main:
  GATE 0x42, irq_isr
  movl $0x1ff, LAPIC+0xf0         # SVR: APIC enabled
  mov $0xff, %al                  # mask both 8259s (IRQ 14 reaches them too)
  out %al, $0x21
  out %al, $0xa1
  movl $0x2c, IOAPIC              # RTE 14 low: vector 0x42, fixed, edge, unmasked
  movl $0x42, IOAPIC+0x10
  movl $0x2d, IOAPIC              # RTE 14 high: destination 0
  movl $0, IOAPIC+0x10
  sti
  mov $0x200e, %dx
  mov $1, %al
  out %al, %dx                    # IRQ 14 up: one edge
1:cmpl $1, RES+0x40
  jne 1b
  mov $0, %al
  out %al, %dx                    # down
  mov $1, %al
  out %al, %dx                    # up again: a second edge
2:cmpl $2, RES+0x40
  jne 2b
  cli
  mov RES+0x40, %eax
  mov %eax, RES+0x50
  # scratch register: four byte writes at 0xe8-0xeb, one dword read at 0xe0
  mov $0x11, %al
  out %al, $0xe8
  mov $0x22, %al
  out %al, $0xe9
  mov $0x33, %al
  out %al, $0xea
  mov $0x44, %al
  out %al, $0xeb
  in $0xe0, %eax
  mov %eax, RES+0x44
  # memory at 0xff000000
  movl $0xcafef00d, RES+0x60
  movl $0x8badf00d, RES+0x64
  mov $RES+0x60, %esi
  mov $0xff000000, %edi
  mov $2, %ecx
  rep movsl
  mov $0xff000000, %esi
  mov $RES+0x48, %edi
  mov $2, %ecx
  rep movsl
  mov $0x20, %ecx
  jmp dump_and_exit

irq_isr:
  incl RES+0x40
  movl $0, LAPIC+0xb0             # EOI
  iret
