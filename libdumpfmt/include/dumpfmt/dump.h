// The dump model every format maps onto: page frames by PFN plus metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

enum class Arch : uint8_t {
  unknown,
  x86_64,
  x86,
  arm64,
  arm,
  s390x,
  s390,
  ppc64,
  ppc,
  riscv64,
  mips
};

std::string_view arch_name(Arch a);              // "x86_64", "arm64", ...
Arch arch_from_uts_machine(std::string_view m);  // "x86_64", "aarch64", "s390x", "i686" ...
Arch arch_from_elf_machine(uint16_t e_machine, bool is64);
uint16_t elf_machine_of(Arch a);
bool arch_is_64bit(Arch a);
std::string_view uts_machine_of(Arch a);  // what the kernel puts in utsname.machine

/// One ELF note record, kept as bytes so any note (NT_PRSTATUS, QEMU CPU
/// state, VMCOREINFO, vmcoredd...) survives a conversion unchanged.
struct Note {
  std::string name;  // "CORE", "VMCOREINFO", "QEMU", ...
  uint32_t type = 0;
  std::vector<std::byte> desc;
};

/// Parses an ELF note area (4-byte aligned name/desc, as in vmcores). Stops at
/// an all-zero terminator; trailing garbage is an error naming the offset.
Result<std::vector<Note>> parse_notes(std::span<const std::byte> area, Endian e,
                                      uint64_t base_offset, const std::string& file_name);
/// Serialises notes back into an ELF note area.
std::vector<std::byte> serialize_notes(const std::vector<Note>& notes, Endian e);

constexpr uint32_t kNtPrstatus = 1;

struct Utsname {
  std::string sysname, nodename, release, version, machine, domainname;
};

/// A physical range and the virtual address it was mapped at in the source
/// (ELF p_vaddr); writers use it to keep kernel-text and direct-map vaddrs.
struct VaddrRange {
  uint64_t paddr = 0;
  uint64_t size = 0;
  uint64_t vaddr = 0;
};

struct DumpInfo {
  std::string format;   // "elf", "kdump", "s390", "sadump"
  std::string variant;  // "ELF64 /proc/vmcore", "kdump v6 flattened", ...
  Arch arch = Arch::unknown;
  Endian endian = Endian::little;
  uint32_t page_size = 4096;
  Pfn max_pfn = 0;                        // one past the highest PFN the dump describes
  std::optional<std::string> vmcoreinfo;  // raw text, byte for byte
  std::vector<Note> notes;                // everything from the note area, VMCOREINFO included
  Utsname uts;
  std::optional<int64_t> crash_time;  // seconds since the epoch
  uint32_t nr_cpus = 0;
  std::optional<int64_t> phys_base;
  std::optional<uint32_t> dump_level;
  std::optional<uint32_t> header_version;
  std::string compression;            // "zlib", "lzo", "none", "mixed" ... for display
  bool incomplete = false;            // the writer was cut short; see lost_from
  std::optional<Pfn> lost_from;       // first PFN whose data is lost
  std::string eraseinfo;              // makedumpfile eraseinfo text, if any
  std::vector<VaddrRange> vaddrs;     // source ELF mappings, if any
  std::vector<std::string> warnings;  // non-fatal oddities found while opening
  /// Split-set part: [start, end) of this file; unset for a whole dump.
  std::optional<std::pair<Pfn, Pfn>> split_range;
};

/// Refuses a dump its writer left incomplete (a part of a set cut short, or
/// flagged so): what is made of it would silently miss pages. The error
/// (truncated) names the first lost PFN and the readers' warnings about it.
Status check_complete(const DumpInfo& info);

/// Refuses to join what is not a whole split set: one part of a set (the
/// reader opens it for inspection, but alone it lacks the other parts'
/// pages), or a single file that is no part at all. `inputs` are the files
/// opened as the dump `info` describes; the error (invalid_argument) names
/// the first.
Status check_whole_set(const DumpInfo& info, const std::vector<std::string>& inputs);

/// The notes a writer should store: the source's notes without any
/// ERASEINFO note (writers that carry eraseinfo re-create it from
/// DumpInfo::eraseinfo), plus a VMCOREINFO note when only the text is known
/// (kdump v3 keeps VMCOREINFO outside any note).
std::vector<Note> notes_for_output(const DumpInfo& info);

/// The VMCOREINFO note's text from a note list, if present.
std::optional<std::string> find_vmcoreinfo(const std::vector<Note>& notes);

enum class PageState : uint8_t {
  present,   // data was read into the buffer
  zero,      // the page is known to be all zeros; the buffer was zero-filled
  excluded,  // RAM that the dump does not carry (filtered, or a hole); buffer untouched
};

/// Read access to the pages of a dump, whatever its format.
class PageSource {
 public:
  virtual ~PageSource() = default;
  virtual const DumpInfo& info() const = 0;
  /// PFNs whose contents the dump carries (present or known-zero).
  virtual const PfnSet& present() const = 0;
  /// PFNs that were RAM in the dumped system (kdump's 1st bitmap); a superset
  /// of present(). Formats without that notion return present().
  virtual const PfnSet& ram() const { return present(); }
  /// Reads one page into `out` (exactly info().page_size bytes). Thread-safe:
  /// any number of threads may call it concurrently. Errors: corrupt (bad
  /// page data), not_built (codec compiled out), io/truncated.
  virtual Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const = 0;
  /// Reads states.size() consecutive pages from `first` into `out` (that many
  /// pages), one state per page. Formats that keep consecutive pages together
  /// in the file override it to fetch them with one read; the default reads
  /// page by page. Thread-safe. An error says nothing about which page
  /// failed: callers wanting that ask read_page page by page.
  virtual Status read_pages(Pfn first, std::span<std::byte> out, std::span<PageState> states) const;
};

}  // namespace dumpfmt
