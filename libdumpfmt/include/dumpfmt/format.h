// The format registry: each dump format is one entry (probe, open, writer),
// probed in a fixed order. Flattened streams and split sets are decorators
// handled here, so format code never sees them.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/dump_writer.h"
#include "dumpfmt/file.h"
#include "dumpfmt/output.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

struct OpenOptions {
  IoMode io = IoMode::automatic;
  /// ELF: bytes of a PT_LOAD past p_filesz read as zero pages (QEMU's and the
  /// ELF spec's meaning) rather than excluded ones.
  bool elf_tail_is_zero = true;
  std::function<void(const std::string&)> warn;
  /// A dump compressed whole (gzip, zstd, lz4) may decompress to at most this
  /// many bytes (0: no limit); fuzzers and other untrusted-input users set it.
  uint64_t max_decompressed = 0;
};

struct Format {
  std::string_view name;         // "elf", "kdump", "s390", "sadump"
  std::string_view description;
  /// Looks at the head of `f`: true = this format, false = not this format,
  /// Error = this format but damaged (stops probing; the message names the offset).
  Result<bool> (*probe)(const File& f);
  /// Opens one dump from its files (several files = a split set / disk set).
  Result<std::unique_ptr<PageSource>> (*open)(std::vector<std::unique_ptr<File>> files,
                                              const OpenOptions& opts);
  /// Creates a writer on `out`; null when the format cannot be written.
  Result<std::unique_ptr<DumpWriter>> (*create_writer)(OutputSink& out, const WriteOptions& opts);
  /// The writer only ever appends, so its output can go straight into a pipe
  /// (others need a file, or the flattened form).
  bool writes_sequentially = false;
};

/// All formats, in probe order.
std::span<const Format> formats();
const Format* find_format(std::string_view name);

/// Opens a dump given as one file or a split set. "-" is stdin. Flattened
/// inputs are recognised by content and remapped transparently.
Result<std::unique_ptr<PageSource>> open_dump(const std::vector<std::string>& paths,
                                              const OpenOptions& opts = {});
/// Same, over already-open files (tests and fuzzers use memory files).
Result<std::unique_ptr<PageSource>> open_dump_files(std::vector<std::unique_ptr<File>> files,
                                                    const OpenOptions& opts = {});

}  // namespace dumpfmt
