#include "sim/checkpoint/machine.h"

#include <sstream>
#include <variant>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include "sim/checkpoint/access_impl.h"

namespace hvsim::checkpoint {

template <class Ar>
void Access::core(Ar& ar, core::Engine& e, bool warm) {
  raw(ar, e.s);  // GPRs, RIP, RFLAGS, segments, CRs, DRs, x87/SSE/AVX, MSRs, PMU
  ar & e.cycles_ & e.icount_ & e.rep_extra_ & e.insn_rip_ & e.intr_check_ & e.halted_;
  ar & e.wait_sipi_ & e.events_ & e.ri_open_ & e.fetch_walk_ & e.last_walk_ & e.last_error_;
  raw(ar, e.access_seg_);
  raw(ar, e.cpl_split_);
  raw(ar, e.dbg_);
  raw(ar, e.ri_);
  raw(ar, e.monitor);  // MONITOR's armed line (MWAIT)
  // The core model (simple: its clock; ooo: the pipeline, the predictor
  // when warm) and the phases of a fast-forwarded or sampled run.
  model(ar, e.model_, warm, e.limit_count(), e.cycles_);
  virt(ar, e);
  if (warm) uarch(ar, e.mmu_);  // a changed geometry leaves that structure cold
  if constexpr (Ar::is_loading::value) {
    // A checkpoint written as the run ended (--checkpoint-at exit) carries
    // the stop request that ended it: the restored run is a new run.
    e.events_ &= ~uint32_t(core::kEvStop);
    // Derived state is rebuilt, not loaded: mode facts, host TLB, blocks.
    e.update_mode();
    e.flush_tlb();
  }
}

template <class Ar>
void Access::virt(Ar& ar, core::Engine& e) {
  auto* vmx = dynamic_cast<vmx::Vmx*>(e.virt_.unit.get());
  auto* svm = dynamic_cast<svm::Svm*>(e.virt_.unit.get());
  uint8_t kind = vmx ? 1 : svm ? 2 : 0;
  ar & kind;
  if (kind != (vmx ? 1 : svm ? 2 : 0))
    throw CheckpointError("checkpoint: saved with another virtualization unit (cpu.vendor)");
  if (vmx) {
    raw(ar, vmx->c_);
    ar & vmx->vmxon_ & vmx->non_root_ & vmx->vmxon_ptr_ & vmx->current_ & vmx->entry_qual_;
    ar & vmx->timer_deadline_ & vmx->mtf_due_ & vmx->mtf_icount_ & vmx->injecting_;
    ar & vmx->entry_cycle_ & vmx->switch_.state_pa_ & vmx->ept_.eptp_ & vmx->feature_control;
    stage2_format(ar, vmx->ept_.format_);
    ar & vmx->ept_.format_.ad & vmx->ept_.format_.big1g & vmx->ept_.format_.big2m;
    raw(ar, vmx->ept_.fault_);
    ar & vmx->vintr_ & vmx->apic_write_off_;  // APIC virtualization (SDM 30)
    if constexpr (Ar::is_loading::value)  // page-modification logging (SDM 29.3.6)
      vmx->ept_.set_dirty_log(vmx->non_root_ && vmx->c_.has2(vmx::proc2::kPml) ? &vmx->pml_
                                                                              : nullptr);
  }
  if (svm) {
    raw(ar, svm->c_);
    raw(ar, svm->cur_);
    raw(ar, svm->cached_);  // the VMCB cache (clean bits)
    ar & svm->vm_cr & svm->hsave_pa & svm->host_if_;  // VM_CR, the host-save area
    ar & svm->info2_ & svm->v_tpr_ & svm->cached_pa_ & svm->cached_asid_ & svm->in_guest_;
    ar & svm->vmcb_pa_ & svm->injecting_ & svm->vectoring_ & svm->pause_count_;
    ar & svm->last_pause_ & svm->switch_.state_pa_;
    stage2_format(ar, svm->npt_.format_);
    ar & svm->npt_.format_.nxe & svm->npt_.format_.big1g & svm->npt_.host_smep_;
    raw(ar, svm->npt_.fault_);
  }
  // The engine's guest context: pointers are saved as "set or not".
  core::GuestContext& g = e.virt_;
  bool hooks = g.hooks != nullptr, stage2 = g.stage2 != nullptr;
  ar & hooks & stage2 & g.poll & g.single_step & g.intr_exits & g.tlb_tag & g.tlb_ctx;
  ar & g.apic_access_page & g.sipi;
  if constexpr (Ar::is_loading::value) {
    g.hooks = !hooks ? nullptr : vmx ? static_cast<virt::GuestHooks*>(vmx)
                                     : static_cast<virt::GuestHooks*>(svm);
    mmu::Stage2* s2 = !stage2 ? nullptr : vmx ? static_cast<mmu::Stage2*>(&vmx->ept_)
                                               : static_cast<mmu::Stage2*>(&svm->npt_);
    if ((hooks && !g.hooks) || (stage2 && !s2))
      throw CheckpointError("checkpoint: guest mode without a VMX/SVM unit");
    e.set_stage2(s2);
  }
}

template <class Ar>
void Access::cpu(Ar& ar, platform::Cpu& c, bool warm) {
  ar & c.synced_cycles_ & c.wake_at_ & c.sipi_latched_ & c.sipi_vector_ & c.wake_pending_;
  // Where the CPU's thread waits (a multiprocessor's other CPUs): it resumes there.
  auto at = static_cast<uint8_t>(c.at_);
  ar & at & c.wait_until_ps_ & c.halted_at_;
  if constexpr (Ar::is_loading::value) {
    if (at > uint8_t(platform::Cpu::At::kHalted))
      throw CheckpointError("checkpoint: damaged archive (a CPU's resume point)");
    c.at_ = platform::Cpu::At(at);
  }
  core(ar, c.core_->engine(), warm);
}

// The time base: SystemC time cannot be set back, so a restored run's time
// 0 stands for the saved kernel time (docs/checkpoint.md). Saved after the
// run ended inside a CPU's quantum (--checkpoint-at exit), that CPU is
// ahead of the kernel: a uniprocessor is saved as if it had synced (the
// kernel's time moves to the core's); on a multiprocessor the other CPUs'
// waits are fixed in absolute time, so that CPU resumes in the sync it
// would have made.
template <class Ar>
uint64_t Access::time_base(Ar& ar, platform::System& s) {
  uint64_t kernel_ps = s.time_base_.now_ps();
  if constexpr (Ar::is_saving::value) {
    for (platform::Cpu* c : s.group_.cpus) {
      const uint64_t now = c->total_cycles();
      if (c->at_ != platform::Cpu::At::kRun || now <= c->synced_cycles_) continue;
      const uint64_t ahead_ps = (now - c->synced_cycles_) * c->cycle_.value();
      c->synced_cycles_ = now;
      if (s.group_.cpus.size() == 1) {
        kernel_ps += ahead_ps;
      } else {
        c->at_ = platform::Cpu::At::kQuantumSync;
        c->wait_until_ps_ = kernel_ps + ahead_ps;
      }
    }
  }
  ar & kernel_ps;
  return kernel_ps;
}

std::span<uint8_t> Access::ram(platform::System& s) { return s.ram_.memory().span(); }
std::span<uint8_t> Access::testdev_ram(platform::System& s) {
  return s.testdev_mem_.memory().span();
}

template <class Ar>
void Access::system(Ar& ar, platform::System& s, bool warm) {
  // Statistics first: some counters are the very fields loaded below.
  std::map<std::string, uint64_t> counters;
  if constexpr (Ar::is_saving::value)
    for (const auto& st : s.stats_.all())
      if (st.counter) counters[st.name] = *st.counter;
  ar & counters;
  if constexpr (Ar::is_loading::value)
    for (const auto& st : s.stats_.all()) {
      const auto it = counters.find(st.name);
      if (st.counter && it != counters.end()) *const_cast<uint64_t*>(st.counter) = it->second;
    }
  ar & s.acc_ & s.in_roi_ & s.roi_seen_ & s.acc_wall_ & s.stats_.base_ & s.stats_.has_base_;

  uint64_t ncpus = s.cpus().size();
  ar & ncpus;
  if (ncpus != s.cpus().size())
    throw CheckpointError("checkpoint: " + std::to_string(ncpus) + " CPUs saved, the machine has " +
                          std::to_string(s.cpus().size()) + " (platform.cpus cannot change)");
  const uint64_t kernel_ps = time_base(ar, s);
  cpu(ar, s.cpu_, warm);
  // The application processors (system_smp.cc): each one's CPU module and
  // core, local APIC, timer host and exit tracker.
  for (auto& a : s.aps_) {
    cpu(ar, a->cpu, warm);
    dev(ar, a->lapic);
    timers(ar, a->timers, {&a->lapic}, nullptr);
    exit_tracker(ar, a->exits);
  }
  ar & s.apics_.ipis_delivered;
  coherence(ar, s.coherence_);

  dev(ar, s.uart_);
  dev(ar, s.debug_exit_);
  dev(ar, s.fw_cfg_);
  dev(ar, s.pic_master_);
  dev(ar, s.pic_slave_);
  ar & s.testdev_.data;
  dev(ar, s.rtc_);
  dev(ar, s.acpi_pm_);
  dev(ar, s.i8042_);
  dev(ar, s.pci_host_);
  dev(ar, s.lapic_);
  dev(ar, s.ioapic_);
  dev(ar, s.irq_);
  dev(ar, s.pit_);
  dev(ar, s.port61_);
  timers(ar, s.timers_, {&s.lapic_}, &s.pit_);
  exit_tracker(ar, s.exits_);

  for (auto mem : {ram(s), testdev_ram(s)}) {
    SparsePages p;
    if constexpr (Ar::is_saving::value) p = pack_pages(mem);
    ar & p;
    if constexpr (Ar::is_loading::value)
      if (!unpack_pages(p, mem))
        throw CheckpointError("checkpoint: RAM size differs (memory.size_mib cannot change)");
  }
  if constexpr (Ar::is_loading::value) {
    s.time_base_.ps = kernel_ps;  // every CPU and timer host reads it
    s.timers_.renotify();
    for (auto& a : s.aps_) a->timers.renotify();
  }
}

namespace {

// The sizes of the structures saved as raw bytes: an archive from a build
// whose layouts differ is refused before anything is loaded (the format
// version names the file layout; this catches a rebuilt model).
uint64_t layout_fingerprint() {
  const uint64_t sizes[] = {sizeof(core::ArchState), sizeof(core::DebugState),
                            sizeof(core::CplSplit), sizeof(timing::RetireInfo),
                            sizeof(vmx::Controls), sizeof(svm::Vmcb), sizeof(svm::VmcbControl),
                            sizeof(mmu::TlbEntry), sizeof(virt::ExitRecord),
                            sizeof(platform::intc::Pit8254), sizeof(core::AddressMonitor)};
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the sizes
  for (uint64_t v : sizes) h = (h ^ v) * 1099511628211ull;
  return h;
}

}  // namespace

std::string save_machine(platform::System& sys, const MachineOptions& o) {
  std::ostringstream os;
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    uint64_t layout = layout_fingerprint();
    bool warm = o.warm;
    ar & layout & warm;
    Access::system(ar, sys, warm);
  }
  return os.str();
}

void load_machine(platform::System& sys, const std::string& payload) {
  std::istringstream is(payload);
  try {
    boost::archive::binary_iarchive ar(is, boost::archive::no_header);
    uint64_t layout = 0;
    bool warm = false;
    ar & layout & warm;
    if (layout != layout_fingerprint())
      throw CheckpointError("checkpoint: written by another hvsim build (state layout differs)");
    Access::system(ar, sys, warm);
  } catch (const boost::archive::archive_exception& e) {
    throw CheckpointError(std::string("checkpoint: damaged archive (") + e.what() + ")");
  }
}

}  // namespace hvsim::checkpoint

namespace hvsim::checkpoint {

// One core alone (tests/checkpoint/guest_mode_roundtrip_test.cc saves a
// core in VMX non-root or SVM guest mode and loads it into a fresh one).
template void Access::core(boost::archive::binary_oarchive&, core::Engine&, bool);
template void Access::core(boost::archive::binary_iarchive&, core::Engine&, bool);

}  // namespace hvsim::checkpoint
