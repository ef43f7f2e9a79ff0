// dumpgen: synthetic crash dumps (ELF vmcore, kdump-compressed, flattened, split) built
// straight from the byte layouts in docs/formats.md, independently of libdumpfmt, so that
// tests can check libdumpfmt's readers and writers against it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dumpgen {

// ---------------------------------------------------------------------------
// Page contents
//
// All synthetic content is defined here so that a test (or a Python script) can recompute
// it. splitmix64 is the usual one:
//   z += 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9;
//   z = (z ^ z>>27) * 0x94D049BB133111EB; return z ^ z>>31      (all mod 2^64)
// Let base = splitmix64(seed ^ splitmix64(pfn)). The page is a sequence of 64-bit words,
// each stored little-endian whatever the dump's byte order (page bytes are just bytes);
// a page size that is not a multiple of 8 keeps the first `size` bytes.
//   page_pattern: word i = splitmix64(base + i / 8)   (each value repeated 8 times, so every
//                 codec compresses it to well below a page)
//   page_random:  word i = splitmix64(base + i)       (incompressible: stored raw in kdump)
// ---------------------------------------------------------------------------
uint64_t splitmix64(uint64_t z);
std::vector<uint8_t> page_pattern(uint64_t seed, uint64_t pfn, uint32_t size);
std::vector<uint8_t> page_random(uint64_t seed, uint64_t pfn, uint32_t size);

enum class Format { elf, kdump };  // later: s390, sadump (each with its own options struct)
enum class Endian { little, big };
enum class Codec { none, zlib, lzo, snappy, zstd };

enum class PageKind {
  pattern,  // page_pattern(seed, pfn)
  random,   // page_random(seed, pfn)
  zero,     // all zeros (kdump: shares the zero page when KdumpOptions::shared_zero_page)
  bytes,    // PageSpec::bytes, zero-padded to page_size
};

struct PageSpec {
  uint64_t pfn = 0;
  PageKind kind = PageKind::pattern;
  std::vector<uint8_t> bytes;  // PageKind::bytes only; at most page_size bytes
  std::optional<Codec> codec;  // kdump: overrides KdumpOptions::codec for this page
};
inline PageSpec page(uint64_t pfn, PageKind kind = PageKind::pattern) {
  PageSpec p;
  p.pfn = pfn;
  p.kind = kind;
  return p;
}

// A run of memory for large or sparse dumps, described without listing pages.
enum class Fill {
  zero,            // all zero pages (ELF: left as a file hole by generate_to_file)
  pattern,         // every page page_pattern
  sparse_pattern,  // page k of the run is page_pattern if k % every == 0, else zero
};
struct SegmentSpec {
  uint64_t paddr = 0;  // page aligned
  uint64_t size = 0;   // bytes, a multiple of page_size
  Fill fill = Fill::pattern;
  uint64_t every = 1;  // Fill::sparse_pattern only
};

struct Utsname {  // kdump header (6 x char[65]); release also goes to VMCOREINFO OSRELEASE
  std::string sysname = "Linux";
  std::string nodename = "dumpgen";
  std::string release = "6.1.0-dumpgen";
  std::string version = "#1 SMP PREEMPT_DYNAMIC";
  std::string machine;  // empty: DumpSpec::arch
  std::string domainname = "(none)";
};

struct RawNote {  // any extra ELF note, appended after the generated ones
  std::string name;
  uint32_t type = 0;
  std::vector<uint8_t> desc;
};

enum class Vaddr {
  zero,        // p_vaddr = 0 (QEMU with paging off)
  phys,        // p_vaddr = p_paddr
  direct_map,  // p_vaddr = ElfOptions::direct_map_base + p_paddr (kernel /proc/vmcore)
};

