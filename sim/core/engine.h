// The execution engine behind core::Core: architectural state, memory access
// through the host-pointer TLB, and the run loop over the decoded-block
// cache. Semantic functions (sim/core/isa/*.cc, sys/*.cc) receive an Engine&
// and use the inline accessors below; nothing here allocates or makes a
// virtual call on the fast path.
//
// The parts live in their own files: engine.cc (construction, mode, reset,
// INIT, segmentation, diagnostics), engine_memory.cc (translation and the
// memory slow path), engine_blocks.cc (decoding into the block cache),
// engine_run.cc (run loop, events, interrupts, guest exits), the chain
// loops engine_functional.cc and engine_simple.cc, engine_debug.cc, the
// inline accessors engine_access.h; the event bits in engine_events.h; side
// state in host_tlb.h, block_cache.h, guest_context.h, address_monitor.h,
// rng.h and magic_ops.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/params.h"
#include "sim/core/address_monitor.h"
#include "sim/core/arch_state.h"
#include "sim/core/block_cache.h"
#include "sim/core/cpl_split.h"
#include "sim/core/bus.h"
#include "sim/core/cpuid.h"
#include "sim/core/debug_state.h"
#include "sim/core/decoded_insn.h"
#include "sim/core/engine_events.h"
#include "sim/core/fault.h"
#include "sim/core/guest_context.h"
#include "sim/core/host_tlb.h"
#include "sim/core/interrupt_source.h"
#include "sim/core/magic_ops.h"
#include "sim/core/rng.h"
#include "sim/ext/registry.h"
#include "sim/core/run_exit.h"
#include "sim/mmu/mmu.h"
#include "sim/mmu/walker.h"
#include "sim/timing/phased_model.h"  // and core_model.h
#include "sim/timing/latencies.h"
#include "sim/virt/guest_hooks.h"

#define HVSIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HVSIM_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace hvsim::checkpoint { struct Access; }  // sim/checkpoint: saves private state
namespace hvsim::core {

class Decoder;
class Coherence;
namespace isa {
class BinderTable;
}

class Engine : public mmu::PhysMem {
  friend struct ::hvsim::checkpoint::Access;
 public:
  Engine(Bus& bus, const hvsim::base::Config& cfg);
  ~Engine() override;

  static void declare_params(hvsim::base::ParamRegistry& reg);

  ArchState s;

