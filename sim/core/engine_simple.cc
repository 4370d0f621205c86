// The run loop of the simple model (timing.model = simple with no
// fast-forward or sampling schedule): blocks back to back along their chain
// links, as the functional loop runs them (engine_functional.cc), with the
// simple model's serial sum made in registers.
//
// An instruction with no rare charge retires at its class cost
// (DecodedInsn::plain_cost, fixed at decode) plus what the engine summed for
// it into RetireInfo::mem_cost (its accesses, a store capped, and a taken
// branch's cost: Engine::taken_branch), exactly what SimpleCore::retire
// would charge it. A rare charge (a flat cost, an own cost, the first
// block's fetch stall) posts kEvCharged (charge_ev_); that instruction then
// retires through SimpleCore::retire with its whole record. One test per
// instruction sees both an event and the cycle budget: the clock after it
// against clock_stop_, which post_event sets to 0.
//
// A block that ends in a fused compare-and-branch pair (Block::fused,
// isa/fused.cc) runs its body one instruction at a time and then the pair
// through one handler: the head is dispatched as any instruction, and the
// handler returns false when only the head ran (Engine::fused_head_fits:
// an event, a rare charge or the budget after it), in which case the head
// retires alone and the Jcc runs as usual; otherwise both retire at once,
// the clock after them the two class costs and their sums.
//
// The clock is kept in a register and stored to cycles_ after every
// instruction (a read in the middle of one, RDTSC or a device, sees it
// through Engine::cycles() as before); the model's own counts are brought up
// to it when the loop leaves, before a rare retire and before anything reads
// them (sync_simple: magic operations, a fault or exit leaving through
// run()). The same cycles, counts and statistics as the generic loop
// (exec_block_with<SimpleCore>, which step_one and sampled runs still use),
// with none of its per-instruction record keeping.
#include <memory>

#include "sim/core/engine.h"

