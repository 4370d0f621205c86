#include "sim/core/hostexec/host_code.h"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>

namespace hvsim::core::hostexec {

HostCode& HostCode::instance() {
  static HostCode store;
  return store;
}

HostCode::~HostCode() {
  for (uint8_t* c : chunks_) munmap(c, kChunkBytes);
}

const void* HostCode::get(const uint8_t* bytes, size_t n) {
  if (n == 0 || n > 4096) throw std::runtime_error("host code stub of " + std::to_string(n) + " bytes");
  std::lock_guard<std::mutex> lock(mu_);
  std::string key(reinterpret_cast<const char*>(bytes), n);
  if (auto it = by_bytes_.find(key); it != by_bytes_.end()) return it->second;
  const size_t need = (n + 15) & ~size_t{15};  // 16-byte aligned stubs
  if (used_ + need > kChunkBytes) {
    void* p = mmap(nullptr, kChunkBytes, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map executable memory for host code");
    chunks_.push_back(static_cast<uint8_t*>(p));
    used_ = 0;
  }
  uint8_t* stub = chunks_.back() + used_;
  std::memcpy(stub, bytes, n);
  used_ += need;
  by_bytes_.emplace(std::move(key), stub);
  return stub;
}

}  // namespace hvsim::core::hostexec
