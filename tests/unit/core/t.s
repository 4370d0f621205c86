.intel_syntax noprefix

.code16
start:
  cli
  lgdt [0x0f00]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x30:pm32
.code32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x9000
  mov eax, cr4
  or eax, 0x20
  mov cr4, eax
  mov eax, 0x10000
  mov cr3, eax
  mov ecx, 0xc0000080
  rdmsr
  or eax, 0x100
  wrmsr
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  jmp 0x08:lm64
.code64
lm64:
  mov r8, 0x64
  mov eax, offset farptr1
  jmp fword ptr [rax]
.code32
compat1:
  mov edi, 0x32
  jmp 0x08:lm64b
.code64
lm64b:
  mov r10, 0x6464
  mov eax, offset farptr2
  jmp fword ptr [rax]
.code32
compat2:
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  mov ecx, 0xc0000080
  rdmsr
  and eax, 0xfffffeff
  wrmsr
  jmp 0x38:pm16
.code16
pm16:
  mov ax, 0x40
  mov ds, ax
  mov ss, ax
  mov eax, cr0
  and al, 0xfe
  mov cr0, eax
  jmp 0x0000:real2
real2:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov si, 0x1234
  hlt
.align 4
farptr1: .long compat1
  .word 0x30
farptr2: .long compat2
  .word 0x30

