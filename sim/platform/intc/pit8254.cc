#include "sim/platform/intc/pit8254.h"

namespace hvsim::platform::intc {
namespace {

uint32_t from_bcd(uint32_t v) {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}
uint16_t to_bcd(uint32_t v) {
  v %= 10000;
  return uint16_t((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000) << 12);
}
bool one_shot(uint8_t mode) { return mode == 0 || mode == 1 || mode == 4 || mode == 5; }

}  // namespace

Pit8254::Pit8254(TimerHost& host, uint64_t core_hz) : host_(host), clock_{core_hz, kInputHz} {}

uint64_t Pit8254::ticks(const Counter& c) const {
  if (!c.running) return c.ticks_before;
  const uint64_t now = host_.now();
  return c.ticks_before + clock_.ticks_in_cycles(now > c.start_cycle ? now - c.start_cycle : 0);
}

// The counting element after t clocks (datasheet "Mode Definitions").
uint16_t Pit8254::count_at(const Counter& c, uint64_t t) const {
  if (!c.loaded) return 0;
  const uint64_t n = c.reload;
  uint64_t v;
  switch (c.mode) {
    case 2: v = n - t % n; break;            // N .. 1, reload
    case 3: v = n - (2 * t) % n; break;      // decrements by two, twice per period
    default: v = (n - t) & 0xffff; break;    // counts down and wraps past 0
  }
  v &= 0xffff;
  return c.bcd ? to_bcd(v == 0 && c.mode >= 2 && c.mode <= 3 ? 10000 : uint32_t(v)) : uint16_t(v);
}

bool Pit8254::out_at(const Counter& c, uint64_t t) const {
  if (!c.loaded) return c.mode != 0;  // mode 0 OUT is low after the control word
  const uint64_t n = c.reload;
  switch (c.mode) {
    case 0: case 1: return t >= n;
    case 2: return t % n != n - 1;            // low for one clock at count 1
    case 3: return t % n < (n + 1) / 2;       // high half (the longer for odd N)
    default: return t != n;                   // 4, 5: one clock low at terminal count
  }
}

bool Pit8254::out(unsigned i) const { return out_at(ch_[i], ticks(ch_[i])); }
uint16_t Pit8254::count(unsigned i) const { return count_at(ch_[i], ticks(ch_[i])); }

uint8_t Pit8254::read8(uint64_t offset) {
  if (offset == 3) return 0xff;  // the control word register is write-only
  return read_count(unsigned(offset));
}

void Pit8254::write8(uint64_t offset, uint8_t value) {
  if (offset == 3)
    control(value);
  else
    write_count(unsigned(offset), value);
}

// Control word (datasheet "Control Word Format"): SC1:0, RW1:0, M2:0, BCD.
void Pit8254::control(uint8_t v) {
  const unsigned sc = v >> 6;
  if (sc == 3) {  // read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3:1 counters
    for (unsigned i = 0; i < 3; ++i) {
      if (!(v & (2u << i))) continue;
      if (!(v & 0x10)) latch_status(i);
      if (!(v & 0x20)) latch_count(ch_[i]);
    }
    return;
  }
  Counter& c = ch_[sc];
  const unsigned rw = (v >> 4) & 3;
  if (rw == 0) {  // counter latch command
    latch_count(c);
    return;
  }
  stop(c);
  c.rw = uint8_t(rw);
  c.mode = (v >> 1) & 7;
  if (c.mode > 5) c.mode &= 3;  // 110b, 111b are modes 2 and 3
  c.bcd = v & 1;
  c.loaded = false;
  c.null_count = true;
  c.write_msb = c.read_msb = false;
  c.count_latched = c.status_latched = false;
  c.ticks_before = 0;
}

void Pit8254::latch_count(Counter& c) {
  if (c.count_latched) return;  // a second latch before the read is ignored
  c.latch = count_at(c, ticks(c));
  c.count_latched = true;
  c.latch_msb = false;
}

// Read-back status byte: OUT, NULL COUNT, RW, mode, BCD.
void Pit8254::latch_status(unsigned i) {
  Counter& c = ch_[i];
  if (c.status_latched) return;
  c.status = uint8_t((out(i) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | c.rw << 4 | c.mode << 1 |
                     (c.bcd ? 1 : 0));
  c.status_latched = true;
}

uint8_t Pit8254::read_count(unsigned i) {
  Counter& c = ch_[i];
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  if (c.count_latched) {
    uint8_t b;
    if (c.rw == 1) {
      b = uint8_t(c.latch);
      c.count_latched = false;
    } else if (c.rw == 2) {
      b = uint8_t(c.latch >> 8);
      c.count_latched = false;
    } else {
      b = c.latch_msb ? uint8_t(c.latch >> 8) : uint8_t(c.latch);
      if (c.latch_msb) c.count_latched = false;
      c.latch_msb = !c.latch_msb;
    }
    return b;
  }
  const uint16_t v = count(i);
  if (c.rw == 1) return uint8_t(v);
  if (c.rw == 2) return uint8_t(v >> 8);
  const uint8_t b = c.read_msb ? uint8_t(v >> 8) : uint8_t(v);
  c.read_msb = !c.read_msb;
  return b;
}

void Pit8254::write_count(unsigned i, uint8_t v) {
  Counter& c = ch_[i];
  switch (c.rw) {
    case 1: load(i, v); break;
    case 2: load(i, uint32_t(v) << 8); break;
    default:
      if (!c.write_msb) {
        c.write_lsb = v;
        c.write_msb = true;
        if (c.mode == 0) stop(c);  // mode 0: the first byte stops the count
      } else {
        c.write_msb = false;
        load(i, c.write_lsb | uint32_t(v) << 8);
      }
      break;
  }
}

void Pit8254::load(unsigned i, uint32_t raw) {
  Counter& c = ch_[i];
  uint32_t n = c.bcd ? from_bcd(raw) : raw;
  if (n == 0) n = c.bcd ? 10000 : 0x10000;
  if (c.mode == 3 || c.mode == 2) n = n < 2 ? 2 : n;  // 1 is illegal in modes 2 and 3
  stop(c);
  c.reload = n;
  c.loaded = true;
  c.null_count = false;
  ++counts_loaded;
  c.edges = 0;
  if (c.gate && c.mode != 1 && c.mode != 5) start(i, 0);  // 1, 5: wait for a gate trigger
  else c.ticks_before = 0;
}

void Pit8254::start(unsigned i, uint64_t ticks_before) {
  Counter& c = ch_[i];
  c.running = true;
  c.start_cycle = host_.now();
  c.ticks_before = ticks_before;
  schedule(i);
}

void Pit8254::stop(Counter& c) {
  if (c.running) c.ticks_before = ticks(c);
  c.running = false;
  if (c.handle) host_.cancel(c.handle);
  c.handle = TimerHost::kNoTimer;
}

// Only counter 0 drives an interrupt: schedule its next OUT rising edge.
void Pit8254::schedule(unsigned i) {
  Counter& c = ch_[i];
  if (i != 0 || !c.running || !c.loaded) return;
  uint64_t tick;  // clocks since the load at which OUT rises
  if (one_shot(c.mode)) {
    if (c.edges) return;
    tick = c.reload + (c.mode >= 4 ? 1 : 0);
  } else {
    tick = (c.edges + 1) * c.reload;
  }
  if (tick < c.ticks_before) return;  // passed while paused (mode 0/4 resume)
  c.next_edge_cycle = c.start_cycle + clock_.cycles_for_ticks(tick - c.ticks_before);
  c.handle = host_.schedule(c.next_edge_cycle, [this, i] { edge(i); });
}

void Pit8254::edge(unsigned i) {
  Counter& c = ch_[i];
  c.handle = TimerHost::kNoTimer;
  ++c.edges;
  ++irq_pulses;
  if (irq_) {
    irq_(true);
    irq_(false);
  }
  schedule(i);
}

// Gate (datasheet "Gate" table): modes 0/4 pause while low; 2/3 stop while
// low and restart on the rising edge; 1/5 are triggered by the rising edge.
void Pit8254::set_gate(unsigned i, bool level) {
  Counter& c = ch_[i];
  if (level == c.gate) return;
  c.gate = level;
  if (!c.loaded) return;
  if (!level) {
    if (c.mode == 0 || c.mode == 4 || c.mode == 2 || c.mode == 3) stop(c);
    return;
  }
  if (c.mode == 0 || c.mode == 4) {
    start(i, c.ticks_before);  // resume
  } else {
    c.edges = 0;
    start(i, 0);  // restart from N
  }
}

uint8_t Port61::read8(uint64_t) {
  // Refresh request toggles every 15.085 us (QEMU and the AT BIOS rely on it).
  const uint64_t ns = uint64_t(static_cast<unsigned __int128>(pit_.now()) * 1'000'000'000 /
                               pit_.core_hz());
  const uint8_t refresh = ((ns / 15085) & 1) ? 0x10 : 0;
  return uint8_t((bits_ & 3) | refresh | (pit_.out(2) ? 0x20 : 0));
}

void Port61::write8(uint64_t, uint8_t value) {
  bits_ = value & 3;
  pit_.set_gate(2, value & 1);
}

}  // namespace hvsim::platform::intc
