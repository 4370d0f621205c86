// AMD SVM (APM Vol. 2 ch. 15): each test names the section it checks.
#include <gtest/gtest.h>

#include "sim/core/sys/msr.h"
#include "sim/svm/svm.h"
#include "sim/virt/exit_tracker.h"
#include "svm_machine.h"

namespace hvsim::svm::test {

using namespace core;
using namespace core::testing;

// ---- 15.4 Enabling SVM; Vol. 3 E.4.9 -------------------------------------------------
TEST(SvmDiscovery, CpuidReportsSvmAndLeaf8000000A) {
  SvmMachine m;
  ASSERT_NE(m.v, nullptr);
  EXPECT_TRUE(m.e->cpuid().query(0x80000001, 0).ecx & (1u << 2));
  EXPECT_GE(m.e->cpuid().query(0x80000000, 0).eax, 0x8000000au);
  const CpuidResult l = m.e->cpuid().query(0x8000000a, 0);
  EXPECT_EQ(l.eax, 1u);
  EXPECT_GE(l.ebx, 2u);
  EXPECT_TRUE(l.edx & 1);         // NP
  EXPECT_TRUE(l.edx & (1u << 3));  // NRIPS
}

TEST(SvmDiscovery, IntelModelHasNoSvm) {
  Machine m;
  declare_params(m.reg);
  m.cfg = std::make_unique<base::Config>(m.reg);
  m.e = std::make_unique<Engine>(m.bus, *m.cfg);
  EXPECT_EQ(attach(*m.e, *m.cfg), nullptr);
  EXPECT_FALSE(m.e->cpuid().query(0x80000001, 0).ecx & (1u << 2));
}

TEST(SvmDiscovery, HsavePaMustBeAligned) {  // 15.30.4
  SvmMachine m;
  EXPECT_THROW(sys::write_msr(*m.e, msr::kHsavePa, 0x1234), Fault);
  sys::write_msr(*m.e, msr::kHsavePa, 0x5000);
  EXPECT_EQ(sys::read_msr(*m.e, msr::kHsavePa), 0x5000u);
}

TEST(SvmDiscovery, SvmdisBlocksSvme) {  // 15.4, 15.30.1
  SvmMachine m;
  m.e->s.efer &= ~EFER_SVME;
  sys::write_msr(*m.e, msr::kVmCr, msr::kVmCrSvmdis);
  EXPECT_THROW(sys::write_msr(*m.e, sys::msr::kEfer, m.e->s.efer | EFER_SVME), Fault);
}

// ---- 15.5 VMRUN / 15.6 #VMEXIT ------------------------------------------------------------
TEST(SvmVmrun, CpuidInterceptExitsWithNrip) {  // 15.9, 15.7.1
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kCpuid);
  m.run_guest({0x90, 0x0f, 0xa2});  // nop; cpuid
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitCpuid));
  EXPECT_EQ(v.save.rip, kGuestCode + 1);
  EXPECT_EQ(v.control.nrip, kGuestCode + 3);
  // Host state back: RIP after VMRUN (then HLT), RAX = VMCB, GIF = 0.
  EXPECT_EQ(m.e->s.rip, kHostRip + 4);
  EXPECT_EQ(m.e->s.gpr[RAX], kVmcbPa);
  EXPECT_EQ(m.e->s.gif, 0);
}

TEST(SvmVmrun, VmmcallAndHltExits) {
  SvmMachine m;
  m.put<uint32_t>(0x10, misc2::kVmrun | misc2::kVmmcall);
  m.run_guest({0x0f, 0x01, 0xd9});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitVmmcall));
  SvmMachine h;
  h.put<uint32_t>(0x0c, misc1::kHlt);
  h.run_guest({0xf4});
  EXPECT_EQ(h.exitcode(), static_cast<uint64_t>(kExitHlt));
}

TEST(SvmVmrun, RaxAndRspSwapped) {  // 15.5: RAX/RSP come from the VMCB
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(offsetof(Vmcb, save.rax), 0x1234);
  m.run_guest({0x48, 0x83, 0xc0, 0x01, 0xf4});  // add rax,1; hlt
  EXPECT_EQ(m.vm().save.rax, 0x1235u);
}

// 15.5.1: one test per consistency check, each ending in VMEXIT_INVALID.
struct BadVmcb {
  const char* name;
  void (*spoil)(Vmcb&);
  Check check;
};
class SvmConsistency : public ::testing::TestWithParam<BadVmcb> {};
TEST_P(SvmConsistency, FailsWithVmexitInvalid) {
  SvmMachine m;
  Vmcb b = m.vm();
  GetParam().spoil(b);
  m.poke(kVmcbPa, b);
  EXPECT_EQ(m.v->consistency(b), GetParam().check) << check_name(m.v->consistency(b));
  m.run_guest({0xf4});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitInvalid));
  EXPECT_EQ(m.e->s.rip, kHostRip + 4);
  EXPECT_FALSE(m.v->in_guest());
}
INSTANTIATE_TEST_SUITE_P(
    Checks, SvmConsistency,
    ::testing::Values(
        BadVmcb{"SvmeClear", [](Vmcb& b) { b.save.efer &= ~EFER_SVME; }, Check::kSvmeClear},
        BadVmcb{"CdNw", [](Vmcb& b) { b.save.cr0 |= CR0_NW; }, Check::kCr0CdNw},
        BadVmcb{"Cr0High", [](Vmcb& b) { b.save.cr0 |= 1ull << 40; }, Check::kCr0High},
        BadVmcb{"Cr3Mbz", [](Vmcb& b) { b.save.cr3 |= 1ull << 60; }, Check::kCr3Mbz},
        BadVmcb{"Cr4Mbz", [](Vmcb& b) { b.save.cr4 |= 1ull << 40; }, Check::kCr4Mbz},
        BadVmcb{"Dr6High", [](Vmcb& b) { b.save.dr6 |= 1ull << 32; }, Check::kDr6High},
        BadVmcb{"Dr7High", [](Vmcb& b) { b.save.dr7 |= 1ull << 32; }, Check::kDr7High},
        BadVmcb{"EferMbz", [](Vmcb& b) { b.save.efer |= 1ull << 20; }, Check::kEferMbz},
        BadVmcb{"LmePgNoPae", [](Vmcb& b) { b.save.cr4 &= ~CR4_PAE; }, Check::kLmePgNoPae},
        BadVmcb{"LmePgNoPe", [](Vmcb& b) { b.save.cr0 &= ~CR0_PE; }, Check::kLmePgNoPe},
        BadVmcb{"CsLAndD", [](Vmcb& b) { b.save.cs.attrib |= 1u << 10; }, Check::kLongCsLAndD},
        BadVmcb{"NoVmrunIntercept", [](Vmcb& b) { b.control.intercept_misc2 = 0; },
                Check::kNoVmrunIntercept},
        BadVmcb{"Iopm", [](Vmcb& b) { b.control.iopm_base_pa = (1ull << 48) - 0x1000; },
                Check::kIopmBeyondMaxPa},
        BadVmcb{"Msrpm", [](Vmcb& b) { b.control.msrpm_base_pa = (1ull << 48) - 0x1000; },
                Check::kMsrpmBeyondMaxPa},
        BadVmcb{"EventType", [](Vmcb& b) { b.control.eventinj = event::kValid | (1u << 8); },
                Check::kBadEventInj},
        BadVmcb{"EventNmiAsException",
                [](Vmcb& b) { b.control.eventinj = event::make(2, event::kException, false, 0); },
                Check::kBadEventInj},
        BadVmcb{"AsidZero", [](Vmcb& b) { b.control.guest_asid = 0; }, Check::kAsidZero}),
    [](const ::testing::TestParamInfo<BadVmcb>& i) { return std::string(i.param.name); });

