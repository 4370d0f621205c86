// Shared by the fuzz targets (libFuzzer's LLVMFuzzerTestOneInput interface).
// Each target can also write its seed inputs: run it with
// HVSIM_FUZZ_WRITE_SEEDS=DIR and it writes them into DIR and exits (seeds
// built from the current code, such as a valid VMCS image, stay valid when
// the layout they depend on changes).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define HVSIM_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HVSIM_FUZZ_ASAN 1
#endif
#endif
#ifdef HVSIM_FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace hvsim::fuzz {

// A broken invariant: one line naming it, then abort() so that libFuzzer
// (or the replay driver under CTest) reports the input as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "hvsim fuzz: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void write_seed(const std::string& dir, const std::string& name,
                       const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(std::filesystem::path(dir) / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write seed " + dir + "/" + name);
}

inline std::vector<uint8_t> bytes_of(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Calls write_seeds(DIR) and exits when HVSIM_FUZZ_WRITE_SEEDS=DIR is set.
template <typename F>
void maybe_write_seeds(F write_seeds) {
  const char* dir = std::getenv("HVSIM_FUZZ_WRITE_SEEDS");
  if (!dir || !*dir) return;
  write_seeds(std::string(dir));
  std::exit(0);
}

// Host memory with poisoned guard zones on both sides: under ASan, any
// access just outside [data(), data() + size()) is reported.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t size) : store_(size + 2 * kGuard), size_(size) {
#ifdef HVSIM_FUZZ_ASAN
    ASAN_POISON_MEMORY_REGION(store_.data(), kGuard);
    ASAN_POISON_MEMORY_REGION(store_.data() + kGuard + size_, kGuard);
#endif
  }
  ~GuardedBuffer() {
#ifdef HVSIM_FUZZ_ASAN
    ASAN_UNPOISON_MEMORY_REGION(store_.data(), store_.size());
#endif
  }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  uint8_t* data() {
    return store_.data() + kGuard;
  }
  size_t size() const {
    return size_;
  }

 private:
  static constexpr size_t kGuard = 64 * 1024;
  std::vector<uint8_t> store_;
  size_t size_;
};

}  // namespace hvsim::fuzz
