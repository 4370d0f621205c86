// Fuzz target (d): VMRUN (AMD APM Vol. 2 15.5, with the consistency checks
// of 15.5.1) on random VMCBs, driven through the instructions: the host
// code sets EFER.SVME and VM_HSAVE_PA with WRMSR, then VMRUN with RAX =
// the VMCB, then HLT. Input: the first 4 KiB are the VMCB; the rest is guest
// code at kGuestCode. Whatever VMRUN does (#GP, VMEXIT_INVALID, a guest that
// runs and exits back), run_checked must hold.
#include <algorithm>
#include <cstring>

#include "sim/svm/svm.h"
#include "sim/svm/vmcb.h"
#include "tests/fuzz/fuzz_machine.h"

namespace {

using namespace hvsim::core;
using namespace hvsim::core::testing;
namespace svm = hvsim::svm;

constexpr uint64_t kVmcbPa = 0x200000, kHsave = 0x201000, kIopm = 0x210000, kMsrpm = 0x220000;
constexpr uint64_t kGuestCode = 0x130000;
constexpr size_t kVmcbSize = 4096;

void put32(std::vector<uint8_t>& c, uint32_t v) {
  for (int i = 0; i < 4; ++i) c.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::vector<uint8_t> host_code() {
  std::vector<uint8_t> c;
  auto op = [&](std::initializer_list<uint8_t> b) {
    for (uint8_t x : b) c.push_back(x);  // not insert(): GCC 12 -Wstringop-overflow false positive
  };
  op({0xb9}), put32(c, 0xc0000080);  // mov ecx, EFER
  op({0x0f, 0x32});                  // rdmsr
  op({0x0d}), put32(c, 1u << 12);    // or eax, EFER.SVME
  op({0x0f, 0x30});                  // wrmsr
  op({0xb9}), put32(c, 0xc0010117);  // mov ecx, VM_HSAVE_PA
  op({0xb8}), put32(c, kHsave);      // mov eax, kHsave
  op({0x31, 0xd2, 0x0f, 0x30});      // xor edx, edx; wrmsr
  op({0xb8}), put32(c, kVmcbPa);     // mov eax, kVmcbPa (RAX: the VMCB)
  op({0x0f, 0x01, 0xd8});            // vmrun
  op({0xf4});                        // hlt
  return c;
}

struct SvmFuzzMachine : Machine {
  SvmFuzzMachine() {
    e.reset();  // built on the Config without SVM parameters
    hvsim::fuzz::guard_ram(*this);
    svm::declare_params(reg);
    cfg = std::make_unique<hvsim::base::Config>(reg);
    cfg->set_override("cpu.vendor=AuthenticAMD");
    hvsim::fuzz::configure_for_fuzzing(*cfg);
    reset();
  }
  // A new Engine with SVM on zeroed RAM, in 64-bit mode.
  void reset() {
    hvsim::fuzz::reset_machine(*this);
    if (!svm::attach(*e, *cfg)) hvsim::fuzz::fail("no SVM on the AMD CPU model");
    enter_long64();
  }
};

// Guest = a copy of the 64-bit host, ASID 1, VMRUN intercepted (as tests/svm).
std::vector<uint8_t> valid_vmcb() {
  SvmFuzzMachine m;
  svm::Vmcb b{};
  const ArchState& s = m.e->s;
  auto sg = [](const Segment& g) {
    return svm::VmcbSeg{g.selector, svm::attr_to_vmcb(g.attr), g.limit, g.base};
  };
  b.save.es = sg(s.seg[ES]);
  b.save.cs = sg(s.seg[CS]);
  b.save.ss = sg(s.seg[SS]);
  b.save.ds = sg(s.seg[DS]);
  b.save.gdtr = svm::VmcbSeg{0, 0, s.gdtr.limit, s.gdtr.base};
  b.save.idtr = svm::VmcbSeg{0, 0, s.idtr.limit, s.idtr.base};
  b.save.efer = s.efer | EFER_SVME;
  b.save.cr0 = s.cr0;
  b.save.cr3 = s.cr3;
  b.save.cr4 = s.cr4;
  b.save.dr6 = 0xffff0ff0;
  b.save.dr7 = 0x400;
  b.save.rflags = 2;
  b.save.rip = kGuestCode;
  b.save.rsp = 0x70000;
  b.control.intercept_misc2 = svm::misc2::kVmrun;
  b.control.guest_asid = 1;
  b.control.iopm_base_pa = kIopm;
  b.control.msrpm_base_pa = kMsrpm;
  std::vector<uint8_t> bytes(kVmcbSize, 0);
  std::memcpy(bytes.data(), &b, std::min(sizeof b, kVmcbSize));
  return bytes;
}

void write_seeds(const std::string& dir) {
  const std::vector<uint8_t> vmcb = valid_vmcb();
  hvsim::fuzz::write_seed(dir, "valid-vmcb", vmcb);
  std::vector<uint8_t> with_guest = vmcb;
  with_guest.insert(with_guest.end(), {0x90, 0x0f, 0x01, 0xd9, 0xf4});  // nop; vmmcall; hlt
  hvsim::fuzz::write_seed(dir, "valid-vmcb-vmmcall-guest", with_guest);
  hvsim::fuzz::write_seed(dir, "zero-vmcb", std::vector<uint8_t>(kVmcbSize, 0));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hvsim::fuzz::maybe_write_seeds(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static SvmFuzzMachine m;
  m.reset();
  std::vector<uint8_t> vmcb(kVmcbSize, 0);
  std::memcpy(vmcb.data(), data, std::min(size, kVmcbSize));
  m.load(kVmcbPa, vmcb);
  if (size > kVmcbSize)
    m.load(kGuestCode,
           std::vector<uint8_t>(data + kVmcbSize, data + std::min<size_t>(size, kVmcbSize + 8192)));
  m.load(kCode, host_code());
  hvsim::fuzz::run_checked(m, 2000, 2);
  hvsim::fuzz::finish_machine(m);
  return 0;
}
