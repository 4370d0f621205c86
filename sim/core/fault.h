// An architectural exception raised while executing an instruction. Thrown as
// a C++ exception (zero cost on the fast path) and caught by the run loop,
// which rolls RIP back to the faulting instruction and delivers the vector.
#pragma once

#include <cstdint>

namespace hvsim::core {

// Exception vectors (SDM Vol. 3 6.15).
enum Vector : uint8_t {
  kDE = 0, kDB = 1, kNMI = 2, kBP = 3, kOF = 4, kBR = 5, kUD = 6, kNM = 7, kDF = 8,
  kTS = 10, kNP = 11, kSS = 12, kGP = 13, kPF = 14, kMF = 16, kAC = 17, kMC = 18, kXM = 19,
  kVE = 20, kCP = 21,
};

struct Fault {
  uint8_t vector;
  bool has_error;
  uint32_t error;
  uint64_t cr2 = 0;  // #PF: the faulting linear address; #DB: the DR6 bits it reports
};

[[noreturn]] inline void raise(uint8_t vector) { throw Fault{vector, false, 0}; }
[[noreturn]] inline void raise(uint8_t vector, uint32_t error) { throw Fault{vector, true, error}; }
// A #DB the processor detects; `dr6_bits` (B0-B3, BD, BS) reach DR6 when it
// is delivered, and the exit qualification instead when it exits (SDM Vol. 3
// 27.1: a #DB that causes a VM exit leaves DR6 and DR7 alone).
[[noreturn]] inline void raise_db(uint64_t dr6_bits) { throw Fault{kDB, false, 0, dr6_bits}; }
[[noreturn]] inline void raise_pf(uint64_t la, uint32_t error) { throw Fault{kPF, true, error, la}; }

}  // namespace hvsim::core
