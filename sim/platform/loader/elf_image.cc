// ELF32 (EM_386) and ELF64 (EM_X86_64) executables: PT_LOAD segments at
// their physical addresses (System V ABI gABI "Program Header"), entry
// point translated from virtual to physical when a segment maps it.
#include <elf.h>

#include <cstring>

#include "sim/platform/loader/kernel_image.h"
#include "sim/platform/loader/load_error.h"

namespace hvsim::platform {

namespace {

template <class T>
T read_at(std::span<const uint8_t> f, uint64_t off) {
  T v;
  std::memcpy(&v, f.data() + off, sizeof v);
  return v;
}

template <class Ehdr, class Phdr>
KernelImage parse(const std::string& path, std::span<const uint8_t> file, uint16_t machine,
                  const char* what) {
  if (file.size() < sizeof(Ehdr)) load_fail(path, "truncated ELF header");
  const auto eh = read_at<Ehdr>(file, 0);
  if (eh.e_machine != machine)
    load_fail(path, std::string(what) + " file for machine " + std::to_string(eh.e_machine) +
                        ", not x86");
  if (eh.e_type != ET_EXEC)
    load_fail(path, "not an ELF executable (e_type " + std::to_string(eh.e_type) + ")");
  if (eh.e_phnum == 0) load_fail(path, "ELF file has no program headers");
  if (eh.e_phentsize != sizeof(Phdr))
    load_fail(path, "ELF program header size " + std::to_string(eh.e_phentsize) + " is wrong");
  if (eh.e_phoff > file.size() || uint64_t(eh.e_phnum) * sizeof(Phdr) > file.size() - eh.e_phoff)
    load_fail(path, "truncated ELF program headers");

  KernelImage img;
  img.entry = eh.e_entry;
  bool entry_mapped = false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    const auto ph = read_at<Phdr>(file, eh.e_phoff + uint64_t(i) * sizeof(Phdr));
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz)
      load_fail(path, "segment " + std::to_string(i) + " has p_filesz > p_memsz");
    if (ph.p_offset > file.size() || ph.p_filesz > file.size() - ph.p_offset)
      load_fail(path, "segment " + std::to_string(i) + " extends past the end of the file");
    img.segments.push_back({ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz});
    if (!entry_mapped && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz) {
      img.entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
      entry_mapped = true;
    }
  }
  if (img.segments.empty()) load_fail(path, "ELF file has no loadable segment");
  return img;
}

}  // namespace

KernelImage parse_elf(const std::string& path, std::span<const uint8_t> file) {
  if (file.size() < EI_NIDENT || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0)
    load_fail(path, "not an ELF file");
  if (file[EI_DATA] != ELFDATA2LSB) load_fail(path, "ELF file is not little-endian");
  switch (file[EI_CLASS]) {
    case ELFCLASS32:
      return parse<Elf32_Ehdr, Elf32_Phdr>(path, file, EM_386, "ELF32");
    case ELFCLASS64:
      return parse<Elf64_Ehdr, Elf64_Phdr>(path, file, EM_X86_64, "ELF64");
    default:
      load_fail(path, "unknown ELF class " + std::to_string(file[EI_CLASS]));
  }
}

}  // namespace hvsim::platform
