// A core saved in the middle of a VMX guest (non-root) and of an SVM guest
// (GIF, the VMCB cache, guest mode) and loaded into a freshly built core
// over a copy of its RAM: both cores then run on to the guest's exit and
// the host's HLT and end in exactly the same state (registers, cycles,
// instructions, RAM with the VMCS/VMCB, the exit the host saw).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include "sim/checkpoint/access_impl.h"
#include "tests/svm/svm_machine.h"
#include "tests/vmx/vmx_machine.h"

namespace hvsim::checkpoint {
namespace {

std::string save(core::Engine& e) {
  std::ostringstream os;
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    Access::core(ar, e, true);
  }
  return os.str();
}

void load(core::Engine& e, const std::string& bytes) {
  std::istringstream is(bytes);
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  Access::core(ar, e, true);
}

// A guest loop (mov ecx,400; add rax,rcx; imul rbx,rax,3; xor rdx,rbx;
// dec ecx; jnz; then `last`, the instruction that exits to the host.
std::vector<uint8_t> guest_loop(std::vector<uint8_t> last) {
  std::vector<uint8_t> c = {0xb9, 0x90, 0x01, 0x00, 0x00,  // mov ecx, 400
                            0x48, 0x01, 0xc8,              // add rax, rcx
                            0x48, 0x6b, 0xd8, 0x03,        // imul rbx, rax, 3
                            0x48, 0x31, 0xda,              // xor rdx, rbx
                            0xff, 0xc9,                    // dec ecx
                            0x75, 0xf2};                   // jnz add
  for (uint8_t x : last) c.push_back(x);
  return c;
}

// The register state byte for byte, but for the padding inside Segment and
// TableReg and at ArchState's end: a segment built from a VMCB temporary
// leaves whatever its padding held (an ASan build showed it differ).
std::vector<unsigned char> state_bytes(const core::ArchState& s) {
  std::vector<unsigned char> v(sizeof s);
  std::memcpy(v.data(), &s, sizeof s);
  auto clear = [&](size_t from, size_t to) { std::memset(v.data() + from, 0, to - from); };
  auto clear_seg = [&](size_t at) {
    clear(at + sizeof(uint16_t), at + offsetof(core::Segment, base));
    clear(at + offsetof(core::Segment, attr) + sizeof(uint32_t), at + sizeof(core::Segment));
  };
  auto clear_table = [&](size_t at) {
    clear(at + offsetof(core::TableReg, limit) + sizeof(uint16_t), at + sizeof(core::TableReg));
  };
  for (unsigned i = 0; i < core::kNumSegs; ++i)
    clear_seg(offsetof(core::ArchState, seg) + i * sizeof(core::Segment));
  clear_seg(offsetof(core::ArchState, ldtr));
  clear_seg(offsetof(core::ArchState, tr));
  clear_table(offsetof(core::ArchState, gdtr));
  clear_table(offsetof(core::ArchState, idtr));
  clear(offsetof(core::ArchState, mode) + sizeof(core::Mode), sizeof s);
  return v;
}

template <class M>
void expect_same_end(M& a, M& b) {
  a.run(100000);
  b.run(100000);
  EXPECT_TRUE(state_bytes(a.e->s) == state_bytes(b.e->s)) << "registers differ";
  EXPECT_EQ(a.e->s.rip, b.e->s.rip);
  EXPECT_EQ(a.e->s.gpr[core::RBX], b.e->s.gpr[core::RBX]);
  EXPECT_EQ(a.e->cycles(), b.e->cycles());
  EXPECT_EQ(a.e->instructions(), b.e->instructions());
  EXPECT_TRUE(a.bus.ram == b.bus.ram) << "RAM (VMCS/VMCB, guest data) differs";
}

TEST(GuestModeRoundTrip, VmxNonRootMidGuest) {
  vmx::test::VmxMachine a, b;
  a.load(vmx::test::kGuestCode, guest_loop({0x0f, 0xa2}));  // cpuid: exits
  ASSERT_TRUE(a.launch());
  a.run(700);  // inside the loop
  ASSERT_TRUE(a.v->non_root());
  const std::string saved = save(*a.e);
  ASSERT_FALSE(b.v->non_root());
  b.bus.ram = a.bus.ram;  // the VMCS lives in guest memory
  load(*b.e, saved);
  EXPECT_TRUE(b.v->non_root());
  EXPECT_EQ(b.e->s.rip, a.e->s.rip);
  EXPECT_TRUE(state_bytes(a.e->s) == state_bytes(b.e->s));
  EXPECT_EQ(b.e->cycles(), a.e->cycles());
  expect_same_end(a, b);
  EXPECT_FALSE(b.v->non_root());  // the CPUID exit reached the host
  EXPECT_EQ(a.exit_reason(), b.exit_reason());
  EXPECT_EQ(b.exit_reason(), uint32_t(vmx::kExitCpuid));
}

TEST(GuestModeRoundTrip, SvmGuestModeMidGuest) {
  svm::test::SvmMachine a, b;
  a.put<uint32_t>(0x10, svm::misc2::kVmrun | svm::misc2::kVmmcall);
  a.run_guest(guest_loop({0x0f, 0x01, 0xd9}), 700);  // vmrun, then the loop; vmmcall exits
  ASSERT_TRUE(a.v->in_guest());
  const std::string saved = save(*a.e);
  b.bus.ram = a.bus.ram;  // the VMCB and the host-save area
  load(*b.e, saved);
  EXPECT_TRUE(b.v->in_guest());
  EXPECT_TRUE(state_bytes(a.e->s) == state_bytes(b.e->s));
  EXPECT_EQ(b.e->cycles(), a.e->cycles());
  expect_same_end(a, b);
  EXPECT_FALSE(b.v->in_guest());
  EXPECT_EQ(a.exitcode(), b.exitcode());
  EXPECT_EQ(b.exitcode(), uint64_t(svm::kExitVmmcall));
}

}  // namespace
}  // namespace hvsim::checkpoint

// libsystemc references sc_main; these tests elaborate no SystemC model.
int sc_main(int, char*[]) { return 0; }
