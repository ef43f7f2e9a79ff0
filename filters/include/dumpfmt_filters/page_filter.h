// The page-class filter behind dumpfilter: which pages of a dump a
// makedumpfile dump_level keeps, decided from VMCOREINFO and struct page, and
// the zero-page scan that formats without a shared zero page need up front.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"

namespace dumpfmt::filters {

struct FilterOptions {
  /// makedumpfile -d bits (0..31).
  uint32_t dump_level = 0;
  /// Remove all-zero pages from the kept set (needed when dump_level has bit 1
  /// and the output format has no shared zero page, e.g. ELF). Costs a read of
  /// every kept page.
  bool scan_zero_pages = false;
  /// Threads for the zero-page scan (0: all CPUs).
  unsigned threads = 0;
  /// Bytes of struct page array read per step (see ClassifyOptions).
  size_t chunk_bytes = size_t{4} << 20;
  /// Progress of the classification / zero scan ("what", done, total).
  std::function<void(const char* what, uint64_t done, uint64_t total)> progress;
};

struct FilterResult {
  PfnSet kept;  // pages to write: src.present() minus excluded pages
  PfnSet ram;   // src.ram(), cut like `kept` at the end of the struct page array
  /// PFNs at or above the end of the struct page array, dropped from both sets
  /// (device memory such as a framebuffer, RAM hidden by mem=): makedumpfile
  /// lowers max_mapnr to that end whenever it finds the array, at every level.
  uint64_t beyond_mem_map = 0;
  std::optional<Pfn> mem_map_end;
  bool classified = false;          // struct pages were examined (dump_level needs more than bit 1)
  ClassifyStats stats;              // per-class counts of excluded pages, self-check warnings
  uint64_t zero_pages_removed = 0;  // by the zero scan
  std::vector<std::string> notes;   // why the kernel model was not used at levels 0 and 1
};

/// Applies `opts.dump_level` to `src`. Bits above 1 need VMCOREINFO; without
/// it (or when VMCOREINFO lacks what a class needs) the error is
/// Errc::unsupported and says that only -d 1 is possible. At levels 0 and 1
/// the kernel model is used only to find the end of the struct page array,
/// and its absence is no error (`notes` says why). Unreadable pages in
/// the zero scan are kept (and later reported by the pipeline).
Result<FilterResult> filter_pages(const PageSource& src, const FilterOptions& opts);

/// Removes all-zero pages from `pages`, reading each one (in parallel);
/// returns how many were removed.
Result<uint64_t> remove_zero_pages(const PageSource& src, PfnSet& pages, unsigned threads,
                                   const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace dumpfmt::filters
