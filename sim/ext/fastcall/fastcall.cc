// ext.fastcall: a guest calls its hypervisor without a VM exit.
//
// FASTCALL (0F 0A) in guest mode, at CPL 0, with the handler enabled
// (kMsrCtl[0]) and the guest in 64-bit mode: the processor keeps the guest's
// GPRs, saves its RIP (of the next instruction), RSP, RFLAGS, CR3, CS, SS and
// the guest-mode context (intercepts, VPID/ASID, EPT/NPT) on chip, and enters
// the hypervisor's handler in host mode the way SYSCALL enters a kernel
// (SDM Vol. 2B SYSCALL): CS/SS flat 64-bit from kMsrCtl, RIP/RSP/CR3 from
// their MSRs, RFLAGS = 2 (interrupts off), CPL 0. The VMCS/VMCB is not
// touched and no exit is recorded. FASTRET (0F 0C) in the handler restores
// the saved state and resumes the guest; the GPRs carry the results.
// Each switch costs its timing class (far) plus ext.fastcall.call_cycles or
// ext.fastcall.ret_cycles.
//
// Otherwise: FASTCALL outside guest mode, or FASTRET outside a handler, is
// #UD; FASTCALL at CPL > 0 is #GP(0); with the handler disabled or outside
// 64-bit mode it exits (kVmxExitReason / kSvmExitCode), trap-free, RIP at
// the instruction, so a hypervisor can emulate it. With the extension off
// both are #UD (the decoder never claims them).
//
// The handler runs with the guest's GDTR/IDTR/TR, CR0/CR4/EFER and interrupts
// off: it must not fault or enable interrupts (the hypervisors' handlers are
// a few instructions, workloads/lib/hv_fastcall.S).
#include "sim/ext/fastcall/fastcall.h"

#include <mutex>

#include "sim/core/decoder.h"
#include "sim/core/engine.h"
#include "sim/core/sys/msr.h"
#include "sim/ext/extension.h"

namespace hvsim::ext::fastcall {
namespace {

using core::Engine;
using core::DecodedInsn;

struct Saved {
  bool active = false;
  uint64_t rip = 0, rsp = 0, rflags = 0, cr3 = 0;
  core::Segment cs, ss;
  uint8_t cpl = 0;
  virt::GuestHooks* hooks = nullptr;
  bool poll = false, single_step = false;
  uint32_t tlb_tag = 0;
  uint64_t tlb_ctx = 0;
  mmu::Stage2* stage2 = nullptr;
};

struct State {
  uint64_t ctl = 0, rip = 0, rsp = 0, cr3 = 0;
  uint64_t call_cycles = 0, ret_cycles = 0;
  Saved saved;
  uint64_t calls = 0, returns = 0, exits = 0, switch_cycles = 0;
};

class Fastcall final : public Extension {
 public:
  explicit Fastcall(const base::Config& cfg) {
    st_.call_cycles = cfg.get_uint("ext.fastcall.call_cycles");
    st_.ret_cycles = cfg.get_uint("ext.fastcall.ret_cycles");
  }

  unsigned decode(const uint8_t* b, size_t avail, unsigned, DecodedInsn& d) const override {
    if (avail < 2 || b[0] != 0x0f || (b[1] != kOpFastcall && b[1] != kOpFastret)) return 0;
    d.exec = b[1] == kOpFastcall ? &exec_fastcall : &exec_fastret;
    d.tclass = timing::k_far;
    d.flags = core::kEndsBlock;
    d.aux = &st_;
    return 2;
  }

  void register_stats(base::StatRegistry& s) override {
    s.add_counter("ext.fastcall.calls", &st_.calls, "count", "FASTCALLs that entered the handler");
    s.add_counter("ext.fastcall.returns", &st_.returns, "count", "FASTRETs back to the guest");
    s.add_counter("ext.fastcall.exits", &st_.exits, "count",
                  "FASTCALLs intercepted (handler disabled or not 64-bit): VM exits");
    s.add_counter("ext.fastcall.switch_cycles", &st_.switch_cycles, "cycles",
                  "cycles charged for handler entries and returns (beyond the far class)");
  }

  State& state() { return st_; }

 private:
  static State& state_of(const DecodedInsn& d) {
    return *static_cast<State*>(const_cast<void*>(d.aux));
  }
  static void exec_fastcall(Engine& e, const DecodedInsn& d);
  static void exec_fastret(Engine& e, const DecodedInsn& d);

