#include "sim/app/systemc_entry.h"

#include <cstdio>
#include <exception>
#include <systemc>
#include <utility>

namespace hvsim::app {

namespace {

std::function<void()> g_body;
std::exception_ptr g_error;

// SystemC displays reports on stdout, which belongs to the guest's serial port.
void report_to_stderr(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (actions & sc_core::SC_DISPLAY) {
    std::fprintf(stderr, "%s\n", sc_core::sc_report_compose_message(report).c_str());
  }
  sc_core::sc_report_handler::default_handler(report, actions & ~sc_core::SC_DISPLAY);
}

}  // namespace

std::string systemc_version() {
  return std::string("SystemC ") + sc_core::sc_release();
}

void run_in_systemc(int argc, char** argv, std::function<void()> body) {
  g_body = std::move(body);
  g_error = nullptr;
  sc_core::sc_report_handler::set_handler(report_to_stderr);
  sc_core::sc_elab_and_sim(argc, argv);
  g_body = nullptr;
  if (g_error) std::rethrow_exception(std::exchange(g_error, nullptr));
}

}  // namespace hvsim::app

// SystemC's entry point, reached only through run_in_systemc.
int sc_main(int, char**) {
  try {
    if (hvsim::app::g_body) hvsim::app::g_body();
  } catch (...) {
    hvsim::app::g_error = std::current_exception();
  }
  return 0;
}
