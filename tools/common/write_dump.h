// The write path every tool shares: output sink → format writer → pipeline →
// commit, with progress and the "incomplete output" rules.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dumpfmt/dump.h"
#include "dumpfmt/dump_writer.h"
#include "dumpfmt/output.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt::cli {

struct WriteJob {
  std::string tool;    // for messages
  std::string output;  // path or "-"
  std::string format = "kdump";
  bool flattened = false;
  WriteOptions write;
  PipelineOptions pipeline;  // progress is filled in by write_dump
  bool quiet = false;
};

/// The first half of write_dump: the output sink and the format writer on it,
/// not yet begun. For callers that write several outputs and commit them
/// together (dumpsplit); dropping the sink uncommitted removes the file.
/// `wrap`, if set, interposes on the sink before the writer is created on it
/// (size limits, accounting).
struct OpenOutput {
  std::unique_ptr<OutputSink> sink;
  std::unique_ptr<DumpWriter> writer;
};
using SinkWrapper = std::function<std::unique_ptr<OutputSink>(std::unique_ptr<OutputSink>)>;
Result<OpenOutput> open_output(const WriteJob& job, const SinkWrapper& wrap = {});

/// The header data to write: `info`, with a kdump header's empty utsname
/// fields filled from the kernel's memory (a warning through the job's warn
/// callback when that is impossible).
DumpInfo header_info(const PageSource& src, const DumpInfo& info, const WriteJob& job);

/// Writes `pages` (⊆ src.present()) of `src` with `info` as the header data.
/// On failure nothing is left at a file path; a pipe gets an error message
/// saying its output is incomplete.
Result<PipelineStats> write_dump(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                                 const PfnSet& pages, const WriteJob& job);

/// The page sets of one window of PFNs: what was RAM, and what to write.
struct WindowSets {
  PfnSet ram, pages;
};
using WindowSource = std::function<Result<WindowSets>(Pfn first, Pfn last)>;

/// write_dump() for page sets made a window at a time (dumpfilter's cycles
/// under a small memory budget): the output is laid out for `page_count`
/// pages below `max_pfn`, then `next_window` is asked for the sets of each
/// window of `window_pfns` PFNs (a multiple of 8) in ascending order, and
/// its pages are written before the next window is made. Only formats whose
/// writer supports windows (kdump) can be written so.
Result<PipelineStats> write_dump_windowed(const PageSource& src, const DumpInfo& info, Pfn max_pfn,
                                          uint64_t page_count, uint64_t window_pfns,
                                          const WindowSource& next_window, const WriteJob& job);

}  // namespace dumpfmt::cli
