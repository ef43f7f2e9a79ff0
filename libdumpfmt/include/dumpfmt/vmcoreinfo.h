// VMCOREINFO's text, independent of the dump format that carries it (an ELF
// note, the kdump header's block, an s390 area): KEY=VALUE lines parsed once,
// with typed getters by key family. Line syntax and value bases:
// docs/formats.md §2.1 (kernel/vmcore_info.c, makedumpfile read_vmcoreinfo_*).
// The kernel model's VmcoreInfo (dumpfmt/kernel/vmcoreinfo.h) builds on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dumpfmt {

/// How an integer value is read. Every syntax takes the whole value (no
/// leading or trailing characters) and fails on overflow.
enum class IntSyntax : uint8_t {
  /// makedumpfile's: [-]decimal, 0x hex (its bits kept, so 0xffff... reads
  /// as negative), else [-]hex when decimal leaves characters over.
  makedumpfile,
  /// [+-]decimal.
  decimal,
  /// A C literal, as strtoll base 0: [+-] then 0x hex (bits kept), 0 octal,
  /// or decimal.
  c_literal,
};

/// The value parsers behind the getters. hex: [0x] and at most 16 digits;
/// count (SIZE, OFFSET, LENGTH): decimal or 0x hex.
std::optional<uint64_t> parse_vmcoreinfo_hex(std::string_view s);
std::optional<uint64_t> parse_vmcoreinfo_count(std::string_view s);
std::optional<int64_t> parse_vmcoreinfo_integer(std::string_view s, IntSyntax syntax);
/// parse_vmcoreinfo_integer(s, IntSyntax::makedumpfile).
std::optional<int64_t> parse_vmcoreinfo_number(std::string_view s);

/// Parsed VMCOREINFO text. Parsing never fails: lines end in \n (a \r before
/// it is dropped, empty lines skipped); a line without '=' or with nothing
/// before it is named in warnings() and left out; a SYMBOL/SIZE/OFFSET/
/// LENGTH/NUMBER value that does not parse is kept in raw form (value()),
/// named in warnings(), and absent to its typed getter. When a key occurs
/// twice the first occurrence wins (makedumpfile reads the first match).
/// Immutable after parse(); safe to share between threads.
class VmcoreinfoText {
 public:
  VmcoreinfoText() = default;
  static VmcoreinfoText parse(std::string_view text);

  /// The text as found in the dump (byte for byte, without a trailing NUL).
  const std::string& text() const { return text_; }
  /// Every KEY=VALUE pair in order of appearance, duplicates included.
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  /// "line 12: no KEY=VALUE: '...'", "NUMBER(x)=zz: value does not parse; ignored".
  const std::vector<std::string>& warnings() const { return warnings_; }
  bool empty() const { return entries_.empty(); }

  /// Raw value of a full key: value("OSRELEASE"), value("SYMBOL(_stext)").
  std::optional<std::string_view> value(std::string_view key) const;
  /// The value of a full key read as an integer in `syntax`.
  std::optional<int64_t> integer(std::string_view key, IntSyntax syntax) const;

  /// SYMBOL(name): a kernel virtual address, hexadecimal in the text.
  std::optional<uint64_t> symbol(std::string_view name) const;
  /// SIZE(name): sizeof a type, decimal.
  std::optional<uint64_t> size(std::string_view name) const;
  /// OFFSET(type.member): offsetof, decimal. Example: offset("page.flags").
  std::optional<uint64_t> offset(std::string_view name) const;
  /// LENGTH(name): number of array elements, decimal.
  std::optional<uint64_t> length(std::string_view name) const;
  /// NUMBER(name) in IntSyntax::makedumpfile: NUMBER(KERNEL_IMAGE_SIZE),
  /// NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129, NUMBER(VMALLOC_START)=0xffff...
  std::optional<int64_t> number(std::string_view name) const;

  std::optional<std::string_view> osrelease() const { return value("OSRELEASE"); }
  std::optional<std::string_view> build_id() const { return value("BUILD-ID"); }
  /// PAGESIZE (a count), when it is a power of two between 512 bytes and 1 MiB.
  std::optional<uint32_t> page_size() const;
  /// KERNELOFFSET (KASLR displacement of the kernel image), hexadecimal.
  std::optional<uint64_t> kernel_offset() const;
  /// CRASHTIME, seconds since the epoch: unsigned decimal.
  std::optional<int64_t> crash_time() const;

 private:
  std::string text_;
  std::vector<std::pair<std::string, std::string>> entries_;
  std::vector<std::string> warnings_;
  // Indices into entries_ sorted by key, first occurrence of each key only
  // (indices rather than views so that copies stay valid).
  std::vector<size_t> index_;
};

}  // namespace dumpfmt
