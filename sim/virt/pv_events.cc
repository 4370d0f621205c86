#include "sim/virt/pv_events.h"

#include <array>
#include <string>

namespace hvsim::virt {

namespace {

// Xen's hypercall numbers (public/xen.h), as hypercall_<name>.
constexpr std::array<const char*, 41> kHypercalls = {
    "hypercall_set_trap_table",    "hypercall_mmu_update",       "hypercall_set_gdt",
    "hypercall_stack_switch",      "hypercall_set_callbacks",    "hypercall_fpu_taskswitch",
    "hypercall_sched_op_compat",   "hypercall_platform_op",      "hypercall_set_debugreg",
    "hypercall_get_debugreg",      "hypercall_update_descriptor", nullptr,
    "hypercall_memory_op",         "hypercall_multicall",        "hypercall_update_va_mapping",
    "hypercall_set_timer_op",      "hypercall_event_channel_op_compat", "hypercall_xen_version",
    "hypercall_console_io",        "hypercall_physdev_op_compat", "hypercall_grant_table_op",
    "hypercall_vm_assist",         "hypercall_update_va_mapping_otherdomain", "hypercall_iret",
    "hypercall_vcpu_op",           "hypercall_set_segment_base", "hypercall_mmuext_op",
    "hypercall_xsm_op",            "hypercall_nmi_op",           "hypercall_sched_op",
    "hypercall_callback_op",       "hypercall_xenoprof_op",      "hypercall_event_channel_op",
    "hypercall_physdev_op",        nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

// Exception mnemonics (SDM Vol. 3A Table 6-1), as bounce_<mnemonic>.
constexpr std::array<const char*, 32> kBounces = {
    "bounce_DE", "bounce_DB", "bounce_NMI", "bounce_BP", "bounce_OF", "bounce_BR", "bounce_UD",
    "bounce_NM", "bounce_DF", "bounce_09",  "bounce_TS", "bounce_NP", "bounce_SS", "bounce_GP",
    "bounce_PF", "bounce_15", "bounce_MF",  "bounce_AC", "bounce_MC", "bounce_XM", "bounce_VE",
    "bounce_CP", "bounce_22", "bounce_23",  "bounce_24", "bounce_25", "bounce_26", "bounce_27",
    "bounce_28", "bounce_29", "bounce_30",  "bounce_31"};

}  // namespace

const char* pv_event_name(uint64_t code) {
  if (code < kHypercalls.size() && kHypercalls[code] != nullptr) return kHypercalls[code];
  if (code >= 0x100 && code < 0x100 + kBounces.size()) return kBounces[code - 0x100];
  if (code >= 0x120 && code < 0x200) return "bounce_int";
  if (code == 0x200) return "syscall";
  if (code == 0x201) return "upcall";
  if (code == 0x202) return "emulate_io";
  return "";  // ExitTracker names it pv_<code>
}

}  // namespace hvsim::virt
