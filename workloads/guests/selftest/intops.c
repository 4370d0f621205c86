/* Integer instructions against constants worked out by hand.  Only flags
 * the SDM defines for each instruction are compared (mask argument);
 * e.g. MUL leaves SF/ZF/AF/PF undefined, BSF defines only ZF. */
#include "selftest.h"

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL (CF | PF | AF | ZF | SF | OF)

/* dst = dst OP src, with CF preset to cin; m is the operand-size modifier
 * ("b", "w", "k", "q"), so narrow forms keep the rest of the register. */
#define OP2(m, insn, dst, src, cin, fl)                                                 \
  ({                                                                                    \
    uint64_t _d = (dst);                                                                \
    __asm__ volatile("btq $0, %[c]\n\t" insn " %" m "[s], %" m "[d]\n\t"                \
                     "pushfq\n\tpopq %[f]"                                              \
                     : [d] "+&r"(_d), [f] "=r"(fl)                                       \
                     : [s] "r"((uint64_t)(src)), [c] "r"((uint64_t)(cin))               \
                     : "cc");                                                           \
    _d;                                                                                 \
  })
/* dst = dst OP cl (shifts and rotates by CL), CF preset. */
#define OPCL(m, insn, dst, count, cin, fl)                                              \
  ({                                                                                    \
    uint64_t _d = (dst);                                                                \
    __asm__ volatile("btq $0, %[c]\n\t" insn " %%cl, %" m "[d]\n\t"                     \
                     "pushfq\n\tpopq %[f]"                                              \
                     : [d] "+&r"(_d), [f] "=r"(fl)                                       \
                     : "c"((uint64_t)(count)), [c] "r"((uint64_t)(cin))                 \
                     : "cc");                                                           \
    _d;                                                                                 \
  })

static void chk(const char *name, uint64_t got, uint64_t want, uint64_t fl, uint64_t want_fl, uint64_t mask) {
  if (got == want && (fl & mask) == (want_fl & mask)) {
    check(name, 1);
  } else {
    check(name, 0);
    printf("  got 0x%lx flags 0x%lx, want 0x%lx flags 0x%lx (mask 0x%lx)\n", got, fl & mask, want,
           want_fl & mask, mask);
  }
}

static void test_add_sub(void) {
  uint64_t f, r;
  r = OP2("k", "addl", 0x7FFFFFFF, 1, 0, f);
  chk("add32_overflow", r, 0x80000000, f, OF | SF | AF | PF, ALL);
  r = OP2("q", "subq", 0, 1, 0, f);
  chk("sub64_borrow", r, ~0ull, f, CF | SF | AF | PF, ALL);
  r = OP2("b", "adcb", 0x11223344556677FFull, 0, 1, f);
  chk("adc8_carry_in", r, 0x1122334455667700ull, f, CF | PF | AF | ZF, ALL);
  r = OP2("w", "sbbw", 0x8000, 0, 1, f);
  chk("sbb16_overflow", r, 0x7FFF, f, OF | AF | PF, ALL);
  /* 128-bit add: (2:~0) + (1:1) */
  uint64_t lo = ~0ull, hi = 2;
  __asm__("addq %2, %0\n\tadcq %3, %1" : "+&r"(lo), "+&r"(hi) : "r"(1ull), "r"(1ull) : "cc");
  check("adc_chain_128", lo == 0 && hi == 4);
  /* 192-bit subtract: (5:0:0) - (0:0:1) */
  uint64_t a0 = 0, a1 = 0, a2 = 5;
  __asm__("subq %3, %0\n\tsbbq %4, %1\n\tsbbq %4, %2" : "+&r"(a0), "+&r"(a1), "+&r"(a2) : "r"(1ull), "r"(0ull) : "cc");
  check("sbb_chain_192", a0 == ~0ull && a1 == ~0ull && a2 == 4);
  /* INC/DEC leave CF alone. */
  r = ~0ull;
  __asm__ volatile("stc\n\tincq %0\n\tpushfq\n\tpopq %1" : "+r"(r), "=r"(f) : : "cc");
  chk("inc_keeps_cf", r, 0, f, CF | ZF | AF | PF, ALL);
  r = 5;
  __asm__ volatile("negq %0\n\tpushfq\n\tpopq %1" : "+r"(r), "=r"(f) : : "cc");
  chk("neg64", r, (uint64_t)-5, f, CF | SF | AF, ALL);
}

