// The run loop: blocks executed until an event, a limit or the cycle budget;
// events, INIT, NMI and interrupts at instruction boundaries (SDM Vol. 3
// 6.9); faults and guest exits caught at the boundary.
#include <cinttypes>
#include <cstdio>
#include <type_traits>
#include <variant>

#include "sim/core/coherence.h"
#include "sim/core/engine.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {

void Engine::take_guest_exit(const virt::GuestExit& x) {
  if (!x.trap) s.rip = insn_rip_;
  // The exit saves the activity state (HLT when an event or the preemption
  // timer ended a halt: SDM Vol. 3 27.3.4) before the core runs the host.
  if (virt_.hooks) virt_.hooks->perform_exit(x);
  halted_ = false;
  post_event(kEvBreak);
}

void Engine::fault_at_boundary(const Fault& f) {
  try {
    deliver_fault(f);
  } catch (const virt::GuestExit& x) {
    take_guest_exit(x);
  }
}

// The run loop proper, once per block for the model's type (a direct,
// inlinable retire() per instruction: no virtual call, no branch on the
// model kind). Each instruction fills ri_ while it executes; the model turns
// the record into time when it retires. Returns true when the block ran to
// its end (no event, budget or limit stopped it).
template <class M>
__attribute__((always_inline)) inline bool Engine::exec_block_with(M& model, const Block& b,
                                                                   size_t max_insns) {
  // Pointers, not counts: a block's size is its vector's end (no division
  // by sizeof(DecodedInsn) per block unless a limit applies).
  const DecodedInsn* i = b.insns.data();
  const DecodedInsn* const last = i + b.insns.size();
  const DecodedInsn* end = last;
  if (max_insns < BlockCache::kMaxBlockInsns && max_insns < static_cast<size_t>(last - i))
    end = i + max_insns;
  if (insn_limit_) {
    const uint64_t left = insn_limit_ - limit_count();
    if (left < static_cast<uint64_t>(end - i)) end = i + left;
  }
  uint32_t fetch = take_fetch_latency(b, M::kTimesFetch);
  sum_accesses_ = !M::kReadsDeps;
  ri_open_ = true;
  if constexpr (!M::kReadsDeps) {
    // The simple model: ri_'s charges are all zero here (every retire,
    // settle and block end clears them), so an instruction starts by
    // setting its flags; one with no rare charge (kCharged) and no own cost
    // retires from its class cost, its summed accesses and its branch, then
    // clears the accesses. Its class and branch kind are read only by
    // retire(), so only the rare path sets them (a faulting instruction
    // retires with kOwnCost and, as taken_branch() is the last thing an
    // instruction can fault before, never with kTaken). Returns true when
    // an event or the budget stops the block after it.
    auto step = [&](uint8_t charged) __attribute__((always_inline)) {
      insn_rip_ = s.rip;
      ri_.flags = i->deps.flags | charged;
      s.rip += i->len;
      i->exec(*this, *i);
      const uint8_t f = ri_.flags;
      if (HVSIM_LIKELY(!(f & (timing::kCharged | timing::kOwnCost)))) {
        model.retire_plain(model.plain_cost(i->plain_cost, ri_.mem_cost));
        ri_.clear_sums();
      } else {
        ri_.tclass = i->tclass;
        ri_.branch = i->deps.branch;
        model.retire(ri_);
        ri_.clear_charges();
      }
      cycles_ = model.cycles();
      ++icount_;
      return HVSIM_UNLIKELY(events_ != 0 || cycles_ >= cycle_limit_);
    };
    bool stopped = false;
    // The fetch stall (an ITLB walk: kTimesFetch is false) is the first
    // instruction's, a rare charge: that one is run apart, so the loop
    // carries no "first" flag.
    if (HVSIM_UNLIKELY(fetch != 0) && i != end) {
      ri_.fetch_latency = fetch;
      stopped = step(timing::kCharged);
      ++i;
    }
    if (!stopped)
      for (; i != end; ++i)
        if (step(0)) {
          stopped = true;
          break;
        }
    ri_open_ = false;
    if (stopped) {
      ri_.clear_charges();
      return false;  // stopped (even at its last instruction): the chain ends
    }
    ri_.flags = 0;  // the charges are already clear: each retire cleared them
    return i == last;
  }
  for (; i != end; ++i) {
    insn_rip_ = s.rip;
    if constexpr (M::kReadsDeps)
      ri_.start(i->deps, insn_rip_, i->len, i->tclass, fetch);
    else
      ri_.start_charges(i->deps.flags, i->deps.branch, i->tclass, fetch);
    fetch = 0;
    s.rip += i->len;
    i->exec(*this, *i);
    model.retire(ri_);
    cycles_ = model.cycles();
    ++icount_;
    // The budget ends exactly where a timer is due (the platform sets it).
    if (HVSIM_UNLIKELY(events_ != 0 || cycles_ >= cycle_limit_)) {
      ++i;
      break;
    }
  }
  ri_open_ = false;
  ri_.clear_charges();
  return i == last;
}

