#include "sim/app/sweep_grid.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>

#include "sim/base/param_value.h"

namespace hvsim::app {

namespace {

using base::ConfigError;

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    parts.push_back(
        trim(s.substr(start, at == std::string::npos ? std::string::npos : at - start)));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// [-]digits
bool is_integer(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// [-]digits[.digits] or [-].digits; sets the number of digits after the point.
bool is_decimal(const std::string& s, int& fraction_digits) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  int before = 0, after = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !point) {
      point = true;
    } else if (s[i] >= '0' && s[i] <= '9') {
      (point ? after : before)++;
    } else {
      return false;
    }
  }
  fraction_digits = after;
  return before + after > 0;
}

std::vector<std::string> expand_int_range(const std::string& spec, const std::string& a,
                                          const std::string& b, const std::string& c) {
  int64_t start = 0, stop = 0, step = 0;
  try {
    start = std::stoll(a);
    stop = std::stoll(b);
    step = std::stoll(c);
  } catch (const std::exception&) {
    throw ConfigError("range '" + spec + "': number out of range");
  }
  if (step == 0) throw ConfigError("range '" + spec + "': step must not be 0");
  // In 128 bits: stop - start overflows int64 for 0:INT64_MIN, and
  // INT64_MIN / -1 traps (SIGFPE) on x86.
  const __int128 span = static_cast<__int128>(stop) - start;
  const __int128 steps = span / step;
  if (steps < 0) throw ConfigError("range '" + spec + "': step goes away from stop");
  if (steps >= static_cast<__int128>(kMaxRangeValues)) {
    throw ConfigError("range '" + spec + "': more than " + std::to_string(kMaxRangeValues) +
                      " values");
  }
  const uint64_t count = static_cast<uint64_t>(steps) + 1;
  std::vector<std::string> values;
  // Every value lies between start and stop, so start + i*step fits in int64.
  for (uint64_t i = 0; i < count; ++i)
    values.push_back(std::to_string(static_cast<int64_t>(start + static_cast<__int128>(i) * step)));
  return values;
}

// Decimal ranges are printed with "%.*f": magnitudes and decimals are bounded
// so every value is exact in a double and fits the print buffer.
constexpr double kMaxDecimalMagnitude = 1e15;
constexpr int kMaxFractionDigits = 9;

double parse_decimal(const std::string& spec, const std::string& text) {
  double v = 0;
  try {
    v = std::stod(text);
  } catch (const std::exception&) {
    throw ConfigError("range '" + spec + "': '" + text + "' is out of range");
  }
  if (!(std::fabs(v) <= kMaxDecimalMagnitude))
    throw ConfigError("range '" + spec + "': '" + text + "' is out of range (at most 1e15)");
  return v;
}

std::vector<std::string> expand_decimal_range(const std::string& spec, const std::string& a,
                                              const std::string& b, const std::string& c,
                                              int digits) {
  if (digits > kMaxFractionDigits) {
    throw ConfigError("range '" + spec + "': more than " + std::to_string(kMaxFractionDigits) +
                      " digits after the point");
  }
  const double start = parse_decimal(spec, a), stop = parse_decimal(spec, b),
               step = parse_decimal(spec, c);
  if (step == 0) throw ConfigError("range '" + spec + "': step must not be 0");
  if (stop != start && (stop > start) != (step > 0))
    throw ConfigError("range '" + spec + "': step goes away from stop");
  // Values are start + i*step printed with as many decimals as the spec uses,
  // so 0.1:0.3:0.1 gives 0.1, 0.2, 0.3 (not 0.30000000000000004), and a stop
  // a rounding error beyond the last step is still included.
  const double n = std::floor((stop - start) / step + 1e-9);
  if (!(n + 1 <= static_cast<double>(kMaxRangeValues))) {
    throw ConfigError("range '" + spec + "': more than " + std::to_string(kMaxRangeValues) +
                      " values");
  }
  std::vector<std::string> values;
  for (int64_t i = 0; i <= static_cast<int64_t>(n); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, start + static_cast<double>(i) * step);
    std::string v = buf;
    if (v[0] == '-' && v.find_first_not_of("-0.") == std::string::npos) v.erase(0, 1);
    values.push_back(v);
  }
  return values;
}

}  // namespace

