// checkpoint::Access: the private state of each saved class, field by field
// (one function saves and loads). Included by machine.cc only.
#pragma once

#include <algorithm>
#include <cstring>
#include <variant>

#include <boost/serialization/array.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/utility.hpp>

#include "sim/checkpoint/access.h"
#include "sim/checkpoint/format.h"
#include "sim/core/engine.h"
#include "sim/platform/system.h"
#include "sim/timing/phased_model.h"
#include "sim/svm/svm.h"
#include "sim/vmx/vmx.h"

// Plain structs saved non-intrusively (Boost finds these by the type).
namespace boost::serialization {
template <class Ar>
void serialize(Ar& ar, hvsim::virt::DetailSummary& d, unsigned) {
  ar & d.key & d.write & d.samples & d.timed & d.total_time;
}
template <class Ar>
void serialize(Ar& ar, hvsim::virt::ExitTracker::State::Reason& r, unsigned) {
  hvsim::checkpoint::raw(ar, r.arch);
  ar & r.reason & r.name & r.exits & r.total_time & r.timed & r.min_time & r.max_time;
  ar & r.exit_cost & r.mean & r.m2;
}
template <class Ar>
void serialize(Ar& ar, hvsim::virt::ExitTracker::State& s, unsigned) {
  ar & s.reasons & s.io & s.msr & s.exits & s.entries & s.guest & s.host & s.world_switch;
  ar & s.pending;
  hvsim::checkpoint::raw(ar, s.pending_rec);  // reason_name: set again on load
  ar & s.pending_name & s.in_guest & s.guest_since & s.last_vcpu;
}
}  // namespace boost::serialization

namespace hvsim::checkpoint {

struct Access {
  // ---- devices (sim/platform/devices) ----
  template <class Ar>
  static void dev(Ar& ar, platform::Uart16550& u) {
    ar & u.rbr_ & u.data_ready_ & u.ier_ & u.fcr_ & u.lcr_ & u.mcr_ & u.scr_ & u.dll_ & u.dlm_;
    ar & u.thre_pending_ & u.irq_level_;
  }
  template <class Ar>
  static void dev(Ar& ar, platform::Pic8259& p) {
    raw(ar, p.init_step_);
    ar & p.single_ & p.need_icw4_ & p.level_mode_ & p.read_isr_ & p.poll_ & p.special_mask_;
    ar & p.auto_eoi_ & p.rotate_aeoi_ & p.sfnm_ & p.imr_ & p.irr_ & p.isr_ & p.input_;
    ar & p.lowest_ & p.vector_base_ & p.icw3_ & p.icw4_ & p.out_;
  }
  template <class Ar>
  static void dev(Ar& ar, platform::CmosRtc& r) {
    ar & r.offset_ & r.frozen_ & r.index_ & r.nmi_mask_ & r.reg_a_ & r.reg_b_;
    raw(ar, r.ram_);
  }
  template <class Ar>
  static void dev(Ar& ar, platform::AcpiPm& a) { ar & a.sts_ & a.en_ & a.cnt_; }
  template <class Ar>
  static void dev(Ar& ar, platform::FwCfg& f) { ar & f.selector_ & f.offset_; }
  template <class Ar>
  static void dev(Ar& ar, platform::I8042& k) {
    std::vector<std::pair<uint8_t, bool>> q;
    for (const auto& b : k.out_) q.emplace_back(b.value, b.aux);
    ar & q;
    if constexpr (Ar::is_loading::value) {
      k.out_.clear();
      for (const auto& [v, aux] : q) k.out_.push_back({v, aux});
    }
    ar & k.ctr_ & k.pending_ & k.output_port_ & k.timeout_ & k.last_was_command_;
    ar & k.irq1_ & k.irq12_;
  }
  template <class Ar>
  static void dev(Ar& ar, platform::PciHost& p) {
    ar & p.address_ & p.reset_control_;
    raw(ar, p.config_);
  }
  template <class Ar>
  static void dev(Ar& ar, platform::DebugExit& d) { ar & d.fired_; }

