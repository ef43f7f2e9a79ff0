// On-disk structures of the kdump-compressed ("diskdump") format: disk_dump_header,
// kdump_sub_header and page_desc of makedumpfile's diskdump_mod.h, as restated in
// docs/formats.md §3 (64-bit and 32-bit packed/padded layouts, either byte order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "dumpfmt/bytes.h"
#include "dumpfmt/codec.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/result.h"

namespace dumpfmt::detail::kdump {

inline constexpr std::string_view kKdumpSignature = "KDUMP   ";
inline constexpr std::string_view kDiskdumpSignature = "DISKDUMP";

// disk_dump_header.status bits; the compression bits double as page_desc.flags.
inline constexpr uint32_t kFlagZlib = 0x01;
inline constexpr uint32_t kFlagLzo = 0x02;
inline constexpr uint32_t kFlagSnappy = 0x04;
inline constexpr uint32_t kStatusIncomplete = 0x08;
inline constexpr uint32_t kStatusExcludedVmemmap = 0x10;
inline constexpr uint32_t kFlagZstd = 0x20;
inline constexpr uint32_t kCompressionMask = kFlagZlib | kFlagLzo | kFlagSnappy | kFlagZstd;

inline constexpr int32_t kWrittenVersion = 6;  // what makedumpfile 1.7 and QEMU write
inline constexpr size_t kUtsFieldSize = 65;    // each of the six new_utsname strings
inline constexpr size_t kPageDescSize = 24;
inline constexpr uint32_t kMinBlockSize = 512;
inline constexpr uint32_t kMaxBlockSize = 1u << 20;

/// Main header layout: the timeval (two `long`s) is 16 or 8 bytes.
enum class Word : uint8_t { w64, w32 };
/// Sub-header layout: 64-bit, or 32-bit with off_t aligned to 4 (i386) or 8 (ARM, MIPS).
enum class SubLayout : uint8_t { w64, w32_packed, w32_padded };

size_t main_header_size(Word w);      // 464 / 452
size_t sub_header_size(SubLayout l);  // 104 / 80 / 96
/// Bytes of the sub-header that carry fields for `version` (0 below version 1,
/// which has no sub-header semantics readers rely on).
size_t sub_header_bytes_for_version(SubLayout l, int32_t version);

struct MainHeader {
  char signature[8] = {};
  int32_t version = 0;
  Utsname uts;
  int64_t tv_sec = 0;
  int64_t tv_usec = 0;
  uint32_t status = 0;
  int32_t block_size = 0;
  int32_t sub_hdr_size = 0;    // blocks
  uint32_t bitmap_blocks = 0;  // both bitmaps together
  uint32_t max_mapnr = 0;
  uint32_t total_ram_blocks = 0;
  uint32_t device_blocks = 0;
  uint32_t written_blocks = 0;
  uint32_t current_cpu = 0;
  int32_t nr_cpus = 0;
};

/// Errc::truncated unless `in` holds main_header_size(w) bytes.
Result<MainHeader> decode_main_header(std::span<const std::byte> in, Word w, Endian e);
/// Writes main_header_size(w) bytes into `out`; utsname strings longer than 64 are cut.
void encode_main_header(const MainHeader& h, Word w, Endian e, std::span<std::byte> out);
/// Byte offset of `status` inside the main header.
size_t status_offset(Word w);

struct SubHeader {
  uint64_t phys_base = 0;  // unsigned long; sign-extended from 32 bits when decoded
  int32_t dump_level = 0;
  int32_t split = 0;
  uint64_t start_pfn = 0;  // obsolete 32/64-bit copies
  uint64_t end_pfn = 0;
  uint64_t offset_vmcoreinfo = 0;
  uint64_t size_vmcoreinfo = 0;
  uint64_t offset_note = 0;
  uint64_t size_note = 0;
  uint64_t offset_eraseinfo = 0;
  uint64_t size_eraseinfo = 0;
  uint64_t start_pfn_64 = 0;
  uint64_t end_pfn_64 = 0;
  uint64_t max_mapnr_64 = 0;
};

/// Decodes the fields that exist in `version`; the rest stay 0. Errc::truncated
/// unless `in` holds sub_header_bytes_for_version(l, version) bytes.
Result<SubHeader> decode_sub_header(std::span<const std::byte> in, SubLayout l, Endian e,
                                    int32_t version);
/// Writes sub_header_size(l) bytes; 32-bit `unsigned long` fields are clamped to UINT32_MAX.
void encode_sub_header(const SubHeader& s, SubLayout l, Endian e, std::span<std::byte> out);

struct PageDesc {
  uint64_t offset = 0;
  uint32_t size = 0;
  uint32_t flags = 0;
  uint64_t page_flags = 0;
};

/// kPageDescSize bytes each way; a shorter `in` is Errc::truncated.
Result<PageDesc> decode_page_desc(std::span<const std::byte> in, Endian e);
void encode_page_desc(const PageDesc& d, Endian e, std::span<std::byte> out);

/// 2 * ceil(ceil(max_mapnr / 8) / block_size), at least 2: both bitmaps, each
/// block aligned (crash requires it).
uint64_t bitmap_blocks_for(uint64_t max_mapnr, uint32_t block_size);

/// The codec of one compression bit; nullopt when `bit` is not exactly one known bit.
std::optional<CodecId> codec_of_flag(uint32_t bit);
/// The page flag of a codec (0 for none); nullopt for codecs kdump cannot name (lz4).
std::optional<uint32_t> flag_of_codec(CodecId c);

}  // namespace dumpfmt::detail::kdump
