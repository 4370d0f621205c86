#include "sim/platform/devices/i8042.h"

namespace hvsim::platform {

I8042::I8042(std::function<void()> on_reset, std::function<void(unsigned, bool)> irq)
    : on_reset_(std::move(on_reset)), irq_(std::move(irq)) {}

void I8042::queue(uint8_t v, bool aux) {
  if (out_.size() < 16) out_.push_back({v, aux});
  update_irqs();
}

void I8042::update_irqs() {
  const bool full = !out_.empty();
  const bool k = full && !out_.front().aux && (ctr_ & kKbdInt);
  const bool a = full && out_.front().aux && (ctr_ & kAuxInt);
  if (k != irq1_) irq_(1, irq1_ = k);
  if (a != irq12_) irq_(12, irq12_ = a);
}

uint8_t I8042::read_status() const {
  uint8_t s = kUnlocked;
  if (!out_.empty()) s |= kObf | (out_.front().aux ? kAuxData : 0);
  if (ctr_ & kCtrSys) s |= kSysFlag;
  if (last_was_command_) s |= kCmdData;
  if (timeout_) s |= kTimeout;
  return s;
}

uint8_t I8042::read_data() {
  if (out_.empty()) return 0;  // the last byte stays on the bus; 0 is as good
  const uint8_t v = out_.front().value;
  out_.pop_front();
  timeout_ = false;
  update_irqs();
  return v;
}

void I8042::write_output_port(uint8_t v) {
  output_port_ = v;
  if (!(v & 0x01)) {  // the reset line driven low resets the CPU
    ++resets;
    on_reset_();
  }
}

void I8042::write_command(uint8_t v) {
  last_was_command_ = true;
  pending_ = 0;
  switch (v) {
    case 0x20: queue(ctr_); break;
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: pending_ = v; break;
    case 0xa7: ctr_ |= kAuxDisable; break;
    case 0xa8: ctr_ &= uint8_t(~kAuxDisable); break;
    case 0xa9: case 0xab: queue(0x00); break;  // interface test: no error
    case 0xaa: ctr_ |= kCtrSys; queue(0x55); break;  // self-test passed
    case 0xad: ctr_ |= kKbdDisable; break;
    case 0xae: ctr_ &= uint8_t(~kKbdDisable); break;
    case 0xc0: queue(0x00); break;  // input port
    case 0xd0: queue(output_port_); break;
    default:
      // 0xF0-0xFF pulse the output lines whose bits are 0 in the low nibble.
      if (v >= 0xf0 && !(v & 0x01)) {
        ++resets;
        on_reset_();
      }
      break;
  }
}

void I8042::write_data(uint8_t v) {
  last_was_command_ = false;
  const uint8_t cmd = pending_;
  pending_ = 0;
  switch (cmd) {
    case 0x60: ctr_ = v; update_irqs(); break;
    case 0xd1: write_output_port(v); break;
    case 0xd2: queue(v); break;
    case 0xd3: queue(v, true); break;
    default:  // a byte for the keyboard (or, after 0xD4, the mouse): none attached
      timeout_ = true;
      queue(0xfe, cmd == 0xd4);
      break;
  }
}

}  // namespace hvsim::platform