// ---- intercepts with their EXITINFO fields ---------------------------------------------------
TEST(SvmIntercepts, IoioExitinfo) {  // 15.10.2
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kIoio);
  m.poke<uint8_t>(kIopm + (0x3f8 >> 3), 1u << (0x3f8 & 7));
  m.run_guest({0x66, 0xba, 0xf8, 0x03, 0xee});  // mov dx,0x3f8; out dx,al
  Vmcb v = m.vm();
  ASSERT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitIoio));
  EXPECT_EQ(v.control.exitinfo1, (0x3f8ull << 16) | ioio::kSz8 | ioio::kA64);
  EXPECT_EQ(v.control.exitinfo2, kGuestCode + 5);
  EXPECT_EQ(v.save.rip, kGuestCode + 4);
}

TEST(SvmIntercepts, IoioInWordNotInMapPasses) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kIoio | misc1::kHlt);
  m.run_guest({0xe5, 0x60, 0xf4});  // in eax,0x60; hlt
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
}

TEST(SvmIntercepts, MsrPermissionMap) {  // 15.11
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kMsr);
  // Write of 0xc0000081 (STAR) intercepted: bit 2*0x81+1 of the second range.
  const uint32_t bit = 0x81 * 2 + 1;
  m.poke<uint8_t>(kMsrpm + 0x800 + bit / 8, 1u << (bit % 8));
  m.e->s.gpr[RCX] = 0xc0000081;
  m.run_guest({0x0f, 0x32, 0x0f, 0x30});  // rdmsr (passes); wrmsr (exits)
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitMsr));
  EXPECT_EQ(v.control.exitinfo1, 1u);
  EXPECT_EQ(v.save.rip, kGuestCode + 2);
}

TEST(SvmIntercepts, CrWriteWithDecodeAssist) {  // 15.8.1, 15.33.1
  SvmMachine m;
  m.put<uint32_t>(0x00, 1u << (16 + 3));
  m.run_guest({0x0f, 0x22, 0xdb});  // mov cr3, rbx
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitCr0Write + 3));
  EXPECT_EQ(v.control.exitinfo1, (1ull << 63) | 3);
}

TEST(SvmIntercepts, SelectiveCr0Write) {  // 15.9.1
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kCr0SelWrite | misc1::kHlt);
  // mov rax,cr0; or rax,8 (TS: no exit); mov cr0,rax; or eax,0x40000 (AM: exits); mov cr0,rax
  m.run_guest({0x0f, 0x20, 0xc0, 0x48, 0x83, 0xc8, 0x08, 0x0f, 0x22, 0xc0, 0x0d, 0x00, 0x00,
               0x04, 0x00, 0x0f, 0x22, 0xc0});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitCr0SelWrite));
  EXPECT_EQ(m.vm().save.rip, kGuestCode + 15);
}

TEST(SvmIntercepts, ExceptionInterceptCarriesErrorCode) {  // 15.12
  SvmMachine m;
  m.put<uint32_t>(0x08, 1u << kGP);
  m.e->s.gpr[RCX] = 0x12345678;  // an MSR that does not exist: #GP(0)
  m.run_guest({0x0f, 0x32});
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitExcp0 + unsigned{kGP}));
  EXPECT_EQ(v.control.exitinfo1, 0u);
  EXPECT_EQ(v.save.rip, kGuestCode);
}

TEST(SvmIntercepts, PushfPopfIretIntn) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kPushf);
  m.run_guest({0x9c});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitPushf));
  SvmMachine n;
  n.put<uint32_t>(0x0c, misc1::kIntn);
  n.run_guest({0xcd, 0x42});
  EXPECT_EQ(n.exitcode(), static_cast<uint64_t>(kExitSwint));
  EXPECT_EQ(n.vm().control.exitinfo1, 0x42u);
  EXPECT_EQ(n.vm().control.nrip, kGuestCode + 2);
}

TEST(SvmIntercepts, PauseFilterCount) {  // 15.14.4
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kPause);
  m.put<uint16_t>(0x3e, 3);
  m.run_guest({0xf3, 0x90, 0xf3, 0x90, 0xf3, 0x90, 0xf3, 0x90});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitPause));
  EXPECT_EQ(m.vm().save.rip, kGuestCode + 4);  // the third PAUSE
}

// ---- 15.20 EVENTINJ, 15.7.2 EXITINTINFO -----------------------------------------------------
TEST(SvmEvents, InjectedExceptionIsNotIntercepted) {
  SvmMachine m;
  m.put<uint32_t>(0x08, 1u << kUD);
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(0x0a8, event::make(kUD, event::kException, false, 0));
  m.run_guest({0xf4});
  // The guest's #UD handler stub sets R14 = 6 and halts (R14 is not swapped).
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
  EXPECT_EQ(m.e->s.gpr[R14], static_cast<uint64_t>(kUD));
  EXPECT_FALSE(m.vm().control.eventinj & event::kValid);
}

TEST(SvmEvents, NestedFaultReportsExitintinfo) {
  SvmMachine m;
  m.put<uint32_t>(0x08, 1u << kNP);
  m.set_gate64(0x40, Machine::stub(0x40), 0xe, 0, 0, /*present=*/false);
  m.put<uint64_t>(0x0a8, event::make(0x40, event::kIntr, false, 0));
  m.run_guest({0xf4});
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitExcp0 + unsigned{kNP}));
  EXPECT_EQ(v.control.exitintinfo, event::make(0x40, event::kIntr, false, 0));
  EXPECT_EQ(v.save.rip, kGuestCode);
  EXPECT_EQ(v.control.exitinfo1, (0x40u << 3) | 3u);  // IDT | EXT
}

