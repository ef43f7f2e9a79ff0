// The page-class filter behind dumpfilter: which pages of a dump a
// makedumpfile dump_level keeps, decided from VMCOREINFO and struct page, and
// the zero-page scan that formats without a shared zero page need up front.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/kernel_memory.h"
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

/// filter_pages() one window of PFNs at a time, for machines whose page sets
/// would not fit in memory whole (dumpfilter's cycles under a small
/// --memory-budget). Windows must tile [0, end()) in ascending order; a free
/// block or compound page whose head lies in one window is excluded whole,
/// also where it reaches into the next, so the windows' kept sets add up to
/// exactly what filter_pages() keeps.
class WindowFilter {
 public:
  /// Sets up the kernel model; the errors of filter_pages().
  static Result<std::unique_ptr<WindowFilter>> create(const PageSource& src,
                                                      const FilterOptions& opts);
  /// One past the last PFN the windows must cover.
  Pfn end() const { return end_; }
  /// The result for PFNs [first, last): kept and ram hold only that window;
  /// stats carry no self-check warnings (see self_check()). `first` must be
  /// where the previous window ended (0 at first).
  Result<FilterResult> window(Pfn first, Pfn last);
  /// The self-check over the sum of the windows' statistics.
  std::vector<std::string> self_check(const ClassifyStats& total) const;
  /// Starts again at PFN 0 (a second pass over the windows).
  void restart() {
    next_ = 0;
    carry_end_ = 0;
    examined_before_ = 0;
  }

 private:
  WindowFilter(const PageSource& src, const FilterOptions& opts) : src_(src), opts_(opts) {}
  const PageSource& src_;
  FilterOptions opts_;
  std::unique_ptr<KernelMemory> km_;
  std::optional<PageClassifier> pc_;
  bool classify_ = false;  // examine struct pages
  std::vector<std::string> notes_;
  std::optional<Pfn> mem_map_end_;
  Pfn end_ = 0;
  Pfn next_ = 0;                              // where the next window must start
  uint64_t examined_before_ = 0, total_ = 0;  // for progress
  // An excluded block of an earlier window that reaches into later ones.
  Pfn carry_end_ = 0;
  PageClass carry_class_ = PageClass::kernel;
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
