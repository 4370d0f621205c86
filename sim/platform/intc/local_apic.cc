#include "sim/platform/intc/local_apic.h"

#include <algorithm>
#include <bit>

namespace hvsim::platform::intc {
namespace {

constexpr uint64_t kBaseBsp = 1u << 8, kBaseExtd = 1u << 10, kBaseEn = 1u << 11;
constexpr uint64_t kBaseAddrMask = 0x000f'ffff'ffff'f000ull;  // MAXPHYADDR 52
constexpr uint32_t kLvtMask = 1u << 16;
constexpr uint32_t kLvtVector = 0xff, kLvtMode = 0x700;
constexpr uint32_t kLvtPolarity = 1u << 13, kLvtRemoteIrr = 1u << 14, kLvtTrigger = 1u << 15;
// Writable LVT bits per entry (SDM Vol. 3 11.5.1 Figure 11-8).
constexpr uint32_t kLvtWritable[LocalApic::kLvtCount] = {
    kLvtVector | kLvtMask | (3u << 17),                                          // timer
    kLvtVector | kLvtMode | kLvtMask,                                            // thermal
    kLvtVector | kLvtMode | kLvtMask,                                            // perfmon
    kLvtVector | kLvtMode | kLvtPolarity | kLvtTrigger | kLvtMask,               // LINT0
    kLvtVector | kLvtMode | kLvtPolarity | kLvtTrigger | kLvtMask,               // LINT1
    kLvtVector | kLvtMask,                                                       // error
};
// ICR bits software can write (11.6.1 Figure 11-12): vector, delivery mode,
// destination mode, level, trigger, shorthand. Delivery status reads 0: a
// message is delivered at once.
constexpr uint32_t kIcrLowWritable = 0x000ccfff;

}  // namespace

LocalApic::LocalApic(const LocalApicParams& p, TimerHost& host)
    : p_(p), host_(host), clock_{p.core_hz, p.timer_hz} {
  reset();
}

int LocalApic::highest(const Bits256& b) {
  for (int i = 7; i >= 0; --i)
    if (b[i]) return i * 32 + 31 - std::countl_zero(b[i]);
  return -1;
}

// 11.4.7.1: power-up/RESET state; IA32_APIC_BASE keeps the base and gets EN.
void LocalApic::reset() {
  apic_base_ = kDefaultBase | kBaseEn | (p_.bsp ? kBaseBsp : 0);
  id_ = p_.apic_id;
  tpr_ = 0;
  ldr_ = 0;
  dfr_ = 0xffffffff;
  svr_ = 0xff;
  isr_ = tmr_ = irr_ = {};
  esr_ = esr_pending_ = 0;
  icr_ = 0;
  lvt_.fill(kLvtMask);
  if (p_.bsp && p_.bsp_lint0_extint) lvt_[kLLint0] = uint32_t(DeliveryMode::kExtInt) << 8;
  nmi_pending_ = false;
  smi_pending_ = false;
  timer_initial_ = timer_div_ = 0;
  tsc_deadline_ = 0;
  disarm_timer();
}

// ---------------------------------------------------------------- priority

// 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0.
uint8_t LocalApic::ppr() const {
  const int isrv = std::max(highest(isr_), 0);
  if ((tpr_ >> 4) >= (isrv >> 4)) return tpr_;
  return uint8_t(isrv & 0xf0);
}

// 11.8.3.1 (APR, xAPIC only): TPR when it dominates both the highest IRR and
// ISR classes, else the highest of the three classes.
uint8_t LocalApic::apr() const {
  const int isrv = std::max(highest(isr_), 0), irrv = std::max(highest(irr_), 0);
  if ((tpr_ >> 4) >= (irrv >> 4) && (tpr_ >> 4) > (isrv >> 4)) return tpr_;
  return uint8_t(std::max({tpr_ & 0xf0, isrv & 0xf0, irrv & 0xf0}));
}

void LocalApic::set_tpr(uint8_t v) {
  tpr_ = v;
  notify();
}

// LINT0 passes the 8259's INTR through when the APIC is globally disabled
// (11.4.3: the pins become INTR/NMI) or is programmed ExtINT and unmasked.
static bool extint_open(bool hw_enabled, uint32_t lint0) {
  if (!hw_enabled) return true;
  return !(lint0 & kLvtMask) && ((lint0 >> 8) & 7) == uint32_t(DeliveryMode::kExtInt);
}

// 11.8.4: the highest IRR vector is dispatched when its class is above PPR[7:4].
int LocalApic::pending_vector() const {
  if (hw_enabled() && sw_enabled()) {
    const int v = highest(irr_);
    if (v >= 0 && (v & 0xf0) > (ppr() & 0xf0)) return v;
  }
  if (ext_int_ && ext_int_->int_output() && extint_open(hw_enabled(), lvt_[kLLint0]))
    return ext_int_->peek_vector();
  return -1;
}

int LocalApic::acknowledge() {
  if (hw_enabled() && sw_enabled()) {
    const int v = highest(irr_);
    if (v >= 0 && (v & 0xf0) > (ppr() & 0xf0)) {
      clear(irr_, uint8_t(v));
      set(isr_, uint8_t(v));
      ++irqs_delivered;
      return v;
    }
  }
  if (ext_int_ && ext_int_->int_output() && extint_open(hw_enabled(), lvt_[kLLint0])) {
    ++extint_delivered;
    return ext_int_->inta();
  }
  // 11.9: the interrupt went away (e.g. TPR raised) after INTR was seen.
  ++spurious;
  return int(svr_ & 0xff);
}

// 11.8.5: EOI clears the highest ISR bit; a level-triggered one (TMR set) is
// broadcast to the I/O APICs.
void LocalApic::eoi() {
  const int v = highest(isr_);
  if (v < 0) return;
  clear(isr_, uint8_t(v));
  ++eois;
  if (test(tmr_, uint8_t(v))) {
    ++eoi_broadcasts;
    if (eoi_broadcast_) eoi_broadcast_(uint8_t(v));
  }
  notify();
}

// ---------------------------------------------------------------- acceptance

void LocalApic::accept_fixed(uint8_t vector, bool level) {
  if (vector < 16) {  // 11.5.3: vectors 0-15 are illegal
    raise_error(kEsrRecvIllegal);
    return;
  }
  set(irr_, vector);
  if (level)
    set(tmr_, vector);
  else
    clear(tmr_, vector);
  ++irqs_accepted;
  notify();
}

void LocalApic::nmi() {
  nmi_pending_ = true;
  ++nmis;
  notify();
}

void LocalApic::smi() {
  smi_pending_ = true;
  ++smis;
  notify();
}

// Destination matching (11.6.2): physical by APIC ID or broadcast; logical by
// the flat or cluster model of the DFR, or the x2APIC cluster ID (11.12.10).
bool LocalApic::destination_matches(uint32_t dest, bool logical, bool x2) const {
  if (x2) {
    if (dest == 0xffffffff) return true;
    if (!logical) return dest == id_;
    const uint32_t ldr = ((id_ >> 4) << 16) | (1u << (id_ & 0xf));
    return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
  }
  const uint32_t d = dest & 0xff;
  if (d == 0xff) return true;
  if (!logical) return d == (id_ & 0xff);
  const uint32_t l = ldr_ >> 24;
  if ((dfr_ >> 28) == 0xf) return (l & d) != 0;              // flat
  return (d >> 4) == (l >> 4) && (d & l & 0xf) != 0;         // cluster
}

bool LocalApic::deliver(const ApicMessage& m) {
  if (!hw_enabled() || !destination_matches(m.dest, m.logical, x2apic())) return false;
  switch (m.mode) {
    case DeliveryMode::kFixed:
    case DeliveryMode::kLowest: accept_fixed(m.vector, m.level); break;
    case DeliveryMode::kNmi: nmi(); break;
    case DeliveryMode::kSmi: smi(); break;
    case DeliveryMode::kInit:
      // 11.6.1: INIT level de-assert only synchronises arbitration IDs.
      if (m.level && !m.assert) {
        ++init_deasserts;
      } else {
        ++inits;
        init_pending_ = true;
        notify();
      }
      break;
    case DeliveryMode::kStartup:  // starts a core waiting for SIPI, else ignored
      ++sipis;
      last_sipi_vector_ = m.vector;
      if (sipi_) sipi_(m.vector);
      break;
    case DeliveryMode::kExtInt: notify(); break;  // INTA goes to the 8259
  }
  return true;
}

// 11.6.1: a write of ICR low (xAPIC) or of the 64-bit ICR MSR (x2APIC) sends.
void LocalApic::send_ipi(uint64_t icr) {
  ++ipis_sent;
  const bool x2 = x2apic();
  ApicMessage m;
  m.vector = uint8_t(icr);
  m.mode = DeliveryMode((icr >> 8) & 7);
  m.logical = icr & (1u << 11);
  m.assert = icr & (1u << 14);
  m.level = icr & (1u << 15);
  m.dest = x2 ? uint32_t(icr >> 32) : uint32_t(icr >> 56);
  const unsigned shorthand = (icr >> 18) & 3;
  if ((m.mode == DeliveryMode::kFixed || m.mode == DeliveryMode::kLowest) && m.vector < 16) {
    raise_error(kEsrSendIllegal);
    return;
  }
  if (unsigned(m.mode) == 3 || m.mode == DeliveryMode::kExtInt) {  // reserved for IPIs
    ++ipis_to_nobody;
    return;
  }
  if (ipi_sender_) {  // several CPUs: the cluster resolves the destination
    ipi_sender_(m, shorthand);
    return;
  }
  switch (shorthand) {
    case 0:  // destination field
      if (destination_matches(m.dest, m.logical, x2)) {
        m.dest = x2 ? id_ : id_ & 0xff;
        m.logical = false;
        deliver(m);
      } else {
        ++ipis_to_nobody;
      }
      break;
    case 1: ++self_ipis; [[fallthrough]];  // self
    case 2:                                // all including self
      m.dest = x2 ? 0xffffffff : 0xff;
      deliver(m);
      break;
    case 3: ++ipis_to_nobody; break;       // all excluding self: nobody here
  }
}

// An LVT source fires (11.5.1): masked entries drop it; otherwise the entry's
// delivery mode applies. Timer and error entries are always fixed.
void LocalApic::local_interrupt(Lvt i) {
  const uint32_t e = lvt_[i];
  if (!hw_enabled() || (e & kLvtMask)) {
    ++lvt_masked;
    return;
  }
  const auto mode = (i == kLTimer || i == kLError) ? DeliveryMode::kFixed : DeliveryMode((e >> 8) & 7);
  switch (mode) {
    case DeliveryMode::kFixed: {
      const uint8_t v = uint8_t(e & kLvtVector);
      if (v < 16) {
        if (i != kLError) raise_error(kEsrRecvIllegal);  // no error loop
        return;
      }
      accept_fixed(v, (i == kLLint0 || i == kLLint1) && (e & kLvtTrigger));
      break;
    }
    case DeliveryMode::kNmi: nmi(); break;
    case DeliveryMode::kSmi: smi(); break;
    case DeliveryMode::kInit: ++inits; break;
    case DeliveryMode::kExtInt: notify(); break;
    default: break;
  }
}

// 11.5.3: errors collect internally; the ESR shows them after the next write.
void LocalApic::raise_error(uint32_t esr_bit) {
  esr_pending_ |= esr_bit;
  ++errors;
  local_interrupt(kLError);
}

// LINT0/LINT1 pins (11.5.1). Edge-triggered entries fire on the rising edge.
// With ExtINT (or the APIC globally disabled) LINT0 is the 8259's INTR, read
// at the instruction boundary; LINT1 is then NMI.
void LocalApic::set_lint(unsigned pin, bool level) {
  pin &= 1;
  const bool rising = level && !lint_level_[pin];
  lint_level_[pin] = level;
  const Lvt i = pin ? kLLint1 : kLLint0;
  if (!hw_enabled()) {
    if (pin == 0)
      notify();
    else if (rising)
      nmi();
    return;
  }
  if (((lvt_[i] >> 8) & 7) == uint32_t(DeliveryMode::kExtInt)) {
    notify();
    return;
  }
  if (rising) local_interrupt(i);
}

void LocalApic::performance_counter_interrupt(bool mask_after) {
  ++pmis;
  const bool delivered = hw_enabled() && !(lvt_[kLPerf] & kLvtMask);
  local_interrupt(kLPerf);
  if (delivered && mask_after) lvt_[kLPerf] |= kLvtMask;
}

// ---------------------------------------------------------------- timer

uint32_t LocalApic::divide() const {
  // 11.5.4 Figure 11-10: bits 3,1:0; 111b is divide by 1.
  const uint32_t d = (timer_div_ & 3) | ((timer_div_ >> 1) & 4);
  return d == 7 ? 1 : 2u << d;
}

// Core cycles from the load of the count to the end of period `periods`.
uint64_t LocalApic::period_cycles(uint64_t periods) const {
  return clock_.cycles_for_ticks(periods * timer_initial_ * divide());
}

void LocalApic::disarm_timer() {
  if (timer_handle_ != TimerHost::kNoTimer) host_.cancel(timer_handle_);
  timer_handle_ = TimerHost::kNoTimer;
  timer_armed_ = false;
}

void LocalApic::arm_count_timer() {
  if (timer_handle_ != TimerHost::kNoTimer) host_.cancel(timer_handle_);
  timer_armed_ = true;
  timer_deadline_ = timer_start_ + period_cycles(timer_periods_ + 1);
  timer_handle_ = host_.schedule(timer_deadline_, [this] { timer_expired(); });
}

uint64_t LocalApic::tsc_to_cycle(uint64_t tsc) const {
  const int64_t off = tsc_offset_ ? tsc_offset_() : 0;
  const uint64_t c = tsc - uint64_t(off);
  // A deadline before cycle 0 (TSC written backwards) is simply in the past.
  return (off > 0 && tsc < uint64_t(off)) ? 0 : c;
}

// 11.5.4.1: a non-zero IA32_TSC_DEADLINE arms, zero disarms.
void LocalApic::arm_tsc_deadline() {
  disarm_timer();
  if (tsc_deadline_ == 0) return;
  timer_armed_ = true;
  timer_deadline_ = tsc_to_cycle(tsc_deadline_);
  timer_handle_ = host_.schedule(timer_deadline_, [this] { timer_expired(); });
}

void LocalApic::timer_expired() {
  timer_handle_ = TimerHost::kNoTimer;
  ++timer_fires;
  if (lvt_[kLTimer] & kLvtMask) ++timer_masked_fires;  // it counts even when masked
  switch (timer_mode()) {
    case kPeriodic:  // reloads from the initial count; next deadline from the load time
      ++timer_periods_;
      arm_count_timer();
      break;
    case kTscDeadline:  // disarms itself and clears IA32_TSC_DEADLINE
      timer_armed_ = false;
      tsc_deadline_ = 0;
      break;
    default: timer_armed_ = false; break;  // one-shot: the count stays 0
  }
  local_interrupt(kLTimer);
}

uint32_t LocalApic::current_count() const {
  if (timer_mode() == kTscDeadline || !timer_armed_ || timer_initial_ == 0) return 0;
  const uint64_t now = host_.now();
  const uint64_t elapsed = now > timer_start_ ? now - timer_start_ : 0;
  const uint64_t ticks = clock_.ticks_in_cycles(elapsed) / divide();
  if (timer_mode() == kPeriodic) return uint32_t(timer_initial_ - ticks % timer_initial_);
  return ticks >= timer_initial_ ? 0 : uint32_t(timer_initial_ - ticks);
}

// ---------------------------------------------------------------- registers

void LocalApic::write_lvt(Lvt i, uint32_t v) {
  const uint32_t old = lvt_[i];
  uint32_t nv = (v & kLvtWritable[i]) | (old & kLvtRemoteIrr);
  if (!sw_enabled()) nv |= kLvtMask;  // 11.4.7.2: masks stay set while disabled
  lvt_[i] = nv;
  if (i == kLTimer && ((old >> 17) & 3) != ((nv >> 17) & 3)) {
    // 11.5.4.1: a mode change between TSC-deadline and the count modes disarms.
    const bool was_deadline = ((old >> 17) & 3) == kTscDeadline;
    const bool is_deadline = ((nv >> 17) & 3) == kTscDeadline;
    if (was_deadline || is_deadline) {
      disarm_timer();
      tsc_deadline_ = 0;
      if (is_deadline) timer_initial_ = 0;
    }
  }
  if (i == kLLint0) notify();
}

void LocalApic::write_svr(uint32_t v) {
  svr_ = v & 0x3ff;  // vector, APIC software enable, focus processor checking
  if (!sw_enabled())
    for (auto& e : lvt_) e |= kLvtMask;
  notify();
}

MsrStatus LocalApic::read_reg(uint32_t off, bool x2, uint64_t& value) const {
  constexpr auto gp = MsrStatus::kGp;
  value = 0;
  switch (off) {
    case kId: value = x2 ? id_ : id_ << 24; break;
    case kVer: value = kVersion; break;
    case kTpr: value = tpr_; break;
    case kApr: if (x2) return gp; value = apr(); break;
    case kPpr: value = ppr(); break;
    case kEoi: case kSelfIpi: if (x2) return gp; break;       // write-only
    case kRrd: case kDfr: case kIcrHi: case kLvtCmci:         // not in x2APIC (Table 11-6)
      if (x2) return gp;
      if (off == kDfr) value = dfr_ | 0x0fffffff;
      if (off == kIcrHi) value = uint32_t(icr_ >> 32) & 0xff000000;
      break;
    case kLdr: value = x2 ? ((id_ >> 4) << 16) | (1u << (id_ & 0xf)) : ldr_; break;
    case kSvr: value = svr_; break;
    case kEsr: value = esr_; break;
    case kIcrLo: value = x2 ? icr_ : uint32_t(icr_); break;
    case kTimerInit: value = timer_initial_; break;
    case kTimerCur: value = current_count(); break;
    case kTimerDiv: value = timer_div_; break;
    default:
      if (off >= kIsr && off < kIsr + 0x80) value = isr_[(off - kIsr) >> 4];
      else if (off >= kTmr && off < kTmr + 0x80) value = tmr_[(off - kTmr) >> 4];
      else if (off >= kIrr && off < kIrr + 0x80) value = irr_[(off - kIrr) >> 4];
      else if (off >= kLvtTimer && off <= kLvtError) value = lvt_[(off - kLvtTimer) >> 4];
      else if (x2) return gp;  // reserved
      break;
  }
  return MsrStatus::kOk;
}

MsrStatus LocalApic::write_reg(uint32_t off, bool x2, uint64_t value) {
  constexpr auto gp = MsrStatus::kGp;
  if (x2 && off != kIcrLo && (value >> 32)) return gp;  // 11.12.1.2: reserved bits
  const uint32_t v = uint32_t(value);
  switch (off) {
    case kId: if (x2) return gp; id_ = v >> 24; break;  // x2APIC ID is read-only
    case kTpr: set_tpr(uint8_t(v)); break;
    case kEoi:
      if (x2 && v) return gp;  // 11.12.1.2: a non-zero write to the x2APIC EOI is #GP
      eoi();
      break;
    case kLdr: if (x2) return gp; ldr_ = v & 0xff000000; break;
    case kDfr: if (x2) return gp; dfr_ = v | 0x0fffffff; break;
    case kSvr: write_svr(v); break;
    case kEsr:
      if (x2 && v) return gp;
      esr_ = esr_pending_;
      esr_pending_ = 0;
      break;
    case kIcrLo:
      if (x2) {
        icr_ = (value & kIcrLowWritable) | (value & 0xffffffff00000000ull);
      } else {
        icr_ = (icr_ & 0xffffffff00000000ull) | (v & kIcrLowWritable);
      }
      send_ipi(icr_);
      break;
    case kIcrHi:
      if (x2) return gp;
      icr_ = (icr_ & 0xffffffffull) | (uint64_t(v & 0xff000000) << 32);
      break;
    case kTimerInit:
      if (timer_mode() == kTscDeadline) break;  // 11.5.4.1: ignored in TSC-deadline mode
      disarm_timer();
      timer_initial_ = v;
      timer_start_ = host_.now();
      timer_periods_ = 0;
      if (v) arm_count_timer();  // 0 stops the timer
      break;
    case kTimerDiv: {
      // Keep the position within the period (in ticks) across a divide change.
      const uint32_t cur = current_count();
      const bool armed = timer_armed_ && timer_mode() != kTscDeadline;
      timer_div_ = v & 0xb;
      if (armed) {
        const uint64_t done = clock_.cycles_for_ticks(uint64_t(timer_initial_ - cur) * divide());
        const uint64_t now = host_.now();
        timer_start_ = now > done ? now - done : 0;
        timer_periods_ = 0;
        arm_count_timer();
      }
      break;
    }
    case kSelfIpi:
      if (!x2) break;  // x2APIC only (11.12.11)
      if (value >> 8) return gp;  // bits 63:8 reserved: WRMSR #GP (11.12.11)
      if ((v & 0xff) < 16) {
        raise_error(kEsrSendIllegal);
        break;
      }
      ++self_ipis;
      accept_fixed(uint8_t(v), false);
      break;
    case kVer: case kApr: case kPpr: case kRrd: case kTimerCur: case kLvtCmci:
      if (x2) return gp;  // read-only / not present
      break;
    default:
      if (off >= kLvtTimer && off <= kLvtError) {
        write_lvt(Lvt((off - kLvtTimer) >> 4), v);
      } else if (x2) {
        return gp;  // ISR/TMR/IRR are read-only; others reserved
      }
      break;
  }
  return MsrStatus::kOk;
}

// xAPIC MMIO (11.4.1): registers at 16-byte-aligned offsets, accessed with
// 32-bit loads and stores. Narrower reads return the addressed bytes; other
// writes are dropped (and counted). In x2APIC mode (11.12.2) and while
// hardware-disabled (11.4.3) nothing answers at the page: reads see all ones.
uint32_t LocalApic::read(uint64_t offset, unsigned len) {
  if (!hw_enabled() || x2apic()) {
    ++bad_mmio;
    return len >= 4 ? ~0u : (1u << (8 * len)) - 1;
  }
  const unsigned byte = offset & 0xf;
  if (byte >= 4 || offset >= 0x400) return 0;
  uint64_t v = 0;
  (void)read_reg(uint32_t(offset & 0x3f0), false, v);
  v >>= 8 * byte;
  return len >= 4 ? uint32_t(v) : uint32_t(v & ((1u << (8 * len)) - 1));
}

void LocalApic::write(uint64_t offset, uint32_t value, unsigned len) {
  if (!hw_enabled() || x2apic() || (offset & 0xf) || len != 4) {
    ++bad_mmio;
    return;
  }
  if (offset < 0x400) (void)write_reg(uint32_t(offset), false, value);
}

// 11.4.4 / 11.12.5: EN and EXTD transitions of Table 11-5.
MsrStatus LocalApic::write_apic_base(uint64_t v) {
  const uint64_t addr_mask = kBaseAddrMask & ((1ull << p_.phys_addr_bits) - 1);
  if (v & ~(addr_mask | kBaseEn | kBaseExtd | kBaseBsp)) return MsrStatus::kGp;
  const bool en = v & kBaseEn, extd = v & kBaseExtd;
  if (extd && !en) return MsrStatus::kGp;                    // invalid state
  if (extd && !p_.x2apic) return MsrStatus::kGp;             // no x2APIC on this model
  if (x2apic() && en && !extd) return MsrStatus::kGp;        // x2APIC -> xAPIC
  if (!hw_enabled() && en && extd) return MsrStatus::kGp;    // disabled -> x2APIC
  const bool disabling = hw_enabled() && !en;
  const uint64_t keep_bsp = apic_base_ & kBaseBsp;           // BSP is read-only
  if (disabling) {
    // 11.4.3: disabling the APIC puts it in its power-up state.
    const uint64_t base = (v & kBaseAddrMask) | keep_bsp;
    reset();
    apic_base_ = base;
  } else {
    apic_base_ = (v & (kBaseAddrMask | kBaseEn | kBaseExtd)) | keep_bsp;
  }
  notify();
  return MsrStatus::kOk;
}

MsrStatus LocalApic::read_msr(uint32_t msr, uint64_t& value) {
  value = 0;
  if (msr == kMsrApicBase) {
    value = apic_base_;
    return MsrStatus::kOk;
  }
  if (msr == kMsrTscDeadline) {  // reads 0 outside TSC-deadline mode
    if (timer_mode() == kTscDeadline) value = tsc_deadline_;
    return MsrStatus::kOk;
  }
  if (msr < kMsrX2apicFirst || msr > kMsrX2apicLast || !x2apic()) return MsrStatus::kGp;
  return read_reg((msr - kMsrX2apicFirst) << 4, true, value);
}

MsrStatus LocalApic::write_msr(uint32_t msr, uint64_t value) {
  if (msr == kMsrApicBase) return write_apic_base(value);
  if (msr == kMsrTscDeadline) {  // ignored outside TSC-deadline mode
    if (timer_mode() == kTscDeadline) {
      tsc_deadline_ = value;
      arm_tsc_deadline();
    }
    return MsrStatus::kOk;
  }
  if (msr < kMsrX2apicFirst || msr > kMsrX2apicLast || !x2apic()) return MsrStatus::kGp;
  return write_reg((msr - kMsrX2apicFirst) << 4, true, value);
}

}  // namespace hvsim::platform::intc
