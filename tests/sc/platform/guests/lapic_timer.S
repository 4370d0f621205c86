# The local APIC timer wakes HLT and interrupts a busy loop on time.
# RES+0x40: interrupts taken; RES+0x100+8n: TSC at the start of the nth.
.include "common.inc"
main:
  GATE 0x40, timer_isr
  movl $0x1ff, LAPIC+0xf0         # SVR: APIC enabled, spurious vector 0xff
  movl $0x40, LAPIC+0x320         # LVT timer: vector 0x40, one-shot
  movl $0xb, LAPIC+0x3e0          # divide by 1
  # A: one-shot of 12345 ticks while halted
  rdtsc
  mov %eax, RES+0x00
  mov %edx, RES+0x04
  movl $12345, LAPIC+0x380
  sti
  hlt
  cli
  # B: one-shot of 23456 ticks while spinning
  rdtsc
  mov %eax, RES+0x08
  mov %edx, RES+0x0c
  movl $23456, LAPIC+0x380
  sti
6:cmpl $2, RES+0x40
  jne 6b
  cli
  # C: periodic, 1000 ticks, three periods halted
  movl $0x20040, LAPIC+0x320
  rdtsc
  mov %eax, RES+0x10
  mov %edx, RES+0x14
  movl $1000, LAPIC+0x380
  sti
7:hlt
  cmpl $5, RES+0x40
  jne 7b
  cli
  movl $0, LAPIC+0x380            # stops the periodic timer
  # D: TSC-deadline 5000 cycles ahead
  movl $0x40040, LAPIC+0x320
  rdtsc
  mov %eax, RES+0x18
  mov %edx, RES+0x1c
  add $5000, %eax
  adc $0, %edx
  mov $0x6e0, %ecx
  wrmsr
  sti
  hlt
  cli
  # E: INIT level de-assert and SIPI to ourselves (physical destination 0):
  # recorded only (the de-assert resets nothing; no SIPI is awaited)
  movl $0, LAPIC+0x310
  movl $0x8500, LAPIC+0x300       # INIT, level de-assert
  movl $0x0608, LAPIC+0x300       # start-up, vector 0x08
  movl $0x600d, RES+0x44
  mov LAPIC+0x390, %eax           # current count (0: stopped)
  mov %eax, RES+0x48
  mov $0x60, %ecx
  jmp dump_and_exit

timer_isr:
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
