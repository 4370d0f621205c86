// Host backing store for guest RAM: an anonymous private mapping, so pages
// are zero and only cost host memory once the guest touches them (a 64 GiB
// machine is cheap to build).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hvsim::platform {

class HostMemory {
 public:
  explicit HostMemory(uint64_t bytes);  // throws std::bad_alloc if the mapping fails
  ~HostMemory();
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;

  uint8_t* data() { return data_; }
  uint64_t size() const { return size_; }
  std::span<uint8_t> span() { return {data_, size_}; }

 private:
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace hvsim::platform
