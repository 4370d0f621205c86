// Paravirtual events: what a PV hypervisor (workloads/hv/pv) reports through
// the magic-operation channel (core/magic_ops.h kMagicPvBegin/kMagicPvEnd)
// and hvsim records with the VM exits (ExitTracker, Arch::kPv): each
// hypercall, each exception bounced to the guest kernel, each system call
// bounced, each event-channel upcall and each emulated I/O instruction.
// The codes are workloads/hv/pv/pv_abi.h's PV_EV_*:
//   0..63          hypercall number (Xen's __HYPERVISOR_*)
//   0x100 + vector exception bounced to the guest kernel
//   0x200          guest system call bounced to its syscall callback
//   0x201          event upcall delivered
//   0x202          IN/OUT emulated for a guest kernel with a virtual IOPL
#pragma once

#include <cstdint>

namespace hvsim::virt {

// The event's name for the trace, the summary and the statistics
// ("hypercall_mmu_update", "bounce_PF", "syscall", "upcall", "emulate_io");
// "pv_<code>" for a code with no name. Static storage.
const char* pv_event_name(uint64_t code);

}  // namespace hvsim::virt
