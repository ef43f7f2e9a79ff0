// The write engine: output sink → format writer → page pipeline → commit,
// whole or a window of PFNs at a time (the parts of a split dump:
// write_parts.h). This is
// what a program linking libdumpfmt calls to convert, filter or split; the
// tools add only their command lines and messages on top.
//
// Contract shared by every function here: on failure nothing is left at a
// file path (the sink is dropped uncommitted, which removes its temporary
// file); a pipe or stdout cannot be taken back, so the error then says that
// the output written so far is incomplete.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/dump_writer.h"
#include "dumpfmt/output.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt {

/// One output: where, in which format, with which writer and pipeline
/// options. `pipeline.progress`, if set, is called with the pages written of
/// the whole job (all windows, all parts) as they are written.
struct WriteJob {
  std::string output;  // path or "-"
  std::string format = "kdump";
  bool flattened = false;
  WriteOptions write;
  PipelineOptions pipeline;
};

/// The first half of write_dump: the output sink and the format writer on it,
/// not yet begun. For callers that write several outputs and commit them
/// together; dropping the sink uncommitted removes the file. `wrap`, if set,
/// interposes on the sink before the writer is created on it (size limits,
/// accounting).
struct OpenOutput {
  std::unique_ptr<OutputSink> sink;
  std::unique_ptr<DumpWriter> writer;
};
using SinkWrapper = std::function<std::unique_ptr<OutputSink>(std::unique_ptr<OutputSink>)>;
Result<OpenOutput> open_output(const WriteJob& job, const SinkWrapper& wrap = {});

/// The header data to write: `info`, with a kdump header's empty utsname
/// fields filled from the kernel's memory (a warning through job.write.warn
/// when that is impossible).
DumpInfo header_info(const PageSource& src, const DumpInfo& info, const WriteJob& job);

/// Writes `pages` (⊆ src.present()) of `src` with `info` as the header data
/// and `ram` as the RAM the dump describes.
Result<PipelineStats> write_dump(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                                 const PfnSet& pages, const WriteJob& job);

/// The page sets of one window of PFNs: what was RAM, and what to write.
struct WindowSets {
  PfnSet ram, pages;
};
using WindowSource = std::function<Result<WindowSets>(Pfn first, Pfn last)>;

/// write_dump() for page sets made a window at a time (filtering in cycles
/// under a small memory budget): the output is laid out for `page_count`
/// pages below `max_pfn`, then `next_window` is asked for the sets of each
/// window of `window_pfns` PFNs (a positive multiple of 8) in ascending
/// order, and its pages are written before the next window is made. Only
/// formats whose writer supports windows (kdump) can be written so.
Result<PipelineStats> write_dump_windowed(const PageSource& src, const DumpInfo& info, Pfn max_pfn,
                                          uint64_t page_count, uint64_t window_pfns,
                                          const WindowSource& next_window, const WriteJob& job);

}  // namespace dumpfmt
