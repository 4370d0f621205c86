// The VMX instructions (SDM Vol. 3 ch. 31 "VMX Instruction Reference"):
// VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
// VMRESUME, VMCALL, INVEPT, INVVPID, VMFUNC, in root and non-root operation.
#include "sim/core/isa/isa.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/insts.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx {

using core::DecodedInsn;
using core::Engine;
using core::kGP;
using core::kUD;
using core::raise;

namespace {

Vmx& vmx_of(Engine& e) { return *static_cast<Vmx*>(e.virt_unit()); }

// The current VMCS's address for extensions' costs (sim/ext); 0 when none.
uint64_t current_pa(const Vmx& v) { return v.has_current() ? v.current_vmcs() : 0; }

bool compat_or_legacy_bad(const Engine& e) {
  // CR0.PE = 0, RFLAGS.VM = 1, or compatibility mode: #UD (31.3).
  return !(e.s.cr0 & core::CR0_PE) || (e.s.rflags & core::VM) ||
         ((e.s.efer & core::EFER_LMA) && !e.s.seg[core::CS].l());
}

// The common prologue of every VMX instruction but VMXON/VMCALL/VMFUNC:
// #UD outside VMX operation, VM exit in non-root operation, #GP at CPL > 0.
void prologue(Vmx& v, Engine& e, uint32_t exit_reason, uint64_t qual = 0, uint32_t info = 0) {
  if (!v.in_vmx() || compat_or_legacy_bad(e)) raise(kUD);
  if (v.non_root()) v.exit_insn(exit_reason, qual, info);
  if (e.s.cpl > 0) raise(kGP, 0);
}

// VMREAD/VMWRITE (31.3): in non-root operation they exit unless VMCS
// shadowing lets this field through to the shadow VMCS.
void shadow_prologue(Vmx& v, Engine& e, uint64_t enc, bool write, uint32_t exit_reason,
                     uint64_t qual, uint32_t info) {
  if (!v.in_vmx() || compat_or_legacy_bad(e)) raise(kUD);
  if (v.non_root() && !v.shadowed(enc, write)) v.exit_insn(exit_reason, qual, info);
  if (e.s.cpl > 0) raise(kGP, 0);
}
// The VMCS they access: the current one in root operation, the one the VMCS
// link pointer names in non-root operation (kNoVmcs: VMfailInvalid).
uint64_t vmcs_target(const Vmx& v) {
  if (v.non_root()) return v.controls().link;
  return v.has_current() ? v.current_vmcs() : Vmx::kNoVmcs;
}

uint64_t phys_limit(const Vmx& v) { return 1ull << v.caps().maxphyaddr; }
bool bad_region(const Vmx& v, uint64_t pa) { return (pa & 0xfff) || pa >= phys_limit(v); }

// 64-bit register operands in 64-bit mode, 32-bit otherwise (31.3).
uint64_t reg_operand(const Engine& e, unsigned r) {
  return e.long64() ? e.s.gpr[r] : static_cast<uint32_t>(e.s.gpr[r]);
}

uint64_t read_m64(Engine& e, const DecodedInsn& d) {
  return e.read<uint64_t>(e.mem_linear(d, 8, false));
}

// ---- VMXON (31.3 "VMXON—Enter VMX Operation") ------------------------------
void vmxon(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  if (!(e.s.cr4 & core::CR4_VMXE) || compat_or_legacy_bad(e)) raise(kUD);
  if (v.non_root()) v.exit_insn(kExitVmxon, static_cast<uint64_t>(d.mem.disp),
                                vmx_insn_info(e, d, 0, 0, false));
  if (e.s.cpl > 0) raise(kGP, 0);
  if (v.in_vmx()) {
    v.vm_fail(kErrVmxonInRoot);
    return;
  }
  // CR0/CR4 bits fixed in VMX operation (A.7, A.8), IA32_FEATURE_CONTROL lock
  // and enable-outside-SMX (23.7).
  if ((~e.s.cr0 & VmxCaps::kCr0Fixed0 & 0xffffffff) || (~e.s.cr4 & VmxCaps::kCr4Fixed0) ||
      !(v.feature_control & 1) || !(v.feature_control & 4))
    raise(kGP, 0);
  const uint64_t pa = read_m64(e, d);
  e.add_own_cycles(v.costs().vmxon);
  if (bad_region(v, pa)) return v.vm_fail_invalid();
  const uint32_t rev = static_cast<uint32_t>(e.read_phys(pa, 4));
  if (rev != v.caps().revision) return v.vm_fail_invalid();
  v.do_vmxon(pa);
  v.vm_succeed();
}

void vmxoff(Engine& e, const DecodedInsn&) {
  Vmx& v = vmx_of(e);
  prologue(v, e, kExitVmxoff);
  v.do_vmxoff();
  e.add_own_cycles(v.costs().vmxon);
  v.vm_succeed();
}

void vmclear(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  prologue(v, e, kExitVmclear, static_cast<uint64_t>(d.mem.disp), vmx_insn_info(e, d, 0, 0, false));
  const uint64_t pa = read_m64(e, d);
  ++v.stats().vmclears;
  e.add_own_cycles(e.extensions().cost({ext::CostEvent::kVmclear, 0, pa}, v.costs().vmclear));
  if (bad_region(v, pa)) return v.vm_fail(kErrVmclearInvalidAddr);
  if (pa == v.vmxon_ptr()) return v.vm_fail(kErrVmclearVmxonPtr);
  v.do_vmclear(pa);
  v.vm_succeed();
}

void vmptrld(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  prologue(v, e, kExitVmptrld, static_cast<uint64_t>(d.mem.disp), vmx_insn_info(e, d, 0, 0, false));
  const uint64_t pa = read_m64(e, d);
  ++v.stats().vmptrlds;
  e.add_own_cycles(e.extensions().cost({ext::CostEvent::kVmptrld, 0, pa}, v.costs().vmptrld));
  if (bad_region(v, pa)) return v.vm_fail(kErrVmptrldInvalidAddr);
  if (pa == v.vmxon_ptr()) return v.vm_fail(kErrVmptrldVmxonPtr);
  // Bits 30:0 the revision; bit 31 (a shadow VMCS, 24.10) only with VMCS
  // shadowing, else a mismatch like a wrong revision.
  const uint32_t rev = static_cast<uint32_t>(e.read_phys(pa, 4));
  if ((rev & ~kShadowIndicator) != v.caps().revision ||
      ((rev & kShadowIndicator) && !v.caps().vmcs_shadowing))
    return v.vm_fail(kErrVmptrldBadRevision);
  v.do_vmptrld(pa);
  v.vm_succeed();
}

void vmptrst(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  prologue(v, e, kExitVmptrst, static_cast<uint64_t>(d.mem.disp), vmx_insn_info(e, d, 0, 0, false));
  e.write<uint64_t>(e.mem_linear(d, 8, true), v.current_vmcs());
  v.vm_succeed();
}

// VMREAD r/m, r (op0 destination, op1 the field encoding).
void vmread(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  const bool reg_dest = d.op[0].kind == core::OpKind::kReg;
  const uint64_t enc = reg_operand(e, d.op[1].reg);
  shadow_prologue(v, e, enc, false, kExitVmread, reg_dest ? 0 : static_cast<uint64_t>(d.mem.disp),
                  vmx_insn_info(e, d, reg_dest ? d.op[0].reg : 0, d.op[1].reg, reg_dest));
  ++v.stats().vmreads;
  e.add_own_cycles(e.extensions().cost({ext::CostEvent::kVmread, 0, current_pa(v)}, v.costs().vmread));
  const uint64_t target = vmcs_target(v);
  if (target == Vmx::kNoVmcs) return v.vm_fail_invalid();
  uint64_t val = 0;
  uint32_t err = 0;
  if (!v.vmread(enc, &val, &err, target)) return v.vm_fail(err);
  if (reg_dest) {
    e.s.gpr[d.op[0].reg] = e.long64() ? val : static_cast<uint32_t>(val);
  } else if (e.long64()) {
    e.write<uint64_t>(e.mem_linear(d, 8, true), val);
  } else {
    e.write<uint32_t>(e.mem_linear(d, 4, true), static_cast<uint32_t>(val));
  }
  v.vm_succeed();
}

// VMWRITE r, r/m (op0 the field encoding, op1 the value).
void vmwrite(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  const bool reg_src = d.op[1].kind == core::OpKind::kReg;
  const uint64_t enc = reg_operand(e, d.op[0].reg);
  shadow_prologue(v, e, enc, true, kExitVmwrite, reg_src ? 0 : static_cast<uint64_t>(d.mem.disp),
                  vmx_insn_info(e, d, reg_src ? d.op[1].reg : 0, d.op[0].reg, reg_src));
  ++v.stats().vmwrites;
  e.add_own_cycles(
      e.extensions().cost({ext::CostEvent::kVmwrite, 0, current_pa(v)}, v.costs().vmwrite));
  const uint64_t target = vmcs_target(v);
  if (target == Vmx::kNoVmcs) return v.vm_fail_invalid();
  uint64_t val;
  if (reg_src)
    val = reg_operand(e, d.op[1].reg);
  else if (e.long64())
    val = e.read<uint64_t>(e.mem_linear(d, 8, false));
  else
    val = e.read<uint32_t>(e.mem_linear(d, 4, false));
  uint32_t err = 0;
  if (!v.vmwrite(enc, val, &err, target)) return v.vm_fail(err);
  v.vm_succeed();
}

template <bool kLaunch>
void vmlaunch(Engine& e, const DecodedInsn&) {
  Vmx& v = vmx_of(e);
  prologue(v, e, kLaunch ? kExitVmlaunch : kExitVmresume);
  v.vm_entry(kLaunch);
}

// VMCALL (31.3): exits in non-root operation whatever the CPL.
void vmcall(Engine& e, const DecodedInsn&) {
  Vmx& v = vmx_of(e);
  if (!v.in_vmx()) raise(kUD);
  if (v.non_root()) v.exit_insn(kExitVmcall);
  if (compat_or_legacy_bad(e)) raise(kUD);
  if (e.s.cpl > 0) raise(kGP, 0);
  v.vm_fail(kErrVmcallInRoot);  // no dual-monitor treatment of SMIs
}

bool canonical48(uint64_t a) {
  return static_cast<uint64_t>(static_cast<int64_t>(a << 16) >> 16) == a;
}

// INVEPT r, m128 (31.3; 29.4.3.1): type 1 single-context, 2 all-context.
void invept(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  if (!v.caps().ept) raise(kUD);
  prologue(v, e, kExitInvept, static_cast<uint64_t>(d.mem.disp),
           vmx_insn_info(e, d, 0, d.op[0].reg, false));
  const uint64_t type = reg_operand(e, d.op[0].reg);
  const uint64_t la = e.mem_linear(d, 16, false);
  const uint64_t eptp = e.read<uint64_t>(la);
  ++v.stats().invepts;
  e.add_own_cycles(v.costs().invept);
  if (type == 1) {
    if (!eptp_valid(eptp, v.caps())) return v.vm_fail(kErrInvalidInvOperand);
    e.mmu().flush_ctx(eptp);
  } else if (type == 2) {
    e.mmu().flush_all();
  } else {
    return v.vm_fail(kErrInvalidInvOperand);
  }
  e.flush_tlb();
  v.vm_succeed();
}

// INVVPID r, m128 (31.3; 29.4.3.3): 0 individual address, 1 single context,
// 2 all contexts, 3 single context retaining globals.
void invvpid(Engine& e, const DecodedInsn& d) {
  Vmx& v = vmx_of(e);
  if (!v.caps().vpid) raise(kUD);
  prologue(v, e, kExitInvvpid, static_cast<uint64_t>(d.mem.disp),
           vmx_insn_info(e, d, 0, d.op[0].reg, false));
  const uint64_t type = reg_operand(e, d.op[0].reg);
  const uint64_t la = e.mem_linear(d, 16, false);
  const uint64_t lo = e.read<uint64_t>(la);
  const uint64_t addr = e.read<uint64_t>(la + 8);
  ++v.stats().invvpids;
  e.add_own_cycles(v.costs().invvpid);
  if (type > 3 || (lo >> 16)) return v.vm_fail(kErrInvalidInvOperand);
  const uint32_t vpid = static_cast<uint32_t>(lo & 0xffff);
  if (type != 2 && vpid == 0) return v.vm_fail(kErrInvalidInvOperand);
  if (type == 0 && !canonical48(addr)) return v.vm_fail(kErrInvalidInvOperand);
  switch (type) {
    case 0: e.mmu().flush_tag_address(vpid, addr); break;
    case 2: e.mmu().flush_all(); break;
    default: e.mmu().flush_tag(vpid); break;  // type 3 over-invalidates (permitted)
  }
  e.flush_tlb();
  v.vm_succeed();
}

// VMFUNC (31.3; 27.5.6.3): function 0 is EPTP switching.
void vmfunc(Engine& e, const DecodedInsn&) {
  Vmx& v = vmx_of(e);
  if (!v.non_root() || !v.controls().has2(proc2::kVmfunc)) raise(kUD);
  ++v.stats().vmfuncs;
  e.add_own_cycles(v.costs().vmfunc);
  const uint32_t fn = static_cast<uint32_t>(e.s.gpr[core::RAX]);
  const uint32_t index = static_cast<uint32_t>(e.s.gpr[core::RCX]);
  if (fn != 0 || !(v.controls().vmfunc & 1) || !v.controls().has2(proc2::kEpt) || index >= 512)
    v.exit_insn(kExitVmfunc);
  const uint64_t eptp = e.read_phys(v.controls().eptp_list + 8 * index, 8);
  if (!eptp_valid(eptp, v.caps())) v.exit_insn(kExitVmfunc);
  v.switch_eptp(eptp, static_cast<uint16_t>(index));
}

}  // namespace

