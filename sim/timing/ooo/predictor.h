// Branch prediction of the ooo model: a gshare conditional predictor (global
// history XOR PC indexing two-bit counters, McFarling 1993), a set-associative
// BTB for taken-branch targets, a return address stack and an indirect target
// table indexed by PC and path history. Trained at retire with the outcome
// the functional engine found, which is exact for a core that updates its
// predictor in program order.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/timing/ooo/params.h"
#include "sim/timing/retire_info.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing::ooo {

enum class Prediction : uint8_t {
  kCorrect,     // fetch continued down the right path
  kBtbMiss,     // right direction, but the taken target came from decode: a bubble
  kMispredict,  // wrong direction or target: fetch resumes after the branch executes
};

struct PredictorStats {
  uint64_t cond = 0, cond_mispredicts = 0;
  uint64_t indirect = 0, indirect_mispredicts = 0;
  uint64_t returns = 0, return_mispredicts = 0;
  uint64_t btb_misses = 0;
  uint64_t far = 0;  // far transfers: never predicted
};

class BranchPredictor {
 public:
  friend struct checkpoint::Access;
  explicit BranchPredictor(const OooParams& p);
  // Predicts the branch r describes, then trains on its outcome.
  Prediction predict_and_update(const RetireInfo& r);
  // The same without counting (functional warming, sampled runs).
  void train(const RetireInfo& r);
  const PredictorStats& stats() const { return st_; }
  PredictorStats& stats() { return st_; }

 private:
  template <bool kCount>
  Prediction update(const RetireInfo& r);
  bool btb_lookup_insert(uint64_t pc, uint64_t target);  // true on a hit with this target
  bool predict_cond(uint64_t pc, bool taken);            // true when predicted right
  bool predict_indirect(uint64_t pc, uint64_t target);
  bool predict_return(uint64_t target);
  void push_return(uint64_t ret);

  struct BtbEntry {
    uint64_t pc = 0;
    uint64_t target = 0;
    uint32_t stamp = 0;  // last use, for LRU
    bool valid = false;
  };

  uint64_t hist_mask_, table_mask_, ind_mask_;
  uint64_t ghist_ = 0;  // conditional outcomes
  uint64_t path_ = 0;   // taken-target path history for indirect branches
  std::vector<uint8_t> counters_;
  std::vector<BtbEntry> btb_;
  uint32_t btb_sets_, btb_ways_;
  uint32_t stamp_ = 0;
  std::vector<uint64_t> ras_;
  uint32_t ras_top_ = 0;  // entries pushed (mod size for the slot)
  uint32_t ras_depth_ = 0;
  std::vector<uint64_t> indirect_;
  PredictorStats st_;
};

}  // namespace hvsim::timing::ooo
