// VMCOREINFO: the KEY=VALUE text the kernel leaves in every dump, parsed once
// into typed lookups (SYMBOL/SIZE/OFFSET/LENGTH/NUMBER and the plain keys).
// Line syntax and value bases: docs/formats.md §2 (kernel/vmcore_info.c).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dumpfmt {

/// KERNEL_VERSION(a, b, c) as the kernel encodes it, for comparisons.
constexpr uint32_t kernel_version_code(uint32_t major, uint32_t minor, uint32_t patch) {
  return (major << 16) | (minor << 8) | (patch > 255 ? 255 : patch);
}

/// Parsed VMCOREINFO. Parsing never fails: a line without '=' or with a value
/// that does not parse for its kind is kept in raw form (value()) and named in
/// warnings(), and the typed accessor reports it as absent. When a key occurs
/// twice the first occurrence wins (makedumpfile reads the first match).
/// Immutable after parse(); safe to share between threads.
class VmcoreInfo {
 public:
  VmcoreInfo() = default;
  static VmcoreInfo parse(std::string_view text);

  /// The text as found in the dump (byte for byte, without a trailing NUL).
  const std::string& text() const { return text_; }
  /// Every KEY=VALUE pair in order of appearance, duplicates included.
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  /// "line 12: NUMBER(x)=zz: not a number"-style notes about unusable lines.
  const std::vector<std::string>& warnings() const { return warnings_; }
  bool empty() const { return entries_.empty(); }

  /// Raw value of a full key: value("OSRELEASE"), value("SYMBOL(_stext)").
  std::optional<std::string_view> value(std::string_view key) const;

  /// SYMBOL(name): a kernel virtual address, hexadecimal in the text.
  std::optional<uint64_t> symbol(std::string_view name) const;
  /// SIZE(name): sizeof a type, decimal.
  std::optional<uint64_t> size(std::string_view name) const;
  /// OFFSET(type.member): offsetof, decimal. Example: offset("page.flags").
  std::optional<uint64_t> offset(std::string_view name) const;
  /// LENGTH(name): number of array elements, decimal.
  std::optional<uint64_t> length(std::string_view name) const;
  /// NUMBER(name): signed decimal, or hexadecimal with 0x (then the bits are
  /// kept: NUMBER(VMALLOC_START)=0xffffc90000000000 reads as a negative value).
  std::optional<int64_t> number(std::string_view name) const;

  std::optional<std::string_view> osrelease() const { return value("OSRELEASE"); }
  std::optional<std::string_view> build_id() const { return value("BUILD-ID"); }
  /// PAGESIZE, when it is a power of two between 512 bytes and 1 MiB.
  std::optional<uint32_t> page_size() const;
  /// KERNELOFFSET (KASLR displacement of the kernel image), hexadecimal.
  std::optional<uint64_t> kernel_offset() const;
  /// CRASHTIME, seconds since the epoch.
  std::optional<int64_t> crash_time() const;
  /// OSRELEASE "6.1.0-56-cloud-amd64" → kernel_version_code(6, 1, 0).
  std::optional<uint32_t> kernel_version() const;

 private:
  std::string text_;
  std::vector<std::pair<std::string, std::string>> entries_;
  std::vector<std::string> warnings_;
  // Indices into entries_ sorted by key, first occurrence of each key only
  // (indices rather than views so that copies stay valid).
  std::vector<size_t> index_;
};

/// The integer parsers behind the accessors, exposed for tools and tests.
/// parse_vmcoreinfo_hex accepts an optional 0x; parse_vmcoreinfo_number accepts
/// [-]decimal or 0xhex (makedumpfile retries base 16 when base 10 leaves junk).
std::optional<uint64_t> parse_vmcoreinfo_hex(std::string_view s);
std::optional<int64_t> parse_vmcoreinfo_number(std::string_view s);

}  // namespace dumpfmt
