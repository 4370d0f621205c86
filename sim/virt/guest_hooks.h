// What the core asks of a virtualization unit (sim/vmx or sim/svm) while
// it runs a guest. The Engine holds a GuestHooks pointer that is null
// outside guest mode, so root/host execution pays one pointer test per
// intercept point and nothing per plain instruction. Hooks are named by
// architectural event, not by VMX or SVM field: each returns normally to let
// the event proceed as on bare metal, or throws GuestExit to leave the guest.
//
// A world switch is two-phase (ARCHITECTURE.md "One run" step 5): the hook
// throws GuestExit with the reason and qualification; the run loop catches
// it at the instruction boundary (Engine::take_guest_exit), rolls RIP back
// to the exiting instruction unless the exit is trap-like, and calls
// perform_exit(), which saves the guest, loads the host and charges and
// reports the switch through virt::WorldSwitch (world_switch.h).
#pragma once

#include <cstdint>

namespace hvsim::core {
struct DecodedInsn;
}

namespace hvsim::virt {

// An exit as the hook that requested it describes it; the meaning of each
// field follows the architecture that threw it (VMX: SDM Vol. 3 28.2; SVM:
// APM Vol. 2 15.6-15.7, whose EXITINFO2 and EXITINTINFO the Svm unit keeps
// itself). Fields an architecture does not have stay 0.
struct GuestExit {
  uint32_t reason = 0;         // VMX basic exit reason / SVM EXITCODE
  uint64_t qualification = 0;  // VMX exit qualification / SVM EXITINFO1
  bool trap = false;  // trap-like: RIP already points after the instruction
  bool has_linear = false;
  uint64_t guest_linear = 0;
  bool has_physical = false;
  uint64_t guest_physical = 0;
  uint32_t insn_info = 0;        // VMX VM-exit instruction information
  uint32_t intr_info = 0;        // VMX VM-exit interruption information
  uint32_t intr_error = 0;       // VMX VM-exit interruption error code
  uint32_t vectoring_info = 0;   // VMX IDT-vectoring information (event being delivered)
  uint32_t vectoring_error = 0;  // VMX IDT-vectoring error code
  // The exiting instruction's length (0: not defined): VMX's VM-exit
  // instruction length, SVM's NRIP = RIP + insn_len (15.7.1).
  uint32_t insn_len = 0;
};

// An event being delivered through the IDT when an exit interrupted it.
enum class EventType : uint8_t { kExternal = 0, kNmi = 2, kHwException = 3, kSoftInt = 4,
                                 kPrivSoftException = 5, kSoftException = 6 };

// The descriptor-table registers (SVM intercepts their reads and writes).
enum class DescTable : uint8_t { kIdtr, kGdtr, kLdtr, kTr };

// The source of a hardware task switch, in VMX's exit-qualification encoding
// (SDM Vol. 3 Table 28-2, bits 31:30).
enum : unsigned { kTaskSwitchCall = 0, kTaskSwitchIret = 1, kTaskSwitchJmp = 2,
                  kTaskSwitchIdt = 3 };

// Owned by the Engine for its lifetime (Engine::set_virt_unit): VMX or SVM
// state that must survive outside guest mode (VMXON, current VMCS, ...).
class VirtUnit {
 public:
  virtual ~VirtUnit() = default;
  // Outside guest mode: INIT is blocked and stays pending (VMX root
  // operation, SDM Vol. 3 25.2 / 24.8).
  virtual bool blocks_init() const { return false; }
};

class GuestHooks {
 public:
  virtual ~GuestHooks() = default;

  // Performs the exit `x` requested: save guest, load host, charge and
  // report the switch.
  virtual void perform_exit(const GuestExit& x) = 0;
  // Called at instruction boundaries while Engine::set_guest_poll(true):
  // window exits, monitor trap flag, preemption timer (VMX), virtual
  // interrupts (SVM). May throw GuestExit.
  virtual void boundary() = 0;
  // The cycle at which boundary() will make the guest exit even while it is
  // halted (VMX-preemption timer: it counts down in the HLT activity state,
  // SDM Vol. 3 25.5.1); ~0 when nothing but an interrupt can wake it.
  virtual uint64_t wake_deadline() const { return ~0ull; }

  // ---- instructions (called after the checks that have priority over exits:
  // #UD, CPL-based #GP, I/O-permission #GP; SDM Vol. 3 25.1.1) ----------
  virtual void cpuid() = 0;
  virtual void hlt() = 0;
  virtual void invd() = 0;
  virtual void wbinvd() = 0;
  virtual void invlpg(uint64_t la) = 0;
  // INVPCID: the whole instruction, as VMX reports its displacement and
  // operand layout (SDM Vol. 3 28.2.1, Table 28-13).
  virtual void invpcid(const core::DecodedInsn& d) = 0;
  virtual void rdpmc() = 0;
  virtual void pause() = 0;
  // Returns the offset the guest's TSC has over the host's (0 when none).
  virtual uint64_t rdtsc(bool rdtscp) = 0;
  // MOV from CR0/3/4/8: `value` is the register; returns what the guest reads.
  virtual uint64_t cr_read(unsigned cr, unsigned gpr, uint64_t value) = 0;
  // MOV to CR0/3/4/8: returns the value to load (guest/host masks applied).
  virtual uint64_t cr_write(unsigned cr, unsigned gpr, uint64_t value) = 0;
  virtual void clts() = 0;
  // LMSW: returns the 16-bit source to apply; `mem_la` valid when `is_mem`.
  virtual uint16_t lmsw(uint16_t src, bool is_mem, uint64_t mem_la) = 0;
  virtual void dr_access(unsigned dr, unsigned gpr, bool write) = 0;
  virtual void io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm) = 0;
  virtual void rdmsr(uint32_t index) = 0;
  virtual void wrmsr(uint32_t index) = 0;
  // After rdmsr()/wrmsr() let the instruction run: true when the guest's
  // access is virtualized instead of reaching the MSR (VMX "virtualize
  // x2APIC mode", SDM Vol. 3 29.5); *value is read or written. May raise.
  virtual bool msr_virtualized(uint32_t /*index*/, bool /*write*/, uint64_t* /*value*/) {
    return false;
  }

