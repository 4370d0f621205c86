// Moving state between the core and a VMCB (AMD APM Vol. 2 15.5 VMRUN, 15.6
// #VMEXIT, 15.5.2 VMLOAD/VMSAVE, 15.15.3 clean bits): the segment layout
// (Table B-2), the state VMRUN and #VMEXIT swap, and VMCB fields named by
// offset and size, so that what an operation reads, writes or keeps is a
// table rather than a run of assignments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sim/core/engine.h"
#include "sim/svm/vmcb.h"

namespace hvsim::svm {

// Where VMRUN keeps the host state: the state-save layout at VM_HSAVE_PA +
// 400h (15.5, 15.30.4).
constexpr uint64_t kHsaveState = 0x400;

inline core::Segment seg_from_vmcb(const VmcbSeg& s) {
  return core::Segment{s.selector, s.base, s.limit, attr_from_vmcb(s.attrib)};
}
inline VmcbSeg seg_to_vmcb(const core::Segment& s) {
  return VmcbSeg{s.selector, attr_to_vmcb(s.attr), s.limit, s.base};
}
inline core::TableReg table_from_vmcb(const VmcbSeg& s) {
  return core::TableReg{s.base, static_cast<uint16_t>(s.limit)};
}
inline VmcbSeg table_to_vmcb(const core::TableReg& t) { return VmcbSeg{0, 0, t.limit, t.base}; }

// Writes one field of the VMCB (or HSAVE area) at `pa` in memory.
template <typename T>
void put_field(core::Engine& e, uint64_t pa, size_t off, const T& v) {
  e.phys_write(pa + off, &v, sizeof v);
}

// A field (or run of fields) of the VMCB.
struct VmcbField {
  uint32_t offset;
  uint32_t size;
};
#define HVSIM_VMCB_FIELD(f) \
  ::hvsim::svm::VmcbField { offsetof(::hvsim::svm::Vmcb, f), sizeof(::hvsim::svm::Vmcb{}.f) }

// Writes `fields` of `image` to the VMCB at `pa`.
void write_fields(core::Engine& e, uint64_t pa, const Vmcb& image,
                  std::span<const VmcbField> fields);
// Copies `fields` from `src` into `dst`.
void copy_fields(Vmcb& dst, const Vmcb& src, std::span<const VmcbField> fields);

// The state VMRUN saves of the host and #VMEXIT saves of the guest (15.5,
// 15.6): ES, CS, SS, DS, GDTR, IDTR, EFER, CR0, CR3, CR4, RFLAGS, RIP, RSP,
// RAX, CPL.
void save_switched_state(const core::ArchState& s, VmcbSave& out);
// What VMRUN (guest) and #VMEXIT (host) load alike: ES, CS, SS, DS, GDTR,
// IDTR, CR3, CR4, RIP, RSP, RAX. CR0, EFER, RFLAGS and CPL are the caller's.
void load_switched_state(const VmcbSave& in, core::ArchState& s);

// LBR virtualization (15.23): DBGCTL and the last-branch record
// (BR_FROM/BR_TO, LASTEXCPFROM/LASTEXCPTO = MSRs 1DBh-1DEh).
inline void save_lbr(const core::ArchState& s, VmcbSave& out) {
  out.dbgctl = s.debugctl;
  out.br_from = s.lbr_from;
  out.br_to = s.lbr_to;
  out.last_excp_from = s.lbr_int_from;
  out.last_excp_to = s.lbr_int_to;
}
inline void load_lbr(const VmcbSave& in, core::ArchState& s) {
  s.debugctl = in.dbgctl;
  s.lbr_from = in.br_from;
  s.lbr_to = in.br_to;
  s.lbr_int_from = in.last_excp_from;
  s.lbr_int_to = in.last_excp_to;
}

// What VMSAVE stores and VMLOAD loads (15.5.2): FS, GS, TR, LDTR (hidden
// state included), KernelGsBase, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS,
// SYSENTER_ESP, SYSENTER_EIP.
extern const VmcbField kVmsaveFields[12];
void save_vmsave_state(const core::ArchState& s, VmcbSave& out);
void load_vmsave_state(const VmcbSave& in, core::ArchState& s);

}  // namespace hvsim::svm