  // ---- run control -------------------------------------------------------
  RunExit run(uint64_t cycle_limit);
  void request_stop() { post_event(kEvStop); }
  void break_block() { post_event(kEvBreak); }
  void halt() { post_event(kEvHalt); }
  // Stops the run once instructions() plus the REP iterations counted from
  // now (rep_budget) reach n; 0: no limit.
  void set_insn_limit(uint64_t n) {
    insn_limit_ = n;
    rep_extra_ = 0;
  }
  // ---- time: the core model (sim/timing) owns it ---------------------------
  // The clock: the model's cycle count at the last retirement (or stall),
  // plus what the executing instruction has been charged so far and the
  // fetch stall (ITLB walk) not yet retired, so that a read in the middle of
  // an instruction (RDTSC, the exit tracker's stamps) sees them, as it
  // always did. Out of an instruction ri_ holds no charges.
  uint64_t cycles() const {
    return (ff_clock_ ? icount_ + ff_delta_ : cycles_) + ri_.extra_cycles + ri_.fetch_latency +
           fetch_walk_;
  }
  const uint64_t& cycles_ref() const { return cycles_; }
  const uint64_t& icount_ref() const { return icount_; }
  uint64_t instructions() const { return icount_; }
  uint64_t limit_count() const { return icount_ + rep_extra_; }  // REP iterations each count
  // A flat cost: inside an instruction it joins that instruction's retire
  // record (RetireInfo::extra_cycles); between instructions (a device
  // holding the core, HLT, an event delivered at a boundary) the model
  // stalls for it at once.
  void add_cycles(uint64_t c) {
    ri_.add_extra(c);
    if (!ri_open_) return settle();
    post_event(charge_ev_);
  }
  // The executing instruction's whole cost (VMX/SVM instructions: their
  // class latency is not charged again, timing::kOwnCost).
  void add_own_cycles(uint64_t c) {
    ri_.flags |= timing::kOwnCost;
    add_cycles(c);
  }
  // A VM entry or exit: the pipeline drains, then the configured cost.
  void add_world_switch_cycles(uint64_t c) {
    ri_.flags |= timing::kWorldSwitch | timing::kOwnCost;
    add_cycles(c);
  }
  // A fused pair (isa/fused.cc, run by the simple loop): engine_access.h.
  bool fused_head_fits(const DecodedInsn& head) const;
  void begin_fused_jcc(const DecodedInsn& jcc);
  void retire_fused_head(const DecodedInsn& head);
  // A near branch was taken to `target` (sim/core/isa/control.cc); the
  // simple model's cost for it is summed with the accesses (taken_cost_).
  void taken_branch(uint64_t target) {
    ri_.taken_to(target);
    ri_.mem_cost += taken_cost_;
  }
  timing::CoreModel& core_model() { return model_.detailed(); }
  const timing::PhasedModel& phases() const { return model_; }  // fast-forward, sampling
  uint64_t insn_rip() const { return insn_rip_; }  // RIP of the executing instruction
  std::string last_error() const { return last_error_; }
  void set_last_error(std::string e) { last_error_ = std::move(e); }
  void shutdown() { post_event(kEvShutdown); }  // triple fault: run() returns kTripleFault
  std::string dump_registers() const;
  // Where magic operations go (the System); null: they are NOPs.
  void set_magic_ops(MagicOps* m) { magic_ = m; }
  void magic(uint16_t op, uint64_t arg) {
    sync_clock();  // statistics read cycles_ and the model's counts (a region of interest)
    if (magic_) magic_->magic(op, arg);
  }

  // ---- reset (SDM Vol. 3 9.1.1 Table 9-1; 11.6.1 STARTUP IPI) --------------
  void reset_state();
  // Starts the core in real mode at vector << 12: from the wait-for-SIPI
  // state INIT left (keeping what INIT kept), or else from the reset state.
  void start_at_sipi(uint8_t vector);
  // INIT (SDM Vol. 3 10.1 Table 10-1 "INIT" column): the reset state except
  // MSRs, CR0.CD/NW and the x87/SSE state; then wait-for-SIPI.
  void perform_init();
  bool waiting_for_sipi() const { return wait_sipi_; }
  void set_wait_sipi(bool on) { wait_sipi_ = on; }  // VMX wait-for-SIPI (GuestContext::sipi)

  // ---- mode ----------------------------------------------------------------
  // Recomputes s.mode and the cached mode facts after CR0/EFER/CS/RFLAGS.VM
  // changes, and ends the block (decoding depends on the mode).
  void update_mode();
  bool long64() const { return long64_; }
  unsigned stack_size() const { return stack_size_; }  // 2, 4 or 8 bytes
  // Flush the host-pointer TLB (CR3 write, INVLPG, paging-mode changes);
  // INVLPG's flush_tlb_page_any: one page, or everything when a large page
  // may back the entry. Defined in engine_access.h.
  void flush_tlb();
  void flush_tlb_page(uint64_t la);
  void flush_tlb_page_any(uint64_t la);

  // ---- registers -----------------------------------------------------------
  template <typename T>
  T get_reg(const Operand& o) const {
    if constexpr (sizeof(T) == 1) {
      if (o.high8) return static_cast<T>(s.gpr[o.reg] >> 8);
    }
    return static_cast<T>(s.gpr[o.reg]);
  }
  template <typename T>
  void set_reg(const Operand& o, T v) {
    set_gpr<T>(o.reg, v, o.high8);
  }
  // Writes a GPR with x86 width semantics: 32-bit writes zero-extend,
  // 8- and 16-bit writes merge (engine_access.h).
  template <typename T>
  void set_gpr(unsigned r, T v, bool high8 = false);

