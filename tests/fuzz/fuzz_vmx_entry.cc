// Fuzz target (c): VM entry (SDM Vol. 3C ch. 27, "VM Entries") on random
// VMCS contents, driven through the instructions so that it does not depend
// on the VMX module's internals: the host code does WRMSR
// IA32_FEATURE_CONTROL, sets CR4.VMXE, writes the revision identifier from
// IA32_VMX_BASIC into both regions, VMXON, VMCLEAR, VMPTRLD, VMLAUNCH, HLT.
// Input: the first 4 KiB are the VMCS region (its first dword is replaced
// by the revision, VMCLEAR sets its launch state); the rest is guest code
// at kGuestCode. Whatever VMLAUNCH does (VMfail, a failed entry, a guest
// that runs and exits to the fuzzed host state), run_checked must hold.
#include <algorithm>
#include <cstring>

#include "sim/vmx/vmx.h"
#include "tests/fuzz/fuzz_machine.h"
#include "tests/vmx/vmx_machine.h"

namespace {

using namespace hvsim::core;
using namespace hvsim::core::testing;
using hvsim::vmx::test::kGuestCode;
using hvsim::vmx::test::kVmcs;
using hvsim::vmx::test::kVmxon;

constexpr size_t kRegion = 4096;
constexpr uint64_t kPointers = kCode + 0x800;  // [kVmxon, kVmcs] as m64 operands

void put32(std::vector<uint8_t>& c, uint32_t v) {
  for (int i = 0; i < 4; ++i) c.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The host: 64-bit mode at CPL 0 (machine.h's enter_long64).
std::vector<uint8_t> host_code() {
  std::vector<uint8_t> c;
  auto op = [&](std::initializer_list<uint8_t> b) {
    for (uint8_t x : b) c.push_back(x);  // not insert(): GCC 12 -Wstringop-overflow false positive
  };
  op({0xb9}), put32(c, 0x3a);                                   // mov ecx, IA32_FEATURE_CONTROL
  op({0xb8}), put32(c, 5);                                      // mov eax, lock | VMXON outside SMX
  op({0x31, 0xd2, 0x0f, 0x30});                                 // xor edx, edx; wrmsr
  op({0x0f, 0x20, 0xe0});                                       // mov rax, cr4
  op({0x48, 0x0d}), put32(c, 1u << 13);                         // or rax, CR4.VMXE
  op({0x0f, 0x22, 0xe0});                                       // mov cr4, rax
  op({0xb9}), put32(c, 0x480);                                  // mov ecx, IA32_VMX_BASIC
  op({0x0f, 0x32});                                             // rdmsr: eax = revision identifier
  op({0x89, 0x04, 0x25}), put32(c, kVmxon);                     // mov [kVmxon], eax
  op({0x89, 0x04, 0x25}), put32(c, kVmcs);                      // mov [kVmcs], eax
  op({0xf3, 0x0f, 0xc7, 0x34, 0x25}), put32(c, kPointers);      // vmxon [ptr]
  op({0x66, 0x0f, 0xc7, 0x34, 0x25}), put32(c, kPointers + 8);  // vmclear [ptr]
  op({0x0f, 0xc7, 0x34, 0x25}), put32(c, kPointers + 8);        // vmptrld [ptr]
  op({0x0f, 0x01, 0xc2});                                       // vmlaunch
  op({0xf4});                                                   // hlt
  return c;
}

void write_seeds(const std::string& dir) {
  // A VMCS that enters: tests/vmx/vmx_machine.h's (host and guest copies of
  // the 64-bit test machine), as the VMX module lays it out today.
  hvsim::vmx::test::VmxMachine vm;
  std::vector<uint8_t> region(vm.bus.ram.begin() + kVmcs, vm.bus.ram.begin() + kVmcs + kRegion);
  hvsim::fuzz::write_seed(dir, "valid-vmcs", region);
  // The same with a guest that runs CPUID (an unconditional exit) and HLT.
  std::vector<uint8_t> with_guest = region;
  with_guest.insert(with_guest.end(), {0x90, 0x0f, 0xa2, 0xf4});
  hvsim::fuzz::write_seed(dir, "valid-vmcs-cpuid-guest", with_guest);
  hvsim::fuzz::write_seed(dir, "zero-vmcs", std::vector<uint8_t>(kRegion, 0));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hvsim::fuzz::maybe_write_seeds(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Machine m;
  static const bool vmx_params = [] {
    m.e.reset();  // built on the Config without VMX parameters
    hvsim::fuzz::guard_ram(m);
    hvsim::vmx::declare_params(m.reg);
    m.cfg = std::make_unique<hvsim::base::Config>(m.reg);
    hvsim::fuzz::configure_for_fuzzing(*m.cfg);
    return true;
  }();
  (void)vmx_params;
  hvsim::fuzz::reset_machine(m);
  if (!hvsim::vmx::attach(*m.e, *m.cfg)) hvsim::fuzz::fail("no VMX on the default CPU model");
  std::vector<uint8_t> region(kRegion, 0);
  std::memcpy(region.data(), data, std::min(size, kRegion));
  m.load(kVmcs, region);
  if (size > kRegion)
    m.load(kGuestCode,
           std::vector<uint8_t>(data + kRegion, data + std::min<size_t>(size, kRegion + 8192)));
  m.load(kCode, host_code());
  m.poke<uint64_t>(kPointers, kVmxon);
  m.poke<uint64_t>(kPointers + 8, kVmcs);
  m.load(hvsim::vmx::test::kHostRip, {0xf4});  // the seed's host RIP: hlt
  m.enter_long64();
  hvsim::fuzz::run_checked(m, 2000, 2);
  hvsim::fuzz::finish_machine(m);
  return 0;
}