void Engine::exec_block(const Block& b, size_t max_insns) {
  if (HVSIM_UNLIKELY(model_.scheduled())) {
    exec_block_with(model_, b, max_insns);
    return;
  }
  std::visit([&](auto& m) { exec_block_with(m, b, max_insns); }, model_.detailed());
}

// A run with a fast-forward or sampling schedule (sim/timing/phased_model.h),
// block by block (also along a chain: exec_chain_with<PhasedModel>): a block
// never crosses a phase boundary (counted as limit_count(): each REP
// iteration is one); a functional block runs in engine_functional.cc, the
// others through the view of their phase.
bool Engine::exec_block_with(timing::PhasedModel& pm, const Block& b, size_t max_insns) {
  if (limit_count() >= pm.phase_end()) pm.advance(limit_count());
  const uint64_t left = pm.phase_end() - limit_count();
  if (left < max_insns) max_insns = left;
  if (pm.phase() == timing::Phase::kFunctional) return exec_block_functional(b, max_insns);
  bool whole = false;
  pm.visit([&](auto& m) { whole = exec_block_with(m, b, max_insns); });
  return whole;
}

// Blocks from `b` on while each ends where the next is chained to it and
// nothing run() looks at between blocks has come up: the run loop's
// boundary work done once per chain rather than once per block. The simple
// model's loop returns false when an event or the budget stopped it (the
// tests it made after the block's last instruction), so they are not made
// again here for it.
template <class M>
void Engine::exec_chain_with(M& model, const Block* b) {
  constexpr bool kStopsChecked = [] {
    if constexpr (std::is_same_v<M, timing::PhasedModel>)
      return false;
    else
      return !M::kReadsDeps;
  }();
  const bool alone = boundary_due();  // cannot turn on in a block that runs to its end
  while (exec_block_with(model, *b, BlockCache::kMaxBlockInsns)) {
    if ((!kStopsChecked && (events_ != 0 || cycles_ >= cycle_limit_)) || alone ||
        (insn_limit_ && limit_count() >= insn_limit_))
      return;
    Block* next = chained();
    if (!next) return;
    insn_rip_ = s.rip;
    b = follow_chain(next);
  }
}

void Engine::settle() {
  uint64_t c = ri_.extra_cycles + ri_.mem_cost + ri_.overflow_latency +
               ri_.overflow_store_cost(store_cap_);
  const timing::StallKind kind = (ri_.flags & timing::kWorldSwitch) ? timing::StallKind::kWorldSwitch
                                                                    : timing::StallKind::kIdle;
  for (unsigned k = 0; k < ri_.nmem; ++k) {
    const uint32_t l = ri_.mem[k].latency;
    c += ri_.mem[k].kind == timing::MemKind::kStore && l > store_cap_ ? store_cap_ : l;
  }
  ri_.clear_charges();
  if (c == 0) return;
  model_.visit([&](auto& m) {
    m.stall(c, kind);
    cycles_ = m.cycles();
  });
}

