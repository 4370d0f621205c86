// One test per VM-exit cause the VMX unit implements: the guest runs real
// code and each test asserts the exact basic exit reason, exit qualification,
// interruption / instruction information, instruction length and guest RIP.
//
// References (SDM Vol. 3): 25.1-25.5 when each instruction or event exits;
// 28.2.1 exit qualification (Table 28-1 debug, 28-3 control registers, 28-4
// MOV DR, 28-5 I/O, 28-7 EPT violations); 28.2.2 VM-exit interruption
// information (Table 28-8 / 24-17 layout: vector 7:0, type 10:8, error code
// valid 11, valid 31); 28.2.5 VM-exit instruction information (Table 28-11
// VMCLEAR/VMPTRLD/VMPTRST/VMXON, Table 28-13 INVEPT/INVPCID/INVVPID, Table
// 28-15 VMREAD/VMWRITE); 26.6 event injection.
#include <gtest/gtest.h>

#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace test;

// Interruption types (24.8.3) in the interruption-information layout.
constexpr uint32_t info(uint8_t vector, uint32_t type, bool err) {
  return 0x80000000u | vector | (type << 8) | (err ? 0x800u : 0u);
}

// Instruction-information bits the SDM defines for a memory operand
// (Tables 28-11/28-13): scaling 1:0, address size 9:7, mem/reg 10, segment
// 17:15, index 21:18 + invalid 22, base 26:23 + invalid 27. Reg2 31:28 is
// added by the tables that define it.
constexpr uint32_t kMemInfoMask = 0x0fff8783u;
constexpr uint32_t kInfoReg2 = 0xf0000000u;
constexpr uint32_t kAddr64 = 2u << 7, kSegDs = 3u << 15, kSegSs = 2u << 15;
constexpr uint32_t kNoIndex = 1u << 22;
constexpr uint32_t base(unsigned r) { return r << 23; }
constexpr uint32_t index(unsigned r) { return r << 18; }
constexpr uint32_t reg2(unsigned r) { return r << 28; }

void set_proc(VmxMachine& m, uint32_t primary, uint32_t secondary = 0) {
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary | primary);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, secondary);
}

// Asserts an instruction exit: reason, qualification, length, guest RIP.
void expect_insn_exit(VmxMachine& m, uint32_t reason, uint64_t qual, uint32_t len,
                      uint64_t rip) {
  EXPECT_FALSE(m.v->non_root());
  EXPECT_EQ(m.exit_reason(), reason);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), qual);
  EXPECT_EQ(m.get(F::VM_EXIT_INSTRUCTION_LEN), len);
  EXPECT_EQ(m.get(F::GUEST_RIP), rip);
}

// The guest is still running (or halted in its own #PF stub): no exit.
void expect_no_exit(VmxMachine& m) { EXPECT_TRUE(m.v->non_root()) << "exit " << m.exit_reason(); }

// A minimal interrupt controller: one pending vector and/or an NMI.
struct FakeIntc : InterruptSource {
  int vector = -1;
  bool nmi = false;
  int acked = 0;
  int pending_vector() const override { return vector; }
  int acknowledge() override {
    ++acked;
    const int v = vector;
    vector = -1;
    return v;
  }
  bool nmi_pending() const override { return nmi; }
  void take_nmi() override { nmi = false; }
};

// ---- exceptions (25.2; 28.2.2) -------------------------------------------------

constexpr uint64_t kUnmapped = 0x900000;  // beyond the 8 MiB the guest maps

// #PF with error-code mask/match: bit 14 set exits iff (error & mask) == match.
TEST(ExitException, PageFaultMaskMatchBitSet) {
  for (bool write : {false, true}) {
    VmxMachine m;
    m.set(F::EXCEPTION_BITMAP, 1u << kPF);
    m.set(F::PAGE_FAULT_ERROR_CODE_MASK, 2);  // W/R
    m.set(F::PAGE_FAULT_ERROR_CODE_MATCH, 2);
    m.s().cr2 = 0x1234;
    if (write)
      m.run_guest({0xc6, 0x04, 0x25, 0x00, 0x00, 0x90, 0x00, 0x01});  // mov byte [0x900000], 1
    else
      m.run_guest({0x8a, 0x04, 0x25, 0x00, 0x00, 0x90, 0x00});  // mov al, [0x900000]
    if (!write) {
      expect_no_exit(m);
      EXPECT_EQ(m.s().gpr[R14], kPF) << "the guest's own #PF handler ran";
      continue;
    }
    EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
    EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kPF, 3, true));
    EXPECT_EQ(m.get(F::VM_EXIT_INTR_ERROR_CODE), 2u);
    EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), kUnmapped);  // 28.2.1: the faulting address
    EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
    EXPECT_EQ(m.s().cr2, 0x1234u) << "a #PF that exits does not load CR2 (28.1)";
  }
}

// Bit 14 clear: exits iff (error & mask) != match.
TEST(ExitException, PageFaultMaskMatchBitClear) {
  for (bool write : {false, true}) {
    VmxMachine m;
    m.set(F::EXCEPTION_BITMAP, 0);
    m.set(F::PAGE_FAULT_ERROR_CODE_MASK, 2);
    m.set(F::PAGE_FAULT_ERROR_CODE_MATCH, 2);
    if (write)
      m.run_guest({0xc6, 0x04, 0x25, 0x00, 0x00, 0x90, 0x00, 0x01});
    else
      m.run_guest({0x8a, 0x04, 0x25, 0x00, 0x00, 0x90, 0x00});
    if (write) {
      expect_no_exit(m);
      EXPECT_EQ(m.s().gpr[R14], kPF);
      continue;
    }
    EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
    EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kPF, 3, true));
    EXPECT_EQ(m.get(F::VM_EXIT_INTR_ERROR_CODE), 0u);
    EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), kUnmapped);
    EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
  }
}

// #BP from INT3 is a software exception (type 6): RIP of INT3, length 1.
TEST(ExitException, Int3IsSoftwareException) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kBP);
  m.run_guest({0x90, 0xcc});  // nop; int3
  expect_insn_exit(m, kExitExceptionNmi, 0, 1, kGuestCode + 1);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kBP, 6, false));
}

// #OF from INTO (compatibility mode; INTO is #UD in 64-bit mode).
TEST(ExitException, IntoIsSoftwareException) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kOF);
  m.set(F::GUEST_CS_SELECTOR, kSelCode32);
  m.set(F::GUEST_CS_AR_BYTES, kCode32 | 1);
  m.set(F::GUEST_RFLAGS, 2 | OF);
  m.run_guest({0xce});  // into
  expect_insn_exit(m, kExitExceptionNmi, 0, 1, kGuestCode);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kOF, 6, false));
}

// ---- NMIs and external interrupts (25.2; 28.2.2) -------------------------------

TEST(ExitEvent, NmiExiting) {
  VmxMachine m;
  FakeIntc intc;
  intc.nmi = true;
  m.e->attach_interrupt_controller(&intc, nullptr);
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kNmiExiting);
  m.run_guest({0x90, 0x90, 0xf4});
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(2, 2, false));
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode) << "taken before the first guest instruction";
  EXPECT_FALSE(intc.nmi);
}

// External-interrupt exiting with vector 0x41 pending at the controller.
struct ExtIntMachine {
  ExtIntMachine() {
    intc.vector = 0x41;
    m.e->attach_interrupt_controller(&intc, nullptr);
    m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kExtIntExiting);
  }
  VmxMachine m;
  FakeIntc intc;
};

