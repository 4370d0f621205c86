/* The bundled hypervisors' virtual x2APIC (smp_vlapic.h). */
#include "smp_vlapic.h"

#include "desc.h"

/* The kick itself: the exit (or the wake-up) was all it was for. */
static void on_kick(struct wl_frame *f) {
  (void)f;
  lapic_eoi();
}

/* Wakes (or makes exit) the physical CPU of vCPU t. */
static void kick(unsigned t) {
  if (t != smp_cpu_id()) lapic_send_ipi((uint8_t)t, ICR_FIXED | HV_KICK_VECTOR);
}

void vlapic_init(struct vlapic_set *s) {
  s->cpu[0].running = 1;
  set_handler(HV_KICK_VECTOR, on_kick);
}

/* ICR write (x2APIC: one 64-bit MSR, destination in bits 63:32; SDM Vol. 3
 * 11.12.9): physical destination or shorthand, fixed / INIT / STARTUP. */
static void icr_write(struct vlapic_set *s, unsigned self, uint64_t icr) {
  const unsigned vec = icr & 0xff, mode = (icr >> 8) & 7, sh = (icr >> 18) & 3;
  const uint32_t dest = (uint32_t)(icr >> 32);
  for (unsigned t = 0; t < s->n; t++) {
    const int hit = sh == 0 ? (dest == t || dest == 0xffffffffu) : sh == 1 ? t == self : sh == 2 ? 1 : t != self;
    if (!hit) continue;
    struct vlapic *v = &s->cpu[t];
    if (mode == 0 || mode == 1) { /* fixed, lowest priority (to each match) */
      if (vec < 16) continue;     /* illegal vector: dropped */
      v->irr[vec / 32] |= 1u << (vec % 32);
      kick(t);
    } else if (mode == 5) { /* INIT: before start-up it leaves the vCPU waiting for SIPI */
      if (!v->running) v->sipi = 0;
    } else if (mode == 6) { /* STARTUP */
      if (!v->running && !v->sipi) {
        v->sipi_vector = (uint8_t)vec;
        v->sipi = 1;
        kick(t);
      }
    }
  }
}

int vlapic_msr(struct vlapic_set *s, unsigned self, uint32_t msr, int write, uint64_t val, uint64_t *out) {
  struct vlapic *v = &s->cpu[self];
  uint64_t r = 0;
  if (msr == MSR_APIC_BASE) {
    r = 0xfee00000ull | (1u << 11) | (1u << 10) | (self == 0 ? 1u << 8 : 0); /* EN, EXTD, BSP */
  } else if (msr >= 0x800 && msr <= 0x8ff) {
    switch (msr) {
      case 0x802: r = self; break;
      case 0x803: r = 0x50014; break; /* version 0x14, 6 LVT entries */
      case 0x808: if (write) v->tpr = (uint32_t)val & 0xff; r = v->tpr; break;
      case 0x80b: /* EOI */
        if (write) {
          const int i = vlapic_highest(v->isr);
          if (i >= 0) v->isr[i / 32] &= ~(1u << (i % 32));
        }
        break;
      case 0x80f: if (write) v->svr = (uint32_t)val; r = v->svr; break;
      case 0x830: if (write) icr_write(s, self, val); break;
      case 0x83f: if (write) icr_write(s, self, (1u << 18) | (val & 0xff)); break; /* SELF IPI */
      default: break; /* other registers read 0, writes ignored */
    }
  } else {
    return 0;
  }
  if (!write) *out = r;
  return 1;
}
