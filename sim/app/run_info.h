// Reproducibility: the version (with the git commit the build was configured
// from) and the exact command line, recorded in every output folder as
// OUT/run-info.txt:
//   hvsim 0.1.0 (git 67c9ca7e1b2a, SystemC 2.3.3-Accellera)
//   command: hvsim run kernel.elf --cmdline 'bench=syscall iters=100'
//   cwd: /home/me/work
#pragma once

#include <string>
#include <vector>

namespace hvsim::app {

// "hvsim 0.1.0 (git 67c9ca7e1b2a, SystemC ...)"; "git unknown" outside a checkout.
std::string version_line();

// Remembers this process's command line (app_main calls it first).
void set_command_line(int argc, const char* const* argv);
const std::vector<std::string>& command_line();

// A word as a POSIX shell reads it back: unquoted when safe, else in single quotes.
std::string shell_quote(const std::string& word);

// Writes DIR/run-info.txt (DIR exists); a failure to write is not fatal.
void write_run_info(const std::string& dir);

}  // namespace hvsim::app
