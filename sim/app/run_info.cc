#include "sim/app/run_info.h"

#include <filesystem>
#include <fstream>

#include "sim/app/systemc_entry.h"

#ifndef HVSIM_GIT_COMMIT
#define HVSIM_GIT_COMMIT "unknown"
#endif

namespace hvsim::app {

namespace {

std::vector<std::string>& stored() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

std::string version_line() {
  return std::string("hvsim ") + HVSIM_VERSION + " (git " + HVSIM_GIT_COMMIT + ", " +
         systemc_version() + ")";
}

void set_command_line(int argc, const char* const* argv) {
  stored().assign(argv, argv + argc);
}

const std::vector<std::string>& command_line() { return stored(); }

std::string shell_quote(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "_-+=.,/:@%") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void write_run_info(const std::string& dir) {
  std::string cmd;
  for (const auto& a : command_line()) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  std::ofstream(std::filesystem::path(dir) / "run-info.txt", std::ios::trunc)
      << version_line() << "\ncommand: " << cmd << "\ncwd: " << cwd << "\n";
}

}  // namespace hvsim::app
