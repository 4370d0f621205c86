// A TLM-2.0 interconnect with an address map (IEEE 1666-2011 section 11.2
// "interconnect components"): forwards b_transport, get_direct_mem_ptr and
// transport_dbg to the target mapped at the address, with the address made
// local; DMI ranges and invalidations are translated back to global
// addresses. An address no window covers gets TLM_ADDRESS_ERROR_RESPONSE.
// hvsim has two: the memory bus and the I/O-port bus (ports 0..0xffff).
#pragma once

#include <string>
#include <vector>

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

namespace hvsim::platform {

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> target_socket;        // from initiators
  tlm_utils::multi_passthrough_initiator_socket<Router> initiator_socket;  // to targets

  explicit Router(sc_core::sc_module_name name);

  // Binds a target and returns its index for map().
  unsigned bind_target(tlm::tlm_target_socket<>& target);
  // Maps global [base, base + size) to the target's local [offset, offset + size).
  // Throws std::logic_error when the window overlaps another.
  void map(uint64_t base, uint64_t size, unsigned target, uint64_t offset, const std::string& name);

  struct Window {
    uint64_t base, size;
    unsigned target;
    uint64_t offset;
    std::string name;
    uint64_t last() const { return base + size - 1; }
  };
  const Window* decode(uint64_t addr) const;
  // The unmapped range [*lo, *hi] around `addr`; false when a window maps it.
  bool gap(uint64_t addr, uint64_t* lo, uint64_t* hi) const;
  const std::vector<Window>& windows() const { return windows_; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& tx);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);
  // The window holding the whole access, or null (address error).
  const Window* decode_access(const tlm::tlm_generic_payload& tx) const;
  // The unmapped gap around addr, as the DMI-denied range.
  void deny_gap(uint64_t addr, tlm::tlm_dmi& dmi) const;

  std::vector<Window> windows_;  // sorted by base
  unsigned bound_ = 0;
};

}  // namespace hvsim::platform
