# HLT with interrupts enabled and nothing that could ever interrupt.
.include "common.inc"
main:
  sti
  hlt
  mov $0x77, %al
  out %al, $0xf4
