#include "sim/app/app_main.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "sim/app/cli.h"
#include "sim/app/cmd_config.h"
#include "sim/app/cmd_demo.h"
#include "sim/app/cmd_restore.h"
#include "sim/app/cmd_run.h"
#include "sim/app/cmd_sweep.h"
#include "sim/app/run_info.h"
#include "sim/app/sweep_slurm.h"
#include "sim/app/systemc_entry.h"
#include "sim/base/exit_status.h"
#include "sim/base/params.h"

namespace hvsim::app {

namespace {

void print_error(const char* kind, std::string msg) {
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "hvsim: %s: %s\n", kind, msg.c_str());
}

int dispatch(const CommandLine& cl, int argc, char** argv) {
  switch (cl.command) {
    case Command::kHelp:
      std::fputs(cl.help_text.c_str(), stdout);
      return base::kExitOk;
    case Command::kVersion:
      std::printf("%s\n", version_line().c_str());
      return base::kExitOk;
    case Command::kConfigList:
      return config_list_command(cl.config);
    case Command::kConfigShow:
      return config_show_command(cl.config);
    case Command::kRun:
      return run_command(cl.run, argc, argv);
    case Command::kRestore:
      return restore_command(cl.run, argc, argv);
    case Command::kSweep:
      return sweep_command(cl.sweep);
    case Command::kDemo:
      return demo_command(cl.demo);
    case Command::kSweepPoint:
      return sweep_point_command(cl.sweep_point_dir);
  }
  return base::kExitInternal;
}

}  // namespace

int app_main(int argc, char** argv) {
  // Before any SystemC kernel exists: no banner, on any stream.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  set_command_line(argc, argv);
  try {
    return dispatch(parse_command_line(argc, argv), argc, argv);
  } catch (const base::ConfigError& e) {
    print_error("error", e.what());
    return base::kExitBadInput;
  } catch (const std::exception& e) {
    print_error("internal error", e.what());
    return base::kExitInternal;
  } catch (...) {
    print_error("internal error", "unknown exception");
    return base::kExitInternal;
  }
}

}  // namespace hvsim::app
