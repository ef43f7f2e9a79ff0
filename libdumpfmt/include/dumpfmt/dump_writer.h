// DumpWriter: the one writer interface of every output format. Two phases:
// begin() is told the whole page set (so bitmaps, descriptor tables and
// program headers can be laid out first), then pages arrive in PFN order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <optional>
#include <span>
#include <utility>

#include "dumpfmt/codec.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/output.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

/// A page as the pipeline hands it to a writer.
struct EncodedPage {
  Pfn pfn = 0;
  bool zero = false;      // all-zero page: `data` is empty
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
};

}  // namespace dumpfmt