TEST(SvmNpt, NpfWhileInjectingKeepsGuestRip) {
  SvmMachine m;
  m.poke<uint64_t>(kNpt, (kNpt + 0x1000) | 7);
  m.poke<uint64_t>(kNpt + 0x1000, (kNpt + 0x2000) | 7);
  m.poke<uint64_t>(kNpt + 0x2000, 0x87);
  m.put<uint64_t>(0x090, 1);
  m.put<uint64_t>(0x0b0, kNpt);
  m.put<uint64_t>(offsetof(Vmcb, save.idtr), 0);
  VmcbSeg idt{0, 0, 0xfff, 0x300000};  // guest IDT outside the nested table
  m.put(offsetof(Vmcb, save.idtr), idt);
  m.put<uint64_t>(0x0a8, event::make(0x40, event::kIntr, false, 0));
  m.run_guest({0xf4});
  Vmcb v = m.vm();
  ASSERT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitNpf));
  EXPECT_EQ(v.save.rip, kGuestCode);
  EXPECT_EQ(v.control.exitintinfo, event::make(0x40, event::kIntr, false, 0));
  EXPECT_EQ(m.e->s.rip, kHostRip + 4);
}

// ---- 15.25 nested paging -------------------------------------------------------------------
TEST(SvmNpt, NpfErrorCodeAndGpa) {  // 15.25.6
  SvmMachine m;
  // The nested table maps guest-physical 0-2 MiB (guest page tables and code);
  // the guest's store to 0x600000 has no nested translation.
  m.poke<uint64_t>(kNpt, (kNpt + 0x1000) | 7);
  m.poke<uint64_t>(kNpt + 0x1000, (kNpt + 0x2000) | 7);
  m.poke<uint64_t>(kNpt + 0x2000, 0x87);  // 2 MiB at 0, user, writable
  m.put<uint64_t>(0x090, 1);
  m.put<uint64_t>(0x0b0, kNpt);
  m.run_guest({0x48, 0xc7, 0xc0, 0x00, 0x00, 0x60, 0x00, 0x48, 0x89, 0x00});  // mov [0x600000],rax
  Vmcb v = m.vm();
  ASSERT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitNpf));
  EXPECT_EQ(v.control.exitinfo2, 0x600000u);
  EXPECT_EQ(v.control.exitinfo1, npf::kFinal | npf::kU | npf::kW);
  EXPECT_EQ(v.save.rip, kGuestCode + 7);
  // Decode assists (15.33.4): the instruction bytes up to the page's end.
  EXPECT_EQ(v.control.guest_insn_len, 15u);
  EXPECT_EQ(v.control.guest_insn_bytes[0], 0x48);
  EXPECT_EQ(v.control.guest_insn_bytes[2], 0x00);
}

TEST(SvmIntercepts, PageFaultInterceptExitinfo) {  // 15.12
  SvmMachine m;
  m.put<uint32_t>(0x08, 1u << 14);
  // mov rax,[0x800000] (not mapped by the 4 x 2 MiB identity table)
  m.run_guest({0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x80, 0x00});
  Vmcb v = m.vm();
  ASSERT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitExcp0 + 14));
  EXPECT_EQ(v.control.exitinfo1, 0u);  // not present, read, supervisor
  EXPECT_EQ(v.control.exitinfo2, 0x800000u);
  EXPECT_EQ(v.save.rip, kGuestCode);
  EXPECT_EQ(v.control.guest_insn_len, 15u);
  EXPECT_EQ(v.control.guest_insn_bytes[3], 0x25);
}

TEST(SvmNpt, GuestPageTableFaultSetsTableBit) {
  SvmMachine m;
  m.poke<uint64_t>(kNpt, (kNpt + 0x1000) | 7);
  m.poke<uint64_t>(kNpt + 0x1000, (kNpt + 0x2000) | 7);
  m.poke<uint64_t>(kNpt + 0x2000, 0x87);
  m.put<uint64_t>(0x090, 1);
  m.put<uint64_t>(0x0b0, kNpt);
  m.put<uint64_t>(offsetof(Vmcb, save.cr3), 0x800000);  // guest tables outside NPT
  m.run_guest({0x90});
  Vmcb v = m.vm();
  ASSERT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitNpf));
  EXPECT_EQ(v.control.exitinfo2, 0x800000u);
  EXPECT_TRUE(v.control.exitinfo1 & npf::kTable);
  EXPECT_FALSE(v.control.exitinfo1 & npf::kFinal);
}

// ---- 15.15-15.16 ASIDs and TLB_CONTROL -------------------------------------------------------
TEST(SvmTlb, TlbControlFlushCounts) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint8_t>(0x05c, kTlbFlushAsid);
  m.run_guest({0xf4});
  EXPECT_EQ(m.v->stats().tlb_flushes, 1u);
  SvmMachine n;
  n.put<uint32_t>(0x0c, misc1::kHlt);
  n.run_guest({0xf4});
  EXPECT_EQ(n.v->stats().tlb_flushes, 0u);
}

TEST(SvmTlb, GuestRunsWithItsAsidTag) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kCpuid);
  m.put<uint32_t>(0x058, 5);
  m.run_guest({0x0f, 0xa2});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitCpuid));
  EXPECT_EQ(m.e->paging_regs().tlb_tag, 0u);  // the host's ASID again after #VMEXIT
}

// ---- 15.5.2 VMLOAD / VMSAVE ------------------------------------------------------------------
TEST(SvmVmloadVmsave, RoundTrip) {
  SvmMachine m;
  m.e->s.star = 0x1111;
  m.e->s.lstar = 0x2222;
  m.e->s.kernel_gs_base = 0x3333;
  m.e->s.sysenter_eip = 0x4444;
  m.e->s.seg[FS].base = 0x5555;
  m.v->vmsave(kSavePa);
  Vmcb s = m.peek<Vmcb>(kSavePa);
  EXPECT_EQ(s.save.star, 0x1111u);
  EXPECT_EQ(s.save.lstar, 0x2222u);
  EXPECT_EQ(s.save.kernel_gs_base, 0x3333u);
  EXPECT_EQ(s.save.sysenter_eip, 0x4444u);
  EXPECT_EQ(s.save.fs.base, 0x5555u);
  EXPECT_EQ(s.save.tr.selector, kSelTss);
  m.e->s.star = 0;
  m.e->s.seg[FS].base = 0;
  m.v->vmload(kSavePa);
  EXPECT_EQ(m.e->s.star, 0x1111u);
  EXPECT_EQ(m.e->s.seg[FS].base, 0x5555u);
}

