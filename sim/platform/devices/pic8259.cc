#include "sim/platform/devices/pic8259.h"

namespace hvsim::platform {

uint8_t Pic8259::read8(uint64_t offset) {
  if (offset == 1) return imr_;
  return read_isr_ ? isr_ : irr_;
}

void Pic8259::write8(uint64_t offset, uint8_t value) {
  if (offset == 0)
    write_command(value);
  else
    write_data(value);
}

void Pic8259::write_command(uint8_t v) {
  if (v & 0x10) {  // ICW1: starts initialization, clears IMR and ISR, IRR read selected
    single_ = v & 0x02;
    need_icw4_ = v & 0x01;
    imr_ = isr_ = 0;
    read_isr_ = false;
    icw4_ = 0;
    init_step_ = kWantIcw2;
  } else if (v & 0x08) {  // OCW3: RR (bit 1) with RIS (bit 0) selects the register read
    if (v & 0x02) read_isr_ = v & 0x01;
  }
  // else OCW2 (EOI, rotate, set priority): nothing in service yet, accepted as is
}

void Pic8259::write_data(uint8_t v) {
  switch (init_step_) {
    case kWantIcw2:
      vector_base_ = v & 0xf8;
      init_step_ = !single_ ? kWantIcw3 : need_icw4_ ? kWantIcw4 : kReady;
      break;
    case kWantIcw3:
      icw3_ = v;
      init_step_ = need_icw4_ ? kWantIcw4 : kReady;
      break;
    case kWantIcw4:
      icw4_ = v;
      init_step_ = kReady;
      break;
    case kReady:
      imr_ = v;
      break;  // OCW1
  }
}

}  // namespace hvsim::platform
