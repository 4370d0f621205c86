// Extended-state helpers shared by CPUID, the MSRs and the tests (xstate.cc).
#pragma once

#include <cstdint>

#include "sim/core/engine.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::sys {

// MXCSR bits software may set (FXSAVE's MXCSR_MASK; bit 6 DAZ included).
inline constexpr uint32_t kMxcsrMask = 0xffff;
// DecodedInsn::flags bit the state binders use for VEX encodings (VLDMXCSR).
inline constexpr uint16_t kVexForm = 1u << 15;

uint64_t xinuse(const Engine& e);               // SDM Vol. 1 13.6
uint64_t xcr0_supported(const Engine& e);       // CPUID.(EAX=0DH,ECX=0):EAX
uint32_t xsave_size(uint64_t components);       // standard-layout size covering them
void register_xstate(isa::BinderTable& t);
// CPUID fields that follow the state: leaf 1 ECX.OSXSAVE (CR4), leaf 0DH
// subleaf 0 EBX (XCR0) and subleaf 1 EBX (XCR0 | IA32_XSS).
void cpuid_state_fields(const Engine& e, uint32_t leaf, uint32_t subleaf, CpuidResult& r);

}  // namespace hvsim::core::sys