struct ElfOptions {
  Vaddr vaddr = Vaddr::direct_map;
  // Default: 0xffff888000000000 (x86_64 __PAGE_OFFSET, 4-level) for ELF64, 0xc0000000 for
  // ELF32.
  std::optional<uint64_t> direct_map_base;
  // PT_LOADs come from runs of consecutive PFNs. A new PT_LOAD also starts at every PFN in
  // break_before, and when a PT_LOAD reaches max_segment_pages pages (0: no limit). More
  // than 65534 PT_LOADs switch to PN_XNUM (e_phnum = 0xffff, real count in Shdr sh_info).
  std::vector<uint64_t> break_before;
  uint64_t max_segment_pages = 0;
  // DumpSpec::ram_only PFNs right after a run become that PT_LOAD's p_memsz > p_filesz tail
  // (makedumpfile -E); ram_only PFNs not following a run get a PT_LOAD with p_filesz 0.
  bool align_data = false;  // page-align the start of each PT_LOAD's data in the file
  uint32_t p_flags = 7;     // PF_R|PF_W|PF_X as the kernel writes
  uint64_t p_align = 0;
  bool eraseinfo_note = true;  // DumpSpec::eraseinfo as an "ERASEINFO" note (makedumpfile -E)
};

enum class SubHeaderLayout {
  automatic,  // 64-bit for 64-bit dumps; 32-bit: padded for arm/mips, packed otherwise
  packed32,   // i386, QEMU 32-bit (off_t at 4-byte alignment)
  padded32,   // ARM, MIPS (off_t at 8-byte alignment)
};

struct KdumpOptions {
  int header_version = 6;         // 0..6; fields of later versions stay zero
  Codec codec = Codec::zlib;      // header status bit; pages stored raw when not smaller
  bool shared_zero_page = true;   // dump_level & 1: zero pages point at one zero block
  std::optional<int> dump_level;  // default: 1 if shared_zero_page else 0
  uint64_t phys_base = 0;
  SubHeaderLayout sub_header = SubHeaderLayout::automatic;
  uint32_t extra_status = 0;           // OR-ed into the header status (e.g. 0x10 excluded vmemmap)
  std::string signature = "KDUMP   ";  // 8 bytes
  // Split sets: PFN boundaries s_1 < ... < s_{K-1}; empty: chosen so each part holds about
  // num_dumpable / K pages (makedumpfile --split).
  std::vector<uint64_t> split_at;
};

struct FlatOptions {
  bool enabled = false;  // wrap the file(s) in makedumpfile's flattened format
  // Consecutive writes are merged into records of at most this many bytes (0: one record
  // per write of the generator: header, sub header, bitmaps, each descriptor, each page).
  uint64_t record_size = 65536;
  bool shuffle = false;  // records in a seeded random order (they never overlap then)
  // Before the real records, one record of junk (0xA5) per real record at the same offset;
  // the real ones that follow overwrite it, as later records win.
  bool garbage_overlap = false;
};

// Everything a dump is made of. Defaults give a 64-bit little-endian x86_64 dump.
struct DumpSpec {
  Format format = Format::elf;
  std::string arch = "x86_64";  // x86_64, i386/i686, aarch64, arm, ppc64, ppc64le, s390x,
                                // s390, riscv64, mips; sets the three defaults below
  std::optional<uint16_t> e_machine;
  std::optional<Endian> endian;
  std::optional<int> word_bits;  // 32 or 64: ELF class / kdump header and sub header layout
  uint32_t page_size = 4096;
  uint64_t seed = 1;

  // Memory. pages, segments and ram_only must not overlap. A PFN in none of them is a hole.
  std::vector<PageSpec> pages;
  std::vector<SegmentSpec> segments;
  std::vector<uint64_t> ram_only;     // RAM that the dump does not carry (kdump: 1st bitmap only)
  std::optional<uint64_t> max_mapnr;  // default: highest PFN + 1

  // Notes: nr_cpus NT_PRSTATUS ("CORE") notes, then the VMCOREINFO note, then extra_notes.
  int nr_cpus = 1;
  bool with_vmcoreinfo = true;
  std::optional<std::string> vmcoreinfo;  // default: default_vmcoreinfo(*this)
  std::vector<RawNote> extra_notes;
  Utsname uts;
  int64_t crash_time = 1700000000;  // kdump timestamp.tv_sec and default CRASHTIME
  std::string eraseinfo;            // kdump: after the page data; ELF: "ERASEINFO" note

  // Damage. incomplete_after_pfn: dump cut short (ENOSPC) after this PFN's page: kdump
  // status |= 0x8, later descriptors zero, their data not written; ELF e_flags |= 1, data
  // after that page not written, PT_LOAD headers of later segments zero.
  std::optional<uint64_t> incomplete_after_pfn;
  std::optional<uint64_t> truncate_bytes;  // every output file is cut to this size

