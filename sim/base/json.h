// JSON text helpers shared by the stats dump and the exit trace.
#pragma once

#include <string>
#include <string_view>

namespace hvsim::base {

// `text` as a JSON string literal, quotes included (RFC 8259 section 7).
std::string json_string(std::string_view text);

}  // namespace hvsim::base
