#include "elf_builder.h"

#include <elf.h>

#include <cstring>

namespace hvsim::platform::test {

void put32(std::vector<uint8_t>& f, uint64_t off, uint32_t v) {
  if (f.size() < off + 4) f.resize(off + 4);
  std::memcpy(&f[off], &v, 4);
}

namespace {

template <class T>
void put(std::vector<uint8_t>& f, uint64_t off, const T& v) {
  if (f.size() < off + sizeof v) f.resize(off + sizeof v);
  std::memcpy(&f[off], &v, sizeof v);
}

void put_mb_header(std::vector<uint8_t>& f, uint64_t off, uint32_t flags, bool bad) {
  put32(f, off, 0x1BADB002);
  put32(f, off + 4, flags);
  put32(f, off + 8, uint32_t(-(0x1BADB002u + flags)) + (bad ? 1 : 0));
}

template <class Ehdr, class Phdr>
std::vector<uint8_t> build(const ElfSpec& s, uint8_t cls, uint16_t machine) {
  std::vector<uint8_t> f(kFirstDataOffset, 0);
  Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = cls;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = decltype(eh.e_entry)(s.entry);
  eh.e_phoff = sizeof(Ehdr);
  eh.e_ehsize = sizeof(Ehdr);
  eh.e_phentsize = sizeof(Phdr);
  eh.e_phnum = uint16_t(s.segments.size());
  put(f, 0, eh);
  uint64_t data_off = kFirstDataOffset;
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const TestSegment& seg = s.segments[i];
    Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R | PF_W | PF_X;
    ph.p_offset = data_off;
    ph.p_vaddr = seg.vaddr;
    ph.p_paddr = seg.paddr;
    ph.p_filesz = seg.data.size();
    ph.p_memsz = seg.memsz;
    ph.p_align = 16;
    put(f, sizeof(Ehdr) + i * sizeof(Phdr), ph);
    f.resize(data_off + seg.data.size());
    std::memcpy(f.data() + data_off, seg.data.data(), seg.data.size());
    data_off = (data_off + seg.data.size() + 15) & ~uint64_t{15};
  }
  if (s.multiboot_header) put_mb_header(f, kMbHeaderOffset, s.mb_flags, s.bad_checksum);
  return f;
}

}  // namespace

std::vector<uint8_t> build_elf(const ElfSpec& spec) {
  return spec.elf64 ? build<Elf64_Ehdr, Elf64_Phdr>(spec, ELFCLASS64, EM_X86_64)
                    : build<Elf32_Ehdr, Elf32_Phdr>(spec, ELFCLASS32, EM_386);
}

std::vector<uint8_t> build_aout(uint32_t load_addr, uint32_t file_size, uint32_t bss_bytes) {
  std::vector<uint8_t> f(file_size);
  for (uint32_t i = 0; i < file_size; ++i) f[i] = uint8_t(i * 7 + 1);
  const uint32_t flags = 0x00010003;
  put_mb_header(f, 0x40, flags, false);
  put32(f, 0x40 + 12, load_addr + 0x40);                   // header_addr
  put32(f, 0x40 + 16, load_addr);                          // load_addr
  put32(f, 0x40 + 20, load_addr + file_size);              // load_end_addr
  put32(f, 0x40 + 24, load_addr + file_size + bss_bytes);  // bss_end_addr
  put32(f, 0x40 + 28, load_addr + 0x60);                   // entry_addr
  return f;
}

}  // namespace hvsim::platform::test
