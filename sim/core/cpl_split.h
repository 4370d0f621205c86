// Cycles and instructions by privilege: CPL 3 (user) against CPL 0-2
// (kernel, HLT included: the platform's platform.cpu.halted_cycles is the
// idle part), and when the first CPL-3 instruction ran. The engine calls
// cross() only when CPL crosses between kernel and user (Engine::set_cpl),
// so nothing runs per instruction. The instruction that changes CPL (IRET,
// SYSRET, an interrupt's delivery) counts on the side it enters.
#pragma once

#include <cstdint>

namespace hvsim::core {

struct CplSplit {
  bool user = false;
  uint64_t since_cycles = 0, since_insns = 0;  // at the last crossing
  uint64_t user_cycles = 0, user_insns = 0;    // closed user spans
  uint64_t kernel_cycles = 0, kernel_insns = 0;
  uint64_t user_entries = 0;                   // kernel -> user crossings
  uint64_t first_user_cycle = 0, first_user_insn = 0;  // 0 until the first

  void cross(bool to_user, uint64_t cycles, uint64_t insns) {
    (user ? user_cycles : kernel_cycles) += cycles - since_cycles;
    (user ? user_insns : kernel_insns) += insns - since_insns;
    since_cycles = cycles;
    since_insns = insns;
    user = to_user;
    if (to_user && user_entries++ == 0) {
      first_user_cycle = cycles;
      first_user_insn = insns;
    }
  }
  // Totals up to (cycles, insns), the open span included.
  uint64_t user_cycles_at(uint64_t cycles) const {
    return user_cycles + (user ? cycles - since_cycles : 0);
  }
  uint64_t kernel_cycles_at(uint64_t cycles) const {
    return kernel_cycles + (user ? 0 : cycles - since_cycles);
  }
  uint64_t user_insns_at(uint64_t insns) const {
    return user_insns + (user ? insns - since_insns : 0);
  }
  uint64_t kernel_insns_at(uint64_t insns) const {
    return kernel_insns + (user ? 0 : insns - since_insns);
  }
};

}  // namespace hvsim::core
