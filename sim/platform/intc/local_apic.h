// The local APIC of one CPU (SDM Vol. 3 chapter 11) as plain C++: the
// register file of 11.4.1 Table 11-1, reached through the xAPIC MMIO page
// (RegisterDevice, offsets within the 4 KiB page at IA32_APIC_BASE) or the
// x2APIC MSRs 0x800-0x8ff (11.12.1 Table 11-6), the IA32_APIC_BASE and
// IA32_TSC_DEADLINE MSRs, interrupt acceptance and priority (11.8), the ICR
// (11.6), the LVT (11.5.1) and the timer (11.5.4). The core sees it as its
// core::InterruptSource.
//
// The timer never ticks: arming it computes the core cycle of expiry and asks
// the TimerHost for a callback; the current count is computed from now().
// The timer input clock is `timer_hz` (SDM 11.5.4: the bus or core crystal
// clock); the default 1 GHz is what QEMU's pc presents, so a kernel that
// calibrates against QEMU sees the same count rate. Counts run at
// timer_hz / divide; cycles are at core_hz. Both are parameters
// (platform.apic_timer_hz, platform.cpu_mhz).
//
// INIT makes INIT pending for the core (init_pending; the core performs it
// and waits for SIPI); a SIPI then starts the core through the SIPI handler.
// Alone (one CPU) the ICR delivers to this APIC only ("all excluding self"
// reaches nobody); on a multiprocessor set_ipi_sender hands every ICR message
// to the ApicCluster. The APIC's own register reset on INIT (11.4.7.3) is
// not modelled: take_init only clears the pending INIT.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "sim/core/interrupt_source.h"
#include "sim/platform/device.h"
#include "sim/platform/intc/apic_bus.h"
#include "sim/platform/intc/timer_host.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform::intc {

struct LocalApicParams {
  uint32_t apic_id = 0;
  bool bsp = true;
  uint64_t core_hz = 3'000'000'000;  // platform.cpu_mhz * 1e6
  uint64_t timer_hz = 1'000'000'000; // platform.apic_timer_hz
  // LINT0 as ExtINT, unmasked, after reset on the BSP: the MP-spec virtual
  // wire mode QEMU's pc and the BIOS leave, so 8259 interrupts reach a
  // kernel that never touches the APIC (SDM reset value would be masked).
  bool bsp_lint0_extint = true;
  // The CPU model offers x2APIC mode (CPUID.1:ECX[21], cpu.x2apic): without
  // it, setting IA32_APIC_BASE.EXTD is #GP.
  bool x2apic = true;
  // MAXPHYADDR (cpu.phys_addr_bits): IA32_APIC_BASE bits above it are reserved.
  unsigned phys_addr_bits = 52;
};

// RDMSR/WRMSR outcome for the caller (the core raises #GP(0) on kGp).
enum class MsrStatus : uint8_t { kOk, kGp };

class LocalApic : public RegisterDevice, public ApicBus, public core::InterruptSource {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint64_t kDefaultBase = 0xfee00000, kSize = 0x1000;
  static constexpr uint32_t kMsrApicBase = 0x1b, kMsrTscDeadline = 0x6e0;
  static constexpr uint32_t kMsrX2apicFirst = 0x800, kMsrX2apicLast = 0x8ff;
  static constexpr uint32_t kVersion = 0x00050014;  // 11.4.8: version 0x14, max LVT entry 5

  // Register offsets in the xAPIC page (Table 11-1); x2APIC MSR = 0x800 + off/16.
  enum Reg : uint32_t {
    kId = 0x20, kVer = 0x30, kTpr = 0x80, kApr = 0x90, kPpr = 0xa0, kEoi = 0xb0,
    kRrd = 0xc0, kLdr = 0xd0, kDfr = 0xe0, kSvr = 0xf0, kIsr = 0x100, kTmr = 0x180,
    kIrr = 0x200, kEsr = 0x280, kLvtCmci = 0x2f0, kIcrLo = 0x300, kIcrHi = 0x310,
    kLvtTimer = 0x320, kLvtThermal = 0x330, kLvtPerf = 0x340, kLvtLint0 = 0x350,
    kLvtLint1 = 0x360, kLvtError = 0x370, kTimerInit = 0x380, kTimerCur = 0x390,
    kTimerDiv = 0x3e0, kSelfIpi = 0x3f0,
  };
  enum Lvt : unsigned { kLTimer, kLThermal, kLPerf, kLLint0, kLLint1, kLError, kLvtCount };
  enum TimerMode : uint8_t { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2 };
  // ESR bits (11.5.3).
  static constexpr uint32_t kEsrSendIllegal = 1u << 5, kEsrRecvIllegal = 1u << 6,
                            kEsrIllegalReg = 1u << 7;