TEST(ExitEvent, ExternalInterruptAcknowledgeOnExit) {
  ExtIntMachine x;
  VmxMachine& m = x.m;
  FakeIntc& intc = x.intc;
  m.set(F::VM_EXIT_CONTROLS, exitc::kTrueDefault1 | exitc::kHostAddrSpace | exitc::kAckIntr);
  m.run_guest({0x90, 0x90, 0xf4});  // RFLAGS.IF = 0: exits regardless (25.2)
  EXPECT_EQ(m.exit_reason(), kExitExternalInterrupt);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(0x41, 0, false));
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
  EXPECT_EQ(intc.acked, 1);
}

TEST(ExitEvent, ExternalInterruptWithoutAcknowledge) {
  ExtIntMachine x;
  VmxMachine& m = x.m;
  FakeIntc& intc = x.intc;
  m.run_guest({0x90, 0x90, 0xf4});
  EXPECT_EQ(m.exit_reason(), kExitExternalInterrupt);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), 0u) << "28.2.2: invalid without acknowledge";
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
  EXPECT_EQ(intc.acked, 0);
  EXPECT_EQ(intc.vector, 0x41) << "still pending at the controller";
}

// Blocked by MOV SS at entry with RFLAGS.IF = 0: the interrupt stays
// pending through the first boundary and exits at the second, IF or not
// (25.2). The run loop looks at it there without polling the hook at every
// boundary (GuestContext::intr_exits).
TEST(ExitEvent, ExternalInterruptBlockedByMovSsExitsAtTheNextBoundary) {
  ExtIntMachine x;
  VmxMachine& m = x.m;
  m.set(F::GUEST_INTERRUPTIBILITY_INFO, interruptibility::kMovSs);
  m.run_guest({0x90, 0x90, 0xf4});
  EXPECT_EQ(m.exit_reason(), kExitExternalInterrupt);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1) << "after the one blocked instruction";
}

TEST(ExitEvent, TripleFault) {
  VmxMachine m;
  m.set(F::GUEST_IDTR_LIMIT, 0);  // #UD -> #GP -> #DF -> shutdown
  m.run_guest({0x90, 0x0f, 0x0b});
  EXPECT_EQ(m.exit_reason(), kExitTripleFault);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
}

// 25.2: the interrupt window opens after the instruction following STI.
TEST(ExitEvent, InterruptWindowAfterSti) {
  VmxMachine m;
  set_proc(m, proc::kIntrWindow);
  m.run_guest({0x90, 0xfb, 0x90, 0x90, 0xf4});  // nop; sti; nop; nop; hlt
  EXPECT_EQ(m.exit_reason(), kExitInterruptWindow);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 3);
  EXPECT_EQ(m.get(F::GUEST_INTERRUPTIBILITY_INFO), 0u);
}

// 25.2: with virtual NMIs, IRET ends virtual-NMI blocking; the NMI window
// exit comes before the instruction IRET returns to.
TEST(ExitEvent, NmiWindowAfterIret) {
  VmxMachine m;
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kNmiExiting | pin::kVirtualNmis);
  set_proc(m, proc::kNmiWindow);
  m.set(F::GUEST_INTERRUPTIBILITY_INFO, interruptibility::kNmi);
  const uint64_t rsp = 0x70000 - 40;
  m.set(F::GUEST_RSP, rsp);
  m.poke<uint64_t>(rsp, kGuestCode + 0x10);
  m.poke<uint64_t>(rsp + 8, kSelCode64);
  m.poke<uint64_t>(rsp + 16, 2);
  m.poke<uint64_t>(rsp + 24, 0x70000);
  m.poke<uint64_t>(rsp + 32, kSelData0);
  m.load(kGuestCode + 0x10, {0x90, 0xf4});
  m.run_guest({0x90, 0x48, 0xcf});  // nop; iretq
  EXPECT_EQ(m.exit_reason(), kExitNmiWindow);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 0x10);
  EXPECT_EQ(m.get(F::GUEST_INTERRUPTIBILITY_INFO), 0u);
}

// ---- unconditional and simple instruction exits (25.1.2, 25.1.3) ---------------

TEST(ExitInsn, Cpuid) {
  VmxMachine m;
  m.run_guest({0x90, 0x0f, 0xa2});
  expect_insn_exit(m, kExitCpuid, 0, 2, kGuestCode + 1);
}

TEST(ExitInsn, Hlt) {
  VmxMachine m;
  set_proc(m, proc::kHlt);
  m.run_guest({0x90, 0xf4});
  expect_insn_exit(m, kExitHlt, 0, 1, kGuestCode + 1);
  EXPECT_EQ(m.get(F::GUEST_ACTIVITY_STATE), kActive);
}

TEST(ExitInsn, Invd) {
  VmxMachine m;
  m.run_guest({0x0f, 0x08});
  expect_insn_exit(m, kExitInvd, 0, 2, kGuestCode);
}

TEST(ExitInsn, WbinvdExiting) {
  VmxMachine m;
  set_proc(m, 0, proc2::kWbinvd);
  m.run_guest({0x0f, 0x09});
  expect_insn_exit(m, kExitWbinvd, 0, 2, kGuestCode);
}

TEST(ExitInsn, WbinvdWithoutExitingRuns) {
  VmxMachine m;
  m.run_guest({0x0f, 0x09, 0x0f, 0xa2});
  expect_insn_exit(m, kExitCpuid, 0, 2, kGuestCode + 2);
}

// 28.2.1: INVLPG's qualification is the linear-address operand.
TEST(ExitInsn, InvlpgQualificationIsLinearAddress) {
  VmxMachine m;
  set_proc(m, proc::kInvlpg);
  m.s().gpr[RAX] = 0x123000;
  m.run_guest({0x0f, 0x01, 0x78, 0x45});  // invlpg [rax+0x45]
  expect_insn_exit(m, kExitInvlpg, 0x123045, 4, kGuestCode);
}

TEST(ExitInsn, Rdpmc) {
  VmxMachine m;
  set_proc(m, proc::kRdpmc);
  m.s().gpr[RCX] = 0;
  m.run_guest({0x0f, 0x33});
  expect_insn_exit(m, kExitRdpmc, 0, 2, kGuestCode);
}

TEST(ExitInsn, Rdtsc) {
  VmxMachine m;
  set_proc(m, proc::kRdtsc);
  m.run_guest({0x0f, 0x31});
  expect_insn_exit(m, kExitRdtsc, 0, 2, kGuestCode);
}

TEST(ExitInsn, Rdtscp) {
  VmxMachine m;
  set_proc(m, proc::kRdtsc, proc2::kRdtscp);
  m.run_guest({0x90, 0x0f, 0x01, 0xf9});
  expect_insn_exit(m, kExitRdtscp, 0, 3, kGuestCode + 1);
}

// 25.3: RDTSCP with "enable RDTSCP" = 0 is #UD (seen through the bitmap).
TEST(ExitInsn, RdtscpDisabledIsUd) {
  VmxMachine m;
  set_proc(m, proc::kRdtsc, 0);
  m.set(F::EXCEPTION_BITMAP, 1u << kUD);
  m.run_guest({0x0f, 0x01, 0xf9});
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kUD, 3, false));
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

TEST(ExitInsn, Vmcall) {
  VmxMachine m;
  m.run_guest({0x90, 0x0f, 0x01, 0xc1});
  expect_insn_exit(m, kExitVmcall, 0, 3, kGuestCode + 1);
}

TEST(ExitInsn, Pause) {
  VmxMachine m;
  set_proc(m, proc::kPause);
  m.run_guest({0xf3, 0x90});
  expect_insn_exit(m, kExitPause, 0, 2, kGuestCode);
}

