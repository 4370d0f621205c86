// The SVM instructions (AMD APM Vol. 3 ch. 4 "System Instruction
// Reference"; Vol. 2 15.5 VMRUN, 15.5.2 VMLOAD/VMSAVE, 15.17 STGI/CLGI,
// 15.16.3 INVLPGA, VMMCALL, SKINIT), in host and guest mode. The checks
// run in the manuals' order: #UD (EFER.SVME, protected mode), #GP (CPL),
// then the instruction intercept (15.9: after simple exceptions, before
// operand-based ones), then the operand checks.
#include "sim/core/isa/isa.h"
#include "sim/svm/insts.h"
#include "sim/svm/svm.h"

namespace hvsim::svm {

using core::DecodedInsn;
using core::Engine;
using core::kGP;
using core::kUD;
using core::raise;

namespace {

Svm& svm_of(Engine& e) { return *static_cast<Svm*>(e.virt_unit()); }

// rAX as an address of the instruction's address size.
uint64_t rax_operand(const Engine& e, const DecodedInsn& d) {
  return Engine::mask_addr(e.s.gpr[core::RAX], d.addrsize ? d.addrsize : 8);
}

void prologue(Svm& v, Engine& e, uint32_t misc2_bit, uint64_t code) {
  if (!(e.s.efer & core::EFER_SVME) || !(e.s.cr0 & core::CR0_PE)) raise(kUD);
  if (e.s.cpl != 0) raise(kGP, 0);
  if (v.in_guest() && v.intercepted2(misc2_bit)) v.exit_insn(code);
}

// A 4 KiB-aligned physical address below MAXPHYADDR, or #GP(0).
uint64_t page_operand(Svm& v, Engine& e, const DecodedInsn& d) {
  const uint64_t pa = rax_operand(e, d);
  if ((pa & 0xfff) || (pa >> v.caps().maxphyaddr)) raise(kGP, 0);
  return pa;
}

void vmrun(Engine& e, const DecodedInsn& d) {
  Svm& v = svm_of(e);
  prologue(v, e, misc2::kVmrun, kExitVmrun);
  v.vmrun(page_operand(v, e, d));
}

void vmload(Engine& e, const DecodedInsn& d) {
  Svm& v = svm_of(e);
  prologue(v, e, misc2::kVmload, kExitVmload);
  v.vmload(page_operand(v, e, d));
}

void vmsave(Engine& e, const DecodedInsn& d) {
  Svm& v = svm_of(e);
  prologue(v, e, misc2::kVmsave, kExitVmsave);
  v.vmsave(page_operand(v, e, d));
}

void stgi(Engine& e, const DecodedInsn&) {
  Svm& v = svm_of(e);
  prologue(v, e, misc2::kStgi, kExitStgi);
  e.add_own_cycles(v.costs().stgi);
  v.set_gif(true);
}

void clgi(Engine& e, const DecodedInsn&) {
  Svm& v = svm_of(e);
  prologue(v, e, misc2::kClgi, kExitClgi);
  e.add_own_cycles(v.costs().clgi);
  v.set_gif(false);
}

// INVLPGA rAX, ECX: the page rAX of ASID ECX.
void invlpga(Engine& e, const DecodedInsn& d) {
  Svm& v = svm_of(e);
  if (!(e.s.efer & core::EFER_SVME) || !(e.s.cr0 & core::CR0_PE)) raise(kUD);
  if (e.s.cpl != 0) raise(kGP, 0);
  if (v.in_guest() && v.intercepted(misc1::kInvlpga)) v.exit_insn(kExitInvlpga);
  v.invlpga(rax_operand(e, d), static_cast<uint32_t>(e.s.gpr[core::RCX]));
}

// VMMCALL: exits when intercepted, #UD otherwise (also outside a guest).
void vmmcall(Engine& e, const DecodedInsn&) {
  Svm& v = svm_of(e);
  if (v.in_guest() && v.intercepted2(misc2::kVmmcall)) v.exit_insn(kExitVmmcall);
  raise(kUD);
}

// SKINIT is not modelled: #UD unless a guest intercepts it.
void skinit(Engine& e, const DecodedInsn&) {
  Svm& v = svm_of(e);
  if (!(e.s.efer & core::EFER_SVME) || !(e.s.cr0 & core::CR0_PE)) raise(kUD);
  if (e.s.cpl != 0) raise(kGP, 0);
  if (v.in_guest() && v.intercepted2(misc2::kSkinit)) v.exit_insn(kExitSkinit);
  raise(kUD);
}

}  // namespace

void register_insns(core::isa::BinderTable& t) {
#define HVSIM_SVM_BIND(M, fn) t.add(ZYDIS_MNEMONIC_##M, HVSIM_PLAIN(fn), timing::k_system, true)
  HVSIM_SVM_BIND(VMRUN, vmrun);
  HVSIM_SVM_BIND(VMLOAD, vmload);
  HVSIM_SVM_BIND(VMSAVE, vmsave);
  HVSIM_SVM_BIND(STGI, stgi);
  HVSIM_SVM_BIND(CLGI, clgi);
  HVSIM_SVM_BIND(INVLPGA, invlpga);
  HVSIM_SVM_BIND(VMMCALL, vmmcall);
  HVSIM_SVM_BIND(SKINIT, skinit);
#undef HVSIM_SVM_BIND
}

}  // namespace hvsim::svm
