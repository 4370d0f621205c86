// AMD SVM for one core (AMD APM Vol. 2 ch. 15 "Secure Virtual Machine"):
// discovery (CPUID 8000_000Ah, VM_CR, VM_HSAVE_PA, EFER.SVME), GIF, VMRUN
// with its consistency checks, #VMEXIT, VMLOAD/VMSAVE, nested paging, ASID
// tags and TLB_CONTROL, and the guest hooks the core calls in guest mode.
// attach() installs it in an Engine.
#pragma once

#include <cstdint>
#include <memory>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/core/engine.h"
#include "sim/svm/caps.h"
#include "sim/svm/entry_checks.h"
#include "sim/svm/npt.h"
#include "sim/svm/vmcb.h"
#include "sim/svm/vmcb_state.h"
#include "sim/virt/guest_hooks.h"
#include "sim/virt/exit_costs.h"
#include "sim/virt/world_switch.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::svm {

class Svm;
// Installs SVM in `e` when the CPU model offers it (cpu.svm and
// cpu.vendor = AuthenticAMD): CPUID leaf 8000_000Ah, VM_CR, VM_HSAVE_PA,
// the SVM instructions and the Svm unit the Engine owns (null otherwise).
Svm* attach(core::Engine& e, const base::Config& cfg);

struct SvmStats {
  uint64_t vmruns = 0, exits = 0, invalid = 0, vmloads = 0, vmsaves = 0, invlpgas = 0,
           tlb_flushes = 0, clean_groups_skipped = 0;
};

// MSR numbers (15.30).
namespace msr {
constexpr uint32_t kVmCr = 0xc0010114, kHsavePa = 0xc0010117;
constexpr uint64_t kVmCrDpd = 1, kVmCrRInit = 2, kVmCrDisA20m = 4, kVmCrLock = 8,
                   kVmCrSvmdis = 16;
}  // namespace msr

class Svm : public virt::VirtUnit, public virt::GuestHooks {
  friend struct ::hvsim::checkpoint::Access;
 public:
  Svm(core::Engine& e, const SvmCaps& caps, const SvmCosts& costs);
  ~Svm() override;

  core::Engine& engine() { return e_; }
  const SvmCaps& caps() const { return caps_; }
  // LBR virtualization on for this VMRUN (15.23: VMCB 0B8h bit 0, offered).
  bool lbr_virtualized(const VmcbControl& c) const { return caps_.lbrv && (c.lbr_virt & 1); }
  const SvmCosts& costs() const { return costs_; }
  SvmStats& stats() { return stats_; }
  void register_stats(base::StatRegistry& reg);

  uint64_t vm_cr = 0, hsave_pa = 0;
  bool in_guest() const { return in_guest_; }
  uint64_t vmcb_pa() const { return vmcb_pa_; }
  const VmcbControl& ctl() const { return c_; }
  Npt& npt() { return npt_; }

  // ---- the operations behind the instructions (svm.cc) -------------------
  void vmload(uint64_t pa);
  void vmsave(uint64_t pa);
  void set_gif(bool on);
  void invlpga(uint64_t la, uint32_t asid);

  // ---- VMRUN (entry.cc) ---------------------------------------------------
  // VMRUN of the VMCB at `pa` after the instruction's #UD/#GP checks.
  // Returns the failed check (kOk: the guest runs).
  Check vmrun(uint64_t pa);
  // The checks alone, on a VMCB image (15.5.1, entry_checks.cc).
  Check consistency(const Vmcb& v) const;

  // ---- #VMEXIT (exit.cc) --------------------------------------------------
  void perform_exit(const virt::GuestExit& x) override;