// ---- VMX instructions in non-root operation (25.1.2; Tables 28-11/13/15) ------

struct VmxInsnCase {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t reason;
  uint64_t qual;   // the displacement, sign-extended (28.2.1)
  uint32_t info;   // the defined bits of the instruction information
  uint32_t mask;   // which bits are defined
};

class VmxInsnExit : public ::testing::TestWithParam<VmxInsnCase> {};

TEST_P(VmxInsnExit, QualificationAndInstructionInformation) {
  const VmxInsnCase& c = GetParam();
  VmxMachine m;
  m.s().gpr[RAX] = 0x150000;
  m.s().gpr[RBX] = 0x150100;
  m.s().gpr[RCX] = 1;
  m.run_guest(c.code);
  expect_insn_exit(m, c.reason, c.qual, static_cast<uint32_t>(c.code.size()), kGuestCode);
  EXPECT_EQ(m.get(F::VMX_INSTRUCTION_INFO) & c.mask, c.info)
      << std::hex << m.get(F::VMX_INSTRUCTION_INFO);
  EXPECT_TRUE(m.v->in_vmx());
}

constexpr uint32_t kRegInfoMask = 0xf0000478u;  // Table 28-15 register form: reg1, bit 10, reg2

INSTANTIATE_TEST_SUITE_P(
    NonRoot, VmxInsnExit,
    ::testing::Values(
        // vmclear [rax+rbx*4+0x10]
        VmxInsnCase{"Vmclear", {0x66, 0x0f, 0xc7, 0x74, 0x98, 0x10}, kExitVmclear, 0x10,
                    2 | kAddr64 | kSegDs | index(RBX) | base(RAX), kMemInfoMask},
        // vmptrld [rbx-0x10]: a negative displacement is sign-extended
        VmxInsnCase{"Vmptrld", {0x0f, 0xc7, 0x73, 0xf0}, kExitVmptrld, ~0ull - 0xf,
                    kAddr64 | kSegDs | kNoIndex | base(RBX), kMemInfoMask},
        // vmptrst [rcx]
        VmxInsnCase{"Vmptrst", {0x0f, 0xc7, 0x39}, kExitVmptrst, 0,
                    kAddr64 | kSegDs | kNoIndex | base(RCX), kMemInfoMask},
        // vmread rdx, rcx: reg1 = destination, reg2 = field encoding
        VmxInsnCase{"VmreadReg", {0x0f, 0x78, 0xca}, kExitVmread, 0,
                    (1u << 10) | (RDX << 3) | reg2(RCX), kRegInfoMask},
        // vmread [rsp+8], rax: SS is the default segment with an RSP base
        VmxInsnCase{"VmreadMem", {0x0f, 0x78, 0x44, 0x24, 0x08}, kExitVmread, 8,
                    kAddr64 | kSegSs | kNoIndex | base(RSP) | reg2(RAX),
                    kMemInfoMask | kInfoReg2},
        // vmwrite rbx, rdx: reg1 = source value, reg2 = field encoding
        VmxInsnCase{"VmwriteReg", {0x0f, 0x79, 0xda}, kExitVmwrite, 0,
                    (1u << 10) | (RDX << 3) | reg2(RBX), kRegInfoMask},
        // vmwrite rcx, [rax+0x7f]
        VmxInsnCase{"VmwriteMem", {0x0f, 0x79, 0x48, 0x7f}, kExitVmwrite, 0x7f,
                    kAddr64 | kSegDs | kNoIndex | base(RAX) | reg2(RCX),
                    kMemInfoMask | kInfoReg2},
        VmxInsnCase{"Vmlaunch", {0x0f, 0x01, 0xc2}, kExitVmlaunch, 0, 0, 0},
        VmxInsnCase{"Vmresume", {0x0f, 0x01, 0xc3}, kExitVmresume, 0, 0, 0},
        VmxInsnCase{"Vmxoff", {0x0f, 0x01, 0xc4}, kExitVmxoff, 0, 0, 0},
        // vmxon [rax]
        VmxInsnCase{"Vmxon", {0xf3, 0x0f, 0xc7, 0x30}, kExitVmxon, 0,
                    kAddr64 | kSegDs | kNoIndex | base(RAX), kMemInfoMask},
        // invept rcx, [rbx]: reg2 = the type register
        VmxInsnCase{"Invept", {0x66, 0x0f, 0x38, 0x80, 0x0b}, kExitInvept, 0,
                    kAddr64 | kSegDs | kNoIndex | base(RBX) | reg2(RCX),
                    kMemInfoMask | kInfoReg2},
        // invvpid rcx, [rbx+0x20]
        VmxInsnCase{"Invvpid", {0x66, 0x0f, 0x38, 0x81, 0x4b, 0x20}, kExitInvvpid, 0x20,
                    kAddr64 | kSegDs | kNoIndex | base(RBX) | reg2(RCX),
                    kMemInfoMask | kInfoReg2}),
    [](const ::testing::TestParamInfo<VmxInsnCase>& i) { return std::string(i.param.name); });

// INVPCID (25.1.3): exits with "INVLPG exiting" and "enable INVPCID"; the
// qualification is the displacement, the information Table 28-13.
TEST(ExitInsn, Invpcid) {
  VmxMachine m;
  set_proc(m, proc::kInvlpg, proc2::kInvpcid);
  m.s().gpr[RBX] = 0x150000;
  m.s().gpr[RCX] = 2;
  m.run_guest({0x66, 0x0f, 0x38, 0x82, 0x4b, 0x08});  // invpcid rcx, [rbx+8]
  expect_insn_exit(m, kExitInvpcid, 8, 6, kGuestCode);
  EXPECT_EQ(m.get(F::VMX_INSTRUCTION_INFO) & (kMemInfoMask | kInfoReg2),
            kAddr64 | kSegDs | kNoIndex | base(RBX) | reg2(RCX));
}

TEST(ExitInsn, InvpcidDisabledIsUd) {
  VmxMachine m;
  set_proc(m, proc::kInvlpg, 0);
  m.set(F::EXCEPTION_BITMAP, 1u << kUD);
  m.s().gpr[RBX] = 0x150000;
  m.run_guest({0x66, 0x0f, 0x38, 0x82, 0x4b, 0x08});
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kUD, 3, false));
}

// ---- control registers (25.1.3; Table 28-3) --------------------------------------

// MOV to CR0 exits only when a host-owned bit differs from its read shadow;
// guest-owned bits load without an exit.
TEST(ExitCr, MovToCr0MaskAndShadow) {
  VmxMachine m;
  const uint64_t cr0 = m.get(F::GUEST_CR0);
  m.set(F::CR0_GUEST_HOST_MASK, CR0_TS);
  m.set(F::CR0_READ_SHADOW, 0);
  m.s().gpr[RBX] = cr0 | CR0_AM;
  // mov cr0, rbx (TS = shadow, AM guest-owned); or bl, 8; mov cr0, rbx
  m.run_guest({0x0f, 0x22, 0xc3, 0x80, 0xcb, 0x08, 0x0f, 0x22, 0xc3});
  expect_insn_exit(m, kExitCrAccess, 0 | (0u << 4) | (RBX << 8), 3, kGuestCode + 6);
  EXPECT_EQ(m.get(F::GUEST_CR0), cr0 | CR0_AM);
}

