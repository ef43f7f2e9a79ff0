// ELF header, program header and section header layouts for both classes, as
// in the ELF gABI and Linux <uapi/linux/elf.h> (see docs/formats.md §1), decoded
// into class-neutral structs and encoded back in either byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dumpfmt/bytes.h"
#include "dumpfmt/result.h"

namespace dumpfmt::detail::elf {

constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kEiClass = 4;
constexpr size_t kEiData = 5;
constexpr size_t kEiVersion = 6;
constexpr uint8_t kElfClass32 = 1;
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kElfData2Msb = 2;
constexpr size_t kIdentSize = 16;

constexpr uint16_t kEtCore = 4;
constexpr uint32_t kPtNull = 0;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
/// e_phnum value meaning "the real count is in section header 0's sh_info".
constexpr uint16_t kPnXnum = 0xffff;
/// makedumpfile's e_flags bit for a dump cut short (ENOSPC).
constexpr uint32_t kDumpElfIncomplete = 0x1;

/// Sizes of the on-disk records of one ELF class.
struct ClassLayout {
  bool is64;
  size_t ehdr_size;  // 64 / 52
  size_t phdr_size;  // 56 / 32
  size_t shdr_size;  // 64 / 40
};
constexpr ClassLayout kLayout64{true, 64, 56, 64};
constexpr ClassLayout kLayout32{false, 52, 32, 40};

/// Elf32_Ehdr / Elf64_Ehdr without e_ident, widened to 64 bits.
struct Ehdr {
  uint16_t e_type = 0;
  uint16_t e_machine = 0;
  uint32_t e_version = 0;
  uint64_t e_entry = 0;
  uint64_t e_phoff = 0;
  uint64_t e_shoff = 0;
  uint32_t e_flags = 0;
  uint16_t e_ehsize = 0;
  uint16_t e_phentsize = 0;
  uint16_t e_phnum = 0;
  uint16_t e_shentsize = 0;
  uint16_t e_shnum = 0;
  uint16_t e_shstrndx = 0;
};

/// Elf32_Phdr / Elf64_Phdr, widened to 64 bits (one member per field, like Ehdr).
struct Phdr {
  uint32_t p_type = 0;
  uint32_t p_flags = 0;
  uint64_t p_offset = 0;
  uint64_t p_vaddr = 0;
  uint64_t p_paddr = 0;
  uint64_t p_filesz = 0;
  uint64_t p_memsz = 0;
  uint64_t p_align = 0;
};

/// The fields of section header 0 that PN_XNUM uses.
struct Shdr0 {
  uint64_t sh_size = 0;
  uint32_t sh_link = 0;
  uint32_t sh_info = 0;
};

/// Offset of sh_info inside a section header (the PN_XNUM count).
constexpr size_t sh_info_offset(const ClassLayout& c) { return c.is64 ? 44 : 28; }

// Decoders read the first c.*_size bytes of `in`; a shorter `in` is Errc::truncated.
Result<Ehdr> decode_ehdr(std::span<const std::byte> in, const ClassLayout& c, Endian e);
Result<Phdr> decode_phdr(std::span<const std::byte> in, const ClassLayout& c, Endian e);

// Encoders write the first c.*_size bytes of `out` (e_ident included for the Ehdr).
void encode_ehdr(std::span<std::byte> out, const Ehdr& h, const ClassLayout& c, Endian e);
void encode_phdr(std::span<std::byte> out, const Phdr& h, const ClassLayout& c, Endian e);
void encode_shdr0(std::span<std::byte> out, const Shdr0& s, const ClassLayout& c, Endian e);

}  // namespace dumpfmt::detail::elf
