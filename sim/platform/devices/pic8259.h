// One Intel 8259A programmable interrupt controller (8259A datasheet,
// "Programming the 8259A"): the master sits at 0x20/0x21, the slave at
// 0xa0/0xa1. It accepts the initialization sequence ICW1..ICW4 (edge or
// level triggered inputs, single or cascade, auto-EOI, special fully nested
// mode) and the operation commands OCW1 (mask, read back at the data port),
// OCW2 (specific and non-specific EOI, rotation, set priority) and OCW3
// (IRR/ISR read select, poll, special mask mode).
//
// Interrupt lines: set_irq() drives IR0..IR7; the INT output follows the
// fully nested priority (datasheet "Interrupt Sequence") and is reported to
// set_output(); inta() is the INTA sequence and returns the vector
// (ICW2 base + line, or the slave's vector for the cascade line, IR7 when
// nothing is requesting). A master with attach_slave() feeds the slave's INT
// into its IR line (IR2 on the PC/AT) and asks the slave for the vector.
#pragma once

#include <cstdint>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class Pic8259 : public ByteRegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kMasterBase = 0x20, kSlaveBase = 0xa0;
  static constexpr uint64_t kSize = 2;
  static constexpr unsigned kCascadeLine = 2;  // PC/AT: the slave's INT on master IR2

  uint8_t imr() const { return imr_; }
  uint8_t irr() const { return irr_; }
  uint8_t isr() const { return isr_; }
  uint8_t vector_base() const { return vector_base_; }  // ICW2, bits 7:3
  bool initialized() const { return init_step_ == kReady; }

  // Interrupt request input `line` (0..7) at `level`. Edge mode latches IRR on
  // a rising edge; level mode (ICW1 LTIM) makes IRR follow the level.
  void set_irq(unsigned line, bool level);
  // The INT output: an unmasked request with priority above everything in service.
  bool int_output() const { return out_; }
  // The INTA sequence: sets ISR (unless auto-EOI), clears an edge IRR bit and
  // returns the vector.
  int inta();
  // The vector inta() would return now, without changing anything.
  int peek_vector() const;

  void set_output(std::function<void(bool)> f) { output_ = std::move(f); }
  void attach_slave(Pic8259& slave, unsigned line = kCascadeLine);

  // statistics
  uint64_t requests = 0;  // IRR bits latched (edges, or level assertions)
  uint64_t acks = 0;      // INTA cycles answered with a requesting line
  uint64_t spurious = 0;  // INTA with nothing requesting (IR7 vector)

 protected:
  uint8_t read8(uint64_t offset) override;
  void write8(uint64_t offset, uint8_t value) override;

 private:
  enum Step : uint8_t { kReady, kWantIcw2, kWantIcw3, kWantIcw4 };
  void write_command(uint8_t v);
  void write_data(uint8_t v);
  void ocw2(uint8_t v);
  // The line the next INTA serves, or -1 (nothing beats what is in service).
  int selected_line() const;
  int highest(uint8_t mask) const;  // by the current rotation; -1 if none
  unsigned rank(unsigned line) const { return (line - lowest_ - 1) & 7; }
  bool is_cascade(unsigned line) const;
  void update();

  Step init_step_ = kReady;
  bool single_ = false, need_icw4_ = false, level_mode_ = false;
  bool read_isr_ = false;  // OCW3 RR/RIS
  bool poll_ = false;      // OCW3 P: the next command-port read is a poll
  bool special_mask_ = false, auto_eoi_ = false, rotate_aeoi_ = false, sfnm_ = false;
  uint8_t imr_ = 0, irr_ = 0, isr_ = 0, input_ = 0;
  uint8_t lowest_ = 7;  // the line with the lowest priority (rotation)
  uint8_t vector_base_ = 0, icw3_ = 0, icw4_ = 0;
  bool out_ = false;
  std::function<void(bool)> output_;
  Pic8259* slave_ = nullptr;
  unsigned slave_line_ = kCascadeLine;
};

}  // namespace hvsim::platform