TEST(ExitCr, MovToCr3TargetValuesDoNotExit) {
  VmxMachine m;
  set_proc(m, proc::kCr3Load);
  m.set(F::CR3_TARGET_COUNT, 2);
  m.set(F::CR3_TARGET_VALUE1, kPml4);
  m.s().gpr[RAX] = kPml4;
  m.s().gpr[RDX] = 0x20000;
  m.run_guest({0x0f, 0x22, 0xd8, 0x0f, 0x22, 0xda});  // mov cr3, rax; mov cr3, rdx
  expect_insn_exit(m, kExitCrAccess, 3 | (RDX << 8), 3, kGuestCode + 3);
  EXPECT_EQ(m.get(F::GUEST_CR3), kPml4);
}

TEST(ExitCr, MovFromCr3StoreExiting) {
  VmxMachine m;
  set_proc(m, proc::kCr3Store);
  m.run_guest({0x90, 0x0f, 0x20, 0xde});  // nop; mov rsi, cr3
  expect_insn_exit(m, kExitCrAccess, 3 | (1u << 4) | (RSI << 8), 3, kGuestCode + 1);
}

TEST(ExitCr, MovToCr8LoadExiting) {
  VmxMachine m;
  set_proc(m, proc::kCr8Load);
  m.run_guest({0x44, 0x0f, 0x22, 0xc1});  // mov cr8, rcx
  expect_insn_exit(m, kExitCrAccess, 8 | (RCX << 8), 4, kGuestCode);
}

TEST(ExitCr, MovFromCr8StoreExiting) {
  VmxMachine m;
  set_proc(m, proc::kCr8Store);
  m.run_guest({0x44, 0x0f, 0x20, 0xc7});  // mov rdi, cr8
  expect_insn_exit(m, kExitCrAccess, 8 | (1u << 4) | (RDI << 8), 4, kGuestCode);
}

// 29.3 (TPR virtualization): with "use TPR shadow", MOV from/to CR8 use
// VTPR[7:4] of the virtual-APIC page; a store that drops VTPR[7:4] below
// TPR threshold[3:0] is a trap-like TPR-below-threshold exit (reason 43).
TEST(ExitCr, TprShadowAndThreshold) {
  VmxMachine m;
  constexpr uint64_t kVapic = 0x210000;
  set_proc(m, proc::kTprShadow);
  m.set(F::VIRTUAL_APIC_PAGE_ADDR, kVapic);
  m.poke<uint32_t>(kVapic + 0x80, 0x50);
  m.set(F::TPR_THRESHOLD, 3);
  m.s().gpr[RCX] = 4;
  m.s().gpr[RDX] = 2;
  // mov rax, cr8; mov cr8, rcx; mov cr8, rdx; nop
  m.run_guest({0x44, 0x0f, 0x20, 0xc0, 0x44, 0x0f, 0x22, 0xc1, 0x44, 0x0f, 0x22, 0xc2, 0x90});
  EXPECT_EQ(m.exit_reason(), kExitTprBelowThreshold);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 12) << "trap-like: after the MOV";
  EXPECT_EQ(m.s().gpr[RAX], 5u);
  EXPECT_EQ(m.peek<uint32_t>(kVapic + 0x80), 0x20u);
  EXPECT_EQ(m.e->cr8(), 0u) << "the real TPR is untouched";
}

// CLTS exits when CR0.TS is host-owned and set in the shadow (qualification
// access type 2); with the shadow clear it completes without changing TS.
TEST(ExitCr, Clts) {
  VmxMachine m;
  m.set(F::CR0_GUEST_HOST_MASK, CR0_TS);
  m.set(F::CR0_READ_SHADOW, CR0_TS);
  m.run_guest({0x90, 0x0f, 0x06});
  expect_insn_exit(m, kExitCrAccess, 2u << 4, 2, kGuestCode + 1);
}

TEST(ExitCr, CltsHostOwnedClearShadowKeepsTs) {
  VmxMachine m;
  m.set(F::GUEST_CR0, m.get(F::GUEST_CR0) | CR0_TS);
  m.set(F::CR0_GUEST_HOST_MASK, CR0_TS);
  m.set(F::CR0_READ_SHADOW, 0);
  m.run_guest({0x0f, 0x06, 0x0f, 0xa2});  // clts; cpuid
  expect_insn_exit(m, kExitCpuid, 0, 2, kGuestCode + 2);
  EXPECT_TRUE(m.get(F::GUEST_CR0) & CR0_TS);
}

// LMSW (access type 3): the source data in bits 31:16; bit 6 = memory operand,
// then the guest-linear address field holds its address (28.2.1).
TEST(ExitCr, LmswRegister) {
  VmxMachine m;
  m.set(F::CR0_GUEST_HOST_MASK, 0xf);
  m.set(F::CR0_READ_SHADOW, m.get(F::GUEST_CR0) & 0xf);  // PE only
  m.s().gpr[RAX] = 0x3;                                   // sets MP: differs
  m.run_guest({0x0f, 0x01, 0xf0});                        // lmsw ax
  expect_insn_exit(m, kExitCrAccess, (3u << 4) | (0x3ull << 16), 3, kGuestCode);
}

TEST(ExitCr, LmswMemory) {
  VmxMachine m;
  m.set(F::CR0_GUEST_HOST_MASK, 0xf);
  m.set(F::CR0_READ_SHADOW, m.get(F::GUEST_CR0) & 0xf);
  m.poke<uint16_t>(0x150000, 0xb);
  m.s().gpr[RBX] = 0x150000;
  m.run_guest({0x0f, 0x01, 0x33});  // lmsw [rbx]
  expect_insn_exit(m, kExitCrAccess, (3u << 4) | (1u << 6) | (0xbull << 16), 3, kGuestCode);
  EXPECT_EQ(m.get(F::GUEST_LINEAR_ADDRESS), 0x150000u);
}

TEST(ExitCr, LmswPeAlreadySetInShadowDoesNotExit) {
  VmxMachine m;
  m.set(F::CR0_GUEST_HOST_MASK, 0xf);
  m.set(F::CR0_READ_SHADOW, m.get(F::GUEST_CR0) & 0xf);
  m.s().gpr[RAX] = 0x1;
  m.run_guest({0x0f, 0x01, 0xf0, 0x0f, 0xa2});  // lmsw ax (same as shadow); cpuid
  expect_insn_exit(m, kExitCpuid, 0, 2, kGuestCode + 3);
}

// ---- MOV DR (Table 28-4) --------------------------------------------------------

TEST(ExitDr, MovToDr7) {
  VmxMachine m;
  set_proc(m, proc::kMovDr);
  m.run_guest({0x0f, 0x23, 0xfe});  // mov dr7, rsi
  expect_insn_exit(m, kExitDrAccess, 7 | (RSI << 8), 3, kGuestCode);
}

TEST(ExitDr, MovFromDr6) {
  VmxMachine m;
  set_proc(m, proc::kMovDr);
  m.run_guest({0x0f, 0x21, 0xf3});  // mov rbx, dr6
  expect_insn_exit(m, kExitDrAccess, 6 | (1u << 4) | (RBX << 8), 3, kGuestCode);
}

// ---- I/O (25.1.3; Table 28-5) -------------------------------------------------------

TEST(ExitIo, UnconditionalInDx) {
  VmxMachine m;
  set_proc(m, proc::kUncondIo);
  m.s().gpr[RDX] = 0x3f8;
  m.run_guest({0xed});  // in eax, dx
  expect_insn_exit(m, kExitIo, 3 | (1u << 3) | (0x3f8ull << 16), 1, kGuestCode);
}