void Engine::retire_open_record() {
  // What a fault or an exit leaving the functional or the simple loop left
  // behind (their clocks and counts brought up to date first).
  events_ &= ~kEvCharged;
  charge_ev_ = 0;
  sync_clock();
  ff_clock_ = false;
  simple_open_ = nullptr;
  if (!ri_open_) return settle();  // the fault came before any instruction (fetch)
  // Inside exec_block_functional the clock is cycles_ as synced above (1
  // per instruction so far): the faulting one retires from there through
  // FunctionalCore.
  if (model_.phase() == timing::Phase::kFunctional) model_.set_functional_clock(cycles_);
  // A faulting instruction is not charged its class latency (it did not
  // complete): only what it did and what its fault or exit cost.
  ri_.flags |= timing::kFault | timing::kOwnCost;
  model_.visit([&](auto& m) {
    m.retire(ri_);
    cycles_ = m.cycles();
  });
  ri_open_ = false;
  ri_.clear_charges();
}

uint32_t Engine::take_fetch_latency(const Block& b, bool through_l1i) {
  uint32_t c = fetch_walk_;
  fetch_walk_ = 0;
  if (through_l1i) c += mmu_.cache().fetch_access(b.pa, b.bytes);
  return c;
}

// INIT at an instruction boundary: above NMI and INTR (SDM Vol. 3 6.9
// Table 6-2 "Priority Among Simultaneous Exceptions and Interrupts",
// 7.9 Table 7-2 in newer editions: INIT is with the "hardware
// interventions", priority 3; NMI 5; maskable interrupts 6). GIF = 0 holds
// it (APM Vol. 2 15.17); in guest mode the hooks decide (VMX: always a VM
// exit; SVM: the INIT intercept); VMX root operation blocks it (SDM Vol. 3
// 25.2). A halted core wakes for it. Returns true when INIT was performed.
bool Engine::try_init() {
  if (!intc_->init_pending() || !s.gif) return false;
  if (virt_.hooks) {
    virt_.hooks->init_signal();  // may throw GuestExit
    return false;                // not taken inside guest mode: stays pending
  }
  if (virt_.unit && virt_.unit->blocks_init()) return false;
  intc_->take_init();
  perform_init();
  return true;
}

// Accepts a pending NMI or maskable interrupt at this instruction boundary
// (SDM Vol. 3 6.8.1, 6.9: NMI before INTR; INTR needs IF = 1 and no
// STI/MOV SS shadow). Returns true when one was delivered.
bool Engine::try_interrupt() {
  if (!intc_ || wait_sipi_) return false;
  if (try_init()) return true;
  if (HVSIM_UNLIKELY(intc_->smi_pending()) && s.gif) {  // held while GIF = 0 (APM 15.17)
    if (virt_.hooks) virt_.hooks->smi();                  // may throw GuestExit
    intc_->take_smi();  // SMM is not modelled: the SMI is dropped (apic.smis counts it)
  }
  if (s.interrupt_shadow || !s.gif) return false;  // GIF = 0: held (APM 15.17)
  if (intc_->nmi_pending() && !s.nmi_blocked) {
    if (virt_.hooks && !virt_.hooks->nmi()) return false;  // may exit instead (NMI exiting)
    intc_->take_nmi();
    s.nmi_blocked = 1;  // until the next IRET (SDM Vol. 3 6.7.1)
    halted_ = false;
    ++stat_nmis;
    deliver_event(kNMI, false, 0, false, virt::EventType::kNmi);
    return true;
  }
  if (virt_.hooks && intc_->pending_vector() >= 0 && !virt_.hooks->external_interrupt())
    return false;
  // Nothing to deliver: no more looking until the controller notifies again
  // (whatever IF says: under VMX external-interrupt exiting the run loop
  // looks while intr_check_ is set, IF or not).
  if (intc_->pending_vector() < 0) {
    if (!intc_->init_pending()) intr_check_ = false;  // a blocked INIT: look again
    return false;
  }
  if (!(s.rflags & IF)) return false;  // stays pending: IF-setting instructions look again
  const int v = intc_->acknowledge();
  halted_ = false;
  ++stat_interrupts;
  deliver_event(static_cast<uint8_t>(v), false, 0, false, virt::EventType::kExternal);
  return true;
}

