// The fuzz targets' machine: the core's test machine (tests/unit/core/
// machine.h: an Engine over 16 MiB of RAM with GDT, IDT, TSS and page
// tables) plus a run that checks what the engine may do with any guest:
// return one of its architected exits, throw nothing. Under ASan every host
// access outside RAM and the simulator's own structures is reported.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "machine.h"
#include "tests/fuzz/fuzz_common.h"

namespace hvsim::fuzz {

// Smaller L2 and LLC (same code paths, less to allocate per input).
inline void configure_for_fuzzing(base::Config& cfg) {
  cfg.set_override("cache.l2.size_bytes=65536");
  cfg.set_override("cache.llc.size_bytes=131072");
}

// Puts a poisoned guard zone right after the machine's RAM: the RAM vector
// is rebuilt with 1 MiB of spare capacity that nothing may touch, so under
// ASan an access past the end of RAM through a host (DMI) pointer is
// reported even where the heap's own redzone would be too small. Call once,
// before any Engine exists.
inline void guard_ram(core::testing::Machine& m) {
  constexpr size_t kGuard = 1 << 20;
  std::vector<uint8_t> ram;
  ram.reserve(m.bus.ram.size() + kGuard);
  ram.assign(m.bus.ram.begin(), m.bus.ram.end());
  m.bus.ram.swap(ram);
#ifdef HVSIM_FUZZ_ASAN
  ASAN_POISON_MEMORY_REGION(m.bus.ram.data() + m.bus.ram.size(),
                            m.bus.ram.capacity() - m.bus.ram.size());
#endif
}

// Zeroes RAM without writing 16 MiB per input: whole pages are handed back
// to the kernel (they read as zero when touched again), the edges memset.
inline void zero_ram(std::vector<uint8_t>& ram) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(ram.data());
  const uintptr_t end = begin + ram.size();
  const uintptr_t first = (begin + page - 1) & ~(page - 1), last = end & ~(page - 1);
  if (last <= first || madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) != 0) {
    std::memset(ram.data(), 0, ram.size());
    return;
  }
  std::memset(ram.data(), 0, first - begin);
  std::memset(reinterpret_cast<void*>(last), 0, end - last);
}

// Makes `m` as new for the next input without reallocating its 16 MiB of
// RAM (a fresh Machine per input is slow under ASan, whose quarantine keeps
// every freed RAM image): RAM zeroed, the GDT rewritten, and a new Engine
// (no state survives from the previous input).
inline void reset_machine(core::testing::Machine& m) {
  m.e.reset();
  zero_ram(m.bus.ram);
  m.write_gdt();
  m.e = std::make_unique<core::Engine>(m.bus, *m.cfg);
}

// After an input: the Engine and the port logs freed, so that each input
// allocates and frees the same (libFuzzer re-runs an input whose mallocs
// and frees differ, looking for leaks).
inline void finish_machine(core::testing::Machine& m) {
  m.e.reset();
  m.bus.ins = {};
  m.bus.outs = {};
}

inline bool known_exit(core::RunExit e) {
  using core::RunExit;
  return e == RunExit::kBudget || e == RunExit::kStopRequested || e == RunExit::kHalted ||
         e == RunExit::kHaltedForever || e == RunExit::kTripleFault || e == RunExit::kInsnLimit;
}

// Runs up to `rounds` x `insns` instructions, resuming after HLT as a
// wake-up would, and checks the exits.
inline void run_checked(core::testing::Machine& m, uint64_t insns, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    core::RunExit e = core::RunExit::kBudget;
    try {
      e = m.run(insns);
    } catch (const std::exception& ex) {
      fail(std::string("exception escaped Engine::run: ") + ex.what());
    } catch (...) {
      fail("non-standard exception escaped Engine::run");
    }
    if (!known_exit(e)) fail("unknown RunExit " + std::to_string(static_cast<int>(e)));
    if (std::getenv("HVSIM_FUZZ_VERBOSE")) {  // for triage: where each round ended
      std::fprintf(stderr, "round %d: exit %d, rip %#llx, %llu instructions%s%s\n", r,
                   static_cast<int>(e), static_cast<unsigned long long>(m.e->s.rip),
                   static_cast<unsigned long long>(m.e->instructions()),
                   m.e->last_error().empty() ? "" : ", ", m.e->last_error().c_str());
    }
    if (e == core::RunExit::kTripleFault && m.e->last_error().empty())
      fail("triple fault without a reason");
    if (e == core::RunExit::kTripleFault || e == core::RunExit::kHaltedForever) return;
  }
}

}  // namespace hvsim::fuzz