std::vector<std::string> expand_range(const std::string& spec) {
  const std::vector<std::string> parts = split(spec, ':');
  if (parts.size() != 3) throw ConfigError("range '" + spec + "': expected start:stop:step");
  if (is_integer(parts[0]) && is_integer(parts[1]) && is_integer(parts[2]))
    return expand_int_range(spec, parts[0], parts[1], parts[2]);
  int digits = 0;
  for (const auto& p : parts) {
    int d = 0;
    if (!is_decimal(p, d)) throw ConfigError("range '" + spec + "': '" + p + "' is not a number");
    digits = std::max(digits, d);
  }
  return expand_decimal_range(spec, parts[0], parts[1], parts[2], digits);
}

SweepAxis parse_vary(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos)
    throw ConfigError("--vary " + arg + ": expected key=a,b,c or key=start:stop:step");
  SweepAxis axis;
  axis.key = trim(arg.substr(0, eq));
  const std::string spec = trim(arg.substr(eq + 1));
  if (axis.key.empty()) throw ConfigError("--vary " + arg + ": empty key");
  if (spec.empty()) throw ConfigError("--vary " + arg + ": no values");
  try {
    if (spec.find(':') != std::string::npos && spec.find(',') == std::string::npos) {
      axis.values = expand_range(spec);
    } else {
      axis.values = split(spec, ',');
      for (const auto& v : axis.values) {
        if (v.empty()) throw ConfigError("empty value in list '" + spec + "'");
      }
    }
  } catch (const ConfigError& e) {
    throw ConfigError("--vary " + arg + ": " + e.what());
  }
  return axis;
}

void check_axes(const std::vector<SweepAxis>& axes, const base::ParamRegistry& reg) {
  std::set<std::string> seen;
  for (const auto& axis : axes) {
    const base::ParamSpec* spec = reg.find(axis.key);
    if (!spec) throw ConfigError("--vary " + axis.key + ": unknown key '" + axis.key + "'");
    if (!seen.insert(axis.key).second)
      throw ConfigError("--vary " + axis.key + ": key varied twice");
    std::set<std::string> values;
    for (const auto& v : axis.values) {
      try {
        base::check_value(*spec, base::parse_value_text(*spec, v));
      } catch (const ConfigError& e) {
        throw ConfigError("--vary " + axis.key + "=" + v + ": " + e.what());
      }
      if (!values.insert(v).second)
        throw ConfigError("--vary " + axis.key + ": value '" + v + "' listed twice");
    }
  }
}

uint64_t grid_size(const std::vector<SweepAxis>& axes) {
  if (axes.empty()) return 0;
  uint64_t total = 1;
  bool overflow = false;
  for (const auto& a : axes)
    overflow = overflow || __builtin_mul_overflow(total, a.values.size(), &total);
  if (overflow || total > kMaxGridPoints) {
    const std::string count = overflow ? "more than 2^64" : std::to_string(total);
    throw ConfigError("--vary: the grid has " + count + " points, more than the cap of " +
                      std::to_string(kMaxGridPoints));
  }
  return total;
}

std::vector<SweepPoint> expand_grid(const std::vector<SweepAxis>& axes) {
  std::vector<SweepPoint> points;
  const uint64_t total = grid_size(axes);  // checked before anything is allocated
  points.reserve(total);
  for (size_t i = 0; i < total; ++i) {
    SweepPoint p;
    p.index = i;
    p.coords.resize(axes.size());
    size_t rest = i;
    for (size_t k = axes.size(); k-- > 0;) {
      p.coords[k] = rest % axes[k].values.size();
      rest /= axes[k].values.size();
    }
    for (size_t k = 0; k < axes.size(); ++k) {
      p.values.push_back(axes[k].values[p.coords[k]]);
      p.sets.push_back(axes[k].key + "=" + p.values.back());
    }
    points.push_back(std::move(p));
  }
  return points;
}

std::string point_name(size_t index, size_t total) {
  int width = 3;
  for (size_t t = 1000; t < total; t *= 10) ++width;
  char buf[48];
  std::snprintf(buf, sizeof buf, "point-%0*zu", width, index);
  return buf;
}

}  // namespace hvsim::app
