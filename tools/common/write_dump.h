// The write path every tool shares: output sink → format writer → pipeline →
// commit, with progress and the "incomplete output" rules.
#pragma once

#include <string>

#include "dumpfmt/dump.h"
#include "dumpfmt/dump_writer.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt::cli {

struct WriteJob {
  std::string tool;            // for messages
  std::string output;          // path or "-"
  std::string format = "kdump";
  bool flattened = false;
  WriteOptions write;
  PipelineOptions pipeline;    // progress is filled in by write_dump
  bool quiet = false;
};

/// Writes `pages` (⊆ src.present()) of `src` with `info` as the header data.
/// On failure nothing is left at a file path; a pipe gets an error message
/// saying its output is incomplete.
Result<PipelineStats> write_dump(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                                 const PfnSet& pages, const WriteJob& job);

}  // namespace dumpfmt::cli
