#include <gtest/gtest.h>

#include "sim/app/cmd_config.h"

namespace hvsim::app {
namespace {

TEST(ParamTable, AlignedColumnsWithHeader) {
  base::ParamRegistry reg;
  reg.add_uint("timing.alu_cycles", 1, "cycles", "ALU latency");
  reg.add_string("cpu.vendor", "intel", "CPU vendor", {"intel", "amd"});
  EXPECT_EQ(param_table(reg),
            "KEY                TYPE    DEFAULT  UNIT    DESCRIPTION\n"
            "timing.alu_cycles  uint    1        cycles  ALU latency\n"
            "cpu.vendor         string  intel            CPU vendor (one of: intel amd)\n");
}

}  // namespace
}  // namespace hvsim::app
