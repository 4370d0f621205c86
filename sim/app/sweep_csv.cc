#include "sim/app/sweep_csv.h"

#include <cstdio>
#include <fstream>

#include "sim/base/params.h"

namespace hvsim::app {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string sweep_csv(const std::vector<std::string>& keys, const std::vector<std::string>& metrics,
                      const std::vector<SweepRow>& rows) {
  std::string out = "point";
  for (const auto& k : keys) out += "," + csv_field(k);
  out += ",status,exit_status";
  for (const auto& m : metrics) out += "," + csv_field(m);
  out += ",reason\n";
  for (const SweepRow& r : rows) {
    out += csv_field(r.point);
    for (size_t i = 0; i < keys.size(); ++i)
      out += "," + csv_field(i < r.values.size() ? r.values[i] : "");
    out += r.ok ? ",ok," : ",failed,";
    out += std::to_string(r.exit_status);
    for (const auto& m : metrics) {
      const auto it = r.metrics.find(m);
      out += "," + (it == r.metrics.end() ? std::string() : csv_field(it->second));
    }
    out += "," + csv_field(r.reason) + "\n";
  }
  return out;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw base::ConfigError(tmp + ": cannot be written");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw base::ConfigError(path + ": cannot be written");
}

}  // namespace hvsim::app
