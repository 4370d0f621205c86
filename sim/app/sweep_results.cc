#include "sim/app/sweep_results.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hvsim::app {

namespace {

void skip_space(const std::string& s, size_t& i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
}

// A JSON string starting at s[i] == '"' (escapes kept as the escaped char).
std::optional<std::string> read_string(const std::string& s, size_t& i) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  std::string out;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      ++i;
      return out;
    } else {
      out += s[i];
    }
  }
  return std::nullopt;
}

bool is_number(const std::string& t) {
  if (t.empty()) return false;
  char* end = nullptr;
  std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_stats_json(const std::string& text) {
  size_t i = 0;
  skip_space(text, i);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  const size_t key_at = text.find("\"stats\"", i);
  if (key_at == std::string::npos) return std::nullopt;
  i = key_at + 7;
  skip_space(text, i);
  if (i >= text.size() || text[i] != ':') return std::nullopt;
  ++i;
  skip_space(text, i);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  ++i;
  std::map<std::string, std::string> stats;
  skip_space(text, i);
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    for (;;) {
      skip_space(text, i);
      auto name = read_string(text, i);
      if (!name) return std::nullopt;
      skip_space(text, i);
      if (i >= text.size() || text[i] != ':') return std::nullopt;
      ++i;
      skip_space(text, i);
      std::string value;
      if (i < text.size() && text[i] == '"') {
        auto s = read_string(text, i);
        if (!s) return std::nullopt;
        value = *s;
      } else {
        const size_t end = text.find_first_of(",}", i);
        if (end == std::string::npos) return std::nullopt;
        value = text.substr(i, end - i);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
          value.pop_back();
        if (!is_number(value) && value != "true" && value != "false" && value != "null")
          return std::nullopt;
        i = end;
      }
      stats[*name] = value;
      skip_space(text, i);
      if (i >= text.size()) return std::nullopt;
      if (text[i] == '}') {
        ++i;
        break;
      }
      if (text[i] != ',') return std::nullopt;
      ++i;
    }
  }
  // Complete: the top-level object closes exactly at the last non-space
  // character (a file cut inside "units" may still end with a brace).
  int depth = 0;
  bool in_string = false;
  size_t closed_at = std::string::npos;
  for (size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_string) {
      if (c == '\\')
        ++k;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (closed_at != std::string::npos) return std::nullopt;
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return std::nullopt;
      if (depth == 0) closed_at = k;
    } else if (closed_at != std::string::npos && !std::isspace(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  if (depth != 0 || in_string || closed_at == std::string::npos) return std::nullopt;
  return stats;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<std::map<std::string, std::string>> read_stats_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return parse_stats_json(read_text_file(path));
}

std::vector<std::pair<std::string, std::string>> parse_guest_timings(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("timing:", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    std::string name, value;
    if (!(words >> name >> value) || !is_number(value)) continue;
    const std::string key = "guest." + name;
    bool replaced = false;
    for (auto& [k, v] : out) {
      if (k == key) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) out.emplace_back(key, value);
  }
  return out;
}

}  // namespace hvsim::app