  LocalApic(const LocalApicParams& p, TimerHost& host);

  // Power-up / RESET state (11.4.7.1), also entered by clearing IA32_APIC_BASE.EN.
  void reset();

  // ---- wiring (System) ----
  // Called with the vector on an EOI for a level-triggered interrupt (TMR set),
  // i.e. the EOI broadcast to the I/O APIC (11.8.5).
  void set_eoi_broadcast(std::function<void(uint8_t)> f) { eoi_broadcast_ = std::move(f); }
  // Called whenever something may have become deliverable (IRR, NMI, ExtINT,
  // enable, TPR lowered): the CPU module wakes a halted core.
  void set_wakeup(std::function<void()> f) { wakeup_ = std::move(f); }
  // The 8259 pair behind LINT0 (ExtINT).
  void set_ext_int(ExtIntController* pic) { ext_int_ = pic; }
  // The core's IA32_TSC value is now() + tsc_offset(); TSC-deadline uses it.
  void set_tsc_offset(std::function<int64_t()> f) { tsc_offset_ = std::move(f); }

  // ---- xAPIC MMIO (RegisterDevice): offset within the page, 32-bit accesses
  // at 16-byte-aligned offsets; narrower reads see part of the register.
  uint32_t read(uint64_t offset, unsigned len) override;
  void write(uint64_t offset, uint32_t value, unsigned len) override;

  // ---- MSRs: 0x1b, 0x6e0, 0x800-0x8ff (x2APIC, only in x2APIC mode) ----
  static bool handles_msr(uint32_t msr) {
    return msr == kMsrApicBase || msr == kMsrTscDeadline ||
           (msr >= kMsrX2apicFirst && msr <= kMsrX2apicLast);
  }
  MsrStatus read_msr(uint32_t msr, uint64_t& value);
  MsrStatus write_msr(uint32_t msr, uint64_t value);

  uint64_t apic_base() const { return apic_base_; }
  uint64_t base_address() const { return apic_base_ & 0xffff'ffff'f000ull; }
  bool hw_enabled() const { return apic_base_ & (1u << 11); }
  bool x2apic() const { return (apic_base_ & (3u << 10)) == (3u << 10); }
  bool sw_enabled() const { return svr_ & 0x100; }

  // ---- the core (CR8 is TPR[7:4], SDM Vol. 3 11.8.6) ----
  uint8_t tpr() const { return tpr_; }
  void set_tpr(uint8_t v);
  uint8_t ppr() const;
  uint8_t apr() const;
  int pending_vector() const override;
  int acknowledge() override;
  bool nmi_pending() const override { return nmi_pending_; }
  void take_nmi() override { nmi_pending_ = false; }
  bool init_pending() const override { return init_pending_; }
  void take_init() override { init_pending_ = false; }
  bool smi_pending() const override { return smi_pending_; }
  void take_smi() override { smi_pending_ = false; }
  // Called with the vector of a STARTUP IPI this APIC accepts: the CPU
  // module starts the core when it waits for SIPI (and returns true).
  void set_sipi_handler(std::function<bool(uint8_t)> f) { sipi_ = std::move(f); }
  bool interrupt_wanted() const { return pending_vector() >= 0 || nmi_pending_; }
  // Multiprocessor wiring (ApicCluster): ICR messages are handed to `f` with
  // their destination shorthand (ICR[19:18]) once this APIC has checked them;
  // without it the single-CPU rules above apply.
  void set_ipi_sender(std::function<void(const ApicMessage&, unsigned)> f) {
    ipi_sender_ = std::move(f);
  }
  // This APIC is enabled and the message's destination selects it (11.6.2).
  bool matches(const ApicMessage& m) const {
    return hw_enabled() && destination_matches(m.dest, m.logical, x2apic());
  }

  // ---- inputs ----
  bool deliver(const ApicMessage& m) override;  // ApicBus: from the I/O APIC
  void set_lint(unsigned pin, bool level);      // LINT0 / LINT1 pins
  void eoi();                                   // the EOI register write
  // A performance counter overflowed with its interrupt enabled: the LVT
  // performance-counter entry fires (11.5.1); `mask_after` sets its mask bit
  // when the interrupt was delivered (Intel processors do, AMD's do not).
  void performance_counter_interrupt(bool mask_after);

  // ---- inspection (tests, dumps) ----
  bool irr(uint8_t v) const { return test(irr_, v); }
  bool isr(uint8_t v) const { return test(isr_, v); }
  bool tmr(uint8_t v) const { return test(tmr_, v); }
  uint32_t id() const { return id_; }
  uint32_t lvt(Lvt i) const { return lvt_[i]; }
  TimerMode timer_mode() const { return TimerMode((lvt_[kLTimer] >> 17) & 3); }
  uint32_t current_count() const;
  uint64_t timer_deadline() const { return timer_armed_ ? timer_deadline_ : 0; }  // core cycle
  uint32_t divide() const;  // 1..128
  uint8_t last_sipi_vector() const { return last_sipi_vector_; }

