// Private: byte layout of Fujitsu sadump files (docs/formats.md §7), as
// makedumpfile's sadump_mod.h and libkdumpfile's sadump.c describe it
// (sadump_part_header, sadump_header, sadump_smram_cpu_state ...). All
// little-endian; bitmaps are most-significant-bit first. Decoders report a
// buffer shorter than their layout as Errc::truncated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/result.h"

namespace dumpfmt::detail::sadump {

constexpr uint32_t kPartSignature1 = 0x75646173;  // "sadu"
constexpr uint32_t kPartSignature2 = 0x0000706d;  // "mp\0\0"
constexpr uint32_t kDefaultBlockSize = 4096;
constexpr size_t kPartHeaderFixed = 168;  // fields before magicnum[]
constexpr size_t kMagicOff = kPartHeaderFixed;
constexpr size_t kHeaderSize = 120;    // sadump_header
constexpr size_t kApicStateSize = 16;  // {ApicId, Ldr}
constexpr size_t kSmramSize = 1024;    // sadump_smram_cpu_state
constexpr size_t kVolInfoSize = 32;
constexpr size_t kDiskSetFixed = 16;  // disk_set_header_size, disk_num, disk_set_size
constexpr uint32_t kMaxDisks = 16;
constexpr int16_t kEfiUnspecifiedTimezone = 2047;
constexpr uint64_t kEferLma = uint64_t{1} << 10;

using Guid = std::array<std::byte, 16>;
using EfiTimeRaw = std::array<std::byte, 16>;

struct PartHeader {
  uint32_t signature1 = 0, signature2 = 0;
  uint32_t enable = 0, reboot = 0, compress = 0, recycle = 0;
  Guid sadump_id{}, disk_set_id{}, vol_id{};
  EfiTimeRaw time_stamp{};
  uint32_t set_disk_set = 0;
  uint64_t used_device = 0;
};
Result<PartHeader> decode_part_header(std::span<const std::byte> raw);  // >= kPartHeaderFixed bytes
/// Encodes a partition header block of `block_size` bytes, magic sequence included.
std::vector<std::byte> encode_part_header(const PartHeader& p, uint32_t block_size);
/// Block size implied by where the magic sequence m[i] = (m[i-1] + 7) * 11
/// stops, or nullopt when that is not a power of two (libkdumpfile's rule).
/// `block` is the data from the partition header on.
std::optional<uint32_t> magic_block_size(std::span<const std::byte> block);

struct MediaHeader {
  Guid sadump_id{}, disk_set_id{};
  EfiTimeRaw time_stamp{};
  uint8_t sequential_num = 0;
};
Result<MediaHeader> decode_media_header(std::span<const std::byte> raw);
std::vector<std::byte> encode_media_header(const MediaHeader& m);  // 4096 bytes

struct DumpHeader {
  std::array<char, 8> signature{};
  uint32_t header_version = 0;
  EfiTimeRaw timestamp{};
  uint32_t status = 0, compress = 0, block_size = 0, extra_hdr_size = 0, sub_hdr_size = 0;
  uint32_t bitmap_blocks = 0, dumpable_bitmap_blocks = 0;
  uint32_t max_mapnr = 0, total_ram_blocks = 0, device_blocks = 0, written_blocks = 0;
  uint32_t current_cpu = 0, nr_cpus = 0;
  uint64_t max_mapnr_64 = 0, total_ram_blocks_64 = 0, device_blocks_64 = 0, written_blocks_64 = 0;
};
Result<DumpHeader> decode_dump_header(std::span<const std::byte> raw);  // >= kHeaderSize bytes
std::vector<std::byte> encode_dump_header(const DumpHeader& h);         // kHeaderSize bytes

/// EFI time (treated as UTC when the time zone is unspecified) <-> Unix time.
std::optional<int64_t> efi_time_to_unix(const EfiTimeRaw& t);
EfiTimeRaw unix_to_efi_time(int64_t seconds);

// sadump_smram_cpu_state offsets (bytes).
constexpr size_t kSmGdtHi = 464, kSmLdtHi = 468, kSmIdtHi = 472;
constexpr size_t kSmCr4 = 576;
constexpr size_t kSmGdtLo = 652, kSmGdtLimit = 656, kSmIdtLo = 660, kSmIdtLimit = 664;
constexpr size_t kSmLdtLo = 668, kSmLdtLimit = 672;
constexpr size_t kSmR15 = 796;  // r15 r14 r13 r12 r11 r10 r9 r8 rax rcx rdx rbx rsp rbp rsi rdi
constexpr size_t kSmEs = 936;   // es cs ss ds fs gs ldtr tr (u32 each)
constexpr size_t kSmDr7 = 968, kSmDr6 = 976, kSmRip = 984, kSmEfer = 992, kSmRflags = 1000;
constexpr size_t kSmCr3 = 1008, kSmCr0 = 1016;

/// One CPU's state in register terms (what both NT_PRSTATUS and SMRAM carry,
/// plus the system registers only SMRAM and QEMU's CPU-state note have).
struct CpuState {
  // x86_64 user_regs_struct order (elf_prstatus pr_reg).
  std::array<uint64_t, 27> regs{};
  std::optional<uint64_t> cr0, cr3, cr4, efer;
  std::optional<uint64_t> idt_base, gdt_base;
  uint32_t idt_limit = 0, gdt_limit = 0;
};
// Indices into CpuState::regs.
enum Reg : size_t {
  kR15,
  kR14,
  kR13,
  kR12,
  kRbp,
  kRbx,
  kR11,
  kR10,
  kR9,
  kR8,
  kRax,
  kRcx,
  kRdx,
  kRsi,
  kRdi,
  kOrigRax,
  kRip,
  kCs,
  kEflags,
  kRsp,
  kSs,
  kFsBase,
  kGsBase,
  kDs,
  kEs,
  kFs,
  kGs
};

Result<CpuState> smram_to_state(std::span<const std::byte> smram);  // kSmramSize bytes
void state_to_smram(const CpuState& s, std::span<std::byte> smram);

/// x86_64 NT_PRSTATUS (336 bytes) <-> CpuState registers; pid goes to pr_pid.
std::vector<std::byte> state_to_prstatus64(const CpuState& s, uint32_t pid);
std::optional<CpuState> prstatus64_to_state(std::span<const std::byte> desc);
/// i386 NT_PRSTATUS (144 bytes) <-> the low halves.
std::vector<std::byte> state_to_prstatus32(const CpuState& s, uint32_t pid);
std::optional<CpuState> prstatus32_to_state(std::span<const std::byte> desc);
/// QEMU's x86 CPU-state note (432 bytes): the system registers it carries
/// (CR0/3/4, IDT/GDT base and limit) are merged into `s`.
void merge_qemu_note(std::span<const std::byte> desc, CpuState& s);
std::vector<std::byte> state_to_qemu_note(const CpuState& s);

/// MSB-first bitmap test / set (pfn p is bit 7 - (p & 7) of byte p >> 3).
inline bool msb_bit(std::span<const std::byte> bm, uint64_t p) {
  return (static_cast<uint8_t>(bm[p >> 3]) >> (7 - (p & 7))) & 1;
}
inline void msb_set(std::span<std::byte> bm, uint64_t p) {
  bm[p >> 3] |= std::byte(1u << (7 - (p & 7)));
}
/// A byte's bits in reverse order: turns an MSB-first bitmap byte into an
/// LSB-first one and back.
constexpr uint8_t reverse_bits(uint8_t v) {
  v = static_cast<uint8_t>((v & 0xf0) >> 4 | (v & 0x0f) << 4);
  v = static_cast<uint8_t>((v & 0xcc) >> 2 | (v & 0x33) << 2);
  return static_cast<uint8_t>((v & 0xaa) >> 1 | (v & 0x55) << 1);
}

}  // namespace dumpfmt::detail::sadump