  // ---- addresses -----------------------------------------------------------
  // Effective address of the memory operand (offset within its segment).
  uint64_t ea(const DecodedInsn& d) const;
  static uint64_t mask_addr(uint64_t a, unsigned addrsize) {
    if (addrsize == 8) return a;
    if (addrsize == 4) return static_cast<uint32_t>(a);
    return static_cast<uint16_t>(a);
  }
  // Segmentation (SDM Vol. 3 3.4, 5.3): offset -> linear address, with the
  // limit check outside 64-bit mode. Throws #GP(0) / #SS(0).
  uint64_t linear(unsigned seg, uint64_t off, unsigned size, bool write) {
    if (HVSIM_LIKELY(long64_)) {
      access_seg_ = static_cast<uint8_t>(seg);  // for the fault of a non-canonical access
      return seg >= FS ? s.seg[seg].base + off : off;
    }
    return linear_legacy(seg, off, size, write);
  }
  uint64_t linear_legacy(unsigned seg, uint64_t off, unsigned size, bool write);
  // Canonical form for the processor's linear-address width (SDM Vol. 1 3.3.7.1).
  bool canonical(uint64_t la) const {
    const unsigned sh = 64 - cpuid_.linear_bits();
    return static_cast<uint64_t>(static_cast<int64_t>(la << sh) >> sh) == la;
  }
  uint64_t mem_linear(const DecodedInsn& d, unsigned size, bool write) {
    return linear(d.mem.seg, ea(d), size, write);
  }

  // ---- memory by linear address -------------------------------------------
  // Reads/writes through the host-pointer TLB, else access_slow; defined
  // in engine_access.h.
  template <typename T>
  T read(uint64_t la);
  template <typename T>
  void write(uint64_t la, T v);
  template <typename T> T read_slow(uint64_t la);  // the rest of read(), out of line
  template <typename T> void write_slow(uint64_t la, T v);
  // The hottest handlers' path (engine_access.h): a 64-bit-mode address and
  // a host-TLB hit, else false and the handler runs its general form; the
  // data charge comes last, as a tail call, so the fast path needs no frame.
  bool linear64(const DecodedInsn& d, uint64_t* la);
  template <typename T> bool read_fast(uint64_t la, T* v, uint64_t* pa);
  template <typename T> bool write_fast(uint64_t la, T v, uint64_t* pa);
  void charge_last(uint64_t pa, unsigned n, bool is_write);
  void charge_data_ool(uint64_t pa, unsigned n, bool is_write);
  void charge_walk_functional(uint32_t walk);  // engine_access.h
  // Alignment checking (SDM Vol. 3 6.15 "Interrupt 17"): an operand of 2, 4
  // or 8 bytes (larger ones: 8) must be aligned on its size.
  template <typename T>
  static bool misaligned(uint64_t la) {
    constexpr uint64_t a = sizeof(T) >= 8 ? 8 : sizeof(T) >= 4 ? 4 : sizeof(T) >= 2 ? 2 : 1;
    return la & (a - 1);
  }
  // Checks that a write of `size` bytes at `la` would succeed, without
  // writing (for instructions that must fault before any side effect).
  void probe_write(uint64_t la, unsigned size);
  // Checks that a read of one byte at `la` would succeed (canonical form,
  // paging), without reading; returns the physical address (MONITOR).
  uint64_t probe_read(uint64_t la);
  // Implicit supervisor accesses (descriptor tables, TSS, IDT): SDM 4.6.
  template <typename T>
  T read_sys(uint64_t la);
  template <typename T>
  void write_sys(uint64_t la, T v);
  void access_slow(uint64_t la, void* buf, unsigned n, mmu::Access acc, bool user);
  // Charges a data access to the cache model (cache::CacheModel::data_access)
  // and records it, with the latency found (plus `walk`, the page walk that
  // translated it), in the executing instruction's retire record; for a
  // model that reads no access (the simple one) only its sum is kept.
  void charge_data(uint64_t pa, unsigned n, bool is_write, uint32_t walk = 0);
  // An access summed for the simple model (RetireInfo::add_cost).
  void sum_access(uint32_t l, bool is_write);

