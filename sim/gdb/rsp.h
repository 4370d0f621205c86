// The GDB remote serial protocol's framing and encodings (GDB manual,
// "Remote Protocol", E.1 Overview): $payload#cs with a modulo-256 checksum,
// '}' escapes (byte ^ 0x20) for '#', '$', '}' and '*' in binary data, hex
// numbers and little-endian hex register images. Plain functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hvsim::gdb {

// "$payload#xx".
std::string frame(std::string_view payload);
uint8_t checksum(std::string_view payload);

// Binary data as qXfer replies carry it: '#', '$', '}', '*' escaped.
std::string escape_binary(std::string_view data);

std::string to_hex(const uint8_t* data, size_t n);
// Little-endian image of the low `bytes` bytes of v, in hex (register values).
std::string le_hex(uint64_t v, unsigned bytes);
// Hex digits to bytes; nullopt on an odd length or a non-hex character.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// A big-endian hex number ("1f4" = 500) as in addresses and lengths.
std::optional<uint64_t> parse_hex(std::string_view hex);

// Splits "a,b" or "a,b:c" style arguments at any of `seps`.
std::vector<std::string_view> split(std::string_view s, std::string_view seps);

// Incremental parser of the byte stream from gdb: packets, acks, and the
// interrupt byte 0x03 outside a packet.
class PacketReader {
 public:
  enum class Kind { kNone, kPacket, kBadChecksum, kInterrupt, kAck, kNack };
  // Feeds one byte; returns what completed (kNone while inside a packet).
  Kind feed(char c);
  const std::string& packet() const { return payload_; }  // valid after kPacket

 private:
  enum class State { kIdle, kPayload, kSum1, kSum2 } state_ = State::kIdle;
  std::string payload_, buf_;
  int sum_hi_ = 0;
};

}  // namespace hvsim::gdb
