// Engine's access templates: memory by linear address (host-pointer TLB
// fast path, access_slow otherwise), implicit supervisor accesses, operands
// and the stack; and the block-chaining tests of the run loop. Included at
// the end of engine.h; include engine.h instead.
#pragma once

#include <cstring>

#include "sim/core/engine.h"

namespace hvsim::core {

template <typename T>
inline void Engine::set_gpr(unsigned r, T v, bool high8) {
  uint64_t& g = s.gpr[r];
  if constexpr (sizeof(T) == 8) {
    g = v;
  } else if constexpr (sizeof(T) == 4) {
    g = static_cast<uint32_t>(v);
  } else if constexpr (sizeof(T) == 2) {
    g = (g & ~0xffffull) | static_cast<uint16_t>(v);
  } else {
    if (high8)
      g = (g & ~0xff00ull) | (static_cast<uint64_t>(static_cast<uint8_t>(v)) << 8);
    else
      g = (g & ~0xffull) | static_cast<uint8_t>(v);
  }
}

// The host-TLB hit inline; everything else out of line (read_slow,
// write_slow), so that a semantic function's fast path needs no stack frame.
template <typename T>
inline T Engine::read(uint64_t la) {
  const HostTlbEntry& e = htlb_.entry(HostTlb::kRead, la);
  if (HVSIM_LIKELY(HostTlb::hit(e, la, tlb_user_, sizeof(T)))) {
    T v;
    std::memcpy(&v, e.host + (la & 0xfff), sizeof(T));
    mmu_.tlbs().count_l1_hit(mmu::Access::kRead);
    charge_data(e.pa | (la & 0xfff), sizeof(T), false);
    return v;
  }
  return read_slow<T>(la);
}
template <typename T>
__attribute__((noinline)) T Engine::read_slow(uint64_t la) {
  T v;
  access_slow(la, &v, sizeof(T), mmu::Access::kRead, user_);
  if (HVSIM_UNLIKELY(tlb_user_ & 2) && misaligned<T>(la)) raise(kAC, 0);  // after #PF (SDM 6.9)
  if (HVSIM_UNLIKELY(dbg_.data_mask)) debug_data(la, sizeof(T), false);
  return v;
}
template <typename T>
inline void Engine::write(uint64_t la, T v) {
  const HostTlbEntry& e = htlb_.entry(HostTlb::kWrite, la);
  if (HVSIM_LIKELY(HostTlb::hit(e, la, tlb_user_, sizeof(T)))) {
    std::memcpy(e.host + (la & 0xfff), &v, sizeof(T));
    mmu_.tlbs().count_l1_hit(mmu::Access::kWrite);
    charge_data(e.pa | (la & 0xfff), sizeof(T), true);
    return;
  }
  write_slow<T>(la, v);
}
template <typename T>
__attribute__((noinline)) void Engine::write_slow(uint64_t la, T v) {
  if (HVSIM_UNLIKELY(tlb_user_ & 2) && misaligned<T>(la)) {
    probe_write(la, sizeof(T));  // #PF is above #AC (SDM Vol. 3 6.9)
    raise(kAC, 0);
  }
  access_slow(la, &v, sizeof(T), mmu::Access::kWrite, user_);
  if (HVSIM_UNLIKELY(dbg_.data_mask)) debug_data(la, sizeof(T), true);
}

__attribute__((always_inline)) inline bool Engine::linear64(const DecodedInsn& d, uint64_t* la) {
  if (HVSIM_UNLIKELY(!long64_)) return false;
  const MemOperand& m = d.mem;
  if (HVSIM_LIKELY(m.form != MemOperand::kGeneral)) {  // the sum is the linear address
    access_seg_ = m.seg;
    uint64_t a = static_cast<uint64_t>(m.disp) + s.gpr[m.base];
    if (m.form == MemOperand::kBaseIndex) a += s.gpr[m.index] << m.scale;
    *la = a;
    return true;
  }
  *la = linear(m.seg, ea(d), 0, false);  // no limit check in 64-bit mode
  return true;
}
// read() and write() on a host-TLB hit, without the charge (charge_last).
template <typename T>
__attribute__((always_inline)) inline bool Engine::read_fast(uint64_t la, T* v, uint64_t* pa) {
  const HostTlbEntry& e = htlb_.entry(HostTlb::kRead, la);
  if (HVSIM_UNLIKELY(!HostTlb::hit(e, la, tlb_user_, sizeof(T)))) return false;
  std::memcpy(v, e.host + (la & 0xfff), sizeof(T));
  mmu_.tlbs().count_l1_hit(mmu::Access::kRead);
  *pa = e.pa | (la & 0xfff);
  return true;
}
template <typename T>
__attribute__((always_inline)) inline bool Engine::write_fast(uint64_t la, T v, uint64_t* pa) {
  const HostTlbEntry& e = htlb_.entry(HostTlb::kWrite, la);
  if (HVSIM_UNLIKELY(!HostTlb::hit(e, la, tlb_user_, sizeof(T)))) return false;
  std::memcpy(e.host + (la & 0xfff), &v, sizeof(T));
  mmu_.tlbs().count_l1_hit(mmu::Access::kWrite);
  *pa = e.pa | (la & 0xfff);
  return true;
}
inline uint64_t Engine::ea(const DecodedInsn& d) const {
  const MemOperand& m = d.mem;
  uint64_t a = static_cast<uint64_t>(m.disp);
  if (m.base == MemOperand::kRip)
    a += s.rip;  // s.rip already points at the next instruction
  else if (m.base != MemOperand::kNoReg)
    a += s.gpr[m.base];
  if (m.index != MemOperand::kNoReg) a += s.gpr[m.index] << m.scale;
  return mask_addr(a, d.addrsize);
}
inline void Engine::set_sp(uint64_t v) {
  if (stack_size_ == 8)
    s.gpr[RSP] = v;
  else if (stack_size_ == 4)
    s.gpr[RSP] = static_cast<uint32_t>(v);
  else
    s.gpr[RSP] = (s.gpr[RSP] & ~0xffffull) | static_cast<uint16_t>(v);
}
inline void Engine::charge_data(uint64_t pa, unsigned n, bool is_write, uint32_t walk) {
  if (HVSIM_UNLIKELY(!model_.data_timed())) return charge_walk_functional(walk);
  const uint32_t l = mmu_.data_access(pa, n, is_write) + walk;
  if (HVSIM_LIKELY(sum_accesses_))
    sum_access(l, is_write);
  else
    ri_.add_access(pa, static_cast<uint8_t>(n),
                   is_write ? timing::MemKind::kStore : timing::MemKind::kLoad, l, walk != 0);
}
__attribute__((always_inline)) inline void Engine::sum_access(uint32_t l, bool is_write) {
  ri_.add_cost(l, is_write, store_cap_);
}
// A functional phase charges a data access only its page walk, a flat cost
// that the functional loop's cycle budget must see (kEvCharged).
inline void Engine::charge_walk_functional(uint32_t walk) {
  if (!walk) return;
  ri_.extra_cycles += walk;
  if (ri_open_) post_event(kEvCharged);
}
// charge_data as a handler's last step: nothing while data is not timed
// (a functional phase; its walk term is 0 on a host-TLB hit); for the
// simple model an L1D hit on its set's MRU line inline, the rest out of line.
__attribute__((always_inline)) inline void Engine::charge_last(uint64_t pa, unsigned n, bool is_write) {
  if (!model_.data_timed()) return;
  uint32_t l;
  if (HVSIM_LIKELY(sum_accesses_) && mmu_.cache().data_mru_hit(pa, n, is_write, &l))
    return sum_access(l, is_write);
  charge_data_ool(pa, n, is_write);
}

inline void Engine::flush_tlb() {
  htlb_.flush();
  unchain();
}
inline void Engine::flush_tlb_page(uint64_t la) {
  htlb_.flush_page(la);
  unchain();
}
inline void Engine::flush_tlb_page_any(uint64_t la) {
  htlb_.flush_page_any(la);
  unchain();
}

template <typename T>
inline T Engine::read_sys(uint64_t la) {
  T v;
  access_seg_ = kSegNone;
  access_slow(la, &v, sizeof(T), mmu::Access::kRead, false);
  return v;
}
template <typename T>
inline void Engine::write_sys(uint64_t la, T v) {
  access_seg_ = kSegNone;
  access_slow(la, &v, sizeof(T), mmu::Access::kWrite, false);
}

template <typename T>
inline T Engine::read_op(const DecodedInsn& d, int i) {
  const Operand& o = d.op[i];
  if (o.kind == OpKind::kReg) return get_reg<T>(o);
  if (o.kind == OpKind::kImm) return static_cast<T>(d.imm);
  return read<T>(mem_linear(d, sizeof(T), false));
}
template <typename T>
inline void Engine::write_op(const DecodedInsn& d, int i, T v) {
  const Operand& o = d.op[i];
  if (o.kind == OpKind::kReg)
    set_reg<T>(o, v);
  else
    write<T>(mem_linear(d, sizeof(T), true), v);
}


template <typename T>
inline void Engine::push(T v) {
  uint64_t nsp = sp_masked(s.gpr[RSP] - sizeof(T));
  write<T>(linear(SS, nsp, sizeof(T), true), v);
  set_sp(nsp);
}
template <typename T>
inline T Engine::pop() {
  uint64_t sp = sp_masked(s.gpr[RSP]);
  T v = read<T>(linear(SS, sp, sizeof(T), false));
  set_sp(sp + sizeof(T));
  return v;
}

inline Block* Engine::chained() const {
  const Block* from = chain_from_;
  if (!from) return nullptr;
  for (const Block::Link& l : from->link)
    if (l.rip == s.rip && l.gen == chain_gen_) return l.to;
  return nullptr;
}
inline Block* Engine::follow_chain(Block* next) {
  mmu_.tlbs().count_l1_hit(mmu::Access::kExec);  // what fetch_translate's hit counts
  chain_from_ = next;
  return next;
}
// Cut short only near the end of the budget (no division by
// sizeof(DecodedInsn) per block otherwise).
__attribute__((always_inline)) inline const DecodedInsn* Engine::run_end(const Block& b,
                                                                         uint64_t left) {
  const DecodedInsn* const end = std::to_address(b.insns.end());
  if (HVSIM_UNLIKELY(left < BlockCache::kMaxBlockInsns) &&
      static_cast<ptrdiff_t>(left) < end - b.insns.data())
    return b.insns.data() + left;
  return end;
}
// RIP advanced before the handler runs (it reads the next instruction's).
__attribute__((always_inline)) inline void Engine::enter(const DecodedInsn& d, uint64_t& rip) {
  insn_rip_ = rip;
  rip += d.len;
  s.rip = rip;
}
__attribute__((always_inline)) inline void Engine::dispatch(const DecodedInsn& d, uint64_t& rip) {
  enter(d, rip);
  d.exec(*this, d);
}
// A fused pair's head has run (dispatched by the simple loop as any
// instruction): the clock after it is within budget and no event came up,
// else the loop retires it alone and runs the Jcc as usual.
inline bool Engine::fused_head_fits(const DecodedInsn& head) const {
  return cycles_ + head.plain_cost + ri_.mem_cost < clock_stop_;
}
// The Jcc becomes the executing instruction (RIP: the one after it).
inline void Engine::begin_fused_jcc(const DecodedInsn& jcc) {
  uint64_t rip = s.rip;
  enter(jcc, rip);
}
// The Jcc faults (#GP, a non-canonical target): the head retires first, as
// the simple loop would have retired it (its clock and count are in cycles_
// and icount_ between instructions), so that the fault sees the same state.
inline void Engine::retire_fused_head(const DecodedInsn& head) {
  cycles_ += head.plain_cost + ri_.mem_cost;
  ri_.clear_sums();
  ++icount_;
}
// What run() looks at between chains (the chain loops through
// boundary_due(), once per chain): a pending interrupt that IF = 1 lets in,
// or any under VMX external-interrupt
// exiting or the SVM INTR intercept (the hooks decide, IF or not); an NMI
// is taken at once (notify_interrupt's kEvBreak).
inline bool Engine::intr_due() const {
  return intr_check_ && ((s.rflags & IF) || virt_.intr_exits);
}
// Boundary work run() must do before the next block (the guest's boundary
// hook, an interrupt). Each of its terms turns on only with kEvBreak
// (notify_interrupt, set_guest_poll, debug_tf_at_end; IF and intr_exits
// change only at block breaks or outside the chain), so a chain loop asks
// once when the chain starts: then every block that ran to its end leaves
// it as it was.
inline bool Engine::boundary_due() const { return virt_.poll || intr_due(); }
// After STI / MOV SS, under MTF, and while TF, RF, a DR7 enable or
// DEBUGCTL.LBR/BTF is set (SDM Vol. 3 17.3, 17.4): engine_debug.cc. Each
// of these is set only by an instruction that breaks its block (STI, MOV
// SS and POP SS through set_interrupt_shadow; POPF, IRET, SYSRET and task
// switches; MOV DR through debug_sync; WRMSR; VM entries and exits), by
// an event's delivery in run(), or outside a run, so that it holds from
// run()'s test to the end of the chain.
inline bool Engine::steps_alone() const {
  return s.interrupt_shadow || virt_.single_step || (s.rflags & (TF | RF)) ||
         (s.dr[7] & kDr7Enables) || (s.debugctl & (kDebugCtlLbr | kDebugCtlBtf));
}

// REP string instructions (isa/string.cc): see Engine::kRepChunk.
inline uint64_t Engine::rep_budget() const {
  if (HVSIM_UNLIKELY(s.rflags & TF)) return 1;  // a single-step trap after each iteration
  if (!insn_limit_ && !model_.scheduled()) return kRepChunk;
  const uint64_t end = model_.phase_end_within(insn_limit_), used = limit_count();  // < end
  const uint64_t left = used < end ? end - used : 1;
  return left < kRepChunk ? left : kRepChunk;
}
inline void Engine::rep_done(uint64_t n) {
  if ((insn_limit_ || model_.scheduled()) && n > 1) {
    rep_extra_ += n - 1;
    break_block();  // the block's instruction budget no longer holds
  }
}

}  // namespace hvsim::core
