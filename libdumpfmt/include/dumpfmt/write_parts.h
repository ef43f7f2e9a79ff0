// The write engine for the parts of a split dump (makedumpfile --split
// layout): one output per PFN range, all laid out for the whole dump,
// written at the same time and committed together or not at all. The
// failure contract is write_dump.h's.
#pragma once

#include <string>
#include <vector>

#include "dumpfmt/write_dump.h"

namespace dumpfmt {

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
  /// Format, codec and pipeline options for every part; `output` and
  /// `write.split_range` are set per part. The format must write split parts.
  WriteJob base;
  std::vector<PartOutput> parts;  // ranges in ascending order, each starting where the last ended
  PartParallelism parallelism = PartParallelism::parts;
  /// No part may grow past this many bytes (0: no limit). A write beyond it
  /// fails naming the part, and no part is kept.
  uint64_t max_bytes = 0;
};

struct PartStats {
  PipelineStats pipeline;            // summed over the parts
  std::vector<uint64_t> part_bytes;  // final size of each part
};

/// Writes the parts of `pages` (⊆ src.present()) at the same time; each
/// part's writer is begun with the whole `ram`/`pages` (the kdump --split
/// layout) and receives the pages of its range. The parts are committed only
/// when every one succeeded.
Result<PartStats> write_parts(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                              const PfnSet& pages, const PartsJob& job);

}  // namespace dumpfmt
