// Which kernel a dump is from when VMCOREINFO does not say (sadump and s390
// dumps carry none, a damaged note loses it): a scan of physical memory for
// the kernel's struct new_utsname and its "Linux version " banner, as
// libkdumpfile's kdumpid does; and the utsname read at init_uts_ns when
// VMCOREINFO is there.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

constexpr size_t kUtsFieldLen = 65;                   // __NEW_UTS_LEN + 1
constexpr size_t kNewUtsnameSize = 6 * kUtsFieldLen;  // struct new_utsname

/// `b` (at least kNewUtsnameSize bytes) as a struct new_utsname, if it looks
/// like the kernel's: sysname "Linux", every field NUL-terminated within its
/// 65 bytes (domainname may fill it), printable text, release starting with a
/// digit and containing a dot, version and machine not empty.
std::optional<Utsname> parse_new_utsname(std::span<const std::byte> b);

/// The release in a banner "Linux version 6.1.0-56-cloud-amd64 (...) ... #1 SMP ...":
/// the word after "Linux version ", when it looks like a release and the line
/// carries the " #" of the kernel version string.
std::optional<std::string> banner_release(std::string_view line);
/// The kernel version string of a banner: from its " #" to the end of the line.
std::optional<std::string> banner_version(std::string_view line);

struct ReleaseScanOptions {
  /// Bytes of present memory examined at most, in ascending physical
  /// order (0: all). The kernel image normally lies in the first few hundred
  /// MiB; KASLR can move it higher.
  uint64_t max_bytes = uint64_t{1} << 30;
  /// Called now and then with bytes examined so far and the limit.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct ReleaseScanResult {
  std::optional<Utsname> uts;  // the first plausible struct new_utsname
  uint64_t uts_paddr = 0;
  std::optional<std::string> banner;  // the first plausible banner line, without its newline
  uint64_t banner_paddr = 0;
  uint64_t bytes_scanned = 0;
  bool complete = false;  // every present page was examined
  /// The utsname's release, else the banner's.
  std::optional<std::string> release() const;
};

/// Looks at one buffer of memory that starts at physical address `paddr`;
/// occurrences must start in the first `scan_len` bytes (the rest is
/// lookahead). Fills what `r` does not have yet.
void scan_memory_for_release(std::span<const std::byte> buf, size_t scan_len, uint64_t paddr,
                             ReleaseScanResult& r);

/// Scans the dump's present pages in ascending order until both a utsname
/// and a banner are found or the limit is reached. Unreadable pages are
/// skipped. Never fails for lack of a result: check release().
Result<ReleaseScanResult> scan_kernel_release(const PageSource& src,
                                              const ReleaseScanOptions& opts = {});

/// The running kernel's utsname at SYMBOL(init_uts_ns) + OFFSET(uts_namespace.name)
/// (without the offset: the first "Linux" in the first bytes of the
/// namespace, as libkdumpfile does), or SYMBOL(system_utsname) of 2.6.18 and
/// older. Errors: unsupported without those symbols, corrupt when the bytes
/// there are not a utsname, and whatever reading reports.
Result<Utsname> read_kernel_utsname(const KernelMemory& km);

/// Fills the empty fields of `uts` from the kernel's utsname in `src`'s memory
/// (read_kernel_utsname), as makedumpfile fills its kdump header: readers such
/// as libkdumpfile ignore a header utsname with an empty field, and then
/// cannot tell the architecture. A no-op when no field is empty. Errors as
/// KernelMemory::create and read_kernel_utsname.
Status complete_utsname(const PageSource& src, Utsname& uts);

}  // namespace dumpfmt