  // ---- guest hooks (intercepts.cc) ----------------------------------------
  void boundary() override;
  void cpuid() override;
  void hlt() override;
  void invd() override;
  void wbinvd() override;
  void xsetbv() override;
  void invlpg(uint64_t la) override;
  void invpcid(const core::DecodedInsn& d) override;
  void rdpmc() override;
  void pause() override;
  uint64_t rdtsc(bool rdtscp) override;
  uint64_t cr_read(unsigned cr, unsigned gpr, uint64_t value) override;
  uint64_t cr_write(unsigned cr, unsigned gpr, uint64_t value) override;
  void clts() override;
  uint16_t lmsw(uint16_t src, bool is_mem, uint64_t mem_la) override;
  void dr_access(unsigned dr, unsigned gpr, bool write) override;
  void io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm) override;
  void rdmsr(uint32_t index) override;
  void wrmsr(uint32_t index) override;
  void exception(uint8_t vector, bool has_error, uint32_t error, uint64_t cr2, bool soft) override;
  bool external_interrupt() override;
  bool nmi() override;
  void triple_fault() override;
  void init_signal() override;
  void smi() override;
  void begin_delivery(uint8_t vector, virt::EventType type, bool has_error,
                      uint32_t error) override;
  void end_delivery() override;
  [[noreturn]] void stage2_fault(uint64_t la, bool la_valid) override;
  void pushf() override;
  void popf() override;
  void iret() override;
  void intn(uint8_t vector) override;
  void desc_table(virt::DescTable t, bool write) override;
  void icebp() override;
  void rsm() override;
  void task_switch(uint16_t selector, unsigned source, bool has_error, uint32_t error) override;
  void monitor(uint64_t la) override;
  void mwait(bool armed) override;

  // An instruction intercept: the exit names the instruction (RIP rolled
  // back) and NRIP the next one.
  [[noreturn]] void exit_insn(uint64_t code, uint64_t info1 = 0, uint64_t info2 = 0);
  bool intercepted(uint32_t misc1_bit) const { return c_.intercept_misc1 & misc1_bit; }
  bool intercepted2(uint32_t misc2_bit) const { return c_.intercept_misc2 & misc2_bit; }
  // svm.exit_cycles.<CODE> (sim/virt/exit_costs.h).
  void set_exit_costs(std::map<uint32_t, uint64_t> c) { switch_.set_exit_costs(std::move(c)); }

 private:
  void load_guest(const Vmcb& v);
  void save_host();
  void load_host();
  // A VMRUN that failed its consistency checks: #VMEXIT(VMEXIT_INVALID)
  // with host state back and GIF = 0 (15.5.1); `entry_cost` is the
  // VMRUN's, charged before the exit's.
  void invalid_exit(uint64_t pa, const Vmcb& v, uint64_t entry_cost);
  void apply_translation_context();
  void tlb_control(uint8_t tc);
  void inject(uint64_t eventinj);
  void arm_polling();
  bool virq_deliverable() const;
  void fetch_insn_bytes(VmcbControl& c);

  core::Engine& e_;
  SvmCaps caps_;
  SvmCosts costs_;
  SvmStats stats_;
  virt::WorldSwitch switch_{e_, virt::Arch::kSvm};
  Npt npt_;
  VmcbControl c_{};  // the control area as VMRUN loaded it
  Vmcb cur_{};       // the VMCB image of the running guest
  uint64_t info2_ = 0;  // EXITINFO2 of the exit being thrown
  uint8_t v_tpr_ = 0;   // V_TPR while the guest runs
  Vmcb cached_{};    // the VMCB image of the last VMRUN (clean bits)
  uint64_t cached_pa_ = ~0ull;
  uint32_t cached_asid_ = 0;
  bool in_guest_ = false;
  uint64_t vmcb_pa_ = 0;
  bool host_if_ = false;  // host RFLAGS.IF at VMRUN (V_INTR_MASKING)
  bool injecting_ = false;
  uint64_t vectoring_ = 0;  // EXITINTINFO of the event being delivered
  uint32_t pause_count_ = 0;
  uint64_t last_pause_ = 0;
};

// Every named exit code without its VMEXIT_ prefix (svm.exit_cycles.<NAME>).
const std::vector<virt::ExitName>& exit_names();

}  // namespace hvsim::svm