TEST(SvmVmloadVmsave, UnalignedRaxIsGp) {
  SvmMachine m;
  m.set_gate64(kGP, Machine::stub(kGP));
  m.load(kHostRip, {0x0f, 0x01, 0xdb, 0xf4});  // vmsave
  m.e->s.rip = kHostRip;
  m.e->s.gpr[RAX] = kSavePa + 8;
  m.run(10);
  EXPECT_EQ(m.e->s.gpr[R14], static_cast<uint64_t>(kGP));
}

// ---- 15.17 GIF ---------------------------------------------------------------------------------
TEST(SvmGif, ClgiStgi) {
  SvmMachine m;
  m.load(kHostRip, {0x0f, 0x01, 0xdd, 0xf4});  // clgi; hlt
  m.e->s.rip = kHostRip;
  m.run(10);
  EXPECT_EQ(m.e->s.gif, 0);
  m.load(kHostRip + 4, {0x0f, 0x01, 0xdc, 0xf4});  // stgi; hlt
  m.e->s.rip = kHostRip + 4;
  m.run(10);
  EXPECT_EQ(m.e->s.gif, 1);
}

TEST(SvmGif, SvmInstructionsUdWithoutSvme) {
  SvmMachine m;
  m.e->s.efer &= ~EFER_SVME;
  m.load(kHostRip, {0x0f, 0x01, 0xdd, 0xf4});  // clgi
  m.e->s.rip = kHostRip;
  m.run(10);
  EXPECT_EQ(m.e->s.gpr[R14], static_cast<uint64_t>(kUD));
  EXPECT_EQ(m.e->s.gif, 1);
}

// ---- appendix C names --------------------------------------------------------------------------
TEST(SvmExitNames, ManualNames) {
  EXPECT_STREQ(exit_code_name(kExitCpuid), "VMEXIT_CPUID");
  EXPECT_STREQ(exit_code_name(kExitExcp0 + 14), "VMEXIT_EXCP14");
  EXPECT_STREQ(exit_code_name(kExitCr0Write + 4), "VMEXIT_CR4_WRITE");
  EXPECT_STREQ(exit_code_name(kExitIoio), "VMEXIT_IOIO");
  EXPECT_STREQ(exit_code_name(kExitNpf), "VMEXIT_NPF");
  EXPECT_STREQ(exit_code_name(kExitInvalid), "VMEXIT_INVALID");
  EXPECT_STREQ(exit_code_name(kExitXsetbv), "VMEXIT_XSETBV");
}

}  // namespace hvsim::svm::test

namespace hvsim::svm::test {

struct FakeIntc : InterruptSource {
  int vector = -1;
  bool nmi = false;
  int acks = 0;
  int pending_vector() const override { return vector; }
  int acknowledge() override {
    ++acks;
    const int v = vector;
    vector = -1;
    return v;
  }
  bool nmi_pending() const override { return nmi; }
  void take_nmi() override { nmi = false; }
  bool smi = false;
  bool smi_pending() const override { return smi; }
  void take_smi() override { smi = false; }
};

struct IntrMachine : SvmMachine {
  FakeIntc intc;
  IntrMachine() {
    for (unsigned v = 0; v < 0x50; ++v) set_gate64(v, Machine::stub(v));
    e->attach_interrupt_controller(&intc, nullptr);
  }
};

// ---- 15.17 GIF holds back NMIs and interrupts ---------------------------------------------------
TEST(SvmGif, NmiHeldUntilStgi) {
  IntrMachine m;
  // clgi; mov r15d,1; stgi; hlt
  m.load(kHostRip, {0x0f, 0x01, 0xdd, 0x41, 0xbf, 0x01, 0, 0, 0, 0x0f, 0x01, 0xdc, 0xf4});
  m.e->s.rip = kHostRip;
  m.run(1);  // CLGI
  ASSERT_EQ(m.e->s.gif, 0);
  m.intc.nmi = true;
  m.e->notify_interrupt();
  m.run(20);
  EXPECT_EQ(m.e->s.gpr[R14], static_cast<uint64_t>(kNMI));
  EXPECT_EQ(m.e->s.gpr[R15], 1u) << "NMI taken while GIF = 0";
}

TEST(SvmGif, InterruptHeldUntilStgi) {
  IntrMachine m;
  m.load(kHostRip, {0x0f, 0x01, 0xdd, 0x41, 0xbf, 0x01, 0, 0, 0, 0x0f, 0x01, 0xdc, 0xf4});
  m.e->s.rip = kHostRip;
  m.e->s.rflags |= IF;
  m.run(1);  // CLGI
  m.intc.vector = 0x40;
  m.e->notify_interrupt();
  m.run(20);
  EXPECT_EQ(m.e->s.gpr[R14], 0x40u);
  EXPECT_EQ(m.e->s.gpr[R15], 1u) << "interrupt taken while GIF = 0";
}

// ---- 15.13.3 SMI intercept (SMM itself is not modelled) ------------------------------------------
TEST(SvmSmi, InterceptedSmiExitsOnceGifIsSetAndStaysPending) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kSmi | misc1::kHlt);
  // guest: clgi; (SMI made pending here) nop; stgi; hlt
  m.put<uint32_t>(0x10, misc2::kVmrun);
  m.load(kGuestCode, {0x0f, 0x01, 0xdd, 0x90, 0x0f, 0x01, 0xdc, 0xf4});
  m.load(kHostRip, {0x0f, 0x01, 0xd8, 0xf4});
  m.e->s.rip = kHostRip;
  m.e->s.gpr[RAX] = kVmcbPa;
  m.run(2);  // VMRUN, CLGI
  m.intc.smi = true;
  m.e->notify_interrupt();
  m.run(20);
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitSmi));
  EXPECT_EQ(m.vm().save.rip, kGuestCode + 7);  // after STGI, not inside CLGI..STGI
  EXPECT_TRUE(m.intc.smi);  // the host has it (held: GIF = 0 after #VMEXIT)
}

TEST(SvmSmi, WithoutTheInterceptTheSmiIsDropped) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.run_guest_gif0({0x90, 0x90, 0xf4}, [&] { m.intc.smi = true; });
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
  EXPECT_FALSE(m.intc.smi);
}