  // ---- interrupt controllers and timers (sim/platform/intc) ----
  template <class Ar>
  static void dev(Ar& ar, platform::intc::LocalApic& l) {
    ar & l.apic_base_ & l.id_ & l.tpr_ & l.ldr_ & l.dfr_ & l.svr_;
    raw(ar, l.isr_);
    raw(ar, l.tmr_);
    raw(ar, l.irr_);
    ar & l.esr_ & l.esr_pending_ & l.icr_;
    raw(ar, l.lvt_);
    raw(ar, l.lint_level_);
    ar & l.nmi_pending_ & l.init_pending_ & l.smi_pending_ & l.last_sipi_vector_;
    ar & l.timer_initial_ & l.timer_div_ & l.tsc_deadline_ & l.timer_armed_ & l.timer_start_;
    ar & l.timer_periods_ & l.timer_deadline_ & l.timer_handle_;
  }
  template <class Ar>
  static void dev(Ar& ar, platform::intc::IoApic& io) {
    ar & io.regsel_ & io.id_ & io.reset_id_;
    raw(ar, io.redir_);
    raw(ar, io.level_);
  }
  template <class Ar>
  static void dev(Ar& ar, platform::intc::Pit8254& p) { raw(ar, p.ch_); }
  template <class Ar>
  static void dev(Ar& ar, platform::intc::Port61& p) { ar & p.bits_; }
  template <class Ar>
  static void dev(Ar& ar, platform::intc::PcIrqRouter& r) { raw(ar, r.level_); }

  // Pending timer events: (absolute deadline cycle, handle) in firing order.
  // The callbacks are code, not data: each is rebuilt from the device that
  // holds the handle (a local APIC's timer, a PIT channel).
  template <class Ar>
  static void timers(Ar& ar, platform::intc::ScTimerHost& t,
                     std::vector<platform::intc::LocalApic*> apics,
                     platform::intc::Pit8254* pit) {
    std::vector<std::pair<uint64_t, uint64_t>> q;
    for (const auto& [key, cb] : t.queue_) q.push_back(key);
    ar & q & t.next_handle_ & t.fired;
    if constexpr (Ar::is_loading::value) {
      t.queue_.clear();
      t.deadline_of_.clear();
      for (const auto& [deadline, h] : q) {
        platform::intc::TimerHost::Callback cb;
        for (auto* l : apics)
          if (l->timer_handle_ == h) cb = [l] { l->timer_expired(); };
        for (unsigned i = 0; pit && i < 3 && !cb; ++i)
          if (pit->ch_[i].handle == h) cb = [pit, i] { pit->edge(i); };
        if (!cb) throw CheckpointError("checkpoint: a pending timer event has no owner");
        t.queue_.emplace(std::make_pair(deadline, h), std::move(cb));
        t.deadline_of_.emplace(h, deadline);
      }
    }
  }
  // VM exits so far: counts, times, the open exit.
  template <class Ar>
  static void exit_tracker(Ar& ar, virt::ExitTracker& t) {
    virt::ExitTracker::State st;
    if constexpr (Ar::is_saving::value) st = t.state();
    ar & st;
    if constexpr (Ar::is_loading::value) t.set_state(st);
  }
  // Cross-core stores (core/coherence.h): the pages the cores decoded code
  // from (they keep stores to them on the slow path, which counts DTLB
  // lookups); the count of armed monitors follows from the cores' monitors.
  template <class Ar>
  static void coherence(Ar& ar, core::Coherence& c) {
    std::vector<uint64_t> pages(c.code_pages_.begin(), c.code_pages_.end());
    std::sort(pages.begin(), pages.end());
    ar & pages;
    if constexpr (Ar::is_loading::value) {
      c.code_pages_ = {pages.begin(), pages.end()};
      c.armed_ = 0;
      for (const auto& m : c.members_) c.armed_ += m.engine->monitor.armed ? 1 : 0;
    }
  }

