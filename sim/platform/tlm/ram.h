// Guest RAM as a TLM-2.0 target (IEEE 1666-2011 section 11 "DMI", 14 "GP"):
// b_transport and transport_dbg copy bytes; get_direct_mem_ptr grants the
// whole store for read and write with the configured latencies. Addresses
// are local (0 .. size-1): the router maps them into the physical space.
#pragma once

#include <memory>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "sim/platform/tlm/host_memory.h"

namespace hvsim::platform {

class Ram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Ram> socket;

  // The backing store may already hold the boot images (the loader runs first).
  Ram(sc_core::sc_module_name name, std::unique_ptr<HostMemory> memory,
      sc_core::sc_time read_latency, sc_core::sc_time write_latency);

  HostMemory& memory() { return *mem_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  // Copies for a read or write; false (and an error response) when outside.
  bool copy(tlm::tlm_generic_payload& tx);

  std::unique_ptr<HostMemory> mem_;
  sc_core::sc_time read_latency_, write_latency_;
};

}  // namespace hvsim::platform
