// A SystemC test binary defines build_model(): it constructs the one model of
// the process (kept alive by the caller) before elaboration completes.
#pragma once

#include <memory>

#include <systemc>

namespace hvsim::test {

std::unique_ptr<sc_core::sc_module> build_model();

}  // namespace hvsim::test
