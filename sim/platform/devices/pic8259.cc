#include "sim/platform/devices/pic8259.h"

namespace hvsim::platform {

uint8_t Pic8259::read8(uint64_t offset) {
  if (offset == 1) return imr_;
  if (poll_) {  // OCW3 poll: the read is the acknowledge (datasheet "The Poll Command")
    poll_ = false;
    const int line = selected_line();
    if (line < 0) return 0;
    inta();
    return uint8_t(0x80 | line);
  }
  return read_isr_ ? isr_ : irr_;
}

void Pic8259::write8(uint64_t offset, uint8_t value) {
  if (offset == 0)
    write_command(value);
  else
    write_data(value);
}

void Pic8259::write_command(uint8_t v) {
  if (v & 0x10) {
    // ICW1: starts initialization, clears IMR and ISR, IR7 gets the lowest
    // priority, special mask mode is cleared, IRR read selected; the edge
    // sense is reset (a request needs a new low-to-high transition).
    single_ = v & 0x02;
    level_mode_ = v & 0x08;
    need_icw4_ = v & 0x01;
    imr_ = isr_ = irr_ = 0;
    input_ = 0;
    lowest_ = 7;
    read_isr_ = poll_ = special_mask_ = auto_eoi_ = rotate_aeoi_ = sfnm_ = false;
    icw4_ = 0;
    init_step_ = kWantIcw2;
  } else if (v & 0x08) {  // OCW3
    if (v & 0x40) special_mask_ = v & 0x20;  // ESMM/SMM
    if (v & 0x04) poll_ = true;              // P
    if (v & 0x02) read_isr_ = v & 0x01;      // RR/RIS selects the register read
  } else {
    ocw2(v);
  }
  update();
}

// OCW2: R (bit 7), SL (bit 6), EOI (bit 5), level L2..L0.
void Pic8259::ocw2(uint8_t v) {
  const unsigned l = v & 7;
  switch (v >> 5) {
    case 0: rotate_aeoi_ = false; break;                  // rotate in AEOI mode (clear)
    case 4: rotate_aeoi_ = true; break;                   // rotate in AEOI mode (set)
    case 1: case 5: {                                     // non-specific EOI (and rotate)
      const int line = highest(isr_);
      if (line < 0) break;
      isr_ &= uint8_t(~(1u << line));
      if (v & 0x80) lowest_ = uint8_t(line);
      break;
    }
    case 3: case 7:                                       // specific EOI (and rotate)
      isr_ &= uint8_t(~(1u << l));
      if (v & 0x80) lowest_ = uint8_t(l);
      break;
    case 6: lowest_ = uint8_t(l); break;                  // set priority
    default: break;                                       // no operation
  }
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
      auto_eoi_ = v & 0x02;
      sfnm_ = v & 0x10;
      init_step_ = kReady;
      break;
    case kReady:
      imr_ = v;  // OCW1
      break;
  }
  update();
}

int Pic8259::highest(uint8_t mask) const {
  for (unsigned r = 0; r < 8; ++r) {
    const unsigned line = (lowest_ + 1 + r) & 7;
    if (mask & (1u << line)) return int(line);
  }
  return -1;
}

bool Pic8259::is_cascade(unsigned line) const {
  return slave_ && line == slave_line_ && !single_ && (icw3_ & (1u << line));
}

// Fully nested mode: the highest unmasked request wins if its priority is
// above the highest line in service. Special mask mode: a line in service
// only inhibits itself. Special fully nested mode (master): the cascade line
// in service does not inhibit further requests from the slave.
int Pic8259::selected_line() const {
  const uint8_t pending = irr_ & ~imr_;
  if (special_mask_) return highest(pending & ~isr_);
  const int req = highest(pending);
  if (req < 0) return -1;
  uint8_t in_service = isr_;
  if (sfnm_ && slave_) in_service &= uint8_t(~(1u << slave_line_));
  const int srv = highest(in_service);
  if (srv >= 0 && rank(unsigned(req)) >= rank(unsigned(srv))) return -1;
  return req;
}

void Pic8259::update() {
  const bool out = selected_line() >= 0;
  if (out == out_) return;
  out_ = out;
  if (output_) output_(out);
}

void Pic8259::set_irq(unsigned line, bool level) {
  const uint8_t bit = uint8_t(1u << (line & 7));
  const bool was = input_ & bit;
  if (level)
    input_ |= bit;
  else
    input_ &= uint8_t(~bit);
  if (level_mode_) {
    if (level) {
      if (!(irr_ & bit)) ++requests;
      irr_ |= bit;
    } else {
      irr_ &= uint8_t(~bit);
    }
  } else if (level && !was) {
    irr_ |= bit;
    ++requests;
  }
  update();
}

int Pic8259::peek_vector() const {
  const int line = selected_line();
  if (line < 0) return vector_base_ + 7;
  if (is_cascade(unsigned(line))) return slave_->peek_vector();
  return vector_base_ + line;
}

int Pic8259::inta() {
  const int line = selected_line();
  if (line < 0) {  // datasheet: no request at INTA -> an IR7 vector, ISR untouched
    ++spurious;
    return vector_base_ + 7;
  }
  ++acks;
  const uint8_t bit = uint8_t(1u << line);
  if (!level_mode_ || !(input_ & bit)) irr_ &= uint8_t(~bit);
  if (auto_eoi_) {
    if (rotate_aeoi_) lowest_ = uint8_t(line);
  } else {
    isr_ |= bit;
  }
  // Second INTA pulse: the slave on the cascade line puts out its vector.
  const int vector = is_cascade(unsigned(line)) ? slave_->inta() : vector_base_ + line;
  update();
  return vector;
}

void Pic8259::attach_slave(Pic8259& slave, unsigned line) {
  slave_ = &slave;
  slave_line_ = line & 7;
  slave.set_output([this, l = slave_line_](bool level) { set_irq(l, level); });
}

}  // namespace hvsim::platform