  // ---- operands ------------------------------------------------------------
  template <typename T>
  T read_op(const DecodedInsn& d, int i);
  template <typename T>
  void write_op(const DecodedInsn& d, int i, T v);
  // ---- stack ---------------------------------------------------------------
  uint64_t sp_masked(uint64_t v) const { return mask_addr(v, stack_size_); }
  // Pushes `v` (of the given size, 2/4/8) on SS:RSP; faults leave RSP intact.
  template <typename T>
  void push(T v);
  template <typename T>
  T pop();
  void set_sp(uint64_t v);

  // ---- physical memory (PhysMem for the walker; also loaders/devices) -----
  uint64_t read_phys(uint64_t pa, unsigned size) override;
  void write_phys(uint64_t pa, uint64_t value, unsigned size) override;
  void phys_read(uint64_t pa, void* buf, unsigned n);
  void phys_write(uint64_t pa, const void* buf, unsigned n);

  // ---- ports ---------------------------------------------------------------
  uint32_t io_in(uint16_t port, unsigned len) {
    if (HVSIM_UNLIKELY(dbg_.io_mask)) debug_io(port, len);
    return bus_.io_in(port, len);
  }
  void io_out(uint16_t port, uint32_t v, unsigned len) {
    if (HVSIM_UNLIKELY(dbg_.io_mask)) debug_io(port, len);
    bus_.io_out(port, v, len);
  }

  // ---- the rest of the machine the ISA files reach -----------------------
  const timing::Latencies& lat() const { return lat_; }
  const CpuidModel& cpuid() const { return cpuid_; }
  CpuidModel& cpuid_model() { return cpuid_; }  // for svm::attach (leaf 8000_000Ah)
  mmu::Walker& walker() { return mmu_.walker(); }
  mmu::Mmu& mmu() { return mmu_; }
  // The paging registers as the MMU sees them now.
  mmu::PagingRegs paging_regs() const {
    return mmu::PagingRegs{s.cr0, s.cr3, s.cr4, s.efer, cpuid_.maxphyaddr(), virt_.tlb_tag,
                           virt_.tlb_ctx, s.pdpte_valid ? s.pdpte : nullptr};
  }
  // Host TLB and every architectural translation cache (reset, INIT).
  void flush_all_translations() {
    flush_tlb();
    mmu_.flush_all();
  }
  bool cpl3() const { return s.cpl == 3; }
  const CplSplit& cpl_split() const { return cpl_split_; }
  // Loads CS:RIP-style mode changes: sets CPL from the new CS and updates mode.
  void set_cpl(unsigned cpl) {
    if ((cpl == 3) != (user_ == 1)) cpl_split_.cross(cpl == 3, cycles(), icount_);
    s.cpl = static_cast<uint8_t>(cpl);
    user_ = cpl == 3 ? 1 : 0;
    update_alignment_check();
  }
  // Alignment checking is on with CR0.AM, RFLAGS.AC and CPL 3 (SDM Vol. 3
  // 2.5, 6.15 "Interrupt 17"). Then data accesses look up the host TLB with
  // tag 3, which no entry has, so each takes the slow path that checks.
  // Called wherever CPL, CR0.AM or RFLAGS.AC may change (set_cpl,
  // update_mode, POPF, MOV CR0).
  void update_alignment_check() {
    unchain();  // CPL or AC changed: the fetch's host-TLB check with it
    tlb_user_ = user_ | ((user_ && (s.cr0 & CR0_AM) && (s.rflags & AC)) ? 2 : 0);
  }
  bool alignment_check() const { return tlb_user_ & 2; }