  // ---- micro-architectural state (warm) ----
  template <class Ar>
  static bool uarch(Ar& ar, mmu::Tlb& t) {
    ar & t.clock_;
    return raw_vector(ar, t.e_);
  }
  template <class Ar>
  static bool uarch(Ar& ar, cache::CacheLevel& c) {
    ar & c.clock_ & c.wide_;
    if constexpr (Ar::is_loading::value) c.his_.assign(c.wide_ ? c.sets_ * c.assoc_ : 0, 0u);
    return raw_vector(ar, c.mem_) & raw_vector(ar, c.his_);
  }
  template <class Ar>
  static bool uarch(Ar& ar, mmu::Mmu& m) {
    bool ok = uarch(ar, m.tlbs_.l1_[0]) & uarch(ar, m.tlbs_.l1_[1]) & uarch(ar, m.tlbs_.l2_);
    ar & m.psc_.clock_;
    for (auto& level : m.psc_.levels_) ok &= raw_vector(ar, level);
    cache::CacheModel& c = m.cache_;
    for (auto& level : c.levels_) ok &= uarch(ar, level);
    ar & c.fetch_mru_;
    ok &= raw_vector(ar, c.mru_);
    return ok;
  }

  // ---- the timing model (sim/timing) ----
  // timing.model = ooo is saved exactly: the pipeline as the timestamp model
  // holds it (fetch cycle and redirect, rename and retire slots, ROB/LQ/SQ
  // free cycles, the port calendar, the scheduler, MSHRs, the store queue,
  // register and flag ready times), so the restored run places every later
  // instruction where the uninterrupted run does. The branch predictor
  // (gshare counters, BTB, RAS, indirect table) is micro-architectural state:
  // saved when warm, left at reset otherwise.
  template <class Ar>
  static bool ring(Ar& ar, timing::ooo::FreeRing& r) {
    const bool ok = raw_vector(ar, r.at_) & raw_vector(ar, r.why_);
    ar & r.head_;
    return ok;
  }

  template <class Ar>
  static void predictor(Ar& ar, timing::ooo::BranchPredictor& b, const timing::ooo::OooParams& p,
                        bool warm) {
    raw(ar, b.st_);  // its statistics always (they count the whole run)
    if (!warm) return;
    ar & b.ghist_ & b.path_ & b.stamp_ & b.ras_top_ & b.ras_depth_;
    bool ok = raw_vector(ar, b.counters_) & raw_vector(ar, b.btb_);
    ok = ok & raw_vector(ar, b.ras_) & raw_vector(ar, b.indirect_);
    if constexpr (Ar::is_loading::value) {
      if (!ok) {  // timing.ooo.* predictor sizes changed: it starts cold
        const timing::ooo::PredictorStats st = b.st_;
        b = timing::ooo::BranchPredictor(p);
        b.st_ = st;
      }
    }
  }

  template <class Ar>
  static void ooo(Ar& ar, timing::ooo::OooCore& c, bool warm) {
    ar & c.fe_.cycle_ & c.fe_.slots_ & c.fe_.resume_;
    raw(ar, c.fe_.resume_cause_);
    bool fits = raw_vector(ar, c.ports_.used_);
    ar & c.ports_.floor_ & c.ports_.beyond_;
    fits = fits & raw_vector(ar, c.sched_.leave_);
    ar & c.sched_.held_ & c.sched_.now_;
    raw(ar, c.miss_.last_why_);
    fits = fits & raw_vector(ar, c.miss_.e_);
    ar & c.miss_.busy_end_ & c.miss_.last_free_;
    raw(ar, c.miss_.st_);
    raw(ar, c.sq_.last_commit_);
    fits = fits & raw_vector(ar, c.sq_.s_);
    ar & c.sq_.n_;
    fits = fits & ring(ar, c.rob_) & ring(ar, c.lq_) & ring(ar, c.sq_ring_);
    ar & c.rob_seq_ & c.lq_seq_ & c.sq_seq_;
    raw(ar, c.reg_ready_);
    raw(ar, c.reg_why_);
    raw(ar, c.flag_ready_);
    raw(ar, c.flag_why_);
    ar & c.rename_cycle_ & c.rename_slots_ & c.retire_cycle_ & c.retire_slots_ & c.floor_;
    ar & c.load_floor_ & c.last_commit_ & c.last_fetch_;
    raw(ar, c.st_);
    if (!fits)
      throw CheckpointError("checkpoint: the ooo pipeline's sizes differ (timing.ooo.rob_entries, "
                            "lq/sq/scheduler entries, mshrs cannot change on restore)");
    predictor(ar, c.bp_, c.p_, warm);
  }

