// Intel VMX for one core (SDM Vol. 3 ch. 23-29): VMX operation, the current
// VMCS, VM entry and VM exit, and the guest hooks the core calls in VMX
// non-root operation. attach() installs it in an Engine.
#pragma once

#include <cstdint>
#include <memory>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/core/engine.h"
#include "sim/virt/exit_record.h"
#include "sim/virt/guest_hooks.h"
#include "sim/virt/world_switch.h"
#include "sim/vmx/caps.h"
#include "sim/vmx/controls.h"
#include "sim/vmx/ept.h"
#include "sim/vmx/vmcs.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::vmx {

// Declares every vmx.* parameter (capabilities and cycle costs).
void declare_params(base::ParamRegistry& reg);

class Vmx;
// Installs VMX in `e` when the CPU model advertises it (cpu.vmx and an Intel
// vendor): capability MSRs and IA32_FEATURE_CONTROL, the VMX instructions,
// and the Vmx unit the Engine owns. Returns it (null when not advertised).
Vmx* attach(core::Engine& e, const base::Config& cfg);
// Registers the VMX MSRs in the core's MSR table (once per process;
// attach() calls it).
void register_msrs();

// VM-instruction error numbers (SDM Vol. 3 31.4, Table 31-1).
enum VmInsnError : uint32_t {
  kErrVmcallInRoot = 1,
  kErrVmclearInvalidAddr = 2,
  kErrVmclearVmxonPtr = 3,
  kErrVmlaunchNonClear = 4,
  kErrVmresumeNonLaunched = 5,
  kErrVmresumeAfterVmxoff = 6,
  kErrEntryInvalidControl = 7,
  kErrEntryInvalidHost = 8,
  kErrVmptrldInvalidAddr = 9,
  kErrVmptrldVmxonPtr = 10,
  kErrVmptrldBadRevision = 11,
  kErrUnsupportedField = 12,
  kErrVmwriteReadOnly = 13,
  kErrVmxonInRoot = 15,
  kErrEntryMovSsBlocking = 26,
  kErrInvalidInvOperand = 28,
};

// How a VM entry attempt ended.
enum class EntryResult : uint8_t { kEntered, kFailValid, kFailInvalid, kFailGuestState, kFailMsrLoad };

struct VmxStats {
  uint64_t vmreads = 0, vmwrites = 0, vmptrlds = 0, vmclears = 0, entries = 0, exits = 0;
  uint64_t entry_failures = 0, invepts = 0, invvpids = 0, vmfuncs = 0, tlb_flushes = 0;
};

class Vmx : public virt::VirtUnit, public virt::GuestHooks {
  friend struct ::hvsim::checkpoint::Access;
 public:
  Vmx(core::Engine& e, const VmxCaps& caps, const VmxCosts& costs);
  ~Vmx() override;

  core::Engine& engine() { return e_; }
  const VmxCaps& caps() const { return caps_; }
  const VmxCosts& costs() const { return costs_; }
  VmxStats& stats() { return stats_; }
  void register_stats(base::StatRegistry& reg);

  // ---- VMX operation state (SDM 24.1, 24.11.1) ----------------------------
  bool in_vmx() const { return vmxon_; }
  bool non_root() const { return non_root_; }
  uint64_t vmxon_ptr() const { return vmxon_ptr_; }
  uint64_t current_vmcs() const { return current_; }
  bool has_current() const { return current_ != kNoVmcs; }
  VmcsRef vmcs() { return VmcsRef(e_, current_); }
  uint64_t feature_control = 0;  // IA32_FEATURE_CONTROL (MSR 0x3A)
  static constexpr uint64_t kNoVmcs = ~0ull;

  // ---- instruction outcomes (SDM 31.2 conventions) -------------------------
  void vm_succeed();
  void vm_fail_invalid();
  void vm_fail_valid(uint32_t error);
  void vm_fail(uint32_t error);  // valid or invalid depending on the current VMCS

  // ---- the operations behind the instructions (insts.cc) --------------------
  void do_vmxon(uint64_t pa);
  void do_vmxoff();
  void do_vmclear(uint64_t pa);
  void do_vmptrld(uint64_t pa);
  // VMREAD/VMWRITE by encoding: false + error when the access fails.
  // `vmcs_pa`: the VMCS accessed (default: the current one; a shadow VMCS
  // for VMREAD/VMWRITE in non-root operation, 24.10).
  bool vmread(uint64_t encoding, uint64_t* value, uint32_t* error, uint64_t vmcs_pa = kNoVmcs);
  bool vmwrite(uint64_t encoding, uint64_t value, uint32_t* error, uint64_t vmcs_pa = kNoVmcs);
  // VMCS shadowing (25.1.3, 31.3): in non-root operation VMREAD/VMWRITE of
  // `encoding` go to the shadow VMCS (true) or exit (false).
  bool shadowed(uint64_t encoding, bool write);