  // ---- debug registers and single-step (SDM Vol. 3 ch. 17; engine_debug.cc)
  // Recomputes the breakpoint masks from DR7 and drops host-TLB entries
  // (pages holding armed data breakpoints stay out of it). MOV DR calls it.
  void debug_sync();
  // An explicit data access of `n` bytes at `la` took the slow path with
  // data breakpoints armed: records the matches as a pending trap.
  void debug_data(uint64_t la, unsigned n, bool write);
  void debug_io(uint16_t port, unsigned len);  // I/O breakpoints (CR4.DE)
  // INT n / INT3 / INTO (icebp false) or INT1 (true) is delivering its event.
  void debug_soft_interrupt(bool icebp);
  // SYSCALL/SYSRET: single-step follows RFLAGS.TF as the instruction leaves it.
  void debug_tf_at_end();
  // VMX pending debug exceptions (SDM Vol. 3 24.4.2): the DR6 bits of
  // trap-class #DB conditions recognized and not yet delivered at this
  // boundary (held by MOV SS, or due behind a higher-priority MTF exit).
  uint32_t pending_debug_traps() const { return dbg_.due | dbg_.held; }
  void clear_pending_debug_traps() { dbg_.due = dbg_.held = 0; }
  // VM entry (26.7.3): held by MOV-SS blocking until after the next
  // instruction, or due at the first boundary.
  void set_pending_debug_traps(uint32_t bits, bool held) {
    clear_pending_debug_traps();
    (held ? dbg_.held : dbg_.due) = bits;
    post_event(kEvBreak);
  }
  bool debug_trap_due() const { return dbg_.due != 0; }
  // Delivers the due trap (#DB); a VM exit it causes propagates.
  void deliver_due_debug_trap();
  // A debugger's watchpoint in slot i (0-3): [la, la + len) for writes
  // (kind 1), reads (2) or both (3); kind 0 clears it. take_debugger_hits
  // returns the slots hit since the last call (bit i) and clears them.
  void set_debugger_watch(unsigned i, uint64_t la, unsigned len, unsigned kind);
  uint8_t take_debugger_hits() { return std::exchange(dbg_.ext_hit, 0); }

  // ---- interrupts (SDM Vol. 3 6.8-6.9) --------------------------------------
  void attach_interrupt_controller(InterruptSource* src, ApicRegisters* regs) {
    intc_ = src;
    apic_ = regs;
    intr_check_ = false;
    notify_interrupt();
  }
  // Something changed at the interrupt controller: look at the next boundary
  // (an NMI is taken whatever IF says; a maskable interrupt once IF = 1).
  void notify_interrupt() {
    if (!intc_) return;
    intr_check_ = true;
    post_event(kEvBreak);
  }
  bool halted() const { return halted_; }
  // While halted in guest mode: the cycle at which the guest exits anyway
  // (GuestHooks::wake_deadline); ~0 outside guest mode.
  uint64_t guest_wake_deadline() const { return virt_.hooks ? virt_.hooks->wake_deadline() : ~0ull; }
  ApicRegisters* apic() { return apic_; }
  // CR8 is the APIC's TPR[7:4] when an APIC is attached (SDM Vol. 3 11.8.6.1).
  uint64_t cr8() const { return apic_ ? apic_->cr8() : s.cr8; }
  void set_cr8(uint64_t v) {
    s.cr8 = v;
    if (apic_) apic_->set_cr8(static_cast<uint8_t>(v));
    notify_interrupt();
    break_block();
  }
  uint64_t stat_interrupts = 0, stat_nmis = 0;

  // ---- MONITOR/MWAIT and RDRAND/RDSEED (sys/priv.cc, isa/random.cc) -------
  AddressMonitor monitor;  // armed, slept on and woken through coherence.h
  void set_coherence(Coherence* c) { coherence_ = c; }  // cross-core stores (cpus > 1)
  Coherence* coherence() const { return coherence_; }
  RandomSources rng;  // seeded from cpu.rdrand_seed