TEST(ExitIo, RepOutswString) {
  VmxMachine m;
  set_proc(m, proc::kUncondIo);
  m.s().gpr[RDX] = 0x1234;
  m.s().gpr[RCX] = 4;
  m.s().gpr[RSI] = 0x150000;
  m.run_guest({0xf3, 0x66, 0x6f});  // rep outsw
  expect_insn_exit(m, kExitIo, 1 | (1u << 4) | (1u << 5) | (0x1234ull << 16), 3, kGuestCode);
}

constexpr uint64_t kIoA = 0x211000, kIoB = 0x212000;

TEST(ExitIo, BitmapA) {
  VmxMachine m;
  set_proc(m, proc::kIoBitmaps);
  m.set(F::IO_BITMAP_A, kIoA);
  m.set(F::IO_BITMAP_B, kIoB);
  m.poke<uint8_t>(kIoA + 0x80 / 8, 1);            // port 0x80
  m.run_guest({0xe6, 0x81, 0xe6, 0x80});          // out 0x81, al; out 0x80, al
  expect_insn_exit(m, kExitIo, (1u << 6) | (0x80ull << 16), 2, kGuestCode + 2);
  ASSERT_EQ(m.bus.outs.size(), 1u);
  EXPECT_EQ(m.bus.outs[0].first, 0x81);
}

// A 2-byte access at 0x7fff touches 0x8000, whose bit is in bitmap B.
TEST(ExitIo, BitmapBAccessSpanningPorts) {
  VmxMachine m;
  set_proc(m, proc::kIoBitmaps);
  m.set(F::IO_BITMAP_A, kIoA);
  m.set(F::IO_BITMAP_B, kIoB);
  m.poke<uint8_t>(kIoB, 1);  // port 0x8000
  m.s().gpr[RDX] = 0x7fff;
  m.run_guest({0x66, 0xed});  // in ax, dx
  expect_insn_exit(m, kExitIo, 1 | (1u << 3) | (0x7fffull << 16), 2, kGuestCode);
}

// ---- MSRs (25.1.3; bitmap layout 24.6.9) -----------------------------------------------

constexpr uint64_t kMsrBm = 0x213000;
void msr_bitmap(VmxMachine& m, uint32_t msr, bool write) {
  const uint64_t off = (msr >= 0xc0000000 ? 1024 : 0) + (write ? 2048 : 0) + ((msr & 0x1fff) >> 3);
  m.poke<uint8_t>(kMsrBm + off, static_cast<uint8_t>(m.peek<uint8_t>(kMsrBm + off) | (1u << (msr & 7))));
}
std::vector<uint8_t> mov_ecx(uint32_t v) {
  return {0xb9, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const std::vector<uint8_t> kRdmsr{0x0f, 0x32}, kWrmsr{0x0f, 0x30};

TEST(ExitMsr, ReadHighRange) {
  VmxMachine m;
  set_proc(m, proc::kMsrBitmaps);
  m.set(F::MSR_BITMAP, kMsrBm);
  msr_bitmap(m, 0xc0000100, false);  // FS base, read
  msr_bitmap(m, 0x175, true);        // a write bit does not make reads exit
  m.run_guest(cat({mov_ecx(0x175), kRdmsr, mov_ecx(0xc0000101), kRdmsr, mov_ecx(0xc0000100),
                   kRdmsr}));
  expect_insn_exit(m, kExitRdmsr, 0, 2, kGuestCode + 19);
}

TEST(ExitMsr, WriteLowRange) {
  VmxMachine m;
  set_proc(m, proc::kMsrBitmaps);
  m.set(F::MSR_BITMAP, kMsrBm);
  msr_bitmap(m, 0x174, true);
  m.run_guest(cat({mov_ecx(0x174), kRdmsr, kWrmsr}));
  expect_insn_exit(m, kExitWrmsr, 0, 2, kGuestCode + 7);
}

TEST(ExitMsr, WriteHighRangeAndReadLow) {
  VmxMachine m;
  set_proc(m, proc::kMsrBitmaps);
  m.set(F::MSR_BITMAP, kMsrBm);
  msr_bitmap(m, 0xc0000102, true);
  m.run_guest(cat({mov_ecx(0xc0000102), kRdmsr, kWrmsr}));
  expect_insn_exit(m, kExitWrmsr, 0, 2, kGuestCode + 7);
  VmxMachine n;
  set_proc(n, proc::kMsrBitmaps);
  n.set(F::MSR_BITMAP, kMsrBm);
  msr_bitmap(n, 0x174, false);
  n.run_guest(cat({mov_ecx(0x174), kRdmsr}));
  expect_insn_exit(n, kExitRdmsr, 0, 2, kGuestCode + 5);
}

TEST(ExitMsr, OutsideBothRangesAlwaysExits) {
  VmxMachine m;
  set_proc(m, proc::kMsrBitmaps);
  m.set(F::MSR_BITMAP, kMsrBm);
  m.run_guest(cat({mov_ecx(0x40000000), kWrmsr}));
  expect_insn_exit(m, kExitWrmsr, 0, 2, kGuestCode + 5);
}

// ---- monitor trap flag and the preemption timer (25.5.2, 25.5.1) --------------------

TEST(ExitBoundary, MonitorTrapFlagAfterOneInstruction) {
  VmxMachine m;
  set_proc(m, proc::kMtf);
  m.run_guest({0x90, 0x90, 0x90});
  EXPECT_EQ(m.exit_reason(), kExitMtf);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
}

// An instruction that exits by itself reports its own reason: bit 28 of the
// exit reason is only for SMM VM exits (28.2.1).
TEST(ExitBoundary, MonitorTrapFlagDoesNotTagOtherExits) {
  VmxMachine m;
  set_proc(m, proc::kMtf);
  m.run_guest({0x0f, 0xa2});
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

TEST(ExitBoundary, PreemptionTimerZeroExitsBeforeFirstInstruction) {
  VmxMachine m;
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kPreemptionTimer);
  m.set(F::VMX_PREEMPTION_TIMER_VALUE, 0);
  m.s().gpr[RBX] = 0;
  m.run_guest({0x48, 0xff, 0xc3, 0xeb, 0xfb});  // 1: inc rbx; jmp 1b
  EXPECT_EQ(m.exit_reason(), kExitPreemptionTimer);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
  EXPECT_EQ(m.s().gpr[RBX], 0u);
}

// The timer counts down once every 2^rate cycles (IA32_VMX_MISC[4:0]): a
// value of N exits at the first boundary N << rate cycles after entry.
TEST(ExitBoundary, PreemptionTimerScaledByRate) {
  auto run_timer = [](uint32_t value, uint64_t* rbx, uint64_t* saved, unsigned* rate) {
    VmxMachine m;
    m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kPreemptionTimer);
    m.set(F::VM_EXIT_CONTROLS, exitc::kTrueDefault1 | exitc::kHostAddrSpace | exitc::kSaveTimer);
    m.set(F::VMX_PREEMPTION_TIMER_VALUE, value);
    m.s().gpr[RBX] = 0;
    m.load(kGuestCode, {0x48, 0xff, 0xc3, 0xeb, 0xfb});  // 1: inc rbx; jmp 1b
    EXPECT_TRUE(m.launch());
    const uint64_t start = m.e->cycles();
    m.run(100000);
    EXPECT_EQ(m.exit_reason(), kExitPreemptionTimer);
    const uint64_t rip = m.get(F::GUEST_RIP);
    EXPECT_TRUE(rip == kGuestCode || rip == kGuestCode + 3) << std::hex << rip;
    *rbx = m.s().gpr[RBX];
    *saved = m.get(F::VMX_PREEMPTION_TIMER_VALUE);
    *rate = m.v->caps().preemption_timer_rate;
    return m.e->cycles() - start;
  };
  // Cold caches make the first instructions expensive, so compare two
  // values: everything but the timer period is the same in both runs.
  uint64_t rbx1, rbx2, saved1, saved2;
  unsigned rate;
  const uint64_t t1 = run_timer(100, &rbx1, &saved1, &rate);
  const uint64_t t2 = run_timer(200, &rbx2, &saved2, &rate);
  const uint64_t period = uint64_t{100} << rate;
  EXPECT_GT(rbx2, rbx1);
  EXPECT_EQ(saved1, 0u) << "save VMX-preemption timer value: it expired";
  EXPECT_EQ(saved2, 0u);
  EXPECT_GE(t2 - t1 + 20, period) << "rbx " << rbx1 << "/" << rbx2;
  EXPECT_LE(t2 - t1, period + 20) << "exits at the first boundary after expiry";
}

// The timer keeps counting in the HLT activity state (SDM Vol. 3 25.5.1): a
// halted guest names its deadline, and once the clock reaches it the exit
// happens with the HLT activity state saved.
TEST(ExitBoundary, PreemptionTimerCountsWhileHalted) {
  VmxMachine m;
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kPreemptionTimer);
  m.set(F::VMX_PREEMPTION_TIMER_VALUE, 1000);
  m.load(kGuestCode, {0xf4});  // hlt
  ASSERT_TRUE(m.launch());
  const uint64_t deadline = m.e->guest_wake_deadline();
  EXPECT_NE(deadline, ~0ull);
  EXPECT_EQ(m.run(1000), core::RunExit::kHalted);
  EXPECT_TRUE(m.e->halted());
  EXPECT_EQ(m.e->guest(), m.v) << "still in the guest: the timer has not expired";
  ASSERT_GT(deadline, m.e->cycles());
  m.e->add_cycles(deadline - m.e->cycles());  // what the CPU module's wait does
  m.run(1000);
  EXPECT_EQ(m.exit_reason(), kExitPreemptionTimer);
  EXPECT_EQ(m.get(F::GUEST_ACTIVITY_STATE), kHlt);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
  EXPECT_EQ(m.e->guest_wake_deadline(), ~0ull) << "root operation has no guest deadline";
}