// ---- 15.13.1 INTR / 15.21.1 V_INTR_MASKING ------------------------------------------------------
TEST(SvmIntr, InterceptedInterruptExitsAndStaysPending) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kIntr | misc1::kHlt);
  m.put<uint64_t>(0x060, vintr::kMasking);
  m.e->s.rflags |= IF;  // host IF: physical interrupts enabled
  m.run_guest_gif0({0x90, 0x90, 0xf4}, [&] { m.intc.vector = 0x40; });
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitIntr));
  EXPECT_EQ(m.intc.acks, 0);
}

TEST(SvmIntr, MaskingWithHostIfClearHoldsInterrupt) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(0x060, vintr::kMasking);
  m.put<uint64_t>(offsetof(Vmcb, save.rflags), 2 | IF);  // guest IF = 1, host IF = 0
  m.run_guest_gif0({0x90, 0xf4}, [&] { m.intc.vector = 0x40; });
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
  EXPECT_EQ(m.intc.acks, 0);
}

TEST(SvmIntr, NmiIntercept) {  // 15.13.2
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kNmi | misc1::kHlt);
  m.run_guest_gif0({0x90, 0xf4}, [&] { m.intc.nmi = true; });
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitNmi));
  EXPECT_TRUE(m.intc.nmi);
}

// ---- 15.21.4 virtual interrupts ------------------------------------------------------------------
TEST(SvmVintr, VirqDeliveredThroughGuestIdt) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(0x060, vintr::kMasking | vintr::kIrq | (2ull << 16) | (0x41ull << 32));
  m.put<uint64_t>(offsetof(Vmcb, save.rflags), 2 | IF);
  m.run_guest({0x90, 0x90, 0xf4});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
  EXPECT_EQ(m.e->s.gpr[R14], 0x41u);
  EXPECT_FALSE(m.vm().control.vintr & vintr::kIrq);
}

TEST(SvmVintr, VintrIntercept) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kVintr | misc1::kHlt);
  m.put<uint64_t>(0x060, vintr::kMasking | vintr::kIrq | (2ull << 16) | (0x41ull << 32));
  m.put<uint64_t>(offsetof(Vmcb, save.rflags), 2 | IF);
  m.run_guest({0x90, 0xf4});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitVintr));
  EXPECT_TRUE(m.vm().control.vintr & vintr::kIrq);
}

TEST(SvmVintr, VTprBlocksUnlessIgnored) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(0x060, vintr::kMasking | vintr::kIrq | 3 | (2ull << 16) | (0x41ull << 32));
  m.put<uint64_t>(offsetof(Vmcb, save.rflags), 2 | IF);
  m.run_guest({0x90, 0xf4});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
  EXPECT_NE(m.e->s.gpr[R14], 0x41u);
  IntrMachine n;
  n.put<uint32_t>(0x0c, misc1::kHlt);
  n.put<uint64_t>(0x060, vintr::kMasking | vintr::kIrq | vintr::kIgnTpr | 3 | (2ull << 16) |
                             (0x41ull << 32));
  n.put<uint64_t>(offsetof(Vmcb, save.rflags), 2 | IF);
  n.run_guest({0x90, 0xf4});
  EXPECT_EQ(n.e->s.gpr[R14], 0x41u);
}

TEST(SvmVintr, GuestCr8IsVTpr) {  // 15.21.1
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(0x060, vintr::kMasking | 5);
  // mov rax,cr8; mov rbx,7; mov cr8,rbx; hlt
  m.run_guest({0x44, 0x0f, 0x20, 0xc0, 0x48, 0xc7, 0xc3, 0x07, 0, 0, 0, 0x44, 0x0f, 0x22, 0xc3,
               0xf4});
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitHlt));
  EXPECT_EQ(v.save.rax, 5u);
  EXPECT_EQ(v.control.vintr & vintr::kTprMask, 7u);
  EXPECT_EQ(m.e->cr8(), 0u) << "the physical TPR is untouched";
}

// ---- 15.20 EVENTINJ types ----------------------------------------------------------------------
TEST(SvmEvents, InjectNmiIntrAndSoftInt) {
  for (auto [type, vec] : {std::pair{event::kNmi, 2u}, std::pair{event::kIntr, 0x45u},
                           std::pair{event::kSoftInt, 0x46u}}) {
    IntrMachine m;
    m.put<uint32_t>(0x0c, misc1::kHlt);
    m.put<uint64_t>(0x0a8, event::make(static_cast<uint8_t>(vec), type, false, 0));
    m.run_guest({0xf4});
    EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt)) << type;
    EXPECT_EQ(m.e->s.gpr[R14], vec) << type;
  }
}

TEST(SvmEvents, InjectedPageFaultKeepsCr2AndErrorCode) {
  IntrMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(offsetof(Vmcb, save.cr2), 0xdead000);
  m.put<uint64_t>(0x0a8, event::make(kPF, event::kException, true, 6));
  m.run_guest({0xf4});
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitHlt));
  EXPECT_EQ(m.e->s.gpr[R14], static_cast<uint64_t>(kPF));
  EXPECT_EQ(v.save.cr2, 0xdead000u);
  EXPECT_EQ(m.peek<uint64_t>(v.save.rsp), 6u);  // the error code on the guest stack
}

// ---- 15.15.3 VMCB clean bits ---------------------------------------------------------------------
TEST(SvmClean, CleanGroupsAreNotReloadedNorCharged) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kCpuid);
  m.run_guest({0x0f, 0xa2});
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitCpuid));
  const uint64_t c0 = m.e->cycles();
  m.put<uint64_t>(offsetof(Vmcb, save.rip), kGuestCode);
  m.put<uint32_t>(0x0c, 0);                     // changed, but marked clean: the cached
  m.put<uint32_t>(0x0c0, clean::kIntercepts);   // intercepts stay in force
  m.e->s.rip = kHostRip;
  m.e->s.gpr[RAX] = kVmcbPa;
  m.run(3);
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitCpuid));
  EXPECT_EQ(m.v->stats().clean_groups_skipped, 1u);
  const uint64_t cost = m.e->cycles() - c0;
  // Dirty again: one more group reloaded and charged.
  const uint64_t c1 = m.e->cycles();
  m.put<uint64_t>(offsetof(Vmcb, save.rip), kGuestCode);
  m.put<uint32_t>(0x0c, misc1::kCpuid);
  m.put<uint32_t>(0x0c0, 0);
  m.e->s.rip = kHostRip;
  m.e->s.gpr[RAX] = kVmcbPa;
  m.run(3);
  EXPECT_EQ(m.e->cycles() - c1, cost + m.v->costs().vmrun_group);
}

}  // namespace hvsim::svm::test