  // ---- REP string instructions (isa/string.cc) -----------------------------
  // How many iterations the executing REP instruction may run before it
  // yields (RIP stays on it; RCX/RSI/RDI hold the progress, as when an
  // interrupt stops it: SDM Vol. 1 7.3.9.2). At most kRepChunk, so the run
  // loop looks at events; under an instruction limit (or a sampling schedule)
  // each iteration counts as one instruction toward it (the first is its own).
  static constexpr uint64_t kRepChunk = 4096;
  uint64_t rep_budget() const;  // engine_access.h
  // The REP instruction ran `n` iterations (n <= rep_budget()).
  void rep_done(uint64_t n);
  // The enabled extensions (sim/ext): VMX/SVM ask them what a world switch
  // or a VMCS/VMCB instruction costs (ext::ActiveSet::cost).
  const ext::ActiveSet& extensions() const { return exts_; }
  // ---- virtualization (sim/vmx, sim/svm): state in GuestContext -------------
  const GuestContext& guest_context() const { return virt_; }
  GuestContext& guest_context() { return virt_; }
  // Where VMX and SVM report world switches.
  void set_exit_tracker(virt::ExitTracker* t) { virt_.exit_tracker = t; }
  virt::ExitTracker* exit_tracker() { return virt_.exit_tracker; }
  // The VMX/SVM unit of this core (owned; survives guest mode).
  void set_virt_unit(std::unique_ptr<virt::VirtUnit> u) { virt_.unit = std::move(u); }
  virt::VirtUnit* virt_unit() { return virt_.unit.get(); }
  // Guest mode: non-null while a guest runs; the intercept points call it.
  // Entering or leaving flushes the (untagged) host-pointer TLB; leaving
  // drops the polling, the tags and stage 2.
  void set_guest(virt::GuestHooks* g);
  virt::GuestHooks* guest() const { return virt_.hooks; }
  // Boundary polling for window exits, MTF and the preemption timer; with
  // `single_step` the loop runs one instruction per block.
  void set_guest_poll(bool on, bool single_step = false) {
    virt_.poll = on;
    virt_.single_step = on && single_step;
    post_event(kEvBreak);
  }
  void set_guest_intr_exits(bool on) { virt_.intr_exits = on; }  // GuestContext::intr_exits
  // VPID/ASID and EPTP/nCR3 tags of the translations made from now on.
  void set_tlb_tags(uint32_t tag, uint64_t ctx) {
    virt_.tlb_tag = tag;
    virt_.tlb_ctx = ctx;
  }
  // Stage-2 translation (EPT/NPT) for guest-physical addresses; null: none.
  void set_stage2(mmu::Stage2* s2) {
    if (s2 && !exts_.empty()) s2 = exts_.stage2(s2);  // e.g. a nested TLB (sim/ext/ntlb)
    virt_.stage2 = s2;
    mmu_.walker().set_stage2(s2);
  }
  void set_halted(bool h) { halted_ = h; }
  InterruptSource* intc() { return intc_; }
  // Adds instruction binders (VMX/SVM instructions) to this core's decoder;
  // call before running (drops every decoded block).
  void extend_isa(void (*reg)(isa::BinderTable&));
  // Performs a GuestExit caught at an instruction boundary.
  void take_guest_exit(const virt::GuestExit& x);

  // Exceptions and interrupts (sim/core/exceptions.cc).
  void deliver_fault(const Fault& f);
  // Delivers an event through the IDT; `soft` for INT n / INT3 / INTO
  // (privilege check against the gate DPL, RIP after the instruction).
  // `type` says what the event is for IDT-vectoring information (external
  // interrupt, NMI, hardware exception); soft events ignore it.
  void deliver_event(uint8_t vector, bool has_error, uint32_t error, bool soft,
                     virt::EventType type = virt::EventType::kHwException);

