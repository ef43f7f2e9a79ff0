// How dumpfilter runs under a memory budget: the budget shared out between
// the struct page reads, the page sets and the pipeline's batches; whether
// the dump is classified and written in cycles (windows of PFNs, as
// makedumpfile's cyclic mode); the classification over every window; and
// the second pass that classifies each window again as it is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt/result.h"
#include "dumpfmt/write_dump.h"
#include "dumpfmt_filters/page_filter.h"

namespace dumpfmt::filters {

/// A capture kernel's crashkernel share.
constexpr uint64_t kDefaultMemoryBudget = uint64_t{64} << 20;
/// The smallest budget the plan is made for.
constexpr uint64_t kMinMemoryBudget = uint64_t{4} << 20;

/// Bytes of struct page array read per step (FilterOptions::chunk_bytes): a
/// sixteenth of the budget, 64 KiB to 1 MiB.
size_t struct_page_chunk_bytes(uint64_t budget);

struct PlanOptions {
  uint64_t budget = kDefaultMemoryBudget;
  uint64_t cycle_pages = 0;      // PFNs per cycle asked for (rounded up to 64); 0: from the budget
  std::string format = "kdump";  // the output format
  bool dry_run = false;          // classify only, write nothing
  Pfn end = 0;                   // WindowFilter::end()
  uint32_t page_size = 4096;
};

struct FilterPlan {
  uint64_t budget = kDefaultMemoryBudget;
  /// Cycles are possible: the output can be written a window at a time
  /// (kdump), or nothing is written at all (a dry run).
  bool windowed = false;
  /// In cycles: windowed, and the dump is larger than one cycle.
  bool cycles = false;
  /// PFNs per window; without cycles the whole dump (at least 1) is one window.
  uint64_t cycle_pfns = 1;
  Pfn end = 0;
  /// The pipeline's pages per batch (PipelineOptions::batch_pages).
  size_t batch_pages = 16;
  uint64_t cycle_count() const { return (end + cycle_pfns - 1) / cycle_pfns; }
};

/// The plan for `o`. Cycles: the page sets cost up to a bit per PFN each,
/// and four are alive at once (kept, RAM, the classifier's and the writer's
/// copies), so half the budget holds the sets of `budget` PFNs (rounded down
/// to PfnSet::kChunkPfns, at least one chunk); a bigger machine is classified
/// and written in cycles of that many PFNs, at the cost of classifying twice
/// (once to count the pages, once to write them). The pipeline's two batch
/// buffers (raw page + compressed page per slot) get a quarter of the budget.
FilterPlan plan_filter(const PlanOptions& o);

/// What the classification found, over the whole dump or summed over cycles.
struct Findings {
  ClassifyStats stats;  // with the self-check's warnings
  std::vector<std::string> notes;
  uint64_t beyond_mem_map = 0;
  std::optional<Pfn> mem_map_end;
  bool classified = false;
  uint64_t zero_pages_removed = 0;
  uint64_t kept = 0;
  Pfn top = 0;             // one past the highest PFN kept or RAM
  uint64_t set_bytes = 0;  // the page sets' memory (the largest cycle's)
  /// Without cycles: the one window's result, kept for writing.
  std::optional<FilterResult> whole;

  void add(const FilterResult& fr);
};

/// Classifies every window of `plan` in order (at least one, so that an
/// empty dump still gets its empty result) and runs the self-check over the
/// sum. The filter must be at its start.
Result<Findings> classify_all(WindowFilter& filter, const FilterPlan& plan);

/// The second pass over the windows: restarts `filter`, then classifies each
/// window again when write_dump_windowed() asks for its sets.
WindowSource second_pass(WindowFilter& filter);

/// The header data of the filtered dump: `info` at `dump_level`, its
/// max_pfn lowered to the end of the struct page array.
DumpInfo filtered_info(const DumpInfo& info, uint32_t dump_level, const Findings& found);

/// Writes what classify_all() kept: the whole result, or with cycles each
/// window classified again (second_pass()) as it is written.
Result<PipelineStats> write_filtered(const PageSource& src, WindowFilter& filter,
                                     const FilterPlan& plan, const Findings& found,
                                     const DumpInfo& info, const WriteJob& job);

}  // namespace dumpfmt::filters
