// Field offsets of Elf32/Elf64 Ehdr, Phdr and Shdr (ELF gABI, Linux
// <uapi/linux/elf.h>); shared by the ELF reader and writer.
#include "formats/elf/elf_layout.h"

namespace dumpfmt::detail::elf {

namespace {

// A class-dependent address-sized field: u32 in ELF32, u64 in ELF64.
uint64_t get_addr(ByteReader& r, size_t at, bool is64) {
  return is64 ? r.field<uint64_t>(at) : r.field<uint32_t>(at);
}
void put_addr(ByteWriter& w, size_t at, uint64_t v, bool is64) {
  if (is64) {
    w.put<uint64_t>(at, v);
  } else {
    w.put<uint32_t>(at, static_cast<uint32_t>(v));
  }
}

}  // namespace

Result<Ehdr> decode_ehdr(std::span<const std::byte> in, const ClassLayout& c, Endian e) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(in, e);
  Ehdr h;
  h.e_type = r.field<uint16_t>(16);
  h.e_machine = r.field<uint16_t>(18);
  h.e_version = r.field<uint32_t>(20);
  // After e_version the two classes differ only in the width of the three
  // address fields, which shifts everything behind them.
  const size_t a = c.is64 ? 8 : 4;
  h.e_entry = get_addr(r, 24, c.is64);
  h.e_phoff = get_addr(r, 24 + a, c.is64);
  h.e_shoff = get_addr(r, 24 + 2 * a, c.is64);
  const size_t q = 24 + 3 * a;
  h.e_flags = r.field<uint32_t>(q);
  h.e_ehsize = r.field<uint16_t>(q + 4);
  h.e_phentsize = r.field<uint16_t>(q + 6);
  h.e_phnum = r.field<uint16_t>(q + 8);
  h.e_shentsize = r.field<uint16_t>(q + 10);
  h.e_shnum = r.field<uint16_t>(q + 12);
  h.e_shstrndx = r.field<uint16_t>(q + 14);
  return r.finish(h);
}

void encode_ehdr(std::span<std::byte> out, const Ehdr& h, const ClassLayout& c, Endian e) {
  ByteWriter w(out, e);
  w.zero(0, c.ehdr_size);
  w.put_bytes(0, std::as_bytes(std::span(kMagic)));
  w.put<uint8_t>(kEiClass, c.is64 ? kElfClass64 : kElfClass32);
  w.put<uint8_t>(kEiData, e == Endian::little ? kElfData2Lsb : kElfData2Msb);
  w.put<uint8_t>(kEiVersion, 1);
  w.put<uint16_t>(16, h.e_type);
  w.put<uint16_t>(18, h.e_machine);
  w.put<uint32_t>(20, h.e_version);
  const size_t a = c.is64 ? 8 : 4;
  put_addr(w, 24, h.e_entry, c.is64);
  put_addr(w, 24 + a, h.e_phoff, c.is64);
  put_addr(w, 24 + 2 * a, h.e_shoff, c.is64);
  const size_t q = 24 + 3 * a;
  w.put<uint32_t>(q, h.e_flags);
  w.put<uint16_t>(q + 4, h.e_ehsize);
  w.put<uint16_t>(q + 6, h.e_phentsize);
  w.put<uint16_t>(q + 8, h.e_phnum);
  w.put<uint16_t>(q + 10, h.e_shentsize);
  w.put<uint16_t>(q + 12, h.e_shnum);
  w.put<uint16_t>(q + 14, h.e_shstrndx);
}

// Elf64_Phdr keeps p_flags second (for alignment); Elf32_Phdr has it after p_memsz.
Result<Phdr> decode_phdr(std::span<const std::byte> in, const ClassLayout& c, Endian e) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(in, e);
  Phdr h;
  h.p_type = r.field<uint32_t>(0);
  if (c.is64) {
    h.p_flags = r.field<uint32_t>(4);
    h.p_offset = r.field<uint64_t>(8);
    h.p_vaddr = r.field<uint64_t>(16);
    h.p_paddr = r.field<uint64_t>(24);
    h.p_filesz = r.field<uint64_t>(32);
    h.p_memsz = r.field<uint64_t>(40);
    h.p_align = r.field<uint64_t>(48);
  } else {
    h.p_offset = r.field<uint32_t>(4);
    h.p_vaddr = r.field<uint32_t>(8);
    h.p_paddr = r.field<uint32_t>(12);
    h.p_filesz = r.field<uint32_t>(16);
    h.p_memsz = r.field<uint32_t>(20);
    h.p_flags = r.field<uint32_t>(24);
    h.p_align = r.field<uint32_t>(28);
  }
  return r.finish(h);
}

void encode_phdr(std::span<std::byte> out, const Phdr& h, const ClassLayout& c, Endian e) {
  ByteWriter w(out, e);
  w.put<uint32_t>(0, h.p_type);
  if (c.is64) {
    w.put<uint32_t>(4, h.p_flags);
    w.put<uint64_t>(8, h.p_offset);
    w.put<uint64_t>(16, h.p_vaddr);
    w.put<uint64_t>(24, h.p_paddr);
    w.put<uint64_t>(32, h.p_filesz);
    w.put<uint64_t>(40, h.p_memsz);
    w.put<uint64_t>(48, h.p_align);
  } else {
    w.put<uint32_t>(4, static_cast<uint32_t>(h.p_offset));
    w.put<uint32_t>(8, static_cast<uint32_t>(h.p_vaddr));
    w.put<uint32_t>(12, static_cast<uint32_t>(h.p_paddr));
    w.put<uint32_t>(16, static_cast<uint32_t>(h.p_filesz));
    w.put<uint32_t>(20, static_cast<uint32_t>(h.p_memsz));
    w.put<uint32_t>(24, h.p_flags);
    w.put<uint32_t>(28, static_cast<uint32_t>(h.p_align));
  }
}

void encode_shdr0(std::span<std::byte> out, const Shdr0& s, const ClassLayout& c, Endian e) {
  ByteWriter w(out, e);
  w.zero(0, c.shdr_size);
  // sh_size, sh_link, sh_info: 64-bit at 32/40/44, 32-bit at 20/24/28.
  if (c.is64) {
    w.put<uint64_t>(32, s.sh_size);
    w.put<uint32_t>(40, s.sh_link);
  } else {
    w.put<uint32_t>(20, static_cast<uint32_t>(s.sh_size));
    w.put<uint32_t>(24, s.sh_link);
  }
  w.put<uint32_t>(sh_info_offset(c), s.sh_info);
}

}  // namespace dumpfmt::detail::elf
