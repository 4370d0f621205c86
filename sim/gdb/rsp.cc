#include "sim/gdb/rsp.h"

namespace hvsim::gdb {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

uint8_t checksum(std::string_view payload) {
  unsigned sum = 0;
  for (char c : payload) sum += static_cast<uint8_t>(c);
  return static_cast<uint8_t>(sum);
}

std::string frame(std::string_view payload) {
  const uint8_t cs = checksum(payload);
  std::string out;
  out.reserve(payload.size() + 4);
  out += '$';
  out += payload;
  out += '#';
  out += kHex[cs >> 4];
  out += kHex[cs & 15];
  return out;
}

std::string escape_binary(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
  return out;
}

std::string to_hex(const uint8_t* data, size_t n) {
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

std::string le_hex(uint64_t v, unsigned bytes) {
  uint8_t b[8] = {};
  for (unsigned i = 0; i < bytes && i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  std::string out = to_hex(b, bytes < 8 ? bytes : 8);
  for (unsigned i = 8; i < bytes; ++i) out += "00";
  return out;
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::optional<uint64_t> parse_hex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::vector<std::string_view> split(std::string_view s, std::string_view seps) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

PacketReader::Kind PacketReader::feed(char c) {
  switch (state_) {
    case State::kIdle:
      if (c == '$') {
        buf_.clear();
        state_ = State::kPayload;
      } else if (c == '\x03') {
        return Kind::kInterrupt;
      } else if (c == '+') {
        return Kind::kAck;
      } else if (c == '-') {
        return Kind::kNack;
      }
      return Kind::kNone;
    case State::kPayload:
      if (c == '#')
        state_ = State::kSum1;
      else
        buf_ += c;
      return Kind::kNone;
    case State::kSum1:
      sum_hi_ = hex_digit(c);
      state_ = State::kSum2;
      return Kind::kNone;
    case State::kSum2: {
      state_ = State::kIdle;
      const int lo = hex_digit(c);
      if (sum_hi_ < 0 || lo < 0 || checksum(buf_) != (sum_hi_ << 4 | lo)) return Kind::kBadChecksum;
      // Run-length encoding ("x*n") is only used by stubs, never by gdb's
      // requests; '}' escapes appear in X and vFile packets, which are not
      // offered.
      payload_ = std::move(buf_);
      return Kind::kPacket;
    }
  }
  return Kind::kNone;
}

}  // namespace hvsim::gdb
