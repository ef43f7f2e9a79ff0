// The one interface for reading the dumped kernel's memory. KernelMemory
// implements it over a dump; tests and fuzz targets implement it over fake
// memory. Everything that reads kernel structures (kallsyms, BTF, printk,
// the page classifier, the scrub walkers) takes a KernelReader, so a new
// architecture (a translator behind KernelMemory) or a fake plugs in once.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dumpfmt/bytes.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

/// Byte-addressed physical memory (what page-table walkers read from).
class PhysicalMemory {
 public:
  virtual ~PhysicalMemory() = default;
  virtual Endian endian() const = 0;
  /// Fills `out` from physical address `paddr` (may cross pages). Errors:
  /// no_data when a page is not in the dump (a hole, or excluded by a filter),
  /// plus whatever the dump reader reports (corrupt, io, ...). Thread-safe.
  virtual Status read_phys(uint64_t paddr, std::span<std::byte> out) const = 0;
};

/// Physical and kernel-virtual memory of the dumped kernel, with the facts
/// about it that reading structures needs. Implementations are thread-safe.
class KernelReader : public PhysicalMemory {
 public:
  virtual uint32_t page_size() const = 0;
  /// Width of a kernel `unsigned long` in bytes (4 or 8).
  virtual uint32_t word_size() const = 0;
  /// Fills `out` from kernel virtual address `vaddr` (may cross pages).
  /// Errors as read_phys(), plus no_data for unmapped addresses.
  virtual Status read_virt(uint64_t vaddr, std::span<std::byte> out) const = 0;
  /// The physical address of a kernel virtual address. Errors: no_data for
  /// an unmapped address; unsupported where the memory has no physical view.
  virtual Result<uint64_t> vtop(uint64_t vaddr) const = 0;

  /// Integers at a kernel virtual address, in endian() byte order.
  Result<uint8_t> read_u8(uint64_t vaddr) const;
  Result<uint16_t> read_u16(uint64_t vaddr) const;
  Result<uint32_t> read_u32(uint64_t vaddr) const;
  Result<uint64_t> read_u64(uint64_t vaddr) const;
  /// An `unsigned long` or pointer (word_size() bytes).
  Result<uint64_t> read_ulong(uint64_t vaddr) const;
  /// A NUL-terminated string of at most max_len bytes (no NUL found: the
  /// first max_len bytes). Reads page by page, so a string that ends just
  /// before an unmapped page still reads.
  Result<std::string> read_cstring(uint64_t vaddr, size_t max_len) const;
};

}  // namespace dumpfmt
