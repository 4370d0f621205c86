// Executable host code for instruction families that run the guest's
// floating-point and vector operations on the host FPU (x87, SSE, AVX), so
// that results, flags and exceptions are the hardware's, bit for bit.
//
// A family re-encodes a decoded instruction once, at decode time, with fixed
// host registers and a host buffer in place of its memory operand, wraps it
// in whatever load/store sequence it needs, and asks for the bytes to be made
// executable here. Identical byte sequences share one stub, so the number of
// stubs is bounded by the number of distinct instruction forms a run decodes,
// not by how often blocks are decoded again (self-modifying code, flushes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace hvsim::core::hostexec {

class HostCode {
 public:
  // The process-wide store (stubs are immutable and shared by every engine).
  static HostCode& instance();

  // Returns an executable copy of `bytes` (which must end in a RET or jump);
  // the same bytes return the same address. Throws std::runtime_error when
  // the host refuses executable memory.
  const void* get(const uint8_t* bytes, size_t n);
  size_t stubs() const { return by_bytes_.size(); }

  HostCode(const HostCode&) = delete;
  HostCode& operator=(const HostCode&) = delete;

 private:
  HostCode() = default;
  ~HostCode();
  static constexpr size_t kChunkBytes = 1u << 20;
  std::mutex mu_;
  std::unordered_map<std::string, const void*> by_bytes_;
  std::vector<uint8_t*> chunks_;
  size_t used_ = kChunkBytes;  // bytes used in chunks_.back()
};

}  // namespace hvsim::core::hostexec
