// Moving state between the core and a VMCB (see vmcb_state.h).
#include "sim/svm/vmcb_state.h"

#include <cstring>

namespace hvsim::svm {

void write_fields(core::Engine& e, uint64_t pa, const Vmcb& image,
                  std::span<const VmcbField> fields) {
  const auto* raw = reinterpret_cast<const uint8_t*>(&image);
  for (const VmcbField& f : fields) e.phys_write(pa + f.offset, raw + f.offset, f.size);
}

void copy_fields(Vmcb& dst, const Vmcb& src, std::span<const VmcbField> fields) {
  auto* d = reinterpret_cast<uint8_t*>(&dst);
  const auto* s = reinterpret_cast<const uint8_t*>(&src);
  for (const VmcbField& f : fields) std::memcpy(d + f.offset, s + f.offset, f.size);
}

void save_switched_state(const core::ArchState& s, VmcbSave& out) {
  out.es = seg_to_vmcb(s.seg[core::ES]);
  out.cs = seg_to_vmcb(s.seg[core::CS]);
  out.ss = seg_to_vmcb(s.seg[core::SS]);
  out.ds = seg_to_vmcb(s.seg[core::DS]);
  out.gdtr = table_to_vmcb(s.gdtr);
  out.idtr = table_to_vmcb(s.idtr);
  out.efer = s.efer;
  out.cr0 = s.cr0;
  out.cr3 = s.cr3;
  out.cr4 = s.cr4;
  out.rflags = s.rflags;
  out.rip = s.rip;
  out.rsp = s.gpr[core::RSP];
  out.rax = s.gpr[core::RAX];
  out.cpl = s.cpl;
}

void load_switched_state(const VmcbSave& in, core::ArchState& s) {
  s.seg[core::ES] = seg_from_vmcb(in.es);
  s.seg[core::CS] = seg_from_vmcb(in.cs);
  s.seg[core::SS] = seg_from_vmcb(in.ss);
  s.seg[core::DS] = seg_from_vmcb(in.ds);
  s.gdtr = table_from_vmcb(in.gdtr);
  s.idtr = table_from_vmcb(in.idtr);
  s.cr3 = in.cr3;
  s.cr4 = in.cr4;
  s.rip = in.rip;
  s.gpr[core::RSP] = in.rsp;
  s.gpr[core::RAX] = in.rax;
}

const VmcbField kVmsaveFields[12] = {
    HVSIM_VMCB_FIELD(save.fs),          HVSIM_VMCB_FIELD(save.gs),
    HVSIM_VMCB_FIELD(save.tr),          HVSIM_VMCB_FIELD(save.ldtr),
    HVSIM_VMCB_FIELD(save.kernel_gs_base), HVSIM_VMCB_FIELD(save.star),
    HVSIM_VMCB_FIELD(save.lstar),       HVSIM_VMCB_FIELD(save.cstar),
    HVSIM_VMCB_FIELD(save.sfmask),      HVSIM_VMCB_FIELD(save.sysenter_cs),
    HVSIM_VMCB_FIELD(save.sysenter_esp), HVSIM_VMCB_FIELD(save.sysenter_eip),
};

void save_vmsave_state(const core::ArchState& s, VmcbSave& out) {
  out.fs = seg_to_vmcb(s.seg[core::FS]);
  out.gs = seg_to_vmcb(s.seg[core::GS]);
  out.tr = seg_to_vmcb(s.tr);
  out.ldtr = seg_to_vmcb(s.ldtr);
  out.kernel_gs_base = s.kernel_gs_base;
  out.star = s.star;
  out.lstar = s.lstar;
  out.cstar = s.cstar;
  out.sfmask = s.sfmask;
  out.sysenter_cs = s.sysenter_cs;
  out.sysenter_esp = s.sysenter_esp;
  out.sysenter_eip = s.sysenter_eip;
}

namespace {
// Sign-extends bit 47: the form the segment-base registers hold.
uint64_t canonical(uint64_t a) { return static_cast<uint64_t>(static_cast<int64_t>(a << 16) >> 16); }
}  // namespace

// VMLOAD loads FS, GS, TR and LDTR bases and KernelGSBase in canonical form
// (a later VMSAVE stores them so; kvm-unit-tests' test_canonicalization).
void load_vmsave_state(const VmcbSave& in, core::ArchState& s) {
  s.seg[core::FS] = seg_from_vmcb(in.fs);
  s.seg[core::GS] = seg_from_vmcb(in.gs);
  s.tr = seg_from_vmcb(in.tr);
  s.ldtr = seg_from_vmcb(in.ldtr);
  for (core::Segment* g : {&s.seg[core::FS], &s.seg[core::GS], &s.tr, &s.ldtr})
    g->base = canonical(g->base);
  s.kernel_gs_base = canonical(in.kernel_gs_base);
  s.star = in.star;
  s.lstar = in.lstar;
  s.cstar = in.cstar;
  s.sfmask = in.sfmask;
  s.sysenter_cs = in.sysenter_cs;
  s.sysenter_esp = in.sysenter_esp;
  s.sysenter_eip = in.sysenter_eip;
}

}  // namespace hvsim::svm