  // Statistics.
  uint64_t stat_blocks_decoded = 0, stat_smc_invalidations = 0, stat_exceptions = 0;
  uint64_t stat_tlb_fills = 0;

 private:
  Block* lookup_block();
  // Block chaining: the block that ran last, and in it links to the two
  // blocks that followed it last (Block::link), valid while chain_gen_ has
  // not moved. Anything that could change which block a RIP maps to (a
  // host-TLB flush, a mode or CPL change, invalidated or dropped blocks)
  // unchains. 64-bit mode only (there the fetch's linear address is RIP).
  Block* next_block();
  // chained(): the linked block at RIP, or null; follow_chain() takes it.
  // In engine_access.h.
  Block* chained() const;
  Block* follow_chain(Block* next);
  // The next instruction runs alone through step_one (engine_access.h).
  // run() asks before a chain; the chain loops need not ask between its
  // blocks: what it reads changes only where a block ends early (events_).
  bool steps_alone() const;
  bool boundary_due() const;  // engine_access.h
  void unchain() {
    ++chain_gen_;
    chain_from_ = nullptr;
  }
  Block* decode_block(uint64_t la, uint64_t pa, uint64_t key);
  void exec_block(const Block& b, size_t max_insns);
  template <class M>
  bool exec_block_with(M& model, const Block& b, size_t max_insns);
  bool exec_block_with(timing::PhasedModel& m, const Block& b, size_t max_insns);  // phases
  bool exec_block_functional(const Block& b, size_t max_insns);
  void exec_chain_simple(timing::SimpleCore& model, const Block* b);  // engine_simple.cc
  // The chain loops' common steps: where a run of `b` stops with `left`
  // instructions to go; `d` made the executing instruction with RIP in
  // `rip` (enter), and entered and run (dispatch).
  static const DecodedInsn* run_end(const Block& b, uint64_t left);
  void enter(const DecodedInsn& d, uint64_t& rip);
  void dispatch(const DecodedInsn& d, uint64_t& rip);
  template <class M>
  void exec_chain_with(M& model, const Block* b);
  // Time charged outside an instruction (ri_ closed: flat costs, the
  // accesses of an event's delivery) goes to the model as a stall.
  void settle();
  // The interrupted instruction's record retires with kFault (its accesses
  // and charges so far, and what its fault or exit cost).
  void retire_open_record();
  // The fetch stall of a block's first instruction: the ITLB walk that
  // translated it and, under a model that times fetch, the L1I.
  uint32_t take_fetch_latency(const Block& b, bool through_l1i);
  // One instruction alone: the interrupt shadow, MTF, and every debug
  // feature (instruction breakpoints, single-step and data traps, RF).
  void step_one();
  void deliver_debug_trap(uint32_t dr6_bits);
  // A fault from an instruction: its pending traps go; RF is set in the
  // image for every fault but #DB (SDM Vol. 3 17.3.1.1).
  void note_fault(const Fault& f);
  bool debug_watched_page(uint64_t la) const;
  uint64_t translate(uint64_t la, mmu::Access acc, bool user);
  // The cycles of the last translate()'s walk, once.
  uint32_t take_walk() {
    const uint32_t w = last_walk_;
    last_walk_ = 0;
    return w;
  }
  uint64_t fetch_translate(uint64_t la);
  void fill_tlb(HostTlb::Kind kind, uint64_t la, uint64_t pa, bool user);
  uint8_t* host_ptr(uint64_t pa);  // RAM host pointer or nullptr
  void invalidate_code_page(uint64_t page);
  bool handle_events(RunExit* out);
  void fault_at_boundary(const Fault& f);
  bool try_interrupt();
  bool try_init();
  static void on_tlb_evict(void* ctx, uint64_t la_page, uint64_t size);

