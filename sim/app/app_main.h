// The whole hvsim command: parse, dispatch, and turn every error into one
// stderr line and an exit status (base::kExitBadInput, base::kExitInternal).
#pragma once

namespace hvsim::app {

int app_main(int argc, char** argv);

}  // namespace hvsim::app
