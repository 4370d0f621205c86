#include "sim/platform/tlm/ram.h"

#include <cstring>

namespace hvsim::platform {

Ram::Ram(sc_core::sc_module_name name, std::unique_ptr<HostMemory> memory,
         sc_core::sc_time read_latency, sc_core::sc_time write_latency)
    : sc_module(name),
      socket("socket"),
      mem_(std::move(memory)),
      read_latency_(read_latency),
      write_latency_(write_latency) {
  socket.register_b_transport(this, &Ram::b_transport);
  socket.register_get_direct_mem_ptr(this, &Ram::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &Ram::transport_dbg);
}

bool Ram::copy(tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  if (addr >= mem_->size() || len > mem_->size() - addr) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (tx.get_byte_enable_ptr()) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (tx.is_read())
    std::memcpy(tx.get_data_ptr(), mem_->data() + addr, len);
  else if (tx.is_write())
    std::memcpy(mem_->data() + addr, tx.get_data_ptr(), len);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void Ram::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  if (!copy(tx)) return;
  delay += tx.is_write() ? write_latency_ : read_latency_;
  tx.set_dmi_allowed(true);
}

bool Ram::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_dmi_ptr(mem_->data());
  dmi.set_start_address(0);
  dmi.set_end_address(mem_->size() - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(read_latency_);
  dmi.set_write_latency(write_latency_);
  return true;
}

unsigned Ram::transport_dbg(tlm::tlm_generic_payload& tx) {
  return copy(tx) ? tx.get_data_length() : 0;
}

}  // namespace hvsim::platform
