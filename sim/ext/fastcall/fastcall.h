// ext.fastcall: a hypercall without a VM exit. The architectural contract
// (encodings, MSRs, exit numbers) that guests, hypervisors and tests share;
// docs/extensions/fastcall.md describes it.
#pragma once

#include <cstdint>

namespace hvsim::ext::fastcall {

// FASTCALL is 0F 0A and FASTRET 0F 0C, two-byte opcodes the SDM leaves
// undefined (Vol. 2D Table A-3: 0F 0A and 0F 0C are blank) and Zydis does
// not decode.
constexpr uint8_t kOpFastcall = 0x0a;
constexpr uint8_t kOpFastret = 0x0c;

constexpr int kCpuidBit = 0;  // leaf 4856_0000h EAX[0]

// The hypervisor's handler, written in VMX root operation / host mode
// (WRMSR in guest mode is #GP(0)):
constexpr uint32_t kMsrCtl = 0x48560010;  // [0] enable, [47:32] handler CS (SS = CS + 8)
constexpr uint32_t kMsrRip = 0x48560011;  // handler RIP (canonical)
constexpr uint32_t kMsrRsp = 0x48560012;  // handler RSP
constexpr uint32_t kMsrCr3 = 0x48560013;  // handler CR3
constexpr uint64_t kCtlEnable = 1;

// FASTCALL in guest mode when the handler is not enabled (or the guest is
// not in 64-bit mode) is intercepted: a VM exit with this basic reason
// (VMX) / this exit code (SVM). Both are numbers the manuals leave unused.
constexpr uint32_t kVmxExitReason = 96;
constexpr uint32_t kSvmExitCode = 0x4f0;

}  // namespace hvsim::ext::fastcall