// ---- EPT violations (Table 28-7) and VMFUNC --------------------------------------------

constexpr uint64_t kEpt2 = 0x400000;

void identity_ept(VmxMachine& m) {
  m.poke<uint64_t>(kEpt2, (kEpt2 + 0x1000) | 7);
  m.poke<uint64_t>(kEpt2 + 0x1000, (kEpt2 + 0x2000) | 7);
  for (uint64_t d = 0; d < 4; ++d) {
    const uint64_t pt = kEpt2 + 0x3000 + d * 0x1000;
    m.poke<uint64_t>(kEpt2 + 0x2000 + 8 * d, pt | 7);
    for (uint64_t i = 0; i < 512; ++i)
      m.poke<uint64_t>(pt + 8 * i, ((d << 21) | (i << 12)) | 7 | (6u << 3));
  }
  set_proc(m, 0, proc2::kEpt);
  m.set(F::EPT_POINTER, kEpt2 | 6 | (3u << 3));
}
void ept_page(VmxMachine& m, uint64_t gpa, unsigned rights) {
  m.poke<uint64_t>(kEpt2 + 0x3000 + 8 * (gpa >> 12), gpa | rights | (rights ? 6u << 3 : 0));
}

TEST(ExitEpt, ReadOfExecuteOnlyPage) {
  VmxMachine m;
  identity_ept(m);
  ept_page(m, 0x150000, 4);
  m.run_guest({0x8a, 0x04, 0x25, 0x08, 0x00, 0x15, 0x00});  // mov al, [0x150008]
  EXPECT_EQ(m.exit_reason(), kExitEptViolation);
  // read (0), X permitted (5), linear valid (7), translated access (8)
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 1u | (4u << 3) | (1u << 7) | (1u << 8));
  EXPECT_EQ(m.get(F::GUEST_PHYSICAL_ADDRESS), 0x150008u);
  EXPECT_EQ(m.get(F::GUEST_LINEAR_ADDRESS), 0x150008u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

TEST(ExitEpt, WriteToNotPresentPage) {
  VmxMachine m;
  identity_ept(m);
  ept_page(m, 0x150000, 0);
  m.run_guest({0xc6, 0x04, 0x25, 0x10, 0x00, 0x15, 0x00, 0x01});
  EXPECT_EQ(m.exit_reason(), kExitEptViolation);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 2u | (1u << 7) | (1u << 8));
  EXPECT_EQ(m.get(F::GUEST_PHYSICAL_ADDRESS), 0x150010u);
}

TEST(ExitEpt, FetchFromNonExecutablePage) {
  VmxMachine m;
  identity_ept(m);
  ept_page(m, 0x150000, 3);
  m.load(0x150000, {0x90});
  m.run_guest({0xb8, 0x00, 0x00, 0x15, 0x00, 0xff, 0xe0});  // mov eax, 0x150000; jmp rax
  EXPECT_EQ(m.exit_reason(), kExitEptViolation);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 4u | (3u << 3) | (1u << 7) | (1u << 8));
  EXPECT_EQ(m.get(F::GUEST_PHYSICAL_ADDRESS), 0x150000u);
  EXPECT_EQ(m.get(F::GUEST_LINEAR_ADDRESS), 0x150000u);
  EXPECT_EQ(m.get(F::GUEST_RIP), 0x150000u);
}

