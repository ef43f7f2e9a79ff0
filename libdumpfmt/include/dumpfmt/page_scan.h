// scan_pages: the one parallel read of every page of a set, for the passes
// that read pages without writing a dump (zero-page removal, --verify,
// --mem-usage); and parallel_for, the one "N tasks on K threads" helper.
// No std::thread lives outside libdumpfmt/pipeline/: passes that need
// parallel page reads or tasks go through these two.
//
// The scan cuts the set, with a PfnSet::Cursor (no list of its runs: a
// fragmented terabyte has tens of millions), into units: pieces of at most
// `unit_pages` consecutive members of one run, numbered in PFN order. Worker
// threads take units in order and read each in batches of `read_pages`
// pages with one PageSource::read_pages call; when that call fails the batch
// is read again page by page, so every failure is attributed to its page
// and one bad page does not hide its neighbours (the pipeline's rule).
//
// Contract:
//  - visit(batch) runs on the worker threads, concurrently for different
//    units: it must be thread-safe across units. The batches of one unit
//    come from one worker, in PFN order, and cover the unit exactly once.
//  - merge(unit) runs on the calling thread, in unit order (= PFN order),
//    after every batch of the unit was visited. Per-unit results therefore
//    merge in PFN order whatever the scheduling, and a 1-thread scan gives
//    what an N-thread scan gives.
//  - Per-unit state: unit.slot (< scan_slots(opts)) is reused only after
//    merge() of the unit that had it returned, so a caller keeps its
//    per-unit results in a vector of scan_slots(opts) entries, indexed by
//    slot, without memory growing with the set.
//  - The set is read by the calling thread only, and only between merges:
//    merge() may erase members of the set up to the end of its unit (what
//    is behind the cursor), never beyond.
//  - progress(done, total) runs on the calling thread after each merge:
//    done = members in merged units, total = members at the start. The last
//    call of a complete scan is (total, total); an empty set gets none.
//  - Errors: a read error is handed to visit (as a one-page batch with
//    `error` set) when keep_going; otherwise it ends the scan, with the
//    page's PFN as context. An error returned by visit or merge ends the
//    scan too. The error returned is the first in PFN order (as a 1-thread
//    scan would find it): units before the failing one still finish and
//    merge; later ones are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "dumpfmt/dump.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

struct ScanOptions {
  unsigned threads = 0;          // worker threads; 0: available_cpus()
  uint64_t unit_pages = 4096;    // members per unit at most (the merge granularity)
  size_t read_pages = 32;        // pages per read_pages call
  size_t units_per_thread = 16;  // units cut ahead of the merge, per thread
  /// Hand read failures to the visitor and go on, instead of stopping.
  bool keep_going = false;
  std::function<void(uint64_t done, uint64_t total)> progress;
};

/// A piece of one run of the scanned set.
struct ScanUnit {
  size_t index = 0;  // 0, 1, 2 ... in PFN order
  size_t slot = 0;   // index % scan_slots(opts): where the caller keeps its state
  Pfn first = 0, end = 0;
};

/// Consecutive pages of one unit, as read: data holds states.size() pages.
/// A failed page comes alone, with `error` set and data/states unspecified.
struct ScanBatch {
  unsigned worker = 0;  // < the thread count: for per-thread scratch
  const ScanUnit* unit = nullptr;
  Pfn first = 0;
  size_t count = 0;  // pages in the batch
  std::span<const std::byte> data;
  std::span<const PageState> states;
  const Error* error = nullptr;  // keep_going only: the read error of page `first`
};

/// Units in flight at most: the size of a caller's per-slot state.
size_t scan_slots(const ScanOptions& opts);

/// Reads every member of `pages` from `src` (see the contract above).
Status scan_pages(const PageSource& src, const PfnSet& pages, const ScanOptions& opts,
                  const std::function<Status(const ScanBatch&)>& visit,
                  const std::function<Status(const ScanUnit&)>& merge = {});

/// Runs fn(worker, i) for every i in [0, count) on min(threads, count)
/// threads (0: available_cpus()), the calling thread included; indices are
/// handed out in ascending order, each once; worker < that thread count.
/// fn must be thread-safe. Returns when all are done.
void parallel_for(size_t count, unsigned threads,
                  const std::function<void(unsigned worker, size_t i)>& fn);

}  // namespace dumpfmt