  // ---- VM entry (entry.cc) ------------------------------------------------
  // VMLAUNCH (launch = true) or VMRESUME from root operation, after the
  // instruction's #UD/#GP checks.
  EntryResult vm_entry(bool launch);
  uint32_t last_entry_qualification() const { return entry_qual_; }

  // ---- VM exit (exit.cc) --------------------------------------------------
  void perform_exit(const virt::GuestExit& x) override;
  // A VM-entry failure after the guest-state checks or MSR loading: loads
  // host state, exit reason with bit 31 (SDM 26.8).
  void entry_failure_exit(uint32_t reason, uint64_t qualification);

  // ---- the guest hooks (intercepts.cc) --------------------------------------
  void boundary() override;
  uint64_t wake_deadline() const override;
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
  void rdpid() override;
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
  bool blocks_init() const override { return vmxon_ && !non_root_; }
  void begin_delivery(uint8_t vector, virt::EventType type, bool has_error,
                      uint32_t error) override;
  void end_delivery() override;
  [[noreturn]] void stage2_fault(uint64_t la, bool la_valid) override;
  uint64_t apic_access(uint64_t pa, unsigned kind) override;
  bool msr_virtualized(uint32_t index, bool write, uint64_t* value) override;
  void monitor(uint64_t la) override;
  void mwait(bool armed) override;
  void rdrand(bool seed, unsigned reg, unsigned size) override;
  void task_switch(uint16_t selector, unsigned source, bool has_error, uint32_t error) override;

  // An instruction exit of `reason` (RIP of the instruction, its length).
  [[noreturn]] void exit_insn(uint32_t reason, uint64_t qual = 0, uint32_t insn_info = 0);

  const Controls& controls() const { return c_; }
  // Event injection is under way: its own delivery is not intercepted.
  void set_injecting(bool on) { injecting_ = on; }
  Ept& ept() { return ept_; }
  // TLB tags and stage 2 of the guest about to run (after entry, VMFUNC).
  void apply_translation_context();
  // VMFUNC 0: loads a new EPTP (and EPTP index) without an exit.
  void switch_eptp(uint64_t eptp, uint16_t index);

 private:
  void arm_boundary_checks();
  void load_pending_debug(VmcsRef v, uint32_t entry_info);
  void load_host_state(VmcsRef v);
  void save_guest_state(VmcsRef v);
  void world_switch_tlb();
  // APIC virtualization (apicv.cc, SDM 29).
  uint32_t vapic_read(unsigned off);
  void vapic_write(unsigned off, uint32_t v);
  unsigned vapic_highest(unsigned base);
  void vapic_set_bit(unsigned base, unsigned vector, bool on);
  uint16_t intr_status();
  void set_intr_status(unsigned rvi, unsigned svi);
  void ppr_virtualization();
  void evaluate_virtual_interrupts();
  void tpr_virtualization();
  void eoi_virtualization();
  void self_ipi_virtualization(unsigned vector);
  void deliver_virtual_interrupt();
  void enter_virtual_apic();
  void apic_write_emulation();
  void process_posted_interrupts();

 public:
  // vmx.exit_cycles.<REASON> (sim/virt/exit_costs.h).
  void set_exit_costs(std::map<uint32_t, uint64_t> c) { switch_.set_exit_costs(std::move(c)); }

 private:

  // Page-modification logging (29.3.6): the log at the PML address, its
  // next slot the guest-state field PML index (decremented per entry).
  class PmlLog final : public mmu::Stage2DirtyLog {
   public:
    explicit PmlLog(Vmx& v) : v_(v) {}
    bool log(uint64_t gpa_page) override;

   private:
    Vmx& v_;
  };

  core::Engine& e_;
  VmxCaps caps_;
  VmxCosts costs_;
  VmxStats stats_;
  virt::WorldSwitch switch_{e_, virt::Arch::kVmx};
  Ept ept_;
  PmlLog pml_{*this};
  Controls c_;
  bool vmxon_ = false, non_root_ = false;
  uint64_t vmxon_ptr_ = 0, current_ = kNoVmcs;
  uint32_t entry_qual_ = 0;
  uint64_t timer_deadline_ = 0;  // preemption timer: cycle at which it reaches 0
  // MTF (25.5.2): the exit is due once an instruction retired (icount moved
  // from mtf_icount_) or an event was delivered since VM entry.
  bool mtf_due_ = false;
  static constexpr uint64_t kNoCount = ~0ull;
  uint64_t mtf_icount_ = kNoCount;
  bool injecting_ = false;
  uint32_t vectoring_info_ = 0, vectoring_error_ = 0;  // event being delivered (27.2.4)
  uint64_t entry_cycle_ = 0;
  // APIC virtualization: a virtual interrupt is recognized (29.2.1); the
  // register whose APIC-write emulation is due after this instruction.
  bool vintr_ = false;
  static constexpr unsigned kNoApicWrite = ~0u;
  unsigned apic_write_off_ = kNoApicWrite;
};

}  // namespace hvsim::vmx