  // ---- events ---------------------------------------------------------
  // An exception about to be delivered (soft: INT3/INTO, RIP after them).
  virtual void exception(uint8_t vector, bool has_error, uint32_t error, uint64_t cr2,
                         bool soft) = 0;
  // A maskable interrupt is pending, asked before RFLAGS.IF is looked at
  // (a guest may exit on it whatever IF is): returns true when the core may
  // go on and deliver it.
  virtual bool external_interrupt() = 0;
  virtual bool nmi() = 0;
  virtual void triple_fault() = 0;
  // An INIT signal is pending at a boundary in guest mode (VMX: always a VM
  // exit, SDM Vol. 3 25.2; SVM: #VMEXIT when intercepted, APM Vol. 2 15.13).
  // Returning normally leaves the INIT pending (the core does not reset a
  // processor from inside guest mode).
  virtual void init_signal() {}
  // An SMI is pending at a boundary in guest mode: SVM #VMEXIT(SMI) when
  // intercepted (APM Vol. 2 15.13.3). Returning normally lets the core take
  // it, which drops it (SMM is not modelled; VMX's dual-monitor treatment
  // neither).
  virtual void smi() {}
  // The core is delivering this event through the guest's IDT: an exit raised
  // before end_delivery() (a nested exception, an EPT/NPT fault on the IDT,
  // GDT, TSS or stack) reports it as the interrupted event (SDM Vol. 3
  // 27.2.4 IDT-vectoring information; APM Vol. 2 15.7.2 EXITINTINFO).
  virtual void begin_delivery(uint8_t vector, EventType type, bool has_error, uint32_t error) = 0;
  virtual void end_delivery() = 0;
  // A stage-2 (EPT/NPT) translation failed during the last translation of
  // `la` (la_valid false when no linear address applies); what failed is
  // the unit's Ept/Npt last_fault(). Throws GuestExit.
  [[noreturn]] virtual void stage2_fault(uint64_t la, bool la_valid) = 0;
  // A linear access (kind 0 read, 1 write, 2 fetch) translated to the
  // physical address `pa` in the VMX APIC-access page (SDM Vol. 3 29.4):
  // returns the address the access uses (the virtual-APIC page when it is
  // virtualized) or throws an APIC-access VM exit.
  virtual uint64_t apic_access(uint64_t pa, unsigned /*kind*/) { return pa; }

  // ---- MONITOR/MWAIT, RDRAND/RDSEED (VMX: SDM Vol. 3 25.1.3; SVM: APM
  // Vol. 2 15.9). No-ops by default. Called after the #UD checks (CPUID
  // feature, CPL) and before the checks VM exits have priority over (the
  // MONITOR address, MWAIT's reserved ECX bits).
  // MONITOR: `la` is the linear address in RAX/EAX/AX (segment applied).
  virtual void monitor(uint64_t /*la*/) {}
  // MWAIT: `armed` when the address-range monitor is armed.
  virtual void mwait(bool /*armed*/) {}
  // RDRAND (seed = false) or RDSEED into GPR `reg` of `size` bytes (2/4/8).
  virtual void rdrand(bool /*seed*/, unsigned /*reg*/, unsigned /*size*/) {}

  // A hardware task switch to the TSS `selector` from `source`
  // (kTaskSwitch*), before any state is saved (SDM Vol. 3 7.3 step 3; VMX:
  // always a VM exit, 25.1.2; SVM: the task-switch intercept, APM Vol. 2
  // 15.14.2). `error` is the exception's error code when `has_error`.
  virtual void task_switch(uint16_t /*selector*/, unsigned /*source*/, bool /*has_error*/,
                           uint32_t /*error*/) {}

  // ---- intercepts VMX does not have (SVM, APM Vol. 2 15.9-15.13). No-ops
  // by default; each is called after the instruction's own #UD/#GP checks.
  virtual void pushf() {}
  virtual void popf() {}
  virtual void iret() {}
  virtual void intn(uint8_t /*vector*/) {}
  // SIDT/SGDT/SLDT/STR (write = false) and LIDT/LGDT/LLDT/LTR (write = true).
  virtual void desc_table(DescTable /*t*/, bool /*write*/) {}
  virtual void icebp() {}
  // XSETBV (after its #UD and CPL checks): VMX always exits, SVM when intercepted.
  virtual void xsetbv() {}
  // RDPID: VMX makes it #UD while "enable RDTSCP" is 0 (SDM Vol. 3 25.3).
  virtual void rdpid() {}
  // RSM outside SMM (hvsim models none): SVM's RSM intercept, else #UD.
  virtual void rsm() {}
};

}  // namespace hvsim::virt
