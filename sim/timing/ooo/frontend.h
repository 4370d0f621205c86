// The front end of the ooo model: fetch groups of timing.ooo.fetch_width
// instructions per cycle, ended by a taken branch; an instruction fetch that
// missed the ITLB or L1I stalls fetch by what the models found; a redirect
// (mispredict, BTB miss, pipeline flush) restarts fetch at a later cycle.
// Rename sees an instruction timing.ooo.frontend_stages cycles after fetch.
#pragma once

#include <cstdint>

#include "sim/timing/ooo/cpi.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing::ooo {

class Frontend {
 public:
  friend struct checkpoint::Access;
  Frontend(uint32_t width, uint32_t stages) : width_(width), stages_(stages) {}

  // The fetch cycle of the next instruction, not before `floor` (the decode
  // queue is full until then). *cause says what, if anything, delayed it.
  uint64_t fetch(uint32_t fetch_latency, uint64_t floor, Cpi* cause) {
    *cause = Cpi::kBase;
    if (resume_ > cycle_) {
      cycle_ = resume_;
      slots_ = 0;
      *cause = resume_cause_;
    }
    if (floor > cycle_) {
      cycle_ = floor;
      slots_ = 0;
    }
    if (fetch_latency != 0) {
      cycle_ += fetch_latency;
      slots_ = 0;
      *cause = Cpi::kFrontend;
    }
    if (slots_ >= width_) {
      ++cycle_;
      slots_ = 0;
    }
    ++slots_;
    return cycle_;
  }
  void end_group() { slots_ = width_; }  // after a taken branch
  // Fetch resumes no earlier than `at`.
  void redirect(uint64_t at, Cpi cause) {
    if (at > resume_) {
      resume_ = at;
      resume_cause_ = cause;
    }
  }
  uint32_t stages() const { return stages_; }

 private:
  uint32_t width_, stages_;
  uint64_t cycle_ = 0;
  uint32_t slots_ = 0;
  uint64_t resume_ = 0;
  Cpi resume_cause_ = Cpi::kBase;
};

}  // namespace hvsim::timing::ooo
