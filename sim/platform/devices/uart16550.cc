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

uint8_t Uart16550::read8(uint64_t offset) {
  switch (offset) {
    case RBR_THR_DLL:
      if (dlab()) return dll_;
      data_ready_ = false;
      return rbr_;
    case IER_DLM:
      return dlab() ? dlm_ : ier_;
    case IIR_FCR:  // bit 0 = 1: no interrupt pending; bits 7:6 = FIFOs enabled
      return (fcr_ & 0x01) ? 0xc1 : 0x01;
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
      } else if (loopback()) {  // the transmitter feeds the receiver
        rbr_ = value;
        data_ready_ = true;
      } else {
        sink_->put(value);
        ++bytes_written;
      }
      break;
    case IER_DLM:
      if (dlab())
        dlm_ = value;
      else
        ier_ = value & 0x0f;  // bits 7:4 are always 0
      break;
    case IIR_FCR:  // FCR: bits 1-2 (clear FIFOs) self-clear; keep enable and trigger level
      fcr_ = value & 0xc9;
      break;
    case LCR:
      lcr_ = value;
      break;
    case MCR:
      mcr_ = value & 0x1f;
      break;  // bits 7:5 are always 0
    case SCR:
      scr_ = value;
      break;
    default:
      break;  // LSR and MSR writes are factory test only
  }
}

}  // namespace hvsim::platform
