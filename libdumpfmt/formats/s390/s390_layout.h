// Private: byte layout of the s390 stand-alone dump formats (docs/formats.md §6),
// from s390-tools include/dump/s390_dump.h (struct df_s390_hdr, df_s390_em,
// df_s390_dump_segm_hdr) and the 64-bit lowcore save areas. All big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/result.h"

namespace dumpfmt::detail::s390 {

constexpr uint64_t kMagic = 0xa8190173618f23fdULL;     // classic single-volume "s390"
constexpr uint64_t kMagicExt = 0xa8190173618f23feULL;  // "s390_ext" and multi-volume
constexpr uint32_t kHeaderSize = 0x1000;
constexpr uint64_t kEndMarkerMagic = 0x44554d505f454e44ULL;  // "DUMP_END"
constexpr uint32_t kEndMarkerSize = 16;
constexpr uint32_t kCpuMax = 512;
constexpr uint32_t kArch32 = 1;
constexpr uint32_t kArch64 = 2;
constexpr uint32_t kWriterVersion = 5;    // what zgetdump -f s390 writes
constexpr uint32_t kWriterDumpLevel = 4;  // ditto (meaning unconfirmed)
constexpr uint32_t kSegmentHeaderSize = 0x1000;
constexpr uint32_t kSegmentMaxEntries = (kSegmentHeaderSize - 0x34) / 4;  // 1011
constexpr uint32_t kEntryUncompressed = 0x80000000u;
// Device block size the extended format counts compressed data in; a file
// copy does not record it, and ECKD DASD (where s390_ext lives) uses 4 KiB.
constexpr uint64_t kExtBlockSize = 4096;

/// The dump header (docs/formats.md §6.1): one member per on-disk field.
struct Header {
  uint64_t magic = 0;
  uint32_t version = 0;
  uint32_t hdr_size = 0;
  uint32_t dump_level = 0;
  uint32_t page_size = 0;
  uint64_t mem_size = 0;
  uint64_t mem_start = 0;
  uint64_t mem_end = 0;
  uint32_t num_pages = 0;
  uint64_t tod = 0;
  uint64_t cpu_id = 0;
  uint32_t arch = 0;
  uint32_t volnr = 0;
  uint32_t build_arch = 0;
  uint64_t mem_size_real = 0;
  uint8_t mvdump = 0;
  uint16_t cpu_cnt = 0;
  uint16_t real_cpu_cnt = 0;
  uint8_t zlib_version_s390 = 0;
  uint32_t zlib_entry_size = 0;
  uint64_t mvdump_sign = 0;
  uint64_t mvdump_zipl_time = 0;
  std::vector<uint32_t> lc_vec;  // min(cpu_cnt, kCpuMax) prefixes
};

/// Decodes the 0x1000-byte header (no validation beyond the layout); a
/// shorter `raw` is Errc::truncated.
Result<Header> decode_header(std::span<const std::byte> raw);
/// Encodes a header into exactly kHeaderSize bytes.
std::vector<std::byte> encode_header(const Header& h);
/// The 16-byte end marker.
std::vector<std::byte> encode_end_marker(uint64_t tod);

/// Extended-format segment header (first 0x34 bytes + entry offsets).
struct SegmentHeader {
  uint64_t start = 0;
  uint64_t len = 0;
  uint64_t stop_marker = 0;
  uint32_t size_on_disk = 0;  // blocks; non-zero = zlib-compressed segment
  uint32_t entry_count = 0;
  std::vector<uint32_t> entry_offset;
};
Result<SegmentHeader> decode_segment_header(
    std::span<const std::byte> raw);  // raw: kSegmentHeaderSize

/// TOD clock (bit 51 = 1 µs, epoch 1900) <-> Unix time, as zgetdump converts.
int64_t tod_to_unix_seconds(uint64_t tod);
uint64_t unix_seconds_to_tod(int64_t seconds);

// 64-bit lowcore save areas (offsets from the CPU's prefix), docs/formats.md §6.5.
constexpr uint64_t kLowcoreSize = 0x2000;
constexpr uint64_t kLcVmcoreInfo = 0x0e0;  // u64: physical address of the VMCOREINFO note
constexpr uint64_t kLcFprs = 0x1200;
constexpr uint64_t kLcGprs = 0x1280;
constexpr uint64_t kLcPsw = 0x1300;
constexpr uint64_t kLcPrefix = 0x1318;
constexpr uint64_t kLcFpc = 0x131c;
constexpr uint64_t kLcTodPreg = 0x1324;
constexpr uint64_t kLcTimer = 0x1328;
constexpr uint64_t kLcClockCmp = 0x1330;
constexpr uint64_t kLcAcrs = 0x1340;
constexpr uint64_t kLcCrs = 0x1380;
constexpr uint64_t kLcSaveStart = 0x1200;
constexpr uint64_t kLcSaveEnd = 0x1400;

// ELF notes zgetdump writes per s390x CPU (docs/formats.md §1.4).
constexpr uint32_t kNtFpregset = 2;
constexpr uint32_t kNtS390Timer = 0x301;
constexpr uint32_t kNtS390Todcmp = 0x302;
constexpr uint32_t kNtS390Todpreg = 0x303;
constexpr uint32_t kNtS390Ctrs = 0x304;
constexpr uint32_t kNtS390Prefix = 0x305;
// s390x struct elf_prstatus: 112-byte common part, then s390_regs
// {psw mask, psw addr, gprs[16], acrs[16] (u32), orig_gpr2}, pr_fpvalid.
constexpr size_t kPrstatusSize = 336;
constexpr size_t kPrPswMask = 112;
constexpr size_t kPrPswAddr = 120;
constexpr size_t kPrGprs = 128;
constexpr size_t kPrAcrs = 256;
constexpr size_t kPrOrigGpr2 = 320;
constexpr size_t kPrFpvalid = 328;
constexpr size_t kFpregsetSize = 136;  // fpc, pad, fprs[16]

/// Converts one CPU's 64-bit lowcore save area (bytes kLcSaveStart..kLcSaveEnd)
/// into the notes zgetdump would write for it.
Result<std::vector<Note>> lowcore_to_notes(std::span<const std::byte> save_area, uint32_t prefix);

/// One CPU's register state gathered from notes; fields absent in the notes stay unset.
struct CpuNotes {
  std::optional<uint32_t> prefix;
  const Note* prstatus = nullptr;
  const Note* fpregset = nullptr;
  const Note* timer = nullptr;
  const Note* todcmp = nullptr;
  const Note* todpreg = nullptr;
  const Note* ctrs = nullptr;
};
/// Groups s390x CPU notes: each CORE NT_PRSTATUS starts a CPU, the notes after
/// it (up to the next one) belong to it.
std::vector<CpuNotes> group_cpu_notes(const std::vector<Note>& notes);
/// The save area bytes (kLcSaveStart..kLcSaveEnd) for a CPU, filled from its notes
/// over `current` (what memory holds there now).
void notes_to_save_area(const CpuNotes& cpu, std::span<std::byte> save_area);

}  // namespace dumpfmt::detail::s390
