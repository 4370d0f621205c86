#include "sim/platform/boot_stats.h"

#include "sim/core/engine.h"

namespace hvsim::platform {

void register_boot_stats(base::StatRegistry& s, Cpu& cpu) {
  const core::Engine& e = cpu.core().engine();
  const core::CplSplit& split = e.cpl_split();
  s.add_counter("boot.insns_to_user", &split.first_user_insn, "instructions",
                "instructions retired before the first CPL-3 instruction (0: never reached)");
  s.add_counter("boot.cycles_to_user", &split.first_user_cycle, "cycles",
                "core cycles before the first CPL-3 instruction (0: never reached)");
  s.add_counter("cpl.user_entries", &split.user_entries, "count",
                "kernel-to-user crossings (IRET, SYSRET, SYSEXIT, far returns to CPL 3)");
  s.add_formula(
      "cpl.user_cycles", [&e, &split] { return double(split.user_cycles_at(e.cycles())); },
      "cycles", "cycles at CPL 3");
  s.add_formula(
      "cpl.kernel_cycles",
      [&e, &split, &cpu] {
        const uint64_t k = split.kernel_cycles_at(e.cycles());
        return double(k > cpu.halted_cycles ? k - cpu.halted_cycles : 0);
      },
      "cycles", "cycles at CPL 0-2, not halted");
  s.add_formula(
      "cpl.idle_cycles", [&cpu] { return double(cpu.halted_cycles); }, "cycles",
      "cycles halted in HLT waiting for an interrupt (idle)");
  s.add_formula(
      "cpl.user_insns", [&e, &split] { return double(split.user_insns_at(e.instructions())); },
      "instructions", "instructions retired at CPL 3");
  s.add_formula(
      "cpl.kernel_insns",
      [&e, &split] { return double(split.kernel_insns_at(e.instructions())); }, "instructions",
      "instructions retired at CPL 0-2");
}

}  // namespace hvsim::platform
