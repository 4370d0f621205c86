// Finding the multiboot header (Multiboot 0.6.96, 3.1.1) and the a.out
// kludge's address fields (3.1.3).
#include <cstring>

#include "sim/platform/loader/kernel_image.h"
#include "sim/platform/loader/load_error.h"
#include "sim/platform/loader/multiboot.h"

namespace hvsim::platform {

namespace mb = multiboot;

namespace {
uint32_t le32(std::span<const uint8_t> f, uint64_t off) {
  uint32_t v;
  std::memcpy(&v, f.data() + off, 4);
  return v;
}
}  // namespace

MultibootHeader find_multiboot_header(const std::string& path, std::span<const uint8_t> file) {
  const uint64_t limit = std::min<uint64_t>(file.size(), mb::kHeaderSearch);
  bool bad_checksum = false;
  uint64_t bad_at = 0;
  for (uint64_t off = 0; off + 12 <= limit; off += 4) {
    if (le32(file, off) != mb::kHeaderMagic) continue;
    const uint32_t flags = le32(file, off + mb::kHdrFlags);
    if (uint32_t(mb::kHeaderMagic + flags + le32(file, off + mb::kHdrChecksum)) != 0) {
      if (!bad_checksum) bad_at = off;
      bad_checksum = true;
      continue;
    }
    MultibootHeader h;
    h.offset = off;
    h.flags = flags;
    const uint32_t unknown = flags & 0xffff & ~mb::kHdrKnownRequirements;
    if (unknown) load_fail(path, "multiboot header requires unsupported features " + hex(unknown));
    if (flags & mb::kHdrAoutKludge) {
      if (off + mb::kHdrAoutSize > file.size())
        load_fail(path, "multiboot header at " + hex(off) + " is truncated");
      h.header_addr = le32(file, off + mb::kHdrHeaderAddr);
      h.load_addr = le32(file, off + mb::kHdrLoadAddr);
      h.load_end_addr = le32(file, off + mb::kHdrLoadEndAddr);
      h.bss_end_addr = le32(file, off + mb::kHdrBssEndAddr);
      h.entry_addr = le32(file, off + mb::kHdrEntryAddr);
    }
    return h;
  }
  if (bad_checksum) load_fail(path, "multiboot header at " + hex(bad_at) + " has a bad checksum");
  load_fail(path, "no multiboot header in the first 8192 bytes");
}

// 3.1.3: header_addr is where the header's magic lands in memory, so the
// text starting at load_addr lies (header_addr - load_addr) bytes before
// the header in the file. load_end_addr 0: load to the end of the file;
// bss_end_addr 0: no bss.
KernelImage parse_aout_kludge(const std::string& path, std::span<const uint8_t> file,
                              const MultibootHeader& h) {
  if (h.header_addr < h.load_addr || h.header_addr - h.load_addr > h.offset)
    load_fail(path, "multiboot header_addr " + hex(h.header_addr) + " and load_addr " +
                        hex(h.load_addr) + " do not match the header's place in the file");
  Segment s;
  s.paddr = h.load_addr;
  s.file_offset = h.offset - (h.header_addr - h.load_addr);
  if (h.load_end_addr == 0) {
    s.filesz = file.size() - s.file_offset;
  } else {
    if (h.load_end_addr < h.load_addr)
      load_fail(path, "multiboot load_end_addr " + hex(h.load_end_addr) + " is below load_addr");
    s.filesz = h.load_end_addr - h.load_addr;
  }
  if (s.file_offset + s.filesz > file.size())
    load_fail(path, "segment at " + hex(s.paddr) + " extends past the end of the file");
  s.memsz = s.filesz;
  if (h.bss_end_addr != 0) {
    if (h.bss_end_addr < s.paddr + s.filesz)
      load_fail(path, "multiboot bss_end_addr " + hex(h.bss_end_addr) + " is below load_end_addr");
    s.memsz = h.bss_end_addr - s.paddr;
  }
  return KernelImage{{s}, h.entry_addr};
}

}  // namespace hvsim::platform
