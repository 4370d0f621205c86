// Parsing, checking and printing of one parameter value. Errors are thrown as
// ConfigError whose what() is only the reason ("expected an unsigned integer",
// "value must be >= 0"); the caller prefixes the key and the source.
#pragma once

#include <string>
#include <string_view>

#include "sim/base/params.h"

namespace hvsim::base {

// "int", "uint", "double", "bool", "string".
std::string_view type_name(ParamType type);

// Text as written after --set key= (or a TOML string given for a number):
// integers in decimal, 0x hex, 0b binary, 0o octal, with '_' between digits.
ParamValue parse_value_text(const ParamSpec& spec, std::string_view text);

// Range for numbers, choices for strings; the value must have the spec's type.
void check_value(const ParamSpec& spec, const ParamValue& value);

// Plain text for tables and messages: 1, -3, 0.5, true, abc.
std::string format_value(const ParamValue& value);

// A TOML literal that parses back to the same value. Unsigned values above
// INT64_MAX (beyond TOML integers) are written as a quoted hex string.
std::string toml_literal(const ParamValue& value);
std::string toml_quoted(std::string_view text);

}  // namespace hvsim::base
