// The run loop of a fast-forward phase (timing.fast_forward, timing.sample:
// sim/timing/phased_model.h): no core model, no retire record per
// instruction and no cache model (charge_data skips it while
// PhasedModel::data_timed() is false). The clock is FunctionalCore's: 1
// cycle per instruction, plus the flat costs charged to the instructions
// (ri_.extra_cycles, which accumulate until the loop returns) and the first
// block's fetch stall (an ITLB walk). While the loop runs it is icount_ +
// ff_delta_ (ff_clock_; cycles_ is written when the loop returns, by
// retire_open_record after a fault or exit, and before a magic operation,
// which may snapshot the statistics). Engine::cycles() reads it +
// ri_.extra_cycles + ri_.fetch_latency, so a reader in the middle of a
// block (RDTSC, a device) sees what the per-instruction FunctionalCore
// would have given it.
//
// Blocks run back to back along their chain links (as exec_chain_with does
// for the timed models, one level up) while the phase lasts: the run loop's
// and the phase holder's per-block work is done once per chain. Demo.elf's
// blocks are 4.6 instructions long on average, so that work, not the
// instructions, was most of this loop's time. RIP and the instruction
// count are carried in registers and only stored (no load-add-store chain
// through memory per instruction); an instruction that moves RIP ends its block
// (kEndsBlock, decoder.cc) or breaks it (REP yielding: events_), so the
// register copy of RIP is never stale when the next instruction starts.
#include <memory>

#include "sim/core/engine.h"

namespace hvsim::core {

bool Engine::exec_block_functional(const Block& first, size_t max_insns) {
  // Counted instructions (limit_count(): REP iterations too) left before the
  // phase end or the instruction limit. A REP instruction that counts more
  // than one breaks the block (rep_done), which ends this loop, so between
  // breaks each instruction counts one.
  const uint64_t stop = model_.phase_end_within(insn_limit_), count = limit_count();
  uint64_t left = stop > count ? stop - count : 0;
  // Less than a whole block's worth (step_one, or the phase end near): this
  // block only, cut at max_insns.
  const bool chain = max_insns >= BlockCache::kMaxBlockInsns;
  const bool alone = boundary_due();  // cannot turn on in a block that runs to its end
  if (!chain && max_insns < left) left = max_insns;
  // i + left below stays in range.
  if (left > BlockCache::kChainBudgetCap) left = BlockCache::kChainBudgetCap;
  const Block* b = &first;
  ri_.start_functional(fetch_walk_);  // take_fetch_latency without the L1I
  fetch_walk_ = 0;
  ri_open_ = true;
  charge_ev_ = kEvCharged;
  // A fault or a guest exit leaves through here to run(), whose
  // retire_open_record() sets cycles_ and the functional clock from
  // icount_ + ff_delta_ and retires the faulting instruction through
  // FunctionalCore: 1 + the charges so far. No handler here: a catch and
  // rethrow doubled the unwinding of every guest fault.
  bool whole = false;
  {
    // One counter in a register: the clock is icount_ plus `delta` (1
    // cycle per instruction) until the fetch stall moves it.
    uint64_t ic = icount_, delta = cycles_ - icount_;
    ff_delta_ = delta;
    ff_clock_ = true;  // cycles_ = icount_ + ff_delta_ (Engine::cycles)
    const uint64_t ic_end = ic + left;  // the chain stops at this count
    // The cycle budget as a count: ic + delta + extra_cycles reaches
    // cycle_limit_ at ic_lim. A flat cost or a page walk changes
    // extra_cycles and sets kEvCharged (add_cycles, charge_walk_functional),
    // which the event test below sees; the budget is then worked out again.
    auto budget = [&] {
      const uint64_t used = delta + ri_.extra_cycles;
      return cycle_limit_ > used ? cycle_limit_ - used : 0;
    };
    uint64_t ic_lim = budget();
    // Runs `blk` from RIP on; false when an event or the cycle budget
    // stopped it. Inlined twice (the chain's first block and the others),
    // which gives the dispatch two call sites.
    auto run_block = [&](const Block* blk) __attribute__((always_inline)) {
      const DecodedInsn* i = blk->insns.data();
      const DecodedInsn* const bend = std::to_address(blk->insns.end());
      const DecodedInsn* const end = run_end(*blk, ic_end - ic);  // a cut one reaches ic_end
      uint64_t rip = s.rip;
      for (; i != end; ++i) {
        dispatch(*i, rip);
        icount_ = ++ic;
        if (HVSIM_UNLIKELY(events_ != 0 || ic >= ic_lim)) {
          if (events_ == kEvCharged) {
            events_ = 0;
            ic_lim = budget();
            if (ic < ic_lim) continue;
          }
          whole = i + 1 == bend;
          return false;
        }
      }
      whole = i == bend;
      return true;
    };
    bool going = run_block(b);
    // The first block's fetch stall (an ITLB walk) joins the clock where
    // the per-block loop put it (the budget test above counts only the
    // instructions and extra_cycles); then the budget is looked at again.
    if (HVSIM_UNLIKELY(ri_.fetch_latency != 0)) {
      delta += ri_.fetch_latency;
      ff_delta_ = delta;
      ri_.fetch_latency = 0;
      if (ic + delta + ri_.extra_cycles >= cycle_limit_) going = false;
      ic_lim = budget();
    }
    // What exec_chain_with looks at between blocks; events_ and the cycle
    // budget were looked at after the last instruction, a block cut by the
    // budget ends at ic_end, and boundary_due() was asked at the start.
    while (going && chain && !alone && ic != ic_end) {
      Block* next = chained();
      if (!next) break;
      insn_rip_ = s.rip;
      b = follow_chain(next);
      going = run_block(b);
    }
    cycles_ = ic + delta;
    ff_clock_ = false;
  }
  events_ &= ~kEvCharged;
  charge_ev_ = 0;
  cycles_ += ri_.extra_cycles;
  model_.set_functional_clock(cycles_);
  ri_open_ = false;
  ri_.clear_charges();
  return whole;  // the last block ran to its end
}

}  // namespace hvsim::core
