// How a run ended, as the Cpu module records it for run_simulation().
#pragma once

#include <string>

namespace hvsim::platform {

struct RunEnd {
  bool ended = false;
  int exit_status = 0;        // the debug-exit value, or a base::ExitStatus
  std::string reason;         // one line
  std::string register_dump;  // for fatal ends
};

}  // namespace hvsim::platform
