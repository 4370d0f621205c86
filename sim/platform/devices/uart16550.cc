#include "sim/platform/devices/uart16550.h"

namespace hvsim::platform {

// MSR (PC16550D "Modem Status Register"): with no modem attached, the inputs
// read as carrier detect, data set ready and clear to send asserted, as
// QEMU's serial model reports. In loopback mode the inputs are wired to the
// MCR outputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
uint8_t Uart16550::modem_status() const {
  if (!loopback()) return 0xb0;
  uint8_t m = 0;
  if (mcr_ & 0x02) m |= 0x10;  // RTS -> CTS
  if (mcr_ & 0x01) m |= 0x20;  // DTR -> DSR
  if (mcr_ & 0x04) m |= 0x40;  // OUT1 -> RI
  if (mcr_ & 0x08) m |= 0x80;  // OUT2 -> DCD
  return m;
}

// IIR interrupt identification, highest priority first: received data
// available (0100b), THR empty (0010b), none (0001b).
uint8_t Uart16550::interrupt_id() const {
  if ((ier_ & 0x01) && data_ready_) return 0x04;
  if ((ier_ & 0x02) && thre_pending_) return 0x02;
  return 0x01;
}

void Uart16550::update_irq() {
  const bool level = interrupt_id() != 0x01 && (mcr_ & 0x08);
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

uint8_t Uart16550::read8(uint64_t offset) {
  switch (offset) {
    case RBR_THR_DLL:
      if (dlab()) return dll_;
      data_ready_ = false;
      update_irq();
      return rbr_;
    case IER_DLM:
      return dlab() ? dlm_ : ier_;
    case IIR_FCR: {  // bits 3:0 the interrupt; bits 7:6 = FIFOs enabled
      const uint8_t id = interrupt_id();
      if (id == 0x02) {  // reading IIR with THRE as the source clears it
        thre_pending_ = false;
        update_irq();
      }
      return uint8_t(((fcr_ & 0x01) ? 0xc0 : 0x00) | id);
    }
    case LCR:
      return lcr_;
    case MCR:
      return mcr_;
    case LSR:
      return kLsrThre | kLsrTemt | (data_ready_ ? kLsrDr : 0);
    case MSR:
      return modem_status();
    case SCR:
      return scr_;
    default:
      return 0xff;
  }
}

void Uart16550::write8(uint64_t offset, uint8_t value) {
  switch (offset) {
    case RBR_THR_DLL:
      if (dlab()) {
        dll_ = value;
      } else {
        if (loopback()) {  // the transmitter feeds the receiver
          rbr_ = value;
          data_ready_ = true;
        } else {
          sink_->put(value);
          ++bytes_written;
        }
        // Writing THR clears THRE; the byte leaves at once, so it is set
        // again: the line drops and rises, a new edge for an edge-triggered PIC.
        thre_pending_ = false;
        update_irq();
        thre_pending_ = true;
      }
      update_irq();
      break;
    case IER_DLM:
      if (dlab())
        dlm_ = value;
      else {
        // Enabling ETBEI with THR empty raises the THRE interrupt.
        if ((value & 0x02) && !(ier_ & 0x02)) thre_pending_ = true;
        ier_ = value & 0x0f;  // bits 7:4 are always 0
        update_irq();
      }
      break;
    case IIR_FCR:  // FCR: bits 1-2 (clear FIFOs) self-clear; keep enable and trigger level
      fcr_ = value & 0xc9;
      break;
    case LCR:
      lcr_ = value;
      break;
    case MCR:
      mcr_ = value & 0x1f;  // bits 7:5 are always 0
      update_irq();
      break;
    case SCR:
      scr_ = value;
      break;
    default:
      break;  // LSR and MSR writes are factory test only
  }
}

}  // namespace hvsim::platform
