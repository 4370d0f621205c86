#include "sim/base/param_value.h"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

namespace hvsim::base {

namespace {

struct ParsedInt {
  bool negative = false;
  uint64_t magnitude = 0;
};

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// Returns false when the text is not an integer at all.
bool parse_int_text(std::string_view t, ParsedInt& out, bool& overflow) {
  overflow = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    out.negative = t[0] == '-';
    t.remove_prefix(1);
  }
  unsigned base = 10;
  if (t.size() > 2 && t[0] == '0') {
    const char p = t[1];
    if (p == 'x' || p == 'X') base = 16;
    if (p == 'b' || p == 'B') base = 2;
    if (p == 'o' || p == 'O') base = 8;
    if (base != 10) t.remove_prefix(2);
  }
  if (t.empty() || t.front() == '_' || t.back() == '_') return false;
  uint64_t v = 0;
  char prev = 0;
  for (char c : t) {
    if (c == '_') {
      if (prev == '_') return false;
      prev = c;
      continue;
    }
    const int d = digit_value(c);
    if (d >= static_cast<int>(base)) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / base)
      overflow = true;
    v = v * base + static_cast<uint64_t>(d);
    prev = c;
  }
  out.magnitude = v;
  return true;
}

// Shortest text that reads back as the same double.
std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string bound_text(const ParamSpec& spec, double bound) {
  if (spec.type == ParamType::Double) return shortest(bound);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", bound);
  return buf;
}

ParamValue parse_unsigned(const ParamSpec& spec, std::string_view text) {
  ParsedInt p;
  bool overflow = false;
  if (!parse_int_text(text, p, overflow)) throw ConfigError("expected an unsigned integer");
  if (p.negative && p.magnitude != 0) {
    throw ConfigError("value must be >= " + bound_text(spec, spec.min.value_or(0)));
  }
  if (overflow) throw ConfigError("value does not fit in 64 bits");
  return p.magnitude;
}

ParamValue parse_signed(std::string_view text) {
  ParsedInt p;
  bool overflow = false;
  if (!parse_int_text(text, p, overflow)) throw ConfigError("expected an integer");
  const uint64_t limit = p.negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (overflow || p.magnitude > limit) throw ConfigError("value does not fit in 64 bits");
  if (p.negative) return static_cast<int64_t>(0 - p.magnitude);
  return static_cast<int64_t>(p.magnitude);
}

ParamValue parse_double(std::string_view text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end) throw ConfigError("expected a number");
  return v;
}

ParamValue parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  throw ConfigError("expected true or false");
}

[[noreturn]] void out_of_range(const ParamSpec& spec, bool below) {
  if (below) throw ConfigError("value must be >= " + bound_text(spec, *spec.min));
  throw ConfigError("value must be <= " + bound_text(spec, *spec.max));
}

// long double holds every int64_t and uint64_t exactly on x86-64.
void check_range(const ParamSpec& spec, long double v) {
  if (std::isnan(v)) throw ConfigError("expected a number");
  if (spec.min && v < *spec.min) out_of_range(spec, true);
  if (spec.max && v > *spec.max) out_of_range(spec, false);
}

void check_choice(const ParamSpec& spec, const std::string& v) {
  if (spec.choices.empty()) return;
  std::string list;
  for (const auto& c : spec.choices) {
    if (c == v) return;
    list += (list.empty() ? "" : ", ") + c;
  }
  throw ConfigError("value must be one of: " + list);
}

}  // namespace

std::string_view type_name(ParamType type) {
  switch (type) {
    case ParamType::Int:
      return "int";
    case ParamType::UInt:
      return "uint";
    case ParamType::Double:
      return "double";
    case ParamType::Bool:
      return "bool";
    case ParamType::String:
      return "string";
  }
  return "?";
}

ParamValue parse_value_text(const ParamSpec& spec, std::string_view text) {
  switch (spec.type) {
    case ParamType::UInt:
      return parse_unsigned(spec, text);
    case ParamType::Int:
      return parse_signed(text);
    case ParamType::Double:
      return parse_double(text);
    case ParamType::Bool:
      return parse_bool(text);
    case ParamType::String:
      return std::string(text);
  }
  throw ConfigError("unsupported type");
}

void check_value(const ParamSpec& spec, const ParamValue& value) {
  switch (spec.type) {
    case ParamType::UInt:
      return check_range(spec, std::get<uint64_t>(value));
    case ParamType::Int:
      return check_range(spec, std::get<int64_t>(value));
    case ParamType::Double:
      return check_range(spec, std::get<double>(value));
    case ParamType::Bool:
      return;
    case ParamType::String:
      return check_choice(spec, std::get<std::string>(value));
  }
}

std::string format_value(const ParamValue& value) {
  char buf[64];
  switch (value.index()) {
    case 0:
      std::snprintf(buf, sizeof buf, "%" PRId64, std::get<int64_t>(value));
      return buf;
    case 1:
      std::snprintf(buf, sizeof buf, "%" PRIu64, std::get<uint64_t>(value));
      return buf;
    case 2:
      return shortest(std::get<double>(value));
    case 3:
      return std::get<bool>(value) ? "true" : "false";
    default:
      return std::get<std::string>(value);
  }
}

std::string toml_quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string toml_literal(const ParamValue& value) {
  if (const auto* u = std::get_if<uint64_t>(&value);
      u && *u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "\"0x%" PRIx64 "\"", *u);
    return buf;
  }
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::isnan(*d)) return "nan";
    if (std::isinf(*d)) return *d > 0 ? "inf" : "-inf";
    std::string s = format_value(value);
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  }
  if (const auto* s = std::get_if<std::string>(&value)) return toml_quoted(*s);
  return format_value(value);
}

}  // namespace hvsim::base
