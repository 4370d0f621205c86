// The registers gdb sees, in the order of the target description hvsim
// sends (qXfer:features:read:target.xml): gdb's x86-64 core, SSE and
// segments features (GDB manual, "i386 Features"), then the control
// registers and EFER as a feature of hvsim's own, "org.hvsim.x86.sys",
// which gdb shows by name ($cr3, info registers cr0). The values are the
// engine's architectural state, so in VMX non-root operation or SVM guest
// mode they are the guest's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/arch_state.h"

namespace hvsim::gdb {

inline constexpr unsigned kNumRegs = 65;

// The whole target description, one document.
const std::string& target_xml();

// Size in bytes of register n (0 for n out of range).
unsigned reg_size(unsigned n);

// Register n as little-endian bytes of reg_size(n).
std::vector<uint8_t> read_reg(const core::ArchState& s, unsigned n);
// Writes register n from its little-endian image. False for the registers
// gdb may not change here (segment selectors, control registers, EFER):
// loading them has architectural side effects a debugger write would skip.
// An unchanged value is accepted (a 'G' packet rewrites every register).
bool write_reg(core::ArchState& s, unsigned n, const uint8_t* data);

}  // namespace hvsim::gdb