bool Engine::handle_events(RunExit* out) {
  if (events_ & kEvShutdown) {
    events_ &= ~kEvShutdown;
    *out = RunExit::kTripleFault;
    return true;
  }
  if (events_ & kEvStop) {
    events_ &= ~kEvStop;
    *out = RunExit::kStopRequested;
    return true;
  }
  if (events_ & kEvHalt) {
    events_ &= ~kEvHalt;
    // HLT with IF = 0 is the conventional "stop here" of a kernel: only an
    // NMI could wake it, so unless one is already pending the run is over.
    if (!(s.rflags & IF) && !virt_.hooks && !(intc_ && intc_->nmi_pending() && !s.nmi_blocked) &&
        !(intc_ && intc_->init_pending())) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "HLT with interrupts disabled at RIP=%#" PRIx64, insn_rip_);
      last_error_ = msg;
      *out = RunExit::kHaltedForever;
      return true;
    }
    halted_ = true;
  }
  events_ = 0;
  if (virt_.poll) virt_.hooks->boundary();
  // A debug trap due in host mode (SVM: VMRUN's single-step after #VMEXIT);
  // in a VMX guest the boundary hook delivers it in its priority order.
  if (HVSIM_UNLIKELY(dbg_.due) && !virt_.hooks) deliver_due_debug_trap();
  if (intr_check_) try_interrupt();
  if (wait_sipi_) {
    last_error_ = "CPU waiting for SIPI after INIT";
    *out = RunExit::kWaitForSipi;
    return true;
  }
  if (HVSIM_UNLIKELY(monitor.sleeping)) Coherence::mwait_wake_check(*this);
  if (halted_) {
    *out = RunExit::kHalted;
    return true;
  }
  return false;
}

RunExit Engine::run(uint64_t cycle_limit) {
  RunExit exit;
  cycle_limit_ = cycle_limit;
  if (halted_ || wait_sipi_) post_event(kEvBreak);  // a wake-up: look for the interrupt first
  for (;;) {
    // A maskable interrupt held back by IF = 0 is looked at again as soon as
    // any instruction sets IF (STI, POPF, IRET, SYSRET, ...).
    if (HVSIM_UNLIKELY(events_ != 0 || virt_.poll || intr_due())) {
      try {
        const bool done = handle_events(&exit);
        settle();  // an event delivered here: its accesses, as a stall
        if (done) return exit;
      } catch (const Fault& f) {  // cannot happen: delivery handles its own faults
        fault_at_boundary(f);
        settle();
      } catch (const virt::GuestExit& x) {  // an event made the guest exit
        virt::GuestExit at_boundary = x;
        at_boundary.trap = true;  // no instruction to roll back: RIP is the boundary's
        take_guest_exit(at_boundary);
        settle();
        continue;
      }
    }
    if (cycles_ >= cycle_limit) return RunExit::kBudget;
    if (insn_limit_ && limit_count() >= insn_limit_) return RunExit::kInsnLimit;
    try {
      insn_rip_ = s.rip;
      if (HVSIM_UNLIKELY(steps_alone())) {  // one instruction alone (engine_debug.cc)
        step_one();
      } else {
        const Block* b = next_block();
        if (HVSIM_UNLIKELY(model_.scheduled()))
          exec_chain_with(model_, b);  // fast-forward/sampling: phase by phase
        else
          std::visit(
              [&](auto& m) {
                if constexpr (std::is_same_v<std::decay_t<decltype(m)>, timing::SimpleCore>)
                  exec_chain_simple(m, b);
                else
                  exec_chain_with(m, b);
              },
              model_.detailed());
      }
    } catch (const Fault& f) {
      s.rip = insn_rip_;
      note_fault(f);
      fault_at_boundary(f);
      retire_open_record();
    } catch (const virt::GuestExit& x) {
      take_guest_exit(x);
      retire_open_record();
    }
    blocks_.retire();
  }
}

}  // namespace hvsim::core
