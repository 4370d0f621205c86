// The Intel 8254 programmable interval timer (8254 datasheet) as plain C++:
// ports 0x40-0x42 (counters 0-2) and 0x43 (control word), a 1.193182 MHz
// input clock. Modes 0 (interrupt on terminal count), 2 (rate generator) and
// 3 (square wave) are exact in their IRQ timing; 1, 4 and 5 behave as
// one-shots. Access modes LSB, MSB, LSB-then-MSB, the counter latch command
// and the read-back command (count and status) are supported; BCD counts are
// converted. Gates 0 and 1 are tied high; gate 2 is port 0x61 bit 0
// (Port61 below), whose bit 5 reads OUT2.
//
// Nothing ticks: the count is computed from the core cycle (TimerHost::now()),
// and counter 0 schedules only its next OUT rising edge. That edge is
// reported as a pulse (irq(true), irq(false)) to the IRQ 0 routing callback:
// edge-triggered 8259 and I/O APIC inputs see one request per period.
// A count written while a periodic mode runs restarts the period at once
// (the datasheet loads it at the next reload).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "sim/platform/device.h"
#include "sim/platform/intc/timer_host.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform::intc {

class Pit8254 : public ByteRegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kBase = 0x40;
  static constexpr uint64_t kSize = 4;
  static constexpr uint64_t kInputHz = 1'193'182;

  Pit8254(TimerHost& host, uint64_t core_hz);

  // Counter 0's OUT rising edges (IRQ 0).
  void set_irq_output(std::function<void(bool)> f) { irq_ = std::move(f); }
  void set_gate(unsigned counter, bool level);
  bool gate(unsigned counter) const { return ch_[counter].gate; }
  bool out(unsigned counter) const;
  uint16_t count(unsigned counter) const;  // the counting element now
  uint8_t mode(unsigned counter) const { return ch_[counter].mode; }
  // Core cycle of counter 0's next IRQ edge, 0 when none is scheduled.
  uint64_t next_irq_cycle() const { return ch_[0].handle ? ch_[0].next_edge_cycle : 0; }
  uint64_t core_hz() const { return clock_.core_hz; }
  uint64_t now() const { return host_.now(); }

  // statistics
  uint64_t irq_pulses = 0;     // counter 0 OUT rising edges signalled
  uint64_t counts_loaded = 0;  // counts written (all counters)

 protected:
  uint8_t read8(uint64_t offset) override;
  void write8(uint64_t offset, uint8_t value) override;

 private:
  struct Counter {
    uint8_t mode = 0, rw = 3;        // rw: 1 LSB, 2 MSB, 3 LSB then MSB
    bool bcd = false;
    bool gate = true;
    bool loaded = false;             // a count was written since the control word
    bool running = false;            // counting (loaded and gate high)
    bool null_count = true;
    bool write_msb = false, read_msb = false;  // LSB/MSB flip-flops
    uint8_t write_lsb = 0;
    uint32_t reload = 0x10000;       // N in clocks (0 written = 65536 / 10000 BCD)
    uint64_t start_cycle = 0;        // core cycle of tick 0
    uint64_t ticks_before = 0;       // mode 0/4: ticks counted before a gate pause
    uint64_t edges = 0;              // OUT rising edges signalled since start
    bool count_latched = false, status_latched = false, latch_msb = false;
    uint16_t latch = 0;
    uint8_t status = 0;
    uint64_t next_edge_cycle = 0;
    TimerHost::Handle handle = TimerHost::kNoTimer;
  };

  uint64_t ticks(const Counter& c) const;  // clocks counted since the count was loaded
  uint16_t count_at(const Counter& c, uint64_t t) const;
  bool out_at(const Counter& c, uint64_t t) const;
  void control(uint8_t v);
  void latch_count(Counter& c);
  void latch_status(unsigned i);
  void write_count(unsigned i, uint8_t v);
  void load(unsigned i, uint32_t raw);
  void start(unsigned i, uint64_t ticks_before);
  void stop(Counter& c);
  void schedule(unsigned i);
  void edge(unsigned i);
  uint8_t read_count(unsigned i);

  TimerHost& host_;
  ClockRatio clock_;
  std::array<Counter, 3> ch_;
  std::function<void(bool)> irq_;
};

// System control port B at 0x61: bit 0 gate 2, bit 1 speaker data (stored),
// bit 4 the refresh toggle (every 15.085 us), bit 5 OUT2.
class Port61 : public ByteRegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kPort = 0x61;
  static constexpr uint64_t kSize = 1;
  explicit Port61(Pit8254& pit) : pit_(pit) {}

 protected:
  uint8_t read8(uint64_t offset) override;
  void write8(uint64_t offset, uint8_t value) override;

 private:
  Pit8254& pit_;
  uint8_t bits_ = 0;
};

}  // namespace hvsim::platform::intc
