// Running the real `hvsim` binary from a test: what the sweep and demo
// process tests share (one command in a folder, its status and streams).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hvsim_test {

struct Outcome {
  int status = -1;
  std::string out, err;
};

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Runs `bin args...` in `dir`, its streams kept in dir/stdout<tag>.txt and
// dir/stderr<tag>.txt. Arguments are single-quoted for the shell: tests use
// no quotes in them.
inline Outcome run_in(const std::filesystem::path& dir, const std::string& bin,
                      const std::vector<std::string>& args, const std::string& tag = "") {
  std::string cmd = "cd '" + dir.string() + "' && '" + bin + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >stdout" + tag + ".txt 2>stderr" + tag + ".txt";
  Outcome o;
  const int rc = std::system(cmd.c_str());
  o.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  o.out = read_all(dir / ("stdout" + tag + ".txt"));
  o.err = read_all(dir / ("stderr" + tag + ".txt"));
  return o;
}

}  // namespace hvsim_test