namespace hvsim::svm::test {

// Every VMRUN and #VMEXIT reaches the ExitTracker, named as in appendix C.
TEST(SvmTracker, ExitsAndEntriesReported) {
  SvmMachine m;
  virt::ExitTracker t;
  m.e->set_exit_tracker(&t);
  m.put<uint32_t>(0x0c, misc1::kCpuid);
  m.run_guest({0x0f, 0xa2});
  EXPECT_EQ(t.entries(), 1u);
  EXPECT_EQ(t.exits(), 1u);
  // A failing VMRUN: an entry and its VMEXIT_INVALID.
  m.put<uint32_t>(0x058, 0);
  m.e->s.rip = kHostRip;
  m.e->s.gpr[RAX] = kVmcbPa;
  m.run(2);
  EXPECT_EQ(t.entries(), 2u);
  EXPECT_EQ(t.exits(), 2u);
  t.finish(m.e->cycles());
  const std::string s = t.summary_text();
  EXPECT_NE(s.find("VMEXIT_CPUID"), std::string::npos) << s;
  EXPECT_NE(s.find("VMEXIT_INVALID"), std::string::npos) << s;
}

}  // namespace hvsim::svm::test

namespace hvsim::svm::test {

// 15.9-15.13: one row per instruction intercept, with EXITINFO1 and the
// instruction length NRIP reports (RIP names the instruction itself).
struct InsnIntercept {
  const char* name;
  uint32_t misc1, misc2, cr, dr, exceptions;
  std::vector<uint8_t> code;
  uint64_t code_exit;
  uint64_t info1;
  unsigned len;
};
class SvmInsnIntercepts : public ::testing::TestWithParam<InsnIntercept> {};
TEST_P(SvmInsnIntercepts, ExitWithInfo) {
  const InsnIntercept& p = GetParam();
  SvmMachine m;
  m.put<uint32_t>(0x00, p.cr);
  m.put<uint32_t>(0x04, p.dr);
  m.put<uint32_t>(0x08, p.exceptions);
  m.put<uint32_t>(0x0c, p.misc1);
  m.put<uint32_t>(0x10, misc2::kVmrun | p.misc2);
  m.put<uint64_t>(offsetof(Vmcb, save.rax), 0x5000);
  std::vector<uint8_t> code = {0x90};  // the intercepted instruction follows a NOP
  code.insert(code.end(), p.code.begin(), p.code.end());
  m.run_guest(code);
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, p.code_exit) << exit_code_name(v.control.exitcode);
  EXPECT_STREQ(exit_code_name(v.control.exitcode), exit_code_name(p.code_exit));
  EXPECT_EQ(v.control.exitinfo1, p.info1);
  EXPECT_EQ(v.save.rip, kGuestCode + 1);
  EXPECT_EQ(v.control.nrip, kGuestCode + 1 + p.len);
}
constexpr uint64_t kMovCr = 1ull << 63;
INSTANTIATE_TEST_SUITE_P(
    All, SvmInsnIntercepts,
    ::testing::Values(
        InsnIntercept{"Rdtsc", misc1::kRdtsc, 0, 0, 0, 0, {0x0f, 0x31}, kExitRdtsc, 0, 2},
        InsnIntercept{"Rdtscp", 0, misc2::kRdtscp, 0, 0, 0, {0x0f, 0x01, 0xf9}, kExitRdtscp, 0, 3},
        InsnIntercept{"Rdpmc", misc1::kRdpmc, 0, 0, 0, 0, {0x0f, 0x33}, kExitRdpmc, 0, 2},
        InsnIntercept{"Invd", misc1::kInvd, 0, 0, 0, 0, {0x0f, 0x08}, kExitInvd, 0, 2},
        InsnIntercept{"Wbinvd", 0, misc2::kWbinvd, 0, 0, 0, {0x0f, 0x09}, kExitWbinvd, 0, 2},
        InsnIntercept{"Invlpg", misc1::kInvlpg, 0, 0, 0, 0, {0x0f, 0x01, 0x38}, kExitInvlpg,
                      0x5000, 3},
        InsnIntercept{"Pushf", misc1::kPushf, 0, 0, 0, 0, {0x9c}, kExitPushf, 0, 1},
        InsnIntercept{"Popf", misc1::kPopf, 0, 0, 0, 0, {0x9d}, kExitPopf, 0, 1},
        InsnIntercept{"Iret", misc1::kIret, 0, 0, 0, 0, {0x48, 0xcf}, kExitIret, 0, 2},
        InsnIntercept{"Intn", misc1::kIntn, 0, 0, 0, 0, {0xcd, 0x80}, kExitSwint, 0x80, 2},
        InsnIntercept{"Sidt", misc1::kIdtrRead, 0, 0, 0, 0, {0x0f, 0x01, 0x08}, kExitIdtrRead, 0,
                      3},
        InsnIntercept{"Sgdt", misc1::kGdtrRead, 0, 0, 0, 0, {0x0f, 0x01, 0x00}, kExitGdtrRead, 0,
                      3},
        InsnIntercept{"Lidt", misc1::kIdtrWrite, 0, 0, 0, 0, {0x0f, 0x01, 0x18}, kExitIdtrWrite,
                      0, 3},
        InsnIntercept{"Lgdt", misc1::kGdtrWrite, 0, 0, 0, 0, {0x0f, 0x01, 0x10}, kExitGdtrWrite,
                      0, 3},
        InsnIntercept{"Sldt", misc1::kLdtrRead, 0, 0, 0, 0, {0x0f, 0x00, 0xc0}, kExitLdtrRead, 0,
                      3},
        InsnIntercept{"Str", misc1::kTrRead, 0, 0, 0, 0, {0x0f, 0x00, 0xc8}, kExitTrRead, 0, 3},
        InsnIntercept{"Lldt", misc1::kLdtrWrite, 0, 0, 0, 0, {0x0f, 0x00, 0xd0}, kExitLdtrWrite,
                      0, 3},
        InsnIntercept{"Ltr", misc1::kTrWrite, 0, 0, 0, 0, {0x0f, 0x00, 0xd8}, kExitTrWrite, 0, 3},
        InsnIntercept{"Icebp", 0, misc2::kIcebp, 0, 0, 0, {0xf1}, kExitIcebp, 0, 1},
        InsnIntercept{"Int3", 0, 0, 0, 0, 1u << 3, {0xcc}, kExitExcp0 + 3, 0, 1},
        InsnIntercept{"Cpuid", misc1::kCpuid, 0, 0, 0, 0, {0x0f, 0xa2}, kExitCpuid, 0, 2},
        InsnIntercept{"Hlt", misc1::kHlt, 0, 0, 0, 0, {0xf4}, kExitHlt, 0, 1},
        InsnIntercept{"MovFromCr0", 0, 0, 1u << 0, 0, 0, {0x0f, 0x20, 0xc1}, kExitCr0Read,
                      kMovCr | 1, 3},
        InsnIntercept{"MovFromCr3", 0, 0, 1u << 3, 0, 0, {0x0f, 0x20, 0xda}, kExitCr0Read + 3,
                      kMovCr | 2, 3},
        InsnIntercept{"MovToCr4", 0, 0, 1u << 20, 0, 0, {0x0f, 0x22, 0xe0}, kExitCr0Write + 4,
                      kMovCr | 0, 3},
        InsnIntercept{"MovToCr2", 0, 0, 1u << 18, 0, 0, {0x0f, 0x22, 0xd0}, kExitCr0Write + 2,
                      kMovCr | 0, 3},
        InsnIntercept{"MovFromCr8", 0, 0, 1u << 8, 0, 0, {0x44, 0x0f, 0x20, 0xc3},
                      kExitCr0Read + 8, kMovCr | 3, 4},
        InsnIntercept{"Clts", 0, 0, 1u << 16, 0, 0, {0x0f, 0x06}, kExitCr0Write, 0, 2},
        InsnIntercept{"Lmsw", 0, 0, 1u << 16, 0, 0, {0x0f, 0x01, 0xf0}, kExitCr0Write, 0, 3},
        InsnIntercept{"MovFromDr7", 0, 0, 0, 1u << 7, 0, {0x0f, 0x21, 0xf9}, kExitDr0Read + 7, 1,
                      3},
        InsnIntercept{"MovToDr0", 0, 0, 0, 1u << 16, 0, {0x0f, 0x23, 0xc3}, kExitDr0Write, 3, 3},
        InsnIntercept{"Vmrun", 0, 0, 0, 0, 0, {0x0f, 0x01, 0xd8}, kExitVmrun, 0, 3},
        InsnIntercept{"Vmload", 0, misc2::kVmload, 0, 0, 0, {0x0f, 0x01, 0xda}, kExitVmload, 0,
                      3},
        InsnIntercept{"Vmsave", 0, misc2::kVmsave, 0, 0, 0, {0x0f, 0x01, 0xdb}, kExitVmsave, 0,
                      3},
        InsnIntercept{"Vmmcall", 0, misc2::kVmmcall, 0, 0, 0, {0x0f, 0x01, 0xd9}, kExitVmmcall,
                      0, 3},
        InsnIntercept{"Stgi", 0, misc2::kStgi, 0, 0, 0, {0x0f, 0x01, 0xdc}, kExitStgi, 0, 3},
        InsnIntercept{"Clgi", 0, misc2::kClgi, 0, 0, 0, {0x0f, 0x01, 0xdd}, kExitClgi, 0, 3},
        InsnIntercept{"Skinit", 0, misc2::kSkinit, 0, 0, 0, {0x0f, 0x01, 0xde}, kExitSkinit, 0,
                      3},
        InsnIntercept{"Invlpga", misc1::kInvlpga, 0, 0, 0, 0, {0x0f, 0x01, 0xdf}, kExitInvlpga,
                      0, 3},
        InsnIntercept{"Pause", misc1::kPause, 0, 0, 0, 0, {0xf3, 0x90}, kExitPause, 0, 2}),
    [](const ::testing::TestParamInfo<InsnIntercept>& i) { return std::string(i.param.name); });

