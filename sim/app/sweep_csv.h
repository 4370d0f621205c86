// sweep.csv: one row per point, in grid order.
//   point,<varied key>...,status,exit_status,<metric>...,reason
// status is "ok" or "failed"; reason is empty for a point that succeeded and
// otherwise says why ("exit 82: hvsim: --max-insns 1000 reached ...").
// A metric a point did not produce is an empty field. Fields are quoted
// (RFC 4180) only when they hold a comma, a quote or a line break.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hvsim::app {

struct SweepRow {
  std::string point;                // "point-003"
  std::vector<std::string> values;  // one per varied key
  bool ok = false;
  int exit_status = 0;
  std::string reason;
  std::map<std::string, std::string> metrics;  // name -> value text
};

std::string csv_field(const std::string& text);

std::string sweep_csv(const std::vector<std::string>& keys, const std::vector<std::string>& metrics,
                      const std::vector<SweepRow>& rows);

// Writes the text to path through a temporary file and a rename, so a reader
// never sees half a file. Throws base::ConfigError when it cannot.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace hvsim::app
