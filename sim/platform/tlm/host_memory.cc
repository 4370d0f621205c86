#include "sim/platform/tlm/host_memory.h"

#include <sys/mman.h>

#include <new>

namespace hvsim::platform {

HostMemory::HostMemory(uint64_t bytes) : size_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Transparent huge pages where the host allows them: a guest that touches
  // all of its RAM (the mini kernel: 128 MiB, 32,000 page faults of 4 KiB)
  // takes 64 faults instead. Advice only; an error changes nothing.
  madvise(p, bytes, MADV_HUGEPAGE);
  data_ = static_cast<uint8_t*>(p);
}

HostMemory::~HostMemory() {
  munmap(data_, size_);
}

}  // namespace hvsim::platform
