// The performance-monitoring unit: Intel architectural perfmon version 2
// (SDM Vol. 3 20.2.1-20.2.2: IA32_PMC0-3 with IA32_PERFEVTSEL0-3, three
// fixed-function counters with IA32_FIXED_CTR_CTRL, IA32_PERF_GLOBAL_CTRL,
// _STATUS, _OVF_CTRL) and AMD's core counters (APM Vol. 2 13.2: PERF_CTL0-3
// / PERF_CTR0-3 at C001_0000h, and with PerfCtrExtCore the six
// C001_0200h-C001_020Bh pairs, host-only/guest-only bits 41:40).
//
// Nothing runs per instruction: a counter holds its value at the last sync,
// and a sync (an access to a PMU MSR, RDPMC, a quantum boundary) adds what
// the engine counted since then (instructions, cycles, branches, cache, TLB
// and walk counts) to every counter enabled at that moment. So a counter's
// CPL filter (USR/OS) and AMD's host/guest filter apply to the whole span
// since the last sync, judged by the CPL and guest mode at the sync; an
// overflow is seen at the next sync (the quantum boundary that
// pmu_next_deadline asks for, or a counter access), which sets the
// overflow status and raises the local APIC's LVT performance-counter
// interrupt when the counter's INT bit asks for it. Edge detect, invert and
// counter mask (CMASK) are accepted and not applied.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/sys/msr.h"

namespace hvsim::core::sys {

// Brings every counter up to date (see above); raises the PMI for overflows.
void pmu_sync(Engine& e);
// A sync, then the core cycle by which the next overflow that raises a PMI
// could happen (UINT64_MAX: none): the platform ends its quantum there.
uint64_t pmu_next_deadline(Engine& e);
// RDPMC's value for ECX (SDM Vol. 2B RDPMC; APM Vol. 3 RDPMC), after the
// CR4.PCE/CPL check; raises #GP(0) for an index the model does not have.
uint64_t pmu_rdpmc(Engine& e, uint32_t ecx);
// The bits IA32_PERF_GLOBAL_CTRL may set (one per counter); 0 without an
// Intel PMU. VMX's load-IA32_PERF_GLOBAL_CTRL controls check against it.
uint64_t pmu_global_ctrl_bits(const Engine& e);
// The PMU MSRs, for the MSR table (sys/msr.cc).
void append_pmu_msrs(std::vector<MsrDef>& t);

}  // namespace hvsim::core::sys
