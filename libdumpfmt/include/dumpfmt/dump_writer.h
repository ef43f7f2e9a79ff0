// DumpWriter: the one writer interface of every output format. Two phases:
// begin() is told the whole page set (so bitmaps, descriptor tables and
// program headers can be laid out first), then pages arrive in PFN order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "dumpfmt/codec.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/output.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

/// A page as the pipeline hands it to a writer.
struct EncodedPage {
  Pfn pfn = 0;
  bool zero = false;              // all-zero page: `data` is empty
  CodecId codec = CodecId::none;  // none: `data` is the raw page
  std::span<const std::byte> data;
};

struct WriteOptions {
  CodecId codec = CodecId::zlib;  // page codec for formats that compress pages
  int level = 0;                  // codec level, 0 = kdump default
  uint32_t dump_level = 0;        // recorded in the output (kdump sub-header)
  bool elf32 = false;             // ELF: write ELFCLASS32 (when every address fits)
  /// kdump split part: this file holds pages in [first, second).
  std::optional<std::pair<Pfn, Pfn>> split_range;
  std::function<void(const std::string&)> warn;  // non-fatal notes ("sadump has no VMCOREINFO")
};

class DumpWriter {
 public:
  virtual ~DumpWriter() = default;
  /// The codec write_page() expects pages in (CodecId::none: raw pages).
  /// A page whose compressed form is not smaller arrives raw regardless.
  virtual CodecId wanted_codec() const = 0;
  /// Lays out the output. `ram` are the PFNs that were RAM, `pages` those
  /// whose contents will be written (pages ⊆ ram).
  virtual Status begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) = 0;
  /// Receives each PFN of `pages` exactly once, in ascending order.
  virtual Status write_page(const EncodedPage& page) = 0;
  /// Writes trailers and tables; the caller then commits the sink.
  virtual Status finish() = 0;

  /// Windowed writing, for page sets too large to hold whole (dumpfilter's
  /// cycles), instead of begin(): begin_windows() with one past the highest
  /// PFN and the number of pages that will be written; then, for windows
  /// that tile [0, max_pfn) in ascending order, begin_window() with the sets
  /// of that window followed by its pages; then finish(). Formats whose
  /// tables depend on the whole set (ELF program headers) do not offer it.
  virtual bool supports_windows() const { return false; }
  virtual Status begin_windows(const DumpInfo& info, Pfn max_pfn, uint64_t page_count);
  /// `first` must be where the previous window ended and a multiple of 8,
  /// and so must `last` unless it reaches max_pfn.
  virtual Status begin_window(Pfn first, Pfn last, const PfnSet& ram, const PfnSet& pages);
};

}  // namespace dumpfmt
