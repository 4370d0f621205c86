// The SVM test machine shared by the SVM tests: a 64-bit host built by hand
// on the core's test machine, EFER.SVME and VM_HSAVE_PA set, and a VMCB
// whose guest is a copy of the host's 64-bit state (ASID 1, VMRUN
// intercepted).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "machine.h"
#include "sim/svm/svm.h"

namespace hvsim::svm::test {

using namespace core;
using namespace core::testing;

constexpr uint64_t kVmcbPa = 0x200000, kHsave = 0x201000, kSavePa = 0x202000;
constexpr uint64_t kIopm = 0x210000, kMsrpm = 0x220000, kHostRip = 0x120000;
constexpr uint64_t kGuestCode = 0x130000, kNpt = 0x400000;

struct SvmMachine : Machine {
  Svm* v = nullptr;
  // `overrides`: "key=value" settings applied before the core is built.
  explicit SvmMachine(std::initializer_list<const char*> overrides = {}) {
    declare_params(reg);
    cfg = std::make_unique<base::Config>(reg);
    cfg->set_override("cpu.vendor=AuthenticAMD");
    for (const char* o : overrides) cfg->set_override(o);
    e = std::make_unique<Engine>(bus, *cfg);
    v = attach(*e, *cfg);
    enter_long64(kHostRip);
    e->s.efer |= EFER_SVME;
    v->hsave_pa = kHsave;
    setup_vmcb();
  }
  Vmcb vm() { return peek<Vmcb>(kVmcbPa); }
  template <typename T>
  void put(size_t off, T x) { poke<T>(kVmcbPa + off, x); }

  // Guest = a copy of the 64-bit host, ASID 1, VMRUN intercepted.
  void setup_vmcb() {
    Vmcb b{};
    const ArchState& s = e->s;
    auto sg = [](const Segment& g) {
      return VmcbSeg{g.selector, attr_to_vmcb(g.attr), g.limit, g.base};
    };
    b.save.es = sg(s.seg[ES]);
    b.save.cs = sg(s.seg[CS]);
    b.save.ss = sg(s.seg[SS]);
    b.save.ds = sg(s.seg[DS]);
    b.save.gdtr = VmcbSeg{0, 0, s.gdtr.limit, s.gdtr.base};
    b.save.idtr = VmcbSeg{0, 0, s.idtr.limit, s.idtr.base};
    b.save.efer = s.efer;
    b.save.cr0 = s.cr0;
    b.save.cr3 = s.cr3;
    b.save.cr4 = s.cr4;
    b.save.dr6 = 0xffff0ff0;
    b.save.dr7 = 0x400;
    b.save.rflags = 2;
    b.save.rip = kGuestCode;
    b.save.rsp = 0x70000;
    b.control.intercept_misc2 = misc2::kVmrun;
    b.control.guest_asid = 1;
    b.control.iopm_base_pa = kIopm;
    b.control.msrpm_base_pa = kMsrpm;
    poke(kVmcbPa, b);
  }
  // Host: VMRUN (RAX = VMCB), then HLT.
  void run_guest(std::vector<uint8_t> code, uint64_t insns = 1000) {
    load(kGuestCode, code);
    load(kHostRip, {0x0f, 0x01, 0xd8, 0xf4});  // vmrun; hlt
    e->s.rip = kHostRip;
    e->s.gpr[RAX] = kVmcbPa;
    run(insns);
  }
  // VMRUN again on the same VMCB: the guest resumes where it left.
  void resume(uint64_t insns = 1000) {
    e->s.rip = kHostRip;
    e->s.gpr[RAX] = kVmcbPa;
    run(insns);
  }
  // The same with CLGI first, as a hypervisor does (events wait for the guest).
  // `pend` makes the event pending once CLGI has run.
  template <typename F>
  void run_guest_gif0(std::vector<uint8_t> code, F pend, uint64_t insns = 1000) {
    load(kGuestCode, code);
    load(kHostRip, {0x0f, 0x01, 0xdd, 0x0f, 0x01, 0xd8, 0xf4});  // clgi; vmrun; hlt
    e->s.rip = kHostRip;
    e->s.gpr[RAX] = kVmcbPa;
    run(1);
    pend();
    e->notify_interrupt();
    run(insns);
  }
  uint64_t exitcode() { return vm().control.exitcode; }
};

}  // namespace hvsim::svm::test