  // ---- statistics (the lead registers them) ----
  uint64_t irqs_accepted = 0;     // fixed/lowest messages set in IRR (all sources)
  uint64_t irqs_delivered = 0;    // acknowledge() returning an IRR vector
  uint64_t extint_delivered = 0;  // acknowledge() returning an 8259 vector
  uint64_t spurious = 0;          // acknowledge() with nothing to deliver
  uint64_t nmis = 0;              // NMIs made pending
  uint64_t eois = 0, eoi_broadcasts = 0;
  uint64_t timer_fires = 0, timer_masked_fires = 0;
  uint64_t pmis = 0;  // performance-counter interrupts signalled (LVT PC)
  uint64_t ipis_sent = 0, ipis_to_nobody = 0, self_ipis = 0;
  uint64_t inits = 0, init_deasserts = 0, sipis = 0, smis = 0;
  uint64_t ipis_received = 0;     // ICR messages from any APIC this one accepted (ApicCluster)
  uint64_t lvt_masked = 0;        // local interrupts dropped by an LVT mask
  uint64_t errors = 0;            // ESR bits raised
  uint64_t bad_mmio = 0;          // misaligned/partial MMIO writes, MMIO in x2APIC mode
                                  // or while hardware-disabled

 private:
  using Bits256 = std::array<uint32_t, 8>;
  static bool test(const Bits256& b, uint8_t v) { return b[v >> 5] & (1u << (v & 31)); }
  static void set(Bits256& b, uint8_t v) { b[v >> 5] |= 1u << (v & 31); }
  static void clear(Bits256& b, uint8_t v) { b[v >> 5] &= ~(1u << (v & 31)); }
  static int highest(const Bits256& b);

  // One register by xAPIC offset; x2apic selects that mode's rules.
  MsrStatus read_reg(uint32_t off, bool x2, uint64_t& value) const;
  MsrStatus write_reg(uint32_t off, bool x2, uint64_t value);
  MsrStatus write_apic_base(uint64_t v);
  void write_lvt(Lvt i, uint32_t v);
  void write_svr(uint32_t v);
  void send_ipi(uint64_t icr);                    // 11.6.1
  bool destination_matches(uint32_t dest, bool logical, bool x2) const;
  void accept_fixed(uint8_t vector, bool level);  // IRR (+TMR), 11.8.4
  void local_interrupt(Lvt i);                    // an LVT source fires
  void raise_error(uint32_t esr_bit);
  void nmi();
  void smi();
  void notify() { if (wakeup_) wakeup_(); }

  // timer (11.5.4)
  void arm_count_timer();   // one-shot/periodic from timer_start_
  void arm_tsc_deadline();
  void disarm_timer();
  void timer_expired();
  uint64_t period_cycles(uint64_t periods) const;
  uint64_t tsc_to_cycle(uint64_t tsc) const;

  LocalApicParams p_;
  TimerHost& host_;
  ClockRatio clock_;
  std::function<void(uint8_t)> eoi_broadcast_;
  std::function<void()> wakeup_;
  std::function<int64_t()> tsc_offset_;
  ExtIntController* ext_int_ = nullptr;

  uint64_t apic_base_ = 0;
  uint32_t id_ = 0;
  uint8_t tpr_ = 0;
  uint32_t ldr_ = 0, dfr_ = 0xffffffff, svr_ = 0xff;
  Bits256 isr_{}, tmr_{}, irr_{};
  uint32_t esr_ = 0, esr_pending_ = 0;
  uint64_t icr_ = 0;
  std::array<uint32_t, kLvtCount> lvt_{};
  bool lint_level_[2] = {false, false};
  bool nmi_pending_ = false;
  bool init_pending_ = false;
  bool smi_pending_ = false;
  uint8_t last_sipi_vector_ = 0;
  std::function<bool(uint8_t)> sipi_;
  std::function<void(const ApicMessage&, unsigned)> ipi_sender_;

  uint32_t timer_initial_ = 0, timer_div_ = 0;
  uint64_t tsc_deadline_ = 0;       // IA32_TSC_DEADLINE as written (0: disarmed)
  bool timer_armed_ = false;
  uint64_t timer_start_ = 0;        // core cycle at which the count was loaded
  uint64_t timer_periods_ = 0;      // periods completed (periodic)
  uint64_t timer_deadline_ = 0;     // core cycle of the pending expiry
  TimerHost::Handle timer_handle_ = TimerHost::kNoTimer;
};

}  // namespace hvsim::platform::intc
