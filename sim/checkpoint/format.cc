#include "sim/checkpoint/format.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace hvsim::checkpoint {

namespace {

constexpr size_t kPage = 4096;

void put(std::string& s, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
uint64_t get(const std::string& s, size_t off, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(s[off + i])) << (8 * i);
  return v;
}

uint32_t crc_of(const char* p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (n) {  // zlib takes uInt lengths
    const uInt chunk = uInt(std::min<size_t>(n, 1u << 30));
    c = crc32(c, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return uint32_t(c);
}

}  // namespace

void write_archive_file(const std::string& path, const std::string& payload) {
  uLongf comp_len = compressBound(uLong(payload.size()));
  std::string comp(comp_len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(comp.data()), &comp_len,
                reinterpret_cast<const Bytef*>(payload.data()), uLong(payload.size()),
                Z_BEST_SPEED) != Z_OK)
    throw CheckpointError(path + ": zlib could not compress the checkpoint");
  comp.resize(comp_len);
  std::string head(kMagic, sizeof kMagic);
  put(head, kFormatVersion, 4);
  put(head, 0, 4);
  put(head, payload.size(), 8);
  put(head, comp.size(), 8);
  put(head, crc_of(comp.data(), comp.size()), 4);
  put(head, 0, 4);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(head.data(), std::streamsize(head.size()));
  out.write(comp.data(), std::streamsize(comp.size()));
  if (!out.flush()) throw CheckpointError(path + ": cannot be written");
}

std::string read_archive_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot be read (no checkpoint there)");
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < kHeaderBytes || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    throw CheckpointError(path + ": not an hvsim checkpoint (bad magic or too short)");
  const uint32_t version = uint32_t(get(file, 8, 4));
  if (version != kFormatVersion)
    throw CheckpointError(path + ": checkpoint format version " + std::to_string(version) +
                          ", this hvsim reads version " + std::to_string(kFormatVersion) +
                          (version < kFormatVersion ? " (older)" : " (newer)"));
  const uint64_t raw = get(file, 16, 8), comp = get(file, 24, 8);
  const uint32_t crc = uint32_t(get(file, 32, 4));
  if (file.size() - kHeaderBytes != comp)
    throw CheckpointError(path + ": truncated or damaged checkpoint (payload is " +
                          std::to_string(file.size() - kHeaderBytes) + " bytes, header says " +
                          std::to_string(comp) + ")");
  if (crc_of(file.data() + kHeaderBytes, comp) != crc)
    throw CheckpointError(path + ": damaged checkpoint (CRC-32 mismatch)");
  std::string payload(raw, '\0');
  uLongf out_len = uLongf(raw);
  if (uncompress(reinterpret_cast<Bytef*>(payload.data()), &out_len,
                 reinterpret_cast<const Bytef*>(file.data() + kHeaderBytes), uLong(comp)) != Z_OK ||
      out_len != raw)
    throw CheckpointError(path + ": damaged checkpoint (zlib could not decompress it)");
  return payload;
}

SparsePages pack_pages(std::span<const uint8_t> mem) {
  SparsePages p;
  p.total_bytes = mem.size();
  static const uint8_t zero[kPage] = {};
  for (size_t off = 0; off < mem.size(); off += kPage) {
    const size_t n = std::min(kPage, mem.size() - off);
    if (std::memcmp(mem.data() + off, zero, n) == 0) continue;
    p.index.push_back(off / kPage);
    p.bytes.append(reinterpret_cast<const char*>(mem.data() + off), n);
    if (n < kPage) p.bytes.append(kPage - n, '\0');
  }
  return p;
}

bool unpack_pages(const SparsePages& p, std::span<uint8_t> mem) {
  if (p.total_bytes != mem.size() || p.bytes.size() != p.index.size() * kPage) return false;
  std::fill(mem.begin(), mem.end(), uint8_t(0));
  for (size_t i = 0; i < p.index.size(); ++i) {
    const uint64_t off = p.index[i] * kPage;
    if (off >= mem.size()) return false;
    const size_t n = std::min<size_t>(kPage, mem.size() - off);
    std::memcpy(mem.data() + off, p.bytes.data() + i * kPage, n);
  }
  return true;
}

}  // namespace hvsim::checkpoint
