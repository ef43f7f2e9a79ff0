// Writing the parts of a split dump at the same time: one output per PFN
// range, all laid out for the whole dump, committed together or not at all.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/write_dump.h"

namespace dumpfmt::cli {

struct PartOutput {
  std::string path;
  Pfn start = 0;  // the part holds the pages in [start, end)
  Pfn end = 0;
};

/// How the parts share the CPUs.
enum class PartParallelism {
  parts,  // one pipeline per part, all running at once, threads divided among them
  pages,  // one pipeline over the whole dump on every thread; each page goes to its part
};

struct PartsJob {
  /// Format, codec, pipeline options and quiet for every part; `output` and
  /// `write.split_range` are set per part. The format must write split parts.
  WriteJob base;
  std::vector<PartOutput> parts;  // ranges in ascending order
  PartParallelism parallelism = PartParallelism::parts;
  /// No part may grow past this many bytes (0: no limit). A write beyond it
  /// fails naming the part, and no part is kept.
  uint64_t max_bytes = 0;
};

struct PartStats {
  PipelineStats pipeline;            // summed over the parts
  std::vector<uint64_t> part_bytes;  // final size of each part
};

/// Writes the parts of `pages` (⊆ src.present()); each part's writer is begun
/// with the whole `ram`/`pages` (the kdump --split layout) and receives the
/// pages of its range. Parts are committed only when every one succeeded.
Result<PartStats> write_parts(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                              const PfnSet& pages, const PartsJob& job);

}  // namespace dumpfmt::cli
