// A small registry with one parameter of every kind, shared by the tests.
#pragma once

#include "sim/base/params.h"

namespace hvsim::base::testing {

inline ParamRegistry make_test_registry() {
  ParamRegistry reg;
  reg.add_uint("timing.alu_cycles", 1, "cycles", "latency of an ALU instruction");
  reg.add_uint("timing.tlb.l1_entries", 64, "entries", "first-level TLB entries", 0, 4096);
  reg.add_int("timing.skew", -2, "cycles", "signed adjustment", -10, 10);
  reg.add_double("platform.cpu_ghz", 3.0, "GHz", "core clock", 0.1, 10.0);
  reg.add_bool("vmx.ept", true, "enable EPT");
  reg.add_string("cpu.vendor", "intel", "CPU vendor", {"intel", "amd"});
  reg.add_string("platform.name", "pc", "machine name");
  reg.add_uint("memory.size_mib", 128, "MiB", "guest RAM");
  return reg;
}

}  // namespace hvsim::base::testing