TEST(SvmIntercepts, ShutdownOnTripleFault) {  // 15.9 (SHUTDOWN intercept)
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kShutdown);
  VmcbSeg idt{0, 0, 0, 0x2000};  // empty IDT: #UD -> #GP -> #DF -> shutdown
  m.put(offsetof(Vmcb, save.idtr), idt);
  m.run_guest({0x0f, 0x0b});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitShutdown));
  EXPECT_EQ(m.e->s.rip, kHostRip + 4);
}

TEST(SvmIntercepts, VmmcallNotInterceptedIsUd) {
  SvmMachine m;
  m.put<uint32_t>(0x08, 1u << kUD);
  m.run_guest({0x0f, 0x01, 0xd9});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitExcp0 + unsigned{kUD}));
}

TEST(SvmIntercepts, RdtscAddsTscOffset) {  // 15.30.5 TSC_OFFSET
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kHlt);
  m.put<uint64_t>(0x050, 1ull << 40);
  m.run_guest({0x0f, 0x31, 0xf4});
  EXPECT_GE(m.vm().save.rax, 0u);
  EXPECT_GE(m.e->s.gpr[RDX], 1ull << 8);  // EDX holds bits 63:32 of the offset TSC
}

}  // namespace hvsim::svm::test

namespace hvsim::svm::test {

// 15.16: guest translations carry the ASID; a world switch keeps them and
// TLB_CONTROL (or INVLPGA) removes them.
TEST(SvmTlb, AsidTaggedEntriesSurviveWorldSwitchUntilFlushed) {
  SvmMachine m;
  m.poke<uint64_t>(0x300000, 0xaaaa);
  m.poke<uint64_t>(0x700000, 0xbbbb);
  m.put<uint32_t>(0x0c, misc1::kHlt);
  auto again = [&](uint8_t tlb_control) {
    m.put<uint64_t>(offsetof(Vmcb, save.rip), kGuestCode);
    m.put<uint8_t>(0x05c, tlb_control);
    m.load(kHostRip, {0x0f, 0x01, 0xd8, 0xf4});  // vmrun; hlt
    m.e->s.rip = kHostRip;
    m.e->s.gpr[RAX] = kVmcbPa;
    m.run(10);
    EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt)) << exit_code_name(m.exitcode());
    return m.vm().save.rax;
  };
  m.load(kGuestCode, {0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00, 0xf4});  // mov rax,[0x300000]
  EXPECT_EQ(again(kTlbNothing), 0xaaaau);
  m.poke<uint64_t>(kPml4 + 0x2000 + 8, 0x600000 | 0x87);  // remap 2-4 MiB, no invalidation
  EXPECT_EQ(again(kTlbNothing), 0xaaaau) << "the ASID-1 entry was lost at a world switch";
  EXPECT_EQ(again(kTlbFlushAsid), 0xbbbbu);
  m.poke<uint64_t>(kPml4 + 0x2000 + 8, 0x200000 | 0x87);
  EXPECT_EQ(again(kTlbNothing), 0xbbbbu);
  m.v->invlpga(0x300000, 1);  // 15.16.3
  EXPECT_EQ(again(kTlbNothing), 0xaaaau);
}

}  // namespace hvsim::svm::test