  // The phases (sample_schedule.h). With the schedule the checkpoint was
  // written under, the restored run continues it exactly (the phase, where
  // it began, the instructions of each phase, the windows' statistics).
  // A restore that changes timing.fast_forward or timing.sample starts the
  // new schedule at the checkpoint's count (phases are counted from the
  // run's start): e.g. with both cleared, a checkpoint written during a
  // fast-forward continues in detail.
  template <class Ar>
  static void phases(Ar& ar, timing::PhasedModel& p, uint64_t count, uint64_t engine_cycles) {
    timing::SampleSchedule s = p.sched_;
    uint64_t done[3];
    std::memcpy(done, p.done_, sizeof done);
    uint64_t start = p.phase_start_, clock = p.clock_, base = p.base_, win = p.win_cycles_;
    uint64_t end = p.phase_end_;
    auto phase = static_cast<uint8_t>(p.phase_);
    timing::WindowStats w = p.windows_;
    raw(ar, s);
    raw(ar, done);
    ar & start & clock & base & win & end & phase;
    raw(ar, w);
    if constexpr (Ar::is_loading::value) {
      const timing::SampleSchedule& now = p.sched_;
      if (s.fast_forward == now.fast_forward && s.period == now.period &&
          s.window == now.window && s.warmup == now.warmup) {
        if (phase > uint8_t(timing::Phase::kWarming))
          throw CheckpointError("checkpoint: damaged archive (the timing phase)");
        std::memcpy(p.done_, done, sizeof done);
        p.phase_start_ = start, p.clock_ = clock, p.base_ = base, p.win_cycles_ = win;
        p.phase_end_ = end;
        p.phase_ = timing::Phase(phase);
        p.windows_ = w;
      } else {
        // The engine's clock ran on under the old schedule while the model's
        // did not: the holder keeps the offset between them (base_), so the
        // engine runs through it even with no schedule left.
        p.clock_ = engine_cycles;
        p.phase_ = p.sched_.phase_at(count, &p.phase_end_);
        p.enter(count);
        p.scheduled_ = true;
      }
    }
  }

  template <class Ar>
  static void model(Ar& ar, timing::PhasedModel& p, bool warm, uint64_t count, uint64_t cycles) {
    timing::CoreModel& m = p.detailed_;
    auto kind = static_cast<uint8_t>(m.index());
    ar & kind;
    if (kind != m.index())
      throw CheckpointError("checkpoint: saved under another timing.model");
    if (auto* s = std::get_if<timing::SimpleCore>(&m))
      ar & s->cycles_ & s->instructions_;
    else
      ooo(ar, std::get<timing::ooo::OooCore>(m), warm);
    phases(ar, p, count, cycles);
  }

  // ---- the core (sim/core) and its CPU module (sim/platform) ----
  template <class Ar>
  static void core(Ar& ar, core::Engine& e, bool warm);
  template <class Ar>
  static void cpu(Ar& ar, platform::Cpu& c, bool warm);
  template <class Ar>
  static uint64_t time_base(Ar& ar, platform::System& s);
  // VMX or SVM: VMXON/current VMCS, root or non-root, the cached controls,
  // EPT; the VMCB cache and guest mode; what the engine holds for a guest.
  template <class Ar>
  static void virt(Ar& ar, core::Engine& e);
  template <class Ar>
  static void stage2_format(Ar& ar, mmu::Stage2Format& f) {
    ar & f.root & f.maxpa & f.accessed & f.dirty;
  }

  // ---- the whole machine ----
  template <class Ar>
  static void system(Ar& ar, platform::System& s, bool warm);
  static std::span<uint8_t> ram(platform::System& s);
  static std::span<uint8_t> testdev_ram(platform::System& s);
};

}  // namespace hvsim::checkpoint
