// Running the guest workloads under hvsim and QEMU, and comparing output.
#pragma once

#include <string>
#include <vector>

#include "subprocess.h"

namespace hvsim_test {

// ${CMAKE_BINARY_DIR}/workloads/NAME.elf or NAME.elf32.
std::string workload_path(const std::string& name, bool elf32);

// Serial output minus lines that may differ between correct machines:
// "timing:" (cycle counts) and "info:" (memory map, vendor, raw cmdline).
std::string comparable(const std::string& serial);
std::vector<std::string> lines(const std::string& text);

// Expected output kept next to the tests (golden/NAME.txt).
std::string read_golden(const std::string& name);

// qemu-system-x86_64 -kernel ELF32 ... with isa-debug-exit; exit status is
// (code << 1) | 1.  Empty path when QEMU is not installed.
std::string qemu_path();
ProcResult run_qemu(const std::string& elf32, const std::string& cmdline);

// hvsim run ELF --cmdline ... --out TMPDIR; exit status is the code.
// When stats_json is given it receives OUT/stats.json ("" if missing).
ProcResult run_hvsim(const std::string& hvsim, const std::string& elf, const std::string& cmdline,
                     std::string* stats_json = nullptr);

// A top-level counter of hvsim's stats.json ("stats": {"mmu.page_faults": N, ...}),
// or -1 when absent.
long long stats_counter(const std::string& stats_json, const std::string& name);

// A short description of a run for failure messages.
std::string describe(const ProcResult& r);

}  // namespace hvsim_test