  Bus& bus_;
  timing::Latencies lat_;
  CpuidModel cpuid_;
  mmu::Mmu mmu_;
  GuestContext virt_;
  ext::ActiveSet exts_;  // the enabled ISA extensions (sim/ext), built from the config
  InterruptSource* intc_ = nullptr;
  ApicRegisters* apic_ = nullptr;
  bool intr_check_ = false;  // an interrupt may be deliverable: look at the next boundary
  bool intr_due() const;     // ... and RFLAGS.IF (or the guest's intr_exits) lets it
  bool halted_ = false;
  bool wait_sipi_ = false;  // INIT taken: only a SIPI (start_at_sipi) resumes
  Coherence* coherence_ = nullptr;
  friend class Coherence;
  std::unique_ptr<Decoder> decoder_;

  // The core model (timing.model) and the record of the executing
  // instruction; cycles_ mirrors the model's clock after each retirement.
  timing::PhasedModel model_;  // the model, and the phases of a fast-forwarded/sampled run
  timing::RetireInfo ri_;
  bool ri_open_ = false;       // an instruction is executing: charges join ri_
  bool sum_accesses_ = false;  // the model reads no access: charge_data sums them (add_cost)
  uint32_t store_cap_ = 0;     // what a store costs at most outside the model (settle)
  uint32_t fetch_walk_ = 0;    // ITLB walk cycles, charged to the next fetch
  uint32_t last_walk_ = 0;     // cycles of the last translate()'s page walk
  uint64_t cycles_ = 0, icount_ = 0, insn_limit_ = 0, cycle_limit_ = ~0ull;
  // Inside exec_block_functional cycles_ is icount_ + ff_delta_ while
  // ff_clock_; inside exec_chain_simple the model's own counts lag (the
  // loop's are in registers) while simple_open_. sync_clock() brings both
  // up to date (engine_simple.cc: when, and simple_ic0_).
  bool ff_clock_ = false;
  uint64_t ff_delta_ = 0;
  timing::SimpleCore* simple_open_ = nullptr;
  uint64_t simple_ic0_ = 0;
  // kEvCharged while the functional or the simple loop runs (a rare charge
  // sets it for the loop's event test), else 0.
  uint32_t charge_ev_ = 0;
  uint32_t taken_cost_ = 0;  // the simple model's taken-branch cost (taken_branch)
  void sync_clock() {
    if (ff_clock_) cycles_ = icount_ + ff_delta_;
    if (simple_open_) sync_simple();
  }
  void sync_simple();
  uint64_t rep_extra_ = 0;  // REP iterations beyond each instruction's first
  uint64_t insn_rip_ = 0;
  uint8_t access_seg_ = kSegNone;  // segment of the last 64-bit-mode linear() (SS: #SS)
  uint32_t events_ = 0;  // EngineEvent bits, set through post_event only
  // The simple loop's stop: cycle_limit_ while no event is posted, 0 once one is.
  uint64_t clock_stop_ = 0;
  void post_event(uint32_t bits) {
    events_ |= bits;
    clock_stop_ = 0;
  }
  bool long64_ = false;
  unsigned stack_size_ = 2;
  uint64_t user_ = 0;  // 1 when CPL == 3 (tag bit of the host TLB)
  CplSplit cpl_split_;  // time by privilege (cpl_split.h)
  uint64_t tlb_user_ = 0;  // user_, | 2 while alignment checking is on
  DebugState dbg_;
  uint8_t decode_mode_ = 0;
  unsigned fault_depth_ = 0;
  bool last_fill_ok_ = true;  // the last translation may be cached in the host TLB
  std::string last_error_;
  MagicOps* magic_ = nullptr;

  Block* chain_from_ = nullptr;
  uint64_t chain_gen_ = 1;
  HostTlb htlb_;
  std::vector<DmiRegion> dmi_;
  BlockCache blocks_;
};

}  // namespace hvsim::core

#include "sim/core/engine_access.h"  // the access templates declared above
