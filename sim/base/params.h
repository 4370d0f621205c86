// The parameter registry: every configurable number of hvsim is declared once,
// next to the component that reads it, with its type, default, unit, range and
// a one-line description (gem5's Param style). A Config is resolved from the
// defaults, then a TOML file, then --set overrides; unknown keys and values of
// the wrong type or out of range are rejected with one line naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace hvsim::base {

// Thrown for any bad configuration input; what() is the one line to print.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class ParamType { Int, UInt, Double, Bool, String };

using ParamValue = std::variant<int64_t, uint64_t, double, bool, std::string>;

struct ParamSpec {
  std::string key;  // dotted path, e.g. "timing.alu_cycles" == [timing] alu_cycles
  ParamType type;
  ParamValue default_value;
  std::string unit;         // "cycles", "bytes", "entries", "ns", "" for none
  std::string description;  // one line
  // Range for numeric types (inclusive); choices for strings (empty = any).
  std::optional<double> min, max;
  std::vector<std::string> choices;
};

class ParamRegistry {
 public:
  // Declaration helpers; each throws std::logic_error on a duplicate key.
  void add_uint(const std::string& key, uint64_t def, const std::string& unit,
                const std::string& desc, uint64_t min = 0, uint64_t max = UINT64_MAX);
  void add_int(const std::string& key, int64_t def, const std::string& unit,
               const std::string& desc, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  void add_double(const std::string& key, double def, const std::string& unit,
                  const std::string& desc, double min, double max);
  void add_bool(const std::string& key, bool def, const std::string& desc);
  void add_string(const std::string& key, const std::string& def, const std::string& desc,
                  std::vector<std::string> choices = {});

  const ParamSpec* find(const std::string& key) const;
  const std::vector<ParamSpec>& all() const { return specs_; }  // in declaration order
  // True when some declared key starts with "prefix." (a TOML table).
  bool is_table(const std::string& prefix) const;

 private:
  void add(ParamSpec spec);

  std::vector<ParamSpec> specs_;
  std::map<std::string, size_t> index_;
};

// Resolved values: defaults < file < overrides. Getters throw std::logic_error
// when asked for an undeclared key or the wrong type (a programming error).
class Config {
 public:
  explicit Config(const ParamRegistry& reg);

  void load_file(const std::string& path);  // TOML; throws ConfigError
  void load_string(const std::string& toml_text, const std::string& origin = "<string>");
  void set_override(const std::string& key_eq_value);  // "key=value" from --set

  uint64_t get_uint(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;

  // Every declared parameter with the value in force, as TOML (tables per prefix).
  std::string to_toml() const;
  const ParamRegistry& registry() const { return reg_; }
  // The value in force for a declared key (std::logic_error otherwise).
  const ParamValue& value(const std::string& key) const;

 private:
  const ParamValue& checked(const std::string& key, ParamType type) const;

  const ParamRegistry& reg_;
  std::map<std::string, ParamValue> values_;
};

}  // namespace hvsim::base