  // decode() is const (the decoder holds const extensions); the state it
  // hands to the semantic functions is this core's and is written at run time.
  mutable State st_;
};

void Fastcall::exec_fastcall(Engine& e, const DecodedInsn& d) {
  State& st = state_of(d);
  virt::GuestHooks* g = e.guest();
  if (!g || st.saved.active) raise(core::kUD);
  if (e.s.cpl != 0) raise(core::kGP, 0);
  if (!(st.ctl & kCtlEnable) || !e.long64()) {
    // Intercepted: a fault-like exit, RIP rolled back to the instruction.
    ++st.exits;
    virt::GuestExit x;
    x.reason = e.cpuid_model().is_amd() ? kSvmExitCode : kVmxExitReason;
    x.insn_len = d.len;
    throw x;
  }
  Saved& sv = st.saved;
  const core::GuestContext& gc = e.guest_context();
  sv = Saved{true,          e.s.rip,    e.s.gpr[core::RSP], e.s.rflags, e.s.cr3,
             e.s.seg[core::CS], e.s.seg[core::SS], e.s.cpl, gc.hooks,  gc.poll,
             gc.single_step, gc.tlb_tag, gc.tlb_ctx, gc.stage2};
  e.set_guest(nullptr);  // host mode: no intercepts, root tags, no stage 2
  // Untagged guest translations (no VPID/ASID, no EPT/NPT) would be the host's.
  if (sv.tlb_tag == 0 && sv.tlb_ctx == 0) e.flush_all_translations();
  const uint16_t cs = static_cast<uint16_t>((st.ctl >> 32) & 0xfffc);
  e.s.seg[core::CS] = core::Segment{cs, 0, 0xffffffff, 0xa09b};  // 64-bit code, DPL 0
  e.s.seg[core::SS] = core::Segment{static_cast<uint16_t>(cs + 8), 0, 0xffffffff, 0xc093};
  e.s.cr3 = st.cr3;
  e.set_cpl(0);
  e.s.rflags = 0x2;
  e.s.gpr[core::RSP] = st.rsp;
  e.s.rip = st.rip;
  e.update_mode();
  e.add_cycles(st.call_cycles);
  st.switch_cycles += st.call_cycles;
  ++st.calls;
}

void Fastcall::exec_fastret(Engine& e, const DecodedInsn& d) {
  State& st = state_of(d);
  Saved& sv = st.saved;
  if (!sv.active || e.guest()) raise(core::kUD);
  if (e.s.cpl != 0) raise(core::kGP, 0);
  sv.active = false;
  e.s.cr3 = sv.cr3;
  e.s.seg[core::CS] = sv.cs;
  e.s.seg[core::SS] = sv.ss;
  e.set_cpl(sv.cpl);
  e.s.rflags = sv.rflags;
  e.s.gpr[core::RSP] = sv.rsp;
  e.s.rip = sv.rip;
  if (sv.tlb_tag == 0 && sv.tlb_ctx == 0) e.flush_all_translations();
  e.set_guest(sv.hooks);
  e.set_tlb_tags(sv.tlb_tag, sv.tlb_ctx);
  e.set_stage2(sv.stage2);
  e.set_guest_poll(sv.poll, sv.single_step);
  e.update_mode();
  e.add_cycles(st.ret_cycles);
  st.switch_cycles += st.ret_cycles;
  ++st.returns;
}

// ---- MSRs: writable in host mode only --------------------------------------

State& msr_state(Engine& e) {
  auto* f = static_cast<Fastcall*>(e.extensions().get("fastcall"));
  if (!f || e.guest()) raise(core::kGP, 0);
  return f->state();
}

uint64_t* msr_field(State& st, uint32_t index) {
  switch (index) {
    case kMsrCtl: return &st.ctl;
    case kMsrRip: return &st.rip;
    case kMsrRsp: return &st.rsp;
    default: return &st.cr3;
  }
}

uint64_t read_msr(Engine& e, uint32_t index) { return *msr_field(msr_state(e), index); }

void write_msr(Engine& e, uint32_t index, uint64_t v) {
  State& st = msr_state(e);
  const bool canonical = static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16) == v;
  if (index == kMsrCtl && (v & ~(kCtlEnable | 0xffffull << 32))) raise(core::kGP, 0);
  if ((index == kMsrRip || index == kMsrRsp) && !canonical) raise(core::kGP, 0);
  if (index == kMsrCr3 && (v >> e.cpuid_model().maxphyaddr())) raise(core::kGP, 0);
  *msr_field(st, index) = v;
}

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("ext.fastcall.call_cycles", 40, "cycles",
               "FASTCALL: entering the hypervisor's handler (beyond timing.far_cycles)");
  reg.add_uint("ext.fastcall.ret_cycles", 40, "cycles",
               "FASTRET: resuming the guest (beyond timing.far_cycles)");
}

std::unique_ptr<Extension> create(Engine&, const base::Config& cfg) {
  static std::once_flag msrs;
  std::call_once(msrs, [] {
    static const core::sys::MsrDef kMsrs[] = {
        {kMsrCtl, "HVSIM_FASTCALL_CTL", &read_msr, &write_msr},
        {kMsrRip, "HVSIM_FASTCALL_RIP", &read_msr, &write_msr},
        {kMsrRsp, "HVSIM_FASTCALL_RSP", &read_msr, &write_msr},
        {kMsrCr3, "HVSIM_FASTCALL_CR3", &read_msr, &write_msr},
    };
    core::sys::add_msrs(kMsrs);
  });
  return std::make_unique<Fastcall>(cfg);
}

const Info kInfo{"fastcall",
                 "FASTCALL/FASTRET: a guest calls its hypervisor's handler without a VM exit "
                 "(CPUID 4856_0000h EAX[0])",
                 kCpuidBit,
                 kVmxExitReason,
                 kSvmExitCode,
                 &declare_params,
                 &create};

}  // namespace
}  // namespace hvsim::ext::fastcall

HVSIM_EXTENSION(fastcall, hvsim::ext::fastcall::kInfo)
