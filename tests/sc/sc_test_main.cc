// main for SystemC GoogleTest binaries: silence the SystemC banner (it would
// confuse gtest_discover_tests), build the model, finish elaboration with a
// zero-time start, then run the tests (which may call sc_start again).
#include <gtest/gtest.h>

#include <cstdlib>
#include <systemc>

#include "sc_test_main.h"

int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  auto model = hvsim::test::build_model();
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  return RUN_ALL_TESTS();
}

int main(int argc, char* argv[]) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
