// The page pipeline every tool uses: source → (transform) → compress → sink.
// Pages are read and compressed by worker threads and written in order.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "dumpfmt/codec.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/dump_writer.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

/// CPUs this process may run on (its affinity mask), at least 1.
unsigned available_cpus();

struct PipelineOptions {
  unsigned threads = 0;      // compression threads; 0: available_cpus()
  size_t batch_pages = 256;  // pages per batch; two are in flight (~2.3 MiB at 4 KiB)
  int level = 0;             // codec level
  /// Count per-page read failures, write them as zero pages and go on
  /// (the result reports them) instead of stopping at the first.
  bool keep_going = false;
  /// Rewrites a page's contents before compression (dumpscrub). Thread-safe.
  std::function<Status(Pfn, std::span<std::byte>)> transform;
  /// Called from the writing thread after each batch.
  std::function<void(uint64_t pages_done, uint64_t pages_total)> progress;
  /// Call w.finish() at the end; off for all but the last of several runs
  /// into one writer (windowed writing).
  bool finish_writer = true;
};

struct PipelineStats {
  uint64_t pages = 0;  // pages handed to the writer
  uint64_t zero_pages = 0;
  uint64_t raw_pages = 0;     // stored uncompressed (incompressible or codec none)
  uint64_t bytes_out = 0;     // payload bytes handed to the writer
  uint64_t failed_pages = 0;  // read failures tolerated by keep_going
  std::string first_failure;  // message of the first tolerated failure

  /// Adds another run's counts (windows, parts); the first failure stays.
  void add(const PipelineStats& o) {
    pages += o.pages;
    zero_pages += o.zero_pages;
    raw_pages += o.raw_pages;
    bytes_out += o.bytes_out;
    failed_pages += o.failed_pages;
    if (first_failure.empty()) first_failure = o.first_failure;
  }
};

/// Writes every PFN of `pages` from `src` to `w` (already begun), then calls
/// w.finish() (unless told not to). The caller commits the sink.
Result<PipelineStats> run_pipeline(const PageSource& src, const PfnSet& pages, DumpWriter& w,
                                   const PipelineOptions& opts);

}  // namespace dumpfmt
