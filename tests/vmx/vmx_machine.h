// The VMX test machine shared by the VMX tests: a 64-bit host built by hand
// on the core's test machine, VMXON done, a current VMCS whose host and guest
// state are copies of the host's 64-bit state.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>

#include "machine.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx::test {

using namespace core;
using namespace core::testing;

constexpr uint64_t kVmxon = 0x200000, kVmcs = 0x201000, kHostRip = 0x120000;
constexpr uint64_t kGuestCode = 0x130000, kEptRoot = 0x400000;

struct VmxMachine : Machine {
  Vmx* v = nullptr;
  // `overrides`: "key=value" settings applied before the core is built.
  explicit VmxMachine(std::initializer_list<const char*> overrides = {}) {
    declare_params(reg);
    cfg = std::make_unique<base::Config>(reg);
    for (const char* o : overrides) cfg->set_override(o);
    e = std::make_unique<Engine>(bus, *cfg);
    v = attach(*e, *cfg);
    enter_long64();
    e->s.cr4 |= CR4_VMXE;
    v->feature_control = 5;
    poke<uint32_t>(kVmxon, 1);
    poke<uint32_t>(kVmcs, 1);
    v->do_vmxon(kVmxon);
    v->do_vmclear(kVmcs);
    v->do_vmptrld(kVmcs);
    load(kHostRip, {0xf4});  // host: hlt
    setup_vmcs();
  }
  VmcsRef vm() { return v->vmcs(); }
  void set(F f, uint64_t x) { vm().set(f, x); }
  uint64_t get(F f) { return vm().get(f); }

  // A valid VMCS: host and guest are copies of the current 64-bit state.
  void setup_vmcs() {
    const ArchState& s = e->s;
    set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1);
    set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary);
    set(F::SECONDARY_VM_EXEC_CONTROL, 0);
    set(F::VM_EXIT_CONTROLS, exitc::kTrueDefault1 | exitc::kHostAddrSpace);
    set(F::VM_ENTRY_CONTROLS, entryc::kTrueDefault1 | entryc::kIa32eGuest);
    set(F::HOST_CR0, s.cr0);
    set(F::HOST_CR3, s.cr3);
    set(F::HOST_CR4, s.cr4);
    set(F::HOST_CS_SELECTOR, kSelCode64);
    set(F::HOST_SS_SELECTOR, kSelData0);
    set(F::HOST_DS_SELECTOR, kSelData0);
    set(F::HOST_ES_SELECTOR, kSelData0);
    set(F::HOST_TR_SELECTOR, kSelTss);
    set(F::HOST_TR_BASE, kTss);
    set(F::HOST_GDTR_BASE, kGdt);
    set(F::HOST_IDTR_BASE, kIdt);
    set(F::HOST_RSP, kStack0);
    set(F::HOST_RIP, kHostRip);
    set(F::GUEST_CR0, s.cr0);
    set(F::GUEST_CR3, s.cr3);
    set(F::GUEST_CR4, s.cr4);
    for (unsigned i = 0; i < kNumSegs; ++i) {
      auto at = [&](F first) { return static_cast<F>(static_cast<unsigned>(first) + i); };
      set(at(F::GUEST_ES_SELECTOR), s.seg[i].selector);
      set(at(F::GUEST_ES_BASE), s.seg[i].base);
      set(at(F::GUEST_ES_LIMIT), s.seg[i].limit);
      set(at(F::GUEST_ES_AR_BYTES), s.seg[i].attr);
    }
    set(F::GUEST_LDTR_AR_BYTES, 1u << 16);
    set(F::GUEST_TR_SELECTOR, kSelTss);
    set(F::GUEST_TR_BASE, kTss);
    set(F::GUEST_TR_LIMIT, 0x67);
    set(F::GUEST_TR_AR_BYTES, 0x8b);
    set(F::GUEST_GDTR_BASE, kGdt);
    set(F::GUEST_GDTR_LIMIT, 0x57);
    set(F::GUEST_IDTR_BASE, kIdt);
    set(F::GUEST_IDTR_LIMIT, 0xfff);
    set(F::GUEST_RSP, 0x70000);
    set(F::GUEST_RIP, kGuestCode);
    set(F::GUEST_RFLAGS, 2);
    set(F::VMCS_LINK_POINTER, ~0ull);
  }
  // Launches; true when the guest runs.
  bool launch() { return v->vm_entry(true) == EntryResult::kEntered; }
  uint32_t exit_reason() { return static_cast<uint32_t>(get(F::VM_EXIT_REASON)); }
  void run_guest(std::vector<uint8_t> code) {
    load(kGuestCode, code);
    ASSERT_TRUE(launch()) << "error " << get(F::VM_INSTRUCTION_ERROR);
    run(1000);
  }
};

}  // namespace hvsim::vmx::test
