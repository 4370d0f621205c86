// Which exit-trace format a file name asks for. Header only, so that the
// command line can reject a bad --trace-exits name before anything runs
// without linking hvsim_virt.
#pragma once

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

namespace hvsim::virt {

enum class TraceFormat {
  kCsv,         // .csv: a header line, then one line per exit
  kJsonLines,   // .jsonl: one JSON object per line per exit
  kChromeTrace  // .json: Chrome trace event JSON (Perfetto, chrome://tracing)
};

// For messages: the extensions trace_format_for_path accepts.
inline constexpr const char* kTraceFormatsHint = ".csv, .jsonl or .json (Chrome trace events)";

// The extension (after the last '.' of the file name, case-insensitive)
// decides; nullopt for any other name.
inline std::optional<TraceFormat> trace_format_for_path(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string ext;
  for (char c : name.substr(dot + 1)) ext += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "csv") return TraceFormat::kCsv;
  if (ext == "jsonl") return TraceFormat::kJsonLines;
  if (ext == "json") return TraceFormat::kChromeTrace;
  return std::nullopt;
}

}  // namespace hvsim::virt