  ElfOptions elf;
  KdumpOptions kdump;
  FlatOptions flat;

  // Resolved values (arch table unless set explicitly).
  uint16_t machine() const;
  Endian byte_order() const;
  int bits() const;
};

// A spec with `count` pattern pages at PFNs 0..count-1 (a one-liner for tests).
DumpSpec simple_spec(Format format, uint64_t count, Codec codec = Codec::zlib);

// The VMCOREINFO text used when DumpSpec::vmcoreinfo is unset: OSRELEASE, PAGESIZE and
// CRASHTIME lines.
std::string default_vmcoreinfo(const DumpSpec& spec);

// The value of register `index` of CPU `cpu` in the synthetic NT_PRSTATUS notes (truncated
// to 32 bits in 32-bit dumps); pr_pid is cpu + 1. The note has the arch's struct
// elf_prstatus size: x86_64 336 (27 regs at 112), aarch64 392 (34), ppc64 504 (48),
// s390x 336, riscv64 376 (32), i386 144 (17 regs at 72), arm 148 (18); other arches use
// the x86_64 / i386 layout by word size.
uint64_t prstatus_reg(int cpu, int index);

// ---------------------------------------------------------------------------
// Generation. Invalid specs throw std::invalid_argument (this is test support, not the
// library). generate() materialises the whole file; use generate_to_file() for huge ones.
// ---------------------------------------------------------------------------
std::vector<uint8_t> generate(const DumpSpec& spec);
// A --split set: `parts` kdump files (ELF specs are rejected).
std::vector<std::vector<uint8_t>> generate_split(const DumpSpec& spec, int parts);

void write_file(const std::string& path, const std::vector<uint8_t>& bytes);
void write_file(const DumpSpec& spec, const std::string& path);
// Writes prefix.1 .. prefix.K; returns the paths.
std::vector<std::string> write_split_files(const DumpSpec& spec, int parts,
                                           const std::string& prefix);
// Streams the dump into `path`. A non-flattened ELF is written with ftruncate + pwrite of
// only its non-zero pages, so zero memory becomes file holes (a 1 TiB mostly-zero ELF takes
// seconds and little disk). Other forms go through generate().
void generate_to_file(const DumpSpec& spec, const std::string& path);

// ---------------------------------------------------------------------------
// What a correct reader must see.
// ---------------------------------------------------------------------------
enum class PageStatus {
  absent,    // not RAM (a hole, or beyond max_mapnr)
  excluded,  // RAM that the dump does not carry (ram_only / ELF p_memsz tail)
  present,   // carried; expected_page() gives its bytes
  lost,      // carried by the original but cut off: incomplete dump or truncated file
};

// Content of a PFN as described by the spec (zeros for holes), ignoring damage.
std::vector<uint8_t> page_content(const DumpSpec& spec, uint64_t pfn);

PageStatus page_status(const DumpSpec& spec, uint64_t pfn, int parts = 1);
// The bytes a reader must return for `pfn`, or nullopt unless present.
std::optional<std::vector<uint8_t>> expected_page(const DumpSpec& spec, uint64_t pfn,
                                                  int parts = 1);