static void test_mul_div(void) {
  uint64_t a, d, f;
  __asm__ volatile("mulb %b3\n\tpushfq\n\tpopq %1" : "=a"(a), "=r"(f) : "a"(0x80ull), "r"(3ull) : "cc");
  chk("mul8", a & 0xFFFF, 0x180, f, CF | OF, CF | OF);
  __asm__ volatile("mulw %w4\n\tpushfq\n\tpopq %1" : "=a"(a), "=r"(f), "=d"(d) : "a"(0xFFFFull), "r"(0xFFFFull), "d"(0ull) : "cc");
  chk("mul16", (d & 0xFFFF) << 16 | (a & 0xFFFF), 0xFFFE0001, f, CF | OF, CF | OF);
  __asm__ volatile("mull %k4\n\tpushfq\n\tpopq %1" : "=a"(a), "=r"(f), "=d"(d) : "a"(0x12345678ull), "r"(0x9ABCDEF0ull) : "cc");
  chk("mul32", d << 32 | a, 0x0B00EA4E242D2080ull, f, CF | OF, CF | OF);
  __asm__ volatile("mulq %4\n\tpushfq\n\tpopq %1" : "=a"(a), "=r"(f), "=d"(d) : "a"(~0ull), "r"(2ull) : "cc");
  check("mul64", a == ~1ull && d == 1 && (f & (CF | OF)) == (CF | OF));
  __asm__ volatile("imulq %4\n\tpushfq\n\tpopq %1" : "=a"(a), "=r"(f), "=d"(d) : "a"(-3ll), "r"(5ull) : "cc");
  check("imul64_one_operand", a == (uint64_t)-15 && d == ~0ull && (f & (CF | OF)) == 0);
  __asm__ volatile("imulq $4, %2, %0\n\tpushfq\n\tpopq %1" : "=r"(a), "=r"(f) : "r"(0x4000000000000000ull) : "cc");
  check("imul64_imm_overflow", a == 0 && (f & (CF | OF)) == (CF | OF));
  a = 0xFFFFFFFF00000000ull | (uint32_t)-7;
  __asm__ volatile("imull %k1, %k0" : "+r"(a) : "r"(6ull) : "cc");
  check_eq("imul32_two_operand", a, 0xFFFFFFD6ull);
  a = 0x1234;
  __asm__ volatile("imulw $-2, %w0, %w0" : "+r"(a) : : "cc");
  check_eq("imul16_imm", a, 0xDB98);

  __asm__ volatile("divb %b2" : "=a"(a) : "a"(1000ull), "q"(7ull) : "cc");
  check_eq("div8", a & 0xFFFF, 6 << 8 | 142);
  __asm__ volatile("divw %w3" : "=a"(a), "=d"(d) : "a"(0ull), "r"(3ull), "d"(1ull) : "cc");
  check("div16", (a & 0xFFFF) == 0x5555 && (d & 0xFFFF) == 1);
  __asm__ volatile("divl %k3" : "=a"(a), "=d"(d) : "a"(0ull), "r"(0x10ull), "d"(1ull) : "cc");
  check("div32", a == 0x10000000 && d == 0);
  __asm__ volatile("divq %3" : "=a"(a), "=d"(d) : "a"(5ull), "r"(0x100ull), "d"(1ull) : "cc");
  check("div64", a == 0x0100000000000000ull && d == 5);
  __asm__ volatile("idivb %b2" : "=a"(a) : "a"((uint64_t)(uint16_t)-100), "q"(7ull) : "cc");
  check_eq("idiv8", a & 0xFFFF, 0xFEF2); /* -100 / 7 = -14 rem -2 */
  __asm__ volatile("cltd\n\tidivl %k2" : "=a"(a), "=&d"(d) : "r"(999ull), "a"((uint64_t)(uint32_t)-1000000) : "cc");
  check("idiv32", a == (uint32_t)-1001 && d == (uint32_t)-1);
  __asm__ volatile("cqto\n\tidivq %2" : "=a"(a), "=&d"(d) : "r"(2ull), "a"(-7ll) : "cc");
  check("idiv64", a == (uint64_t)-3 && d == (uint64_t)-1);
}