namespace hvsim::core {

void Engine::sync_simple() {
  simple_open_->catch_up(cycles_, icount_ - simple_ic0_);
  simple_ic0_ = icount_;
}

void Engine::exec_chain_simple(timing::SimpleCore& model, const Block* b) {
  // Instructions left before the limit (limit_count(): REP iterations too;
  // a REP instruction that counts more than one breaks the block, so
  // between breaks each instruction counts one).
  uint64_t left = BlockCache::kChainBudgetCap;
  if (insn_limit_) {
    const uint64_t count = limit_count();
    left = insn_limit_ > count ? insn_limit_ - count : 0;
    if (left > BlockCache::kChainBudgetCap) left = BlockCache::kChainBudgetCap;
  }
  uint64_t ic = icount_, cyc = cycles_;
  const uint64_t ic_end = ic + left;
  simple_open_ = &model;
  simple_ic0_ = ic;
  charge_ev_ = kEvCharged;
  sum_accesses_ = true;
  ri_open_ = true;
  // The fetch stall (an ITLB walk; the simple model times no L1I) is the
  // first instruction's: a rare charge.
  ri_.fetch_latency = fetch_walk_;
  fetch_walk_ = 0;
  clock_stop_ = events_ ? 0 : cycle_limit_;
  if (HVSIM_UNLIKELY(ri_.fetch_latency != 0)) post_event(kEvCharged);
  // An instruction with no rare charge: its class cost and its sums.
  auto clock_after = [&](const DecodedInsn& d) __attribute__((always_inline)) {
    return cyc + d.plain_cost + ri_.mem_cost;
  };
  auto retire_plain = [&](uint64_t after) __attribute__((always_inline)) {
    cyc = after;
    ri_.clear_sums();
  };
  // The clock after `d`, which made a rare charge (ic_after: the count
  // with it): through the model with its whole record. Out of line, with
  // the counts passed by value, so that the loop keeps them in registers.
  auto retire_charged = [this, &model](const DecodedInsn& d, uint64_t ic_after)
      __attribute__((noinline)) -> uint64_t {
    events_ &= ~kEvCharged;
    sync_simple();  // the model at cycles_ and icount_: the instructions before
    ri_.flags |= d.deps.flags;
    ri_.tclass = d.tclass;
    ri_.branch = d.deps.branch;
    model.retire(ri_);
    ri_.clear_charges();
    simple_ic0_ = ic_after;  // this one is counted by the model already
    return model.cycles();
  };
  // The end of one instruction (or a fused pair) with the clock after it
  // at `after`: false when an event or the cycle budget stops the chain.
  auto retire = [&](const DecodedInsn& d, uint64_t after) __attribute__((always_inline)) {
    // No event posted and the budget not reached: one test (clock_stop_).
    if (HVSIM_LIKELY(after < clock_stop_)) {
      retire_plain(after);
      cycles_ = cyc;
      icount_ = ic;
      return true;
    }
    if (events_ & kEvCharged)
      cyc = retire_charged(d, ic);
    else
      retire_plain(after);
    cycles_ = cyc;
    icount_ = ic;
    if (events_ == 0) {
      clock_stop_ = cycle_limit_;
      if (cyc < clock_stop_) return true;
    }
    return false;
  };
  // What exec_chain_with looks at between blocks (events_ and the budget
  // were looked at after the last instruction; a block cut by the limit
  // ends at ic_end; boundary_due() cannot turn on in a block that runs to
  // its end).
  const bool alone = boundary_due();
  // Runs `blk` from RIP on; false when an event or the cycle budget stopped
  // it. RIP is carried in a register: an instruction that moves it ends its
  // block (kEndsBlock) or breaks it (events_).
  auto run_block = [&](const Block* blk) __attribute__((always_inline)) {
    const DecodedInsn* i = blk->insns.data();
    // A fused last pair (Block::fused) runs as one when the block runs to
    // its end; its handler returns false when only the first of the two
    // ran (the budget or an event stops the chain after it, or a rare
    // charge must retire it alone), and the second then runs as usual.
    const DecodedInsn* end = std::to_address(blk->insns.end());
    const DecodedInsn* last = blk->body_end;
    if (HVSIM_UNLIKELY(ic_end - ic < BlockCache::kMaxBlockInsns)) {
      const DecodedInsn* const cut = run_end(*blk, ic_end - ic);
      if (cut != end) end = last = cut;
    }
    uint64_t rip = s.rip;
    for (; i != last; ++i) {
      dispatch(*i, rip);
      ++ic;
      if (!retire(*i, clock_after(*i))) return false;
    }
    if (i == end) return true;
    enter(*i, rip);
    ++ic;
    if (HVSIM_LIKELY(blk->fused(*this, *i))) {
      rip += i[1].len;
      ++ic;
      return retire(i[1], clock_after(i[1]) + i->plain_cost);
    }
    if (!retire(*i, clock_after(*i))) return false;
    dispatch(i[1], rip);
    ++ic;
    return retire(i[1], clock_after(i[1]));
  };
  // The blocks along their chain links, as exec_chain_with follows them.
  // A block that is its own successor (a loop of one block: most of the
  // demo's block transitions) is not looked up again: chained() is asked
  // once, and again only when RIP or the chain generation (unchain())
  // differ from that time; follow_chain counts the ITLB hit each time.
  const Block* blk = b;
  uint64_t rip0 = s.rip;      // where blk was entered
  uint64_t self_gen = ~0ull;  // the generation in which blk was found its own successor
  while (run_block(blk) && !alone && ic != ic_end) {
    if (s.rip != rip0 || self_gen != chain_gen_) {
      Block* next = chained();
      if (!next) break;
      self_gen = next == blk && s.rip == rip0 ? chain_gen_ : ~0ull;
      rip0 = s.rip;
      blk = next;
    }
    follow_chain(const_cast<Block*>(blk));
  }
  sync_simple();
  simple_open_ = nullptr;
  charge_ev_ = 0;
  events_ &= ~kEvCharged;
  ri_open_ = false;
  ri_.clear_charges();
}

}  // namespace hvsim::core