// Table 28-13/28-14 layout shared by the VMX instructions with a memory or
// register operand: scaling, address size, mem/reg, segment, index, base, reg2.
uint32_t vmx_insn_info(const Engine&, const DecodedInsn& d, unsigned reg1, unsigned reg2,
                       bool is_reg) {
  uint32_t info = (static_cast<uint32_t>(reg2 & 0xf) << 28);
  if (is_reg) return info | (1u << 10) | ((reg1 & 0xf) << 3);
  const core::MemOperand& m = d.mem;
  info |= m.scale & 3;
  info |= (d.addrsize == 8 ? 2u : d.addrsize == 4 ? 1u : 0u) << 7;
  info |= static_cast<uint32_t>(m.seg & 7) << 15;
  if (m.index == core::MemOperand::kNoReg)
    info |= 1u << 22;
  else
    info |= static_cast<uint32_t>(m.index & 0xf) << 18;
  if (m.base == core::MemOperand::kNoReg || m.base == core::MemOperand::kRip)
    info |= 1u << 27;
  else
    info |= static_cast<uint32_t>(m.base & 0xf) << 23;
  return info;
}

void register_insns(core::isa::BinderTable& t) {
  using core::isa::BinderTable;
  auto plain = [](core::ExecFn fn) { return fn; };
  (void)plain;
#define HVSIM_VMX_BIND(M, fn) \
  t.add(ZYDIS_MNEMONIC_##M, HVSIM_PLAIN(fn), timing::k_system, true)
  HVSIM_VMX_BIND(VMXON, vmxon);
  HVSIM_VMX_BIND(VMXOFF, vmxoff);
  HVSIM_VMX_BIND(VMCLEAR, vmclear);
  HVSIM_VMX_BIND(VMPTRLD, vmptrld);
  HVSIM_VMX_BIND(VMPTRST, vmptrst);
  HVSIM_VMX_BIND(VMREAD, vmread);
  HVSIM_VMX_BIND(VMWRITE, vmwrite);
  HVSIM_VMX_BIND(VMLAUNCH, vmlaunch<true>);
  HVSIM_VMX_BIND(VMRESUME, vmlaunch<false>);
  HVSIM_VMX_BIND(VMCALL, vmcall);
  HVSIM_VMX_BIND(INVEPT, invept);
  HVSIM_VMX_BIND(INVVPID, invvpid);
  HVSIM_VMX_BIND(VMFUNC, vmfunc);
#undef HVSIM_VMX_BIND
}

}  // namespace hvsim::vmx