namespace hvsim::svm::test {

// ---- INIT: the INIT intercept (15.13) and GIF = 0 holding INIT (15.17) ----------------------
struct InitIntc : FakeIntc {
  bool init = false;
  int inits_taken = 0;
  bool init_pending() const override { return init; }
  void take_init() override {
    init = false;
    ++inits_taken;
  }
};

struct InitMachine : SvmMachine {
  InitIntc intc;
  InitMachine() {
    for (unsigned v = 0; v < 0x50; ++v) set_gate64(v, Machine::stub(v));
    e->attach_interrupt_controller(&intc, nullptr);
  }
};

TEST(SvmInit, InterceptedInitExitsAndStaysPending) {
  InitMachine m;
  m.put<uint32_t>(0x0c, misc1::kInit | misc1::kNmi | misc1::kHlt);
  m.run_guest_gif0({0x90, 0x90, 0xf4}, [&] {
    m.intc.init = true;
    m.intc.nmi = true;
  });
  EXPECT_FALSE(m.v->in_guest());
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitInit)) << "INIT before NMI";
  EXPECT_EQ(m.exitcode(), 0x63u);
  EXPECT_EQ(m.vm().save.rip, kGuestCode) << "taken before the first guest instruction";
  EXPECT_TRUE(m.intc.init) << "held for the host (GIF = 0 after #VMEXIT)";
  EXPECT_EQ(m.intc.inits_taken, 0);
  EXPECT_EQ(m.e->s.gif, 0);
  EXPECT_FALSE(m.e->waiting_for_sipi());
}

TEST(SvmInit, GifZeroHoldsInitUntilStgi) {
  InitMachine m;
  // clgi; mov r15d,1; stgi; hlt
  m.load(kHostRip, {0x0f, 0x01, 0xdd, 0x41, 0xbf, 0x01, 0, 0, 0, 0x0f, 0x01, 0xdc, 0xf4});
  m.e->s.rip = kHostRip;
  m.run(1);  // CLGI
  ASSERT_EQ(m.e->s.gif, 0);
  m.intc.init = true;
  m.e->notify_interrupt();
  m.run(1);  // MOV: INIT held
  EXPECT_TRUE(m.intc.init);
  EXPECT_FALSE(m.e->waiting_for_sipi());
  EXPECT_EQ(m.e->s.gpr[R15], 1u);
  EXPECT_EQ(m.run(20), RunExit::kWaitForSipi);  // STGI: INIT taken
  EXPECT_EQ(m.intc.inits_taken, 1);
  EXPECT_EQ(m.e->s.mode, Mode::kReal);
  EXPECT_EQ(m.e->s.gpr[R15], 0u);
}

// ---- 15.14.2 Task switch intercept ------------------------------------------------------
// A 32-bit protected-mode guest (no paging) whose task is kSelTss, with an
// available 32-bit TSS at 0x50 (base 0x5000) that runs `hlt` at 0x140000.
void legacy_task_guest(SvmMachine& m, uint32_t misc1_intercepts) {
  m.poke<uint64_t>(kGdt + 0x50, seg_desc(0x5000, 0x67, 0x89));
  m.poke<uint32_t>(0x5000 + 0x20, 0x140000);  // EIP
  m.poke<uint32_t>(0x5000 + 0x24, 2);         // EFLAGS
  m.poke<uint32_t>(0x5000 + 0x38, 0x60000);   // ESP
  for (unsigned i = 0; i < 6; ++i) m.poke<uint16_t>(0x5000 + 0x48 + 4 * i, kSelData0);
  m.poke<uint16_t>(0x5000 + 0x4c, kSelCode32);
  m.load(0x140000, {0xf4});
  Vmcb b = m.vm();
  b.save.efer = EFER_SVME;
  b.save.cr0 = CR0_PE | CR0_ET | CR0_NE;
  b.save.cr4 = 0;
  b.save.cs = VmcbSeg{kSelCode32, attr_to_vmcb(kCode32 | 1), 0xffffffff, 0};
  b.save.gdtr.limit = 0x5f;
  b.save.idtr.limit = 0x7ff;
  b.save.tr = VmcbSeg{kSelTss, attr_to_vmcb(0x8b), 0x67, kTss};
  b.control.intercept_misc1 = misc1_intercepts;
  m.poke(kVmcbPa, b);
}

TEST(SvmIntercepts, TaskSwitchInterceptOnFarJmp) {
  SvmMachine m;
  legacy_task_guest(m, misc1::kTaskSwitch);
  m.run_guest({0x90, 0xea, 0, 0, 0, 0, 0x50, 0x00});  // nop; jmp far 0x50:0
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitTaskSwitch));
  EXPECT_EQ(v.control.exitinfo1, 0x50u);
  EXPECT_EQ(v.control.exitinfo2, 1ull << 38);  // JMP
  EXPECT_EQ(v.save.rip, kGuestCode + 1);
  EXPECT_EQ(v.save.tr.selector, kSelTss);
}

TEST(SvmIntercepts, TaskSwitchInterceptFromIdtCarriesErrorCode) {
  SvmMachine m;
  legacy_task_guest(m, misc1::kTaskSwitch);
  m.poke<uint64_t>(kIdt + 8 * kGP, 0x50ull << 16 | 0x85ull << 40);  // task gate
  m.run_guest({0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8});  // mov ax, 0x1234; mov ds, ax
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitTaskSwitch));
  EXPECT_EQ(v.control.exitinfo1, 0x50u);
  EXPECT_EQ(v.control.exitinfo2, 1ull << 44 | 0x1234);
  EXPECT_EQ(v.save.rip, kGuestCode + 4);
}

TEST(SvmIntercepts, TaskSwitchWithoutInterceptRunsInGuest) {
  SvmMachine m;
  legacy_task_guest(m, misc1::kHlt);
  m.run_guest({0xea, 0, 0, 0, 0, 0x50, 0x00});
  Vmcb v = m.vm();
  EXPECT_EQ(v.control.exitcode, static_cast<uint64_t>(kExitHlt));
  // TR is not in the state #VMEXIT saves (VMSAVE's); the busy bits show the switch.
  EXPECT_EQ(m.peek<uint8_t>(kGdt + 0x50 + 5), 0x8b);
  EXPECT_EQ(m.peek<uint8_t>(kGdt + kSelTss + 5), 0x89);
  EXPECT_EQ(v.save.rip, 0x140000u);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x20), kGuestCode + 7);  // old EIP saved
}

}  // namespace hvsim::svm::test
