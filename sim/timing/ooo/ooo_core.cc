#include "sim/timing/ooo/ooo_core.h"

#include <algorithm>

// The helpers of retire() are inlined into it: one call per instruction.
#define HVSIM_TIMING_INLINE __attribute__((always_inline)) inline

namespace hvsim::timing::ooo {

namespace {

// Occupancy histograms sample every 16th rename (deterministically): the
// distribution, at a sixteenth of the cost.
constexpr uint64_t kSampleEvery = 16;
constexpr uint8_t kDrains = kSerializing | kWorldSwitch;

// A source operand that is late delays an instruction because of execution
// latency, unless it was itself waiting for memory (then for that level).
Cpi operand_reason(Cpi source) {
  return is_memory(source) ? source : Cpi::kExecute;
}

// n uops through a stage of `width` per cycle that has used *slots of
// *cycle already: the cycle the last one passes (a loop, not a divide: n is
// rarely more than the width).
inline void take_slots(uint64_t* cycle, uint32_t* slots, uint32_t n, uint32_t width) {
  uint32_t tot = *slots + n;
  while (tot > width) {
    ++*cycle;
    tot -= width;
  }
  *slots = tot;
}

}  // namespace

OooCore::OooCore(const OooParams& p)
    : p_(p),
      fe_(p.fetch_width, p.frontend_stages),
      bp_(p),
      sched_(p.scheduler_entries),
      miss_(p.mshrs),
      sq_(p.sq_entries),
      rob_(p.rob_entries),
      lq_(p.lq_entries),
      sq_ring_(p.sq_entries) {
  st_.rob.set_capacity(p.rob_entries);
  st_.lq.set_capacity(p.lq_entries);
  st_.sq.set_capacity(p.sq_entries);
  st_.scheduler.set_capacity(p.scheduler_entries);
}

HVSIM_TIMING_INLINE OooCore::Counts OooCore::count_uops(const RetireInfo& r) const {
  Counts n;
  for (unsigned i = 0; i < r.nmem; ++i) {
    if (r.mem[i].kind == MemKind::kLoad)
      ++n.loads;
    else
      ++n.stores;
  }
  // A register-memory move, PUSH/POP and a NOP with a memory operand are
  // their memory uops alone (a load or a store-address/store-data pair).
  const bool folded =
      r.nmem != 0 && (r.tclass == k_move || r.tclass == k_stack || r.tclass == k_nop);
  const ClassParams& cp = p_.cls[r.tclass];
  n.compute = folded ? 0 : cp.uops;
  n.issued = (n.compute != 0 && cp.ports != 0 ? 1 : 0) + n.loads + n.stores;
  // Rename, ROB and retire count fused uops (Intel's fused domain, AMD's
  // macro ops): a load fuses with the computation that uses it, a store's
  // address and data are one; a load with no computation is its own.
  n.total = std::max<uint32_t>(1, n.compute + n.stores + (n.compute == 0 ? n.loads : 0));
  return n;
}

HVSIM_TIMING_INLINE Timed OooCore::rename(const RetireInfo& r, const Counts& n) {
  Cpi fetch_why;
  const uint32_t stages = fe_.stages();
  // The decode queue holds about a pipeline's depth of instructions: fetch
  // runs at most that far ahead of rename.
  const uint64_t queue_floor = rename_cycle_ > stages ? rename_cycle_ - stages : 0;
  last_fetch_ = fe_.fetch(r.fetch_latency, queue_floor, &fetch_why);
  Timed d{last_fetch_ + stages, fetch_why};
  d.at_least(rename_cycle_, Cpi::kBase);
  d.at_least(floor_, Cpi::kIdle);
  // An instruction with more uops than the ROB holds waits for it to empty.
  const uint32_t rob_need = std::min(n.total, p_.rob_entries);
  // A full queue waits for an older instruction to leave it: if that one was
  // waiting for memory (a miss at the ROB head), so is this stall.
  auto full = [](const FreeRing& q, uint64_t seq) {
    const Cpi w = q.why(seq);
    return is_miss(w) ? w : Cpi::kStructural;
  };
  d.at_least(rob_.available(rob_seq_ + rob_need - 1), full(rob_, rob_seq_ + rob_need - 1));
  if (n.loads) d.at_least(lq_.available(lq_seq_ + n.loads - 1), full(lq_, lq_seq_ + n.loads - 1));
  if (n.stores)
    d.at_least(sq_ring_.available(sq_seq_ + n.stores - 1), full(sq_ring_, sq_seq_ + n.stores - 1));
  if (r.flags & kDrains) {
    // SDM Vol. 3 10.3: a serializing instruction waits until every older
    // instruction has completed and the store buffer has drained.
    const Cpi why = (r.flags & kWorldSwitch) ? Cpi::kWorldSwitch : Cpi::kSerialize;
    d.at_least(retire_cycle_, why);
    d.at_least(last_commit_, why);
  }
  for (uint32_t k = 0; k < n.issued; ++k) d.at_least(sched_.admit(d.t), Cpi::kStructural);
  // Rename width, in uops; an instruction's uops may spill into later cycles.
  if (d.t > rename_cycle_) {
    rename_cycle_ = d.t;
    rename_slots_ = 0;
  }
  take_slots(&rename_cycle_, &rename_slots_, n.total, p_.rename_width);
  d.at_least(rename_cycle_, Cpi::kBase);
  ports_.advance(d.t);
  if ((st_.instructions & (kSampleEvery - 1)) == 0) {
    st_.rob.sample(rob_.occupancy(rob_seq_, d.t));
    st_.lq.sample(lq_.occupancy(lq_seq_, d.t));
    st_.sq.sample(sq_ring_.occupancy(sq_seq_, d.t));
    st_.scheduler.sample(sched_.occupancy(d.t));
  }
  return d;
}

HVSIM_TIMING_INLINE Timed OooCore::operands(uint64_t regs, uint8_t flags) const {
  Timed t;
  for (uint64_t m = regs; m != 0; m &= m - 1) {
    unsigned b = static_cast<unsigned>(__builtin_ctzll(m));
    t.at_least(reg_ready_[b], operand_reason(reg_why_[b]));
  }
  for (unsigned m = flags; m != 0; m &= m - 1) {
    unsigned b = static_cast<unsigned>(__builtin_ctz(m));
    t.at_least(flag_ready_[b], operand_reason(flag_why_[b]));
  }
  return t;
}

HVSIM_TIMING_INLINE Timed OooCore::loads(const RetireInfo& r, Timed d, Timed addr) {
  Timed done{0, Cpi::kBase};
  for (unsigned i = 0; i < r.nmem; ++i) {
    const MemAccess& a = r.mem[i];
    if (a.kind != MemKind::kLoad) continue;
    Timed t = d;
    t.at_least(addr.t, addr.why);
    t.at_least(load_floor_, Cpi::kSerialize);
    const uint64_t issue = ports_.schedule(t.t, p_.load_ports, 1);
    sched_.hold_until(issue);
    t.at_least(issue, Cpi::kExecute);
    bool forwarded = false;
    Cpi fill_why = Cpi::kDram;
    if (uint64_t f = sq_.forward(a.addr, a.size, issue, p_.store_forward_cycles, p_.l1d_hit_cycles,
                                 &forwarded)) {
      ++(forwarded ? miss_.stats().forwarded : miss_.stats().forward_stalls);
      t.at_least(f, Cpi::kL1d);  // the data comes from the store
    } else if (a.latency > p_.l1d_hit_cycles) {
      const Cpi lv = level_of(a);
      const uint64_t done_at = miss_.miss(a.addr, issue, a.latency, lv);
      t = Timed{done_at, miss_.last_why()};  // lv, or the fill it merged into
    } else if (uint64_t fill = miss_.pending(a.addr, issue, &fill_why);
               fill > issue + a.latency) {
      ++miss_.stats().merged;  // a hit on a line still being filled (a "hit under miss")
      t = Timed{fill, fill_why};
    } else {
      t.at_least(issue + a.latency, a.walked ? Cpi::kTlbWalk : Cpi::kL1d);
    }
    done.at_least(t.t, t.why);
  }
  return done;
}

void OooCore::retire(const RetireInfo& r) {
  const Counts n = count_uops(r);
  const ClassParams& cp = p_.cls[r.tclass];
  const Timed d = rename(r, n);
  const Timed addr = operands(r.addr_regs, 0);

  // A locked or fencing instruction's own loads wait for every older store
  // to be written (SDM Vol. 3 9.2.3: locked instructions have a total order).
  if (r.flags & kFence) load_floor_ = std::max(load_floor_, last_commit_);
  // Loads, then the computation, then the stores (address and data).
  const Timed loaded = loads(r, d, addr);
  Timed ready = d;
  const Timed src = operands(r.src_regs, r.src_flags);
  ready.at_least(src.t, src.why);
  if (n.loads) ready.at_least(loaded.t, loaded.why);
  if (r.flags & kFence) ready.at_least(last_commit_, Cpi::kSerialize);
  uint64_t issue = ready.t;
  if (n.compute != 0 && cp.ports != 0) {
    issue = ports_.schedule(ready.t, cp.ports, cp.issue_cycles);
    sched_.hold_until(issue);
    ready.at_least(issue, Cpi::kExecute);
  }
  const uint64_t lat = ((r.flags & kOwnCost) || n.compute == 0 ? 0 : cp.latency) + r.extra_cycles +
                       r.overflow_latency + r.overflow_store_cost(p_.l1d_hit_cycles);
  const Cpi flat = (r.flags & kWorldSwitch) ? Cpi::kWorldSwitch : Cpi::kSerialize;
  Timed result{issue + lat, r.extra_cycles ? flat : ready.why};

  Timed complete = result;
  complete.at_least(loaded.t, loaded.why);
  unsigned j = 0;
  for (unsigned i = 0; i < r.nmem; ++i) {
    const MemAccess& a = r.mem[i];
    if (a.kind != MemKind::kStore) continue;
    Timed t = d;
    t.at_least(addr.t, addr.why);
    t.at_least(result.t, result.why);  // the data to store
    const uint64_t si = ports_.schedule(t.t, p_.store_ports, 1);
    sched_.hold_until(si);
    store_issue_[j] = si;
    // The line is requested for ownership when the store executes (an RFO);
    // the store writes it to L1D after it retires.
    store_why_[j] = level_of(a);
    store_line_[j] =
        a.latency > p_.l1d_hit_cycles ? miss_.miss(a.addr, si, a.latency, store_why_[j]) : 0;
    complete.at_least(si + 1, si > t.t ? Cpi::kExecute : t.why);
    ++j;
  }
  if (r.flags & (kDrains | kFault)) complete.why = flat;

  retire_in_order(r, n, complete);
  write_results(r, result);
  if (r.flags & kFence) load_floor_ = std::max(load_floor_, complete.t);
  if (r.branch != BranchKind::kNone) after_branch(r, last_fetch_, result.t);
  if (r.flags & (kDrains | kFault)) {
    // The pipeline is refilled from the next instruction (or the handler).
    ++st_.serializations;
    fe_.redirect(retire_cycle_ + 1, Cpi::kSerialize);
  }
  ++st_.instructions;
  st_.uops += n.total;
}

HVSIM_TIMING_INLINE void OooCore::retire_in_order(const RetireInfo& r, const Counts& n,
                                                  const Timed& complete) {
  const uint64_t prev = retire_cycle_;
  if (complete.t > retire_cycle_) {
    retire_cycle_ = complete.t;
    retire_slots_ = 0;
  }
  take_slots(&retire_cycle_, &retire_slots_, n.total, p_.retire_width);
  const Cpi why = complete.t > prev ? complete.why : Cpi::kBase;
  st_.cpi[static_cast<unsigned>(why)] += retire_cycle_ - prev;
  for (uint32_t k = 0; k < n.total; ++k) rob_.set(rob_seq_++, retire_cycle_, why);
  for (uint32_t k = 0; k < n.loads; ++k) lq_.set(lq_seq_++, retire_cycle_, why);
  unsigned j = 0;
  for (unsigned i = 0; i < r.nmem; ++i) {
    const MemAccess& a = r.mem[i];
    if (a.kind != MemKind::kStore) continue;
    // Stores leave the queue in order, one per cycle, once retired and owned.
    const uint64_t commit = std::max({retire_cycle_, last_commit_ + 1, store_line_[j]});
    sq_ring_.set(sq_seq_++, commit, store_line_[j] > retire_cycle_ ? store_why_[j] : why);
    sq_.push(StoreQueue::Store{a.addr, store_issue_[j], commit, a.size});
    last_commit_ = commit;
    ++j;
  }
}

HVSIM_TIMING_INLINE void OooCore::write_results(const RetireInfo& r, const Timed& result) {
  for (uint64_t m = r.dst_regs; m != 0; m &= m - 1) {
    unsigned b = static_cast<unsigned>(__builtin_ctzll(m));
    reg_ready_[b] = result.t;
    reg_why_[b] = result.why;
  }
  for (unsigned m = r.dst_flags; m != 0; m &= m - 1) {
    unsigned b = static_cast<unsigned>(__builtin_ctz(m));
    flag_ready_[b] = result.t;
    flag_why_[b] = result.why;
  }
}

void OooCore::after_branch(const RetireInfo& r, uint64_t fetch, uint64_t resolved) {
  switch (bp_.predict_and_update(r)) {
    case Prediction::kMispredict:
      // Fetch restarts on the right path the cycle after the branch executes.
      fe_.redirect(resolved + 1, Cpi::kBranch);
      break;
    case Prediction::kBtbMiss:
      fe_.redirect(fetch + p_.btb_miss_cycles, Cpi::kFrontend);
      break;
    case Prediction::kCorrect:
      break;
  }
  if (r.taken() || r.branch != BranchKind::kCond) fe_.end_group();
}

void OooCore::stall(uint64_t c, StallKind kind) {
  Cpi why = Cpi::kIdle;
  if (kind == StallKind::kWorldSwitch) {
    // A VM exit taken at an instruction boundary (an interrupt, the
    // preemption timer): the store buffer drains first, then the cost.
    why = Cpi::kWorldSwitch;
    if (last_commit_ > retire_cycle_) {
      st_.cpi[static_cast<unsigned>(why)] += last_commit_ - retire_cycle_;
      retire_cycle_ = last_commit_;
    }
    ++st_.serializations;
  }
  retire_cycle_ += c;
  retire_slots_ = 0;
  st_.cpi[static_cast<unsigned>(why)] += c;
  floor_ = retire_cycle_;
  fe_.redirect(retire_cycle_, why);
}

void OooCore::warm(const RetireInfo& r) { bp_.train(r); }

void OooCore::drain() {
  if (last_commit_ > retire_cycle_) {
    st_.cpi[static_cast<unsigned>(Cpi::kIdle)] += last_commit_ - retire_cycle_;
    retire_cycle_ = last_commit_;
  }
  retire_slots_ = 0;
  floor_ = retire_cycle_;
  load_floor_ = std::max(load_floor_, retire_cycle_);
  fe_.redirect(retire_cycle_, Cpi::kIdle);
}

}  // namespace hvsim::timing::ooo
