// The SystemC side of the app: its version string, and running a model
// through sc_elab_and_sim (the library's own entry) so that SystemC sees a
// normal sc_main. SystemC reports are shown on stderr, never stdout.
#pragma once

#include <functional>
#include <string>

namespace hvsim::app {

std::string systemc_version();  // "SystemC 2.3.4-Accellera"

// Calls body inside sc_main; an exception thrown by body is rethrown here.
void run_in_systemc(int argc, char** argv, std::function<void()> body);

}  // namespace hvsim::app