static void test_shifts(void) {
  uint64_t f, r;
  r = OPCL("q", "shlq", 0x8000000000000001ull, 1, 0, f);
  chk("shl64_by1", r, 2, f, CF | OF, CF | OF | ZF | SF | PF);
  r = OPCL("b", "shrb", 0x81, 1, 0, f);
  chk("shr8_by1", r, 0x40, f, CF | OF, CF | OF | ZF | SF);
  r = OPCL("b", "sarb", 0x80, 3, 1, f);
  chk("sar8_by3", r, 0xF0, f, SF | PF, CF | ZF | SF | PF);
  r = OPCL("q", "sarq", (uint64_t)-17, 2, 0, f);
  chk("sar64_negative", r, (uint64_t)-5, f, CF | SF, CF | ZF | SF);
  r = OPCL("q", "shlq", 3, 65, 0, f); /* count masked to 6 bits */
  chk("shl64_count_mask", r, 6, f, 0, CF | ZF);
  r = OPCL("k", "shll", 0xFFFFFFFF00000003ull, 33, 0, f); /* masked to 5 bits */
  chk("shl32_count_mask_zext", r, 6, f, 0, CF | ZF);
  r = OPCL("q", "shlq", 0x40, 0, 1, f); /* count 0: flags unchanged */
  chk("shl_count0_keeps_flags", r, 0x40, f, CF, CF);
  r = OPCL("k", "roll", 0x80000001, 4, 0, f);
  chk("rol32", r, 0x18, f, 0, CF);
  r = OPCL("w", "rorw", 0x1, 1, 0, f);
  chk("ror16_by1", r, 0x8000, f, CF | OF, CF | OF);
  r = OPCL("b", "rclb", 0x80, 1, 1, f);
  chk("rcl8_by1", r, 0x01, f, CF | OF, CF | OF);
  r = OPCL("b", "rclb", 0x55, 9, 0, f); /* 9-bit rotate by 9: identity */
  chk("rcl8_by9", r, 0x55, f, 0, CF);
  r = OPCL("q", "rcrq", 1, 1, 0, f);
  chk("rcr64_by1", r, 0, f, CF, CF | OF);
  r = OPCL("q", "rcrq", 0, 1, 1, f);
  chk("rcr64_carry_in", r, 0x8000000000000000ull, f, OF, CF | OF);
  r = 0x0123456789ABCDEFull;
  __asm__ volatile("shldq $8, %2, %0\n\tpushfq\n\tpopq %1" : "+r"(r), "=r"(f) : "r"(0xFEDCBA9876543210ull) : "cc");
  chk("shld64", r, 0x23456789ABCDEFFEull, f, CF, CF);
  r = 0x12345678;
  __asm__ volatile("shrdl $4, %k2, %k0\n\tpushfq\n\tpopq %1" : "+r"(r), "=r"(f) : "r"(9ull) : "cc");
  chk("shrd32", r, 0x91234567, f, CF | SF, CF | SF | ZF);
}

