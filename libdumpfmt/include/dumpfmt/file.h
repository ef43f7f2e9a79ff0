// Positioned-read input files. Every format reads through File, so the same
// parser runs over a real file, an mmap, memory (tests, fuzzers) or a
// flattened stream remapped on the fly.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dumpfmt/result.h"

namespace dumpfmt {

class File {
 public:
  virtual ~File() = default;
  /// The name used in error messages ("-" is shown as "<stdin>").
  virtual const std::string& name() const = 0;
  virtual uint64_t size() const = 0;
  /// Bytes the file really holds: size() for an ordinary file, less for one
  /// whose gaps read as zeros (a rearranged flattened stream). Allocations
  /// driven by header fields are bounded by this, not by size().
  virtual uint64_t stored_bytes() const { return size(); }
  /// Fills `out` from offset `off`. Reading past the end is Errc::truncated
  /// with the file name and offset in the message. Thread-safe.
  virtual Status read_at(uint64_t off, std::span<std::byte> out) const = 0;
  /// A zero-copy view of [off, off+n) when the file is memory-backed; an
  /// empty span otherwise (callers then use read_at). Thread-safe.
  virtual std::span<const std::byte> view(uint64_t off, size_t n) const {
    (void)off;
    (void)n;
    return {};
  }
};

enum class IoMode : uint8_t {
  automatic,  // mmap /proc/vmcore, pread everything else
  mmap,
  pread,
};

/// Opens `path` for reading; "-" is standard input. A non-seekable input
/// (pipe, socket) is spooled to an unlinked temporary file in $TMPDIR first,
/// since every dump format needs random access.
Result<std::unique_ptr<File>> open_input(const std::string& path, IoMode mode = IoMode::automatic);

/// A File over bytes owned by the returned object (tests, fuzzers).
std::unique_ptr<File> memory_file(std::string name, std::vector<std::byte> data);
/// A File over borrowed bytes that must outlive it (fuzzers: exact-size buffer).
std::unique_ptr<File> borrowed_memory_file(std::string name, std::span<const std::byte> data);

/// Reads n bytes at off into a new vector (headers, tables). Refuses sizes
/// beyond the file, or beyond what it stores, so a hostile count can't cause a
/// huge allocation.
Result<std::vector<std::byte>> read_vector(const File& f, uint64_t off, uint64_t n);

/// Error helper: "<file>: offset 0x..: <msg>".
Error file_error(Errc c, const File& f, uint64_t off, const std::string& msg);

}  // namespace dumpfmt
