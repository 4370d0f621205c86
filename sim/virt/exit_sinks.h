// The exit-trace file formats. Every format holds the same fields per exit:
//   cycle          decimal: core cycle when the exit was taken
//   vcpu           decimal
//   arch           "vmx" or "svm"
//   reason         decimal: VMX basic exit reason or SVM EXITCODE
//   reason_name    as the VMX/SVM code named it
//   qualification  hex "0x..": VMX exit qualification / SVM EXITINFO1
//   info2          hex: SVM EXITINFO2 (0x0 for VMX)
//   guest_rip      hex
//   guest_linear   hex, or empty (CSV) / null (JSON) where not defined
//   guest_physical hex, or empty / null where not defined
//   exit_cost      decimal cycles
//   host_cycles    decimal cycles from the exit to the next entry
// CSV (.csv): a header line with those names, one line per exit.
// JSON Lines (.jsonl): one object per exit with those keys in that order;
//   counts are JSON numbers, the 64-bit values (qualification, info2, RIP,
//   addresses) are "0x..." strings since JSON numbers lose precision past
//   2^53; undefined addresses are null.
// Chrome trace events (.json): {"traceEvents":[...]} for Perfetto and
//   chrome://tracing. One process "hvsim"; per vCPU a track "vCPU n guest"
//   (tid 2n+1) with a "guest" slice per guest phase, and a track
//   "vCPU n exits" (tid 2n+2) with one complete event ("X") per exit named
//   by reason_name, cat "vmexit", from the exit to the next entry, with
//   nested "world switch out"/"world switch in" slices for exit_cost and
//   entry_cost when non-zero. ts and dur are microseconds = cycles / cpu_mhz;
//   args carry every field above plus entry_cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/virt/exit_tracker.h"
#include "sim/virt/trace_format.h"

namespace hvsim::virt {

// Opens `path` for `format`; throws base::ConfigError when it cannot be created.
std::unique_ptr<ExitSink> make_trace_sink(TraceFormat format, const std::string& path,
                                          uint64_t cpu_mhz);

// One line of each format, without the newline (exposed for tests).
std::string csv_header();
std::string csv_line(const ExitRecord& r);
std::string json_line(const ExitRecord& r);

}  // namespace hvsim::virt