static void test_bits(void) {
  uint64_t f, r;
  __asm__ volatile("btq $4, %1\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(0x10ull) : "cc");
  check("bt_reg", f & CF);
  uint64_t mem[2] = {0, 0};
  __asm__ volatile("btsq %2, %0\n\tpushfq\n\tpopq %1" : "+m"(mem), "=r"(f) : "r"(67ull) : "cc");
  check("bts_mem_bit_offset", mem[0] == 0 && mem[1] == 8 && !(f & CF));
  r = OP2("q", "btrq", 0xFF, 7, 0, f);
  chk("btr", r, 0x7F, f, CF, CF);
  r = OP2("q", "btcq", 0, 63, 1, f);
  chk("btc", r, 0x8000000000000000ull, f, 0, CF);
  __asm__ volatile("bsfq %2, %0\n\tpushfq\n\tpopq %1" : "=r"(r), "=r"(f) : "r"(0x8000000000000100ull) : "cc");
  chk("bsf", r, 8, f, 0, ZF);
  __asm__ volatile("bsrq %2, %0\n\tpushfq\n\tpopq %1" : "=r"(r), "=r"(f) : "r"(0x8000000000000100ull) : "cc");
  chk("bsr", r, 63, f, 0, ZF);
  r = 77;
  __asm__ volatile("bsfq %2, %0\n\tpushfq\n\tpopq %1" : "+r"(r), "=r"(f) : "r"(0ull) : "cc");
  check("bsf_zero_sets_zf", f & ZF); /* destination undefined */
  r = 0x12345678;
  __asm__("bswapl %k0" : "+r"(r));
  check_eq("bswap32", r, 0x78563412);
  r = 0x0102030405060708ull;
  __asm__("bswapq %0" : "+r"(r));
  check_eq("bswap64", r, 0x0807060504030201ull);
}

static void test_atomics(void) {
  uint64_t m = 10, r = 5, f;
  __asm__ volatile("lock xaddq %0, %1" : "+r"(r), "+m"(m) : : "cc");
  check("xadd", r == 10 && m == 15);
  m = 7;
  r = 7;
  __asm__ volatile("lock cmpxchgq %3, %1\n\tpushfq\n\tpopq %2" : "+a"(r), "+m"(m), "=r"(f) : "r"(9ull) : "cc");
  check("cmpxchg_equal", m == 9 && (f & ZF));
  r = 3;
  __asm__ volatile("lock cmpxchgq %3, %1\n\tpushfq\n\tpopq %2" : "+a"(r), "+m"(m), "=r"(f) : "r"(1ull) : "cc");
  check("cmpxchg_differ", m == 9 && r == 9 && !(f & ZF));
  if (cpuid(1, 0).ecx >> 13 & 1) {
    static uint64_t dq[2] __attribute__((aligned(16))) = {1, 2};
    uint64_t lo = 1, hi = 2;
    __asm__ volatile("lock cmpxchg16b %0\n\tpushfq\n\tpopq %3" : "+m"(dq), "+a"(lo), "+d"(hi), "=r"(f)
                     : "b"(0x33ull), "c"(0x44ull) : "cc");
    check("cmpxchg16b_equal", dq[0] == 0x33 && dq[1] == 0x44 && (f & ZF));
    lo = 0;
    __asm__ volatile("lock cmpxchg16b %0\n\tpushfq\n\tpopq %3" : "+m"(dq), "+a"(lo), "+d"(hi), "=r"(f)
                     : "b"(0x55ull), "c"(0x66ull) : "cc");
    check("cmpxchg16b_differ", dq[0] == 0x33 && lo == 0x33 && hi == 0x44 && !(f & ZF));
  } else {
    printf("SKIP cmpxchg16b: CPUID.1:ECX[13] is 0\n");
  }
}

static void test_cc(void) {
  uint8_t l, b, g, a, e, s;
  /* -1 vs 1: signed less, unsigned above. */
  __asm__ volatile("cmpq %7, %6\n\tsetl %0\n\tsetb %1\n\tsetg %2\n\tseta %3\n\tsete %4\n\tsets %5"
                   : "=r"(l), "=r"(b), "=r"(g), "=r"(a), "=r"(e), "=r"(s)
                   : "r"(-1ll), "r"(1ll) : "cc");
  check("setcc_signed_unsigned", l == 1 && b == 0 && g == 0 && a == 1 && e == 0 && s == 1);
  uint64_t r = 100;
  __asm__ volatile("cmpq %2, %1\n\tcmovlq %3, %0" : "+r"(r) : "r"(-1ll), "r"(1ll), "r"(200ull) : "cc");
  check_eq("cmovl_taken", r, 200);
  r = 100;
  __asm__ volatile("cmpq %2, %1\n\tcmovbq %3, %0" : "+r"(r) : "r"(-1ll), "r"(1ll), "r"(200ull) : "cc");
  check_eq("cmovb_not_taken", r, 100);
  /* A 32-bit CMOVcc zero-extends even when the condition is false (SDM Vol. 2A CMOVcc). */
  r = 0xAAAAAAAA00000064ull;
  __asm__ volatile("cmpq %2, %1\n\tcmovbl %k3, %k0" : "+r"(r) : "r"(-1ll), "r"(1ll), "r"(200ull) : "cc");
  check_eq("cmov32_false_zero_extends", r, 100);
}

static char lea_anchor;

static void test_moves(void) {
  uint64_t r;
  __asm__("leaq 0x10(%1,%2,4), %0" : "=r"(r) : "r"(0x100ull), "r"(3ull));
  check_eq("lea_base_index_scale", r, 0x11C);
  __asm__("leaq (%1,%1,8), %0" : "=r"(r) : "r"(7ull));
  check_eq("lea_times9", r, 63);
  __asm__("leal -1(%1), %k0" : "=r"(r) : "r"(0ull));
  check_eq("lea32_wraps_zext", r, 0xFFFFFFFF);
  r = 0xFFFFF000ull;
  __asm__("leaw 0x1234(%0), %w0" : "+r"(r));
  check_eq("lea16_keeps_upper", r, 0xFFFF0234);
  __asm__("leaq lea_anchor(%%rip), %0" : "=r"(r));
  check_eq("lea_rip_relative", r, (uint64_t)&lea_anchor);

  __asm__("movsbq %b1, %0" : "=r"(r) : "r"(0x80ull));
  check_eq("movsx8_64", r, 0xFFFFFFFFFFFFFF80ull);
  r = ~0ull;
  __asm__("movzbl %b1, %k0" : "+r"(r) : "r"(0x80ull));
  check_eq("movzx8_32_zext", r, 0x80);
  __asm__("movswl %w1, %k0" : "=r"(r) : "r"(0x8000ull));
  check_eq("movsx16_32", r, 0xFFFF8000);
  __asm__("movslq %k1, %0" : "=r"(r) : "r"(0x80000000ull));
  check_eq("movsxd", r, 0xFFFFFFFF80000000ull);
  __asm__("movzwq %w1, %0" : "=r"(r) : "r"(0x1234FFFFull));
  check_eq("movzx16_64", r, 0xFFFF);
  r = 0x1122334455667788ull;
  __asm__("movb $0x99, %b0" : "+q"(r));
  check_eq("mov8_keeps_upper", r, 0x1122334455667799ull);
  r = 0x1122334455667788ull;
  __asm__("movb $0x99, %h0" : "+Q"(r));
  check_eq("mov8_high_byte", r, 0x1122334455669988ull);
  r = 0x1122334455667788ull;
  __asm__("movl $0x99, %k0" : "+r"(r));
  check_eq("mov32_zero_extends", r, 0x99);

  uint64_t a, d;
  a = 0x1234567800000080ull;
  __asm__("cbtw" : "+a"(a));
  check_eq("cbw", a, 0x123456780000FF80ull);
  a = 0x1234567800008000ull;
  __asm__("cwtl" : "+a"(a));
  check_eq("cwde", a, 0xFFFF8000ull);
  a = 0x80000000ull;
  __asm__("cltq" : "+a"(a));
  check_eq("cdqe", a, 0xFFFFFFFF80000000ull);
  a = 0x8000;
  d = 0x1111111111111111ull;
  __asm__("cwtd" : "+a"(a), "+d"(d));
  check_eq("cwd", d, 0x111111111111FFFFull);
  a = 0x7FFFFFFF;
  d = ~0ull;
  __asm__("cltd" : "+a"(a), "+d"(d));
  check_eq("cdq_positive", d, 0);
  a = 0x80000000ull;
  __asm__("cltd" : "+a"(a), "=d"(d));
  check_eq("cdq_negative", d, 0xFFFFFFFF);
  a = (uint64_t)-5;
  __asm__("cqto" : "+a"(a), "=d"(d));
  check_eq("cqo", d, ~0ull);
}

void test_intops(void) {
  test_add_sub();
  test_mul_div();
  test_shifts();
  test_bits();
  test_atomics();
  test_cc();
  test_moves();
}
