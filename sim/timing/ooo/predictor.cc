#include "sim/timing/ooo/predictor.h"

namespace hvsim::timing::ooo {

BranchPredictor::BranchPredictor(const OooParams& p)
    : hist_mask_((uint64_t{1} << p.bp_history_bits) - 1),
      table_mask_((uint64_t{1} << p.bp_table_log2) - 1),
      ind_mask_((uint64_t{1} << p.indirect_table_log2) - 1),
      counters_(size_t{1} << p.bp_table_log2, 2),  // weakly taken
      btb_sets_(p.btb_entries / p.btb_ways ? p.btb_entries / p.btb_ways : 1),
      btb_ways_(p.btb_ways),
      ras_(p.ras_entries, 0),
      indirect_(size_t{1} << p.indirect_table_log2, 0) {
  btb_.resize(size_t{btb_sets_} * btb_ways_);
}

bool BranchPredictor::btb_lookup_insert(uint64_t pc, uint64_t target) {
  // Set index by multiply-shift of a hash of the PC (no divide; any set count).
  const uint64_t h = static_cast<uint32_t>((pc ^ (pc >> 17)) * 0x9E3779B1u);
  BtbEntry* set = &btb_[((h * btb_sets_) >> 32) * btb_ways_];
  ++stamp_;
  BtbEntry* victim = set;
  for (uint32_t w = 0; w < btb_ways_; ++w) {
    BtbEntry& e = set[w];
    if (e.valid && e.pc == pc) {
      bool hit = e.target == target;
      e.target = target;
      e.stamp = stamp_;
      return hit;
    }
    if (!e.valid || e.stamp < victim->stamp) victim = &e;
    if (!e.valid) break;
  }
  *victim = BtbEntry{pc, target, stamp_, true};
  return false;
}

bool BranchPredictor::predict_cond(uint64_t pc, bool taken) {
  uint8_t& c = counters_[(pc ^ (ghist_ & hist_mask_)) & table_mask_];
  bool right = (c >= 2) == taken;
  if (taken && c < 3) ++c;
  if (!taken && c > 0) --c;
  ghist_ = (ghist_ << 1) | (taken ? 1 : 0);
  return right;
}

bool BranchPredictor::predict_indirect(uint64_t pc, uint64_t target) {
  uint64_t& t = indirect_[(pc ^ (pc >> 12) ^ path_) & ind_mask_];
  bool right = t == target;
  t = target;
  return right;
}

void BranchPredictor::push_return(uint64_t ret) {
  ras_[ras_top_ % ras_.size()] = ret;
  ++ras_top_;
  if (ras_depth_ < ras_.size()) ++ras_depth_;
}

bool BranchPredictor::predict_return(uint64_t target) {
  if (ras_depth_ == 0) return false;  // underflow: the RAS has nothing to offer
  --ras_top_;
  --ras_depth_;
  return ras_[ras_top_ % ras_.size()] == target;
}


template <bool kCount>
Prediction BranchPredictor::update(const RetireInfo& r) {
  Prediction out = Prediction::kCorrect;
  const bool taken = r.taken() || r.branch != BranchKind::kCond;
  switch (r.branch) {
    case BranchKind::kNone:
      return Prediction::kCorrect;
    case BranchKind::kCond:
      if constexpr (kCount) ++st_.cond;
      if (!predict_cond(r.pc, taken)) {
        if constexpr (kCount) ++st_.cond_mispredicts;
        out = Prediction::kMispredict;
      }
      break;
    case BranchKind::kJump:
    case BranchKind::kCall:
      break;
    case BranchKind::kIndirectJump:
    case BranchKind::kIndirectCall:
      if constexpr (kCount) ++st_.indirect;
      if (!predict_indirect(r.pc, r.target)) {
        if constexpr (kCount) ++st_.indirect_mispredicts;
        out = Prediction::kMispredict;
      }
      break;
    case BranchKind::kReturn:
      if constexpr (kCount) ++st_.returns;
      if (!predict_return(r.target)) {
        if constexpr (kCount) ++st_.return_mispredicts;
        out = Prediction::kMispredict;
      }
      break;
    case BranchKind::kFar:
      if constexpr (kCount) ++st_.far;
      return Prediction::kMispredict;
  }
  if (r.branch == BranchKind::kCall || r.branch == BranchKind::kIndirectCall)
    push_return(r.pc + r.len);
  if (taken) {
    path_ = ((path_ << 2) ^ (r.target >> 2)) & ind_mask_;
    // A taken branch is found early only through the BTB. Indirect and
    // return targets come from their own tables once the BTB says "branch".
    bool btb_hit = btb_lookup_insert(r.pc, r.target);
    bool direct = r.branch == BranchKind::kCond || r.branch == BranchKind::kJump ||
                  r.branch == BranchKind::kCall;
    if (!btb_hit && direct && out == Prediction::kCorrect) {
      if constexpr (kCount) ++st_.btb_misses;
      out = Prediction::kBtbMiss;
    }
  }
  return out;
}

Prediction BranchPredictor::predict_and_update(const RetireInfo& r) { return update<true>(r); }
void BranchPredictor::train(const RetireInfo& r) { update<false>(r); }

}  // namespace hvsim::timing::ooo
