// The one TLM wrapper every device shares: a target socket whose
// b_transport and transport_dbg call the device's plain C++ read()/write()
// (device.h). Accesses of 1..4 bytes; the device's access_cycles() are
// added to the delay annotation at the CPU clock. No DMI.
#pragma once

#include <cstdint>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "sim/platform/device.h"

namespace hvsim::platform {

class DeviceTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<DeviceTarget> socket;

  DeviceTarget(sc_core::sc_module_name name, RegisterDevice& device, sc_core::sc_time cycle);

  uint64_t reads = 0, writes = 0;  // accesses through b_transport

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  bool access(tlm::tlm_generic_payload& tx);

  RegisterDevice& device_;
  sc_core::sc_time cycle_;
};

}  // namespace hvsim::platform
