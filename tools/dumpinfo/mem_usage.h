// --mem-usage: pages per class (zero, cache, private cache, user, free,
// kernel) of any dump, as makedumpfile --mem-usage reports them for
// /proc/kcore, from the struct page array VMCOREINFO locates.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/page_classes.h"

namespace dumpfmt::dumpinfo {

struct MemUsage {
  uint32_t page_size = 4096;
  bool classified = false;  // struct pages were examined (else only zero pages are told apart)
  std::string not_classified_why;
  PageClassCounts classes;      // kernel = what no other class claims
  uint64_t not_in_dump = 0;     // RAM pages the dump does not carry and no class claims
  uint64_t beyond_mem_map = 0;  // RAM pages above the struct page array, left out
  uint64_t total = 0;           // sum over classes + not_in_dump
  std::vector<std::string> warnings;
};

/// Classifies every RAM page of `src` (struct pages come from memory, so a
/// filtered dump still gets counts for the pages it left out); zero pages are
/// found by reading the pages the dump carries. `km` may be null (no
/// VMCOREINFO): then only zero and other pages are counted.
Result<MemUsage> mem_usage(const PageSource& src, const KernelMemory* km, unsigned threads,
                           const std::function<void(const char*, uint64_t, uint64_t)>& progress);

/// makedumpfile's table (TYPE / PAGES / EXCLUDABLE / DESCRIPTION, page size,
/// totals), plus lines for classes makedumpfile folds elsewhere when present.
std::string format_mem_usage(const MemUsage& u);

}  // namespace dumpfmt::dumpinfo
