// Reading one point's results back: the statistics in OUT/stats.json and the
// guest's own `timing: NAME VALUE ...` lines in the captured stdout.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hvsim::app {

// The "stats" object of a stats.json text as name -> value text (numbers as
// written). nullopt when the text is not a complete stats.json (a run that
// was cut short, an empty or truncated file).
std::optional<std::map<std::string, std::string>> parse_stats_json(const std::string& text);
std::optional<std::map<std::string, std::string>> read_stats_json(const std::string& path);

// `timing: NAME VALUE [unit...]` lines as ("guest.NAME", VALUE), in order;
// a name printed twice keeps its last value. Other lines are ignored.
std::vector<std::pair<std::string, std::string>> parse_guest_timings(const std::string& text);

std::string read_text_file(const std::string& path);  // "" when it cannot be read

}  // namespace hvsim::app
