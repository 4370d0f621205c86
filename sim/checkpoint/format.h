// The checkpoint file: a small fixed header, then the Boost.Serialization
// binary archive of the machine, compressed with zlib (docs/checkpoint.md).
//
//   offset  size  field
//        0     8  magic "HVSIMCKP"
//        8     4  format version (kFormatVersion), little endian
//       12     4  reserved (0)
//       16     8  payload size before compression
//       24     8  payload size after compression (the bytes that follow)
//       32     4  CRC-32 (zlib) of the compressed payload
//       36     4  reserved (0)
//       40     -  the compressed payload
//
// The header is checked before anything is deserialized: another version,
// a short file or a damaged payload is a CheckpointError (bad input, exit 2).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/base/params.h"

namespace hvsim::checkpoint {

inline constexpr char kMagic[8] = {'H', 'V', 'S', 'I', 'M', 'C', 'K', 'P'};
// 2: every CPU of a multiprocessor, resume points; 3: GuestContext::intr_exits;
// 4: a cache level's high words apart from its set blocks (CacheLevel::his_)
inline constexpr uint32_t kFormatVersion = 4;
inline constexpr size_t kHeaderBytes = 40;
inline constexpr const char* kArchiveName = "machine.ckpt";
inline constexpr const char* kInfoName = "checkpoint.toml";
inline constexpr const char* kConfigName = "config.toml";

// A checkpoint that cannot be used: one line, bad input.
struct CheckpointError : base::ConfigError {
  using base::ConfigError::ConfigError;
};

// Compresses `payload` and writes header + payload to `path`.
void write_archive_file(const std::string& path, const std::string& payload);
// Reads `path`, checks magic, version, sizes and CRC, and returns the payload.
std::string read_archive_file(const std::string& path);

// RAM, sparsely: the indices of the 4 KiB pages that are not all zero and
// their bytes (the whole payload is compressed afterwards).
struct SparsePages {
  uint64_t total_bytes = 0;
  std::vector<uint64_t> index;  // page numbers, ascending
  std::string bytes;            // index.size() * 4096 bytes
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & total_bytes & index & bytes;
  }
};
SparsePages pack_pages(std::span<const uint8_t> mem);
// Writes the pages back (every other byte zero); false when sizes differ.
bool unpack_pages(const SparsePages& p, std::span<uint8_t> mem);

}  // namespace hvsim::checkpoint