// A guest paging-structure access: bit 8 clear, the GPA is the entry's.
TEST(ExitEpt, GuestPagingStructureAccess) {
  VmxMachine m;
  identity_ept(m);
  constexpr uint64_t kPd = 0x15000;
  m.poke<uint64_t>(kPml4 + 0x1000 + 8, kPd | 7);  // PDPT[1]: 1 GiB up
  m.poke<uint64_t>(kPd, 0x600000 | 0xe7);          // 2 MiB page, A and D set
  ept_page(m, kPd, 0);
  m.e->mmu().flush_all();
  m.run_guest({0x8a, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40});  // mov al, [0x40000000]
  EXPECT_EQ(m.exit_reason(), kExitEptViolation);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 1u | (1u << 7));
  EXPECT_EQ(m.get(F::GUEST_PHYSICAL_ADDRESS), kPd);
  EXPECT_EQ(m.get(F::GUEST_LINEAR_ADDRESS), 0x40000000u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

constexpr uint64_t kEptpList = 0x214000;
void enable_vmfunc(VmxMachine& m) {
  identity_ept(m);
  set_proc(m, 0, proc2::kEpt | proc2::kVmfunc);
  m.set(F::VM_FUNCTION_CONTROL, 1);
  m.set(F::EPTP_LIST_ADDRESS, kEptpList);
  m.poke<uint64_t>(kEptpList + 8, kEpt2 | 0 | (3u << 3));  // same tables, UC
}

// 25.5.6.3: EPTP switching loads the list entry without an exit.
TEST(ExitVmfunc, EptpSwitchingSucceeds) {
  VmxMachine m;
  enable_vmfunc(m);
  m.run_guest(cat({{0xb8, 0, 0, 0, 0}, mov_ecx(1), {0x0f, 0x01, 0xd4, 0x0f, 0xa2}}));
  expect_insn_exit(m, kExitCpuid, 0, 2, kGuestCode + 13);
  EXPECT_EQ(m.get(F::EPT_POINTER), kEpt2 | (3u << 3));
  EXPECT_EQ(m.get(F::EPTP_INDEX), 1u);
}

TEST(ExitVmfunc, InvalidIndexExits) {
  VmxMachine m;
  enable_vmfunc(m);
  m.run_guest(cat({{0xb8, 0, 0, 0, 0}, mov_ecx(512), {0x0f, 0x01, 0xd4}}));
  expect_insn_exit(m, kExitVmfunc, 0, 3, kGuestCode + 10);
  EXPECT_EQ(m.get(F::EPT_POINTER), kEpt2 | 6 | (3u << 3));
}

TEST(ExitVmfunc, InvalidListEntryExits) {
  VmxMachine m;
  enable_vmfunc(m);
  m.run_guest(cat({{0xb8, 0, 0, 0, 0}, mov_ecx(2), {0x0f, 0x01, 0xd4}}));  // entry 2 is 0
  expect_insn_exit(m, kExitVmfunc, 0, 3, kGuestCode + 10);
}

// ---- event injection of each type (26.6) ---------------------------------------------------

struct InjectCase {
  const char* name;
  uint8_t vector;
  uint32_t type;
  bool has_error;
  uint32_t len;          // VM-entry instruction length (software types)
  uint64_t return_rip;   // what the handler finds on its stack
};

class InjectTest : public ::testing::TestWithParam<InjectCase> {};

TEST_P(InjectTest, HandlerSeesVectorErrorAndReturnRip) {
  const InjectCase& c = GetParam();
  VmxMachine m;
  // The bitmap is not consulted for the injected event itself (26.6.1).
  m.set(F::EXCEPTION_BITMAP, 0xffffffff);
  m.set(F::GUEST_RFLAGS, 2 | IF);
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, info(c.vector, c.type, c.has_error));
  m.set(F::VM_ENTRY_EXCEPTION_ERROR_CODE, 0x5a8);
  m.set(F::VM_ENTRY_INSTRUCTION_LEN, c.len);
  m.load(kGuestCode, {0x0f, 0xa2});
  ASSERT_TRUE(m.launch()) << m.get(F::VM_INSTRUCTION_ERROR);
  m.run(2);  // the stub: mov r14d, vector; hlt
  EXPECT_TRUE(m.v->non_root());
  EXPECT_EQ(m.s().gpr[R14], c.vector);
  EXPECT_EQ(m.s().rip, Machine::stub(c.vector) + 7);
  const unsigned at = c.has_error ? 1 : 0;
  if (c.has_error) {
    EXPECT_EQ(m.stack64(0), 0x5a8u);
  }
  EXPECT_EQ(m.stack64(at), c.return_rip);
  EXPECT_EQ(m.stack64(at + 1), kSelCode64);
  EXPECT_EQ(m.stack64(at + 2) & IF, IF);
  EXPECT_EQ(m.s().rflags & IF, 0u) << "through an interrupt gate";
  EXPECT_EQ(m.get(F::VM_ENTRY_INTR_INFO_FIELD) & 0x80000000u, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Types, InjectTest,
    ::testing::Values(InjectCase{"External", 0x30, 0, false, 0, kGuestCode},
                      InjectCase{"Nmi", 2, 2, false, 0, kGuestCode},
                      InjectCase{"HwExceptionWithError", kGP, 3, true, 0, kGuestCode},
                      InjectCase{"HwExceptionNoError", kUD, 3, false, 0, kGuestCode},
                      InjectCase{"SoftwareInterrupt", 0x80, 4, false, 2, kGuestCode + 2},
                      InjectCase{"PrivilegedSoftwareException", kDB, 5, false, 1, kGuestCode + 1},
                      InjectCase{"SoftwareException", kBP, 6, false, 1, kGuestCode + 1}),
    [](const ::testing::TestParamInfo<InjectCase>& i) { return std::string(i.param.name); });

// ---- MONITOR / MWAIT / RDRAND / RDSEED (25.1.3; 28.2.1 MWAIT qualification;
// 28.2.5 instruction information for RDRAND/RDSEED: register 6:3, operand
// size 12:11 = 0/1/2 for 16/32/64 bits) ------------------------------------

constexpr uint8_t kMovEax5000[] = {0xb8, 0x00, 0x50, 0x00, 0x00};  // mov eax, 0x5000

std::vector<uint8_t> guest_code(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const std::vector<uint8_t> kG_MovEax(std::begin(kMovEax5000), std::end(kMovEax5000));
const std::vector<uint8_t> kG_XorEcx = {0x31, 0xc9}, kG_Monitor = {0x0f, 0x01, 0xc8},
                           kG_Mwait = {0x0f, 0x01, 0xc9};

TEST(ExitInsn, MonitorExiting) {
  VmxMachine m;
  set_proc(m, proc::kMonitor);
  m.run_guest(guest_code({kG_MovEax, kG_XorEcx, kG_Monitor}));
  expect_insn_exit(m, kExitMonitor, 0, 3, kGuestCode + 7);
  EXPECT_FALSE(m.e->monitor.armed) << "the exit happens before the monitor is armed";
}

TEST(ExitInsn, MwaitExitingMonitorArmed) {
  VmxMachine m;
  set_proc(m, proc::kMwait);
  m.run_guest(guest_code({kG_MovEax, kG_XorEcx, kG_Monitor, kG_Mwait}));
  expect_insn_exit(m, kExitMwait, 1, 3, kGuestCode + 10);
}

TEST(ExitInsn, MwaitExitingMonitorNotArmed) {
  VmxMachine m;
  set_proc(m, proc::kMwait);
  m.run_guest(guest_code({{0x90}, kG_XorEcx, kG_Mwait}));
  expect_insn_exit(m, kExitMwait, 0, 3, kGuestCode + 3);
}

// The exit has priority over MWAIT's #GP for reserved ECX bits (25.1.1).
TEST(ExitInsn, MwaitExitBeforeReservedEcxGp) {
  VmxMachine m;
  set_proc(m, proc::kMwait);
  m.run_guest(guest_code({{0xb9, 0x02, 0x00, 0x00, 0x00}, kG_Mwait}));  // mov ecx, 2; mwait
  expect_insn_exit(m, kExitMwait, 0, 3, kGuestCode + 5);
}

TEST(ExitInsn, RdrandExiting64) {
  VmxMachine m;
  set_proc(m, 0, proc2::kRdrand);
  m.run_guest({0x90, 0x48, 0x0f, 0xc7, 0xf3});  // nop; rdrand rbx
  expect_insn_exit(m, kExitRdrand, 0, 4, kGuestCode + 1);
  EXPECT_EQ(m.get(F::VMX_INSTRUCTION_INFO), (3u << 3) | (2u << 11));
}

TEST(ExitInsn, RdrandExiting16HighRegister) {
  VmxMachine m;
  set_proc(m, 0, proc2::kRdrand);
  m.run_guest({0x66, 0x41, 0x0f, 0xc7, 0xf1});  // rdrand r9w
  expect_insn_exit(m, kExitRdrand, 0, 5, kGuestCode);
  EXPECT_EQ(m.get(F::VMX_INSTRUCTION_INFO), (9u << 3) | (0u << 11));
}

TEST(ExitInsn, RdseedExiting32) {
  VmxMachine m;
  set_proc(m, 0, proc2::kRdseed);
  m.run_guest({0x0f, 0xc7, 0xfa});  // rdseed edx
  expect_insn_exit(m, kExitRdseed, 0, 3, kGuestCode);
  EXPECT_EQ(m.get(F::VMX_INSTRUCTION_INFO), (2u << 3) | (1u << 11));
}

// RDRAND exiting does not catch RDSEED, nor the other way round.
TEST(ExitInsn, RdrandAndRdseedExitingAreSeparate) {
  VmxMachine m;
  set_proc(m, proc::kHlt, proc2::kRdseed);
  m.run_guest({0x48, 0x0f, 0xc7, 0xf0, 0x0f, 0xc7, 0xf9, 0xf4});  // rdrand rax; rdseed ecx; hlt
  expect_insn_exit(m, kExitRdseed, 0, 3, kGuestCode + 4);
  EXPECT_EQ(m.get(F::VMX_INSTRUCTION_INFO), (1u << 3) | (1u << 11));
}

// With every control clear the four run in the guest; HLT exiting shows where it got.
TEST(ExitInsn, MonitorMwaitRdrandRdseedNoExitWhenControlsClear) {
  VmxMachine m;
  set_proc(m, proc::kHlt, 0);
  m.run_guest(guest_code({kG_MovEax, kG_XorEcx, kG_Monitor, kG_Mwait,
                          {0x48, 0x0f, 0xc7, 0xf0, 0x48, 0x0f, 0xc7, 0xfb, 0xf4}}));
  expect_insn_exit(m, kExitHlt, 0, 1, kGuestCode + 21);
  EXPECT_EQ(m.get(F::GUEST_RFLAGS) & (CF | ZF), CF) << "RDSEED succeeded";
  EXPECT_FALSE(m.e->monitor.armed);
}

// MONITOR/MWAIT at CPL 3 are #UD, which has priority over the exit (25.1.1).
TEST(ExitInsn, MonitorAtCpl3IsUdNotExit) {
  VmxMachine m;
  set_proc(m, proc::kMonitor | proc::kMwait);
  m.set(F::EXCEPTION_BITMAP, 1u << kUD);
  m.set(F::GUEST_CS_SELECTOR, kSelUCode64 | 3);
  m.set(F::GUEST_CS_AR_BYTES, kCode64 | dpl(3) | 1);
  m.set(F::GUEST_SS_SELECTOR, kSelUData | 3);
  m.set(F::GUEST_SS_AR_BYTES, kData32 | dpl(3) | 1);
  m.run_guest(guest_code({kG_XorEcx, kG_Mwait}));
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi) << "entry error " << m.get(F::VM_INSTRUCTION_ERROR);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), info(kUD, 3, false));
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 2);
}