// The same answers for many PFNs of one spec: builds the memory map (and, for truncated
// kdump files, the page map) once instead of on every call. Keeps a copy of the spec.
class Oracle {
 public:
  explicit Oracle(const DumpSpec& spec, int parts = 1);
  PageStatus status(uint64_t pfn) const;
  std::vector<uint8_t> content(uint64_t pfn) const;
  std::optional<std::vector<uint8_t>> expected(uint64_t pfn) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// Where each described PFN ended up (for tests that poke at specific bytes). Offsets are
// in the non-flattened file. Enumerates every page: for small dumps.
struct PageInfo {
  uint64_t pfn = 0;
  PageStatus status = PageStatus::absent;
  int part = 0;              // split set: file index
  uint64_t offset = 0;       // page data (kdump: as in its descriptor)
  uint64_t size = 0;         // stored bytes
  uint32_t flags = 0;        // kdump page_desc flags (0 raw, 1 zlib, 2 lzo, 4 snappy, 0x20 zstd)
  uint64_t desc_offset = 0;  // kdump: file offset of its page_desc
};
std::vector<PageInfo> page_map(const DumpSpec& spec, int parts = 1);

// Fixed numbers from docs/formats.md that tests want too.
constexpr uint32_t kKdumpHeaderSize64 = 464;
constexpr uint32_t kKdumpHeaderSize32 = 452;
constexpr uint32_t kPageDescSize = 24;
constexpr uint32_t kFlatHeaderSize = 4096;

// Flag of a codec in kdump headers and page descriptors (0 for none).
uint32_t codec_flag(Codec c);
// Whether this build of dumpgen can write the codec.
bool codec_available(Codec c);
const char* codec_name(Codec c);
std::optional<Codec> codec_from_name(const std::string& name);


// ---------------------------------------------------------------------------
// s390 and sadump files (dumpgen_s390.cpp, dumpgen_sadump.cpp), from docs/formats.md §6 and §7.
// Memory comes from DumpSpec (pages, segments, ram_only, max_mapnr, page_size, seed),
// with crash_time, nr_cpus and word_bits (32: s390 arch 1 / sadump without EFER.LMA);
// format, ELF/kdump options and vmcoreinfo are ignored (neither format has VMCOREINFO).
// Each returns the files of the dump (one, or one per volume / disk); truncate_bytes cuts
// every file.
// ---------------------------------------------------------------------------
enum class S390Layout {
  classic,       // magic ...fd: header, memory image from address 0, DUMP_END marker
  ext,           // magic ...fe: segment headers + raw memory of each run of described pages
  ext_zlib,      // ext, version 2, segments stored as zlib entries (4 KiB device blocks)
  multi_volume,  // ext segments spread over `volumes` files, mvdump signature in each header
};
struct S390Options {
  S390Layout layout = S390Layout::classic;
  int volumes = 2;                     // multi_volume
  uint32_t zlib_entry_size = 1u << 20; // ext_zlib: memory bytes per zlib entry
  // CPU prefixes (lc_vec). Each CPU's 64-bit lowcore save area (prefix + 0x1200..0x1400) is
  // written into memory: gprs[i] = prstatus_reg(cpu, i), psw = {prstatus_reg(cpu, 100),
  // prstatus_reg(cpu, 101)}, acrs[i] = u32 prstatus_reg(cpu, 200 + i), fprs[i] =
  // prstatus_reg(cpu, 300 + i), crs[i] = prstatus_reg(cpu, 400 + i), fpc 0x1234 + cpu,
  // prefix register = prefix, timer/clock comparator prstatus_reg(cpu, 500/501), TOD
  // programmable register 0x5678 + cpu. Those pages count as described memory.
  std::vector<uint32_t> cpu_prefixes;
  bool end_marker = true;              // false: the 16 DUMP_END bytes are zeros
};
std::vector<std::vector<uint8_t>> generate_s390(const DumpSpec& spec, const S390Options& opt);
// What an s390 reader must return for `pfn` (below max_mapnr): the page contents with any
// lowcore save area written in; zeros for holes and ram_only pages (the format has no holes).
std::vector<uint8_t> s390_page(const DumpSpec& spec, const S390Options& opt, uint64_t pfn);

enum class SadumpVariant { single, disk_set, media };
struct SadumpOptions {
  SadumpVariant variant = SadumpVariant::single;
  int disks = 2;             // disk_set: data blocks split evenly over the disks
  int header_version = 1;    // 0: only the 32-bit max_mapnr is filled
  // nr_cpus SMRAM states: general registers as prstatus_reg(cpu, pr_reg index) (segment
  // registers as u32), cr0 0x80050033, cr3 0x100000 * (cpu + 1), cr4 0x20, IA32_EFER 0x500
  // (LME|LMA; 0 for 32-bit specs), IDTR base 0xfffffe0000000000 + 0x1000 * cpu limit 0xfff.
};
// Pages: present = described pages/segments (dumpable), ram_only = RAM but not dumpable.
std::vector<std::vector<uint8_t>> generate_sadump(const DumpSpec& spec, const SadumpOptions& opt);

}  // namespace dumpgen
