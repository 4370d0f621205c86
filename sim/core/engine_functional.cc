// The run loop of a fast-forward phase (timing.fast_forward, timing.sample:
// sim/timing/phased_model.h): no core model, no retire record per
// instruction and no cache model (charge_data skips it while
// PhasedModel::data_timed() is false). The clock is FunctionalCore's, kept
// here in cycles_: 1 cycle per instruction, plus the flat costs charged to
// the block's instructions (ri_.extra_cycles, which accumulate until the
// block ends) and its fetch stall (an ITLB walk). Engine::cycles() reads
// cycles_ + ri_.extra_cycles + ri_.fetch_latency, so a reader in the middle
// of the block (RDTSC, a device) sees what the per-instruction
// FunctionalCore would have given it.
#include "sim/core/engine.h"

namespace hvsim::core {

bool Engine::exec_block_functional(const Block& b, size_t max_insns) {
  const DecodedInsn* i = b.insns.data();
  size_t n = b.insns.size() < max_insns ? b.insns.size() : max_insns;
  if (insn_limit_ && insn_limit_ - limit_count() < n) n = insn_limit_ - limit_count();
  const DecodedInsn* end = i + n;
  ri_.start_functional(fetch_walk_);  // take_fetch_latency without the L1I
  fetch_walk_ = 0;
  ri_open_ = true;
  try {
    for (; i != end; ++i) {
      insn_rip_ = s.rip;
      s.rip += i->len;
      i->exec(*this, *i);
      ++cycles_;
      ++icount_;
      if (HVSIM_UNLIKELY(events_ != 0 || cycles_ + ri_.extra_cycles >= cycle_limit_)) {
        ++i;
        break;
      }
    }
  } catch (...) {
    // The faulting instruction is retired by retire_open_record() through
    // FunctionalCore: 1 + the charges so far, from the clock of the
    // instructions before it.
    model_.set_functional_clock(cycles_);
    throw;
  }
  cycles_ += ri_.extra_cycles + ri_.fetch_latency;
  model_.set_functional_clock(cycles_);
  ri_open_ = false;
  ri_.clear_charges();
  return i == b.insns.data() + b.insns.size();  // the block ran to its end
}

}  // namespace hvsim::core
