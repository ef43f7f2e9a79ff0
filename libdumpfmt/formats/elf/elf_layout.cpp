// Field offsets of Elf32/Elf64 Ehdr, Phdr and Shdr (ELF gABI, Linux
// <uapi/linux/elf.h>); shared by the ELF reader and writer.
#include "formats/elf/elf_layout.h"

#include <cstring>

namespace dumpfmt::detail::elf {

namespace {

// Reads/writes a class-dependent address-sized field (u32 in ELF32, u64 in ELF64).
uint64_t load_addr(const std::byte* p, bool is64, Endian e) {
  return is64 ? load<uint64_t>(p, e) : load<uint32_t>(p, e);
}
void store_addr(std::byte* p, uint64_t v, bool is64, Endian e) {
  if (is64) {
    store<uint64_t>(p, v, e);
  } else {
    store<uint32_t>(p, static_cast<uint32_t>(v), e);
  }
}

}  // namespace

Ehdr decode_ehdr(const std::byte* p, const ClassLayout& c, Endian e) {
  Ehdr h;
  h.e_type = load<uint16_t>(p + 16, e);
  h.e_machine = load<uint16_t>(p + 18, e);
  h.e_version = load<uint32_t>(p + 20, e);
  // After e_version the two classes differ only in the width of the three
  // address fields, which shifts everything behind them.
  const size_t a = c.is64 ? 8 : 4;
  h.e_entry = load_addr(p + 24, c.is64, e);
  h.e_phoff = load_addr(p + 24 + a, c.is64, e);
  h.e_shoff = load_addr(p + 24 + 2 * a, c.is64, e);
  const std::byte* q = p + 24 + 3 * a;
  h.e_flags = load<uint32_t>(q, e);
  h.e_ehsize = load<uint16_t>(q + 4, e);
  h.e_phentsize = load<uint16_t>(q + 6, e);
  h.e_phnum = load<uint16_t>(q + 8, e);
  h.e_shentsize = load<uint16_t>(q + 10, e);
  h.e_shnum = load<uint16_t>(q + 12, e);
  h.e_shstrndx = load<uint16_t>(q + 14, e);
  return h;
}

void encode_ehdr(std::byte* p, const Ehdr& h, const ClassLayout& c, Endian e) {
  std::memset(p, 0, c.ehdr_size);
  std::memcpy(p, kMagic, sizeof kMagic);
  p[kEiClass] = std::byte{c.is64 ? kElfClass64 : kElfClass32};
  p[kEiData] = std::byte{e == Endian::little ? kElfData2Lsb : kElfData2Msb};
  p[kEiVersion] = std::byte{1};
  store<uint16_t>(p + 16, h.e_type, e);
  store<uint16_t>(p + 18, h.e_machine, e);
  store<uint32_t>(p + 20, h.e_version, e);
  const size_t a = c.is64 ? 8 : 4;
  store_addr(p + 24, h.e_entry, c.is64, e);
  store_addr(p + 24 + a, h.e_phoff, c.is64, e);
  store_addr(p + 24 + 2 * a, h.e_shoff, c.is64, e);
  std::byte* q = p + 24 + 3 * a;
  store<uint32_t>(q, h.e_flags, e);
  store<uint16_t>(q + 4, h.e_ehsize, e);
  store<uint16_t>(q + 6, h.e_phentsize, e);
  store<uint16_t>(q + 8, h.e_phnum, e);
  store<uint16_t>(q + 10, h.e_shentsize, e);
  store<uint16_t>(q + 12, h.e_shnum, e);
  store<uint16_t>(q + 14, h.e_shstrndx, e);
}

// Elf64_Phdr keeps p_flags second (for alignment); Elf32_Phdr has it after p_memsz.
Phdr decode_phdr(const std::byte* p, const ClassLayout& c, Endian e) {
  Phdr h;
  h.p_type = load<uint32_t>(p, e);
  if (c.is64) {
    h.p_flags = load<uint32_t>(p + 4, e);
    h.p_offset = load<uint64_t>(p + 8, e);
    h.p_vaddr = load<uint64_t>(p + 16, e);
    h.p_paddr = load<uint64_t>(p + 24, e);
    h.p_filesz = load<uint64_t>(p + 32, e);
    h.p_memsz = load<uint64_t>(p + 40, e);
    h.p_align = load<uint64_t>(p + 48, e);
  } else {
    h.p_offset = load<uint32_t>(p + 4, e);
    h.p_vaddr = load<uint32_t>(p + 8, e);
    h.p_paddr = load<uint32_t>(p + 12, e);
    h.p_filesz = load<uint32_t>(p + 16, e);
    h.p_memsz = load<uint32_t>(p + 20, e);
    h.p_flags = load<uint32_t>(p + 24, e);
    h.p_align = load<uint32_t>(p + 28, e);
  }
  return h;
}

void encode_phdr(std::byte* p, const Phdr& h, const ClassLayout& c, Endian e) {
  store<uint32_t>(p, h.p_type, e);
  if (c.is64) {
    store<uint32_t>(p + 4, h.p_flags, e);
    store<uint64_t>(p + 8, h.p_offset, e);
    store<uint64_t>(p + 16, h.p_vaddr, e);
    store<uint64_t>(p + 24, h.p_paddr, e);
    store<uint64_t>(p + 32, h.p_filesz, e);
    store<uint64_t>(p + 40, h.p_memsz, e);
    store<uint64_t>(p + 48, h.p_align, e);
  } else {
    store<uint32_t>(p + 4, static_cast<uint32_t>(h.p_offset), e);
    store<uint32_t>(p + 8, static_cast<uint32_t>(h.p_vaddr), e);
    store<uint32_t>(p + 12, static_cast<uint32_t>(h.p_paddr), e);
    store<uint32_t>(p + 16, static_cast<uint32_t>(h.p_filesz), e);
    store<uint32_t>(p + 20, static_cast<uint32_t>(h.p_memsz), e);
    store<uint32_t>(p + 24, h.p_flags, e);
    store<uint32_t>(p + 28, static_cast<uint32_t>(h.p_align), e);
  }
}

void encode_shdr0(std::byte* p, const Shdr0& s, const ClassLayout& c, Endian e) {
  std::memset(p, 0, c.shdr_size);
  // sh_size, sh_link, sh_info: 64-bit at 32/40/44, 32-bit at 20/24/28.
  if (c.is64) {
    store<uint64_t>(p + 32, s.sh_size, e);
    store<uint32_t>(p + 40, s.sh_link, e);
  } else {
    store<uint32_t>(p + 20, static_cast<uint32_t>(s.sh_size), e);
    store<uint32_t>(p + 24, s.sh_link, e);
  }
  store<uint32_t>(p + sh_info_offset(c), s.sh_info, e);
}

}  // namespace dumpfmt::detail::elf
