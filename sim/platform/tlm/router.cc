#include "sim/platform/tlm/router.h"

#include <algorithm>
#include <stdexcept>

namespace hvsim::platform {

Router::Router(sc_core::sc_module_name name)
    : sc_module(name), target_socket("target_socket"), initiator_socket("initiator_socket") {
  target_socket.register_b_transport(this, &Router::b_transport);
  target_socket.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  target_socket.register_transport_dbg(this, &Router::transport_dbg);
  initiator_socket.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

unsigned Router::bind_target(tlm::tlm_target_socket<>& target) {
  initiator_socket.bind(target);
  return bound_++;
}

void Router::map(uint64_t base, uint64_t size, unsigned target, uint64_t offset,
                 const std::string& name) {
  if (size == 0 || base + size - 1 < base)
    throw std::logic_error(name + ": empty or wrapping window");
  if (target >= bound_)
    throw std::logic_error(name + ": target not bound to " + std::string(this->name()));
  for (const Window& w : windows_) {
    if (base <= w.last() && w.base <= base + size - 1)
      throw std::logic_error(std::string(this->name()) + ": " + name + " overlaps " + w.name);
  }
  windows_.push_back({base, size, target, offset, name});
  std::sort(windows_.begin(), windows_.end(),
            [](const Window& a, const Window& b) { return a.base < b.base; });
}

const Router::Window* Router::decode(uint64_t addr) const {
  auto it = std::upper_bound(windows_.begin(), windows_.end(), addr,
                             [](uint64_t a, const Window& w) { return a < w.base; });
  if (it == windows_.begin()) return nullptr;
  --it;
  return addr <= it->last() ? &*it : nullptr;
}

const Router::Window* Router::decode_access(const tlm::tlm_generic_payload& tx) const {
  const Window* w = decode(tx.get_address());
  const uint64_t len = std::max(1u, tx.get_data_length());
  if (!w || len - 1 > w->last() - tx.get_address()) return nullptr;
  return w;
}

void Router::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const Window* w = decode_access(tx);
  if (!w) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const uint64_t global = tx.get_address();
  tx.set_address(global - w->base + w->offset);
  initiator_socket[w->target]->b_transport(tx, delay);
  tx.set_address(global);
}

unsigned Router::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  const Window* w = decode_access(tx);
  if (!w) return 0;
  const uint64_t global = tx.get_address();
  tx.set_address(global - w->base + w->offset);
  const unsigned n = initiator_socket[w->target]->transport_dbg(tx);
  tx.set_address(global);
  return n;
}

bool Router::gap(uint64_t addr, uint64_t* lo, uint64_t* hi) const {
  if (decode(addr)) return false;
  uint64_t start = 0, end = ~uint64_t{0};
  for (const Window& w : windows_) {
    if (w.last() < addr)
      start = w.last() + 1;
    else if (w.base > addr) {
      end = w.base - 1;
      break;
    }
  }
  *lo = start;
  *hi = end;
  return true;
}

void Router::deny_gap(uint64_t addr, tlm::tlm_dmi& dmi) const {
  uint64_t start = 0, end = 0;
  gap(addr, &start, &end);
  dmi.set_start_address(start);
  dmi.set_end_address(end);
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const uint64_t global = tx.get_address();
  const Window* w = decode(global);
  if (!w) {
    deny_gap(global, dmi);
    return false;
  }
  tx.set_address(global - w->base + w->offset);
  const bool ok = initiator_socket[w->target]->get_direct_mem_ptr(tx, dmi);
  tx.set_address(global);
  // The target answers in local addresses; clip to the window and go global.
  const uint64_t win_lo = w->offset, win_hi = w->offset + w->size - 1;
  uint64_t lo = dmi.get_start_address(), hi = dmi.get_end_address();
  if (lo < win_lo) {
    if (dmi.get_dmi_ptr()) dmi.set_dmi_ptr(dmi.get_dmi_ptr() + (win_lo - lo));
    lo = win_lo;
  }
  hi = std::min(hi, win_hi);
  dmi.set_start_address(lo - w->offset + w->base);
  dmi.set_end_address(hi - w->offset + w->base);
  return ok;
}

void Router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  for (const Window& w : windows_) {
    if (w.target != unsigned(id)) continue;
    const uint64_t lo = std::max<uint64_t>(start, w.offset);
    const uint64_t hi = std::min<uint64_t>(end, w.offset + w.size - 1);
    if (lo > hi) continue;
    for (unsigned i = 0; i < target_socket.size(); ++i)
      target_socket[i]->invalidate_direct_mem_ptr(lo - w.offset + w.base, hi - w.offset + w.base);
  }
}

}  // namespace hvsim::platform