// IA32_VMX_PROCBASED_CTLS2 allows RDRAND/RDSEED exiting only when the CPU
// model has the instruction (A.3.3).
TEST(ExitCaps, RdrandRdseedExitingFollowCpuid) {
  for (const char* off : {"", "cpu.rdrand=false", "cpu.rdseed=false"}) {
    base::ParamRegistry reg;
    Engine::declare_params(reg);
    declare_params(reg);
    base::Config cfg(reg);
    if (*off) cfg.set_override(off);
    RamBus bus(16 << 20);
    Engine e(bus, cfg);
    Vmx* v = attach(e, cfg);
    ASSERT_NE(v, nullptr);
    const uint64_t allowed1 = v->caps().procbased2() >> 32;
    EXPECT_EQ((allowed1 & proc2::kRdrand) != 0, e.cpuid().has_rdrand()) << off;
    EXPECT_EQ((allowed1 & proc2::kRdseed) != 0, e.cpuid().has_rdseed()) << off;
  }
}

// ---- INIT (25.2; 24.8: blocked in VMX root operation) -----------------------

struct InitIntc : FakeIntc {
  bool init = false;
  int inits_taken = 0;
  bool init_pending() const override { return init; }
  void take_init() override {
    init = false;
    ++inits_taken;
  }
};

// INIT in VMX non-root operation always exits (basic reason 3, qualification
// 0), ahead of a simultaneous NMI; the guest's state is not reset.
TEST(ExitEvent, InitSignalExitsFromNonRoot) {
  VmxMachine m;
  InitIntc intc;
  intc.init = true;
  intc.nmi = true;
  m.e->attach_interrupt_controller(&intc, nullptr);
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kNmiExiting);
  m.run_guest({0x90, 0x90, 0xf4});
  EXPECT_FALSE(m.v->non_root());
  EXPECT_EQ(m.exit_reason(), kExitInit);
  EXPECT_EQ(m.exit_reason(), 3u);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode) << "taken before the first guest instruction";
  EXPECT_EQ(intc.inits_taken, 1);
  // INIT had priority over the NMI (NMI exiting would have given reason 0);
  // the NMI then goes to the host.
  EXPECT_FALSE(m.e->waiting_for_sipi());
}

// INIT arriving in VMX root operation is blocked: it stays pending and the
// host keeps running.
TEST(ExitEvent, InitBlockedInVmxRoot) {
  VmxMachine m;
  InitIntc intc;
  m.load(kCode, {0x90, 0x90, 0xeb, 0xfe});  // host: nop; nop; jmp $
  m.e->s.rip = kCode;
  m.e->attach_interrupt_controller(&intc, nullptr);
  ASSERT_TRUE(m.v->in_vmx());
  intc.init = true;
  m.e->notify_interrupt();
  EXPECT_EQ(m.run(50), RunExit::kInsnLimit);
  EXPECT_TRUE(intc.init);
  EXPECT_EQ(intc.inits_taken, 0);
  EXPECT_FALSE(m.e->waiting_for_sipi());
  EXPECT_EQ(m.e->s.mode, Mode::kLong64);
}

// ---- task switches always exit (25.1.2); qualification Table 28-2 -------------------
// A 32-bit guest (legacy protected mode, 4 MiB pages) doing JMP/CALL to a TSS.
void legacy_guest(VmxMachine& m) {
  for (uint32_t i = 0; i < 4; ++i) m.poke<uint32_t>(0x20000 + 4 * i, (i << 22) | 0x87);
  m.poke<uint64_t>(kGdt + 0x50, seg_desc(0x5000, 0x67, 0x89));
  m.set(F::VM_ENTRY_CONTROLS, entryc::kTrueDefault1);
  m.set(F::GUEST_CR4, CR4_VMXE | CR4_PSE);
  m.set(F::GUEST_CR3, 0x20000);
  m.set(F::GUEST_IA32_EFER, 0);
  m.set(F::GUEST_CS_SELECTOR, kSelCode32);
  m.set(F::GUEST_CS_AR_BYTES, kCode32 | 1);
  m.set(F::GUEST_GDTR_LIMIT, 0x5f);
}

TEST(ExitTaskSwitch, JmpToTssExitsWithSelectorAndSource) {
  VmxMachine m;
  legacy_guest(m);
  m.run_guest({0x90, 0xea, 0, 0, 0, 0, 0x50, 0x00});  // nop; jmp far 0x50:0
  expect_insn_exit(m, kExitTaskSwitch, 0x50u | 2u << 30, 7, kGuestCode + 1);
  EXPECT_EQ(m.exit_reason(), 9u);
  EXPECT_EQ(m.get(F::GUEST_TR_SELECTOR), kSelTss);  // nothing switched
  EXPECT_EQ(m.peek<uint8_t>(kGdt + 0x50 + 5), 0x89);
}

TEST(ExitTaskSwitch, CallToTssExitsWithCallSource) {
  VmxMachine m;
  legacy_guest(m);
  m.run_guest({0x9a, 0, 0, 0, 0, 0x50, 0x00});  // call far 0x50:0
  expect_insn_exit(m, kExitTaskSwitch, 0x50u | 0u << 30, 7, kGuestCode);
}

}  // namespace
}  // namespace hvsim::vmx
