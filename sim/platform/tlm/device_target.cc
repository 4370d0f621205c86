#include "sim/platform/tlm/device_target.h"

#include <cstring>

namespace hvsim::platform {

DeviceTarget::DeviceTarget(sc_core::sc_module_name name, RegisterDevice& device,
                           sc_core::sc_time cycle)
    : sc_module(name), socket("socket"), device_(device), cycle_(cycle) {
  socket.register_b_transport(this, &DeviceTarget::b_transport);
  socket.register_transport_dbg(this, &DeviceTarget::transport_dbg);
}

bool DeviceTarget::access(tlm::tlm_generic_payload& tx) {
  const unsigned len = tx.get_data_length();
  if (len == 0 || len > 4 || tx.get_streaming_width() < len) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  if (tx.get_byte_enable_ptr()) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  uint32_t v = 0;
  if (tx.is_read()) {
    v = device_.read(tx.get_address(), len);
    std::memcpy(tx.get_data_ptr(), &v, len);  // little-endian host
    ++reads;
  } else if (tx.is_write()) {
    std::memcpy(&v, tx.get_data_ptr(), len);
    device_.write(tx.get_address(), v, len);
    ++writes;
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void DeviceTarget::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  if (access(tx)) delay += cycle_ * double(device_.access_cycles());
}

// Debug accesses must not have side effects (IEEE 1666-2011 11.3.1), and a
// device register read may (UART RBR, fw_cfg data): debug reads return 0.
unsigned DeviceTarget::transport_dbg(tlm::tlm_generic_payload& tx) {
  if (tx.is_read()) std::memset(tx.get_data_ptr(), 0, tx.get_data_length());
  return 0;
}

}  // namespace hvsim::platform
