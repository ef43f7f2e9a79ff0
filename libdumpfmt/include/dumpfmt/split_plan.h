// Where the parts of a split dump begin and end: by page count (as
// makedumpfile --split) or by stored bytes under a size limit. The ranges go
// to write_parts (dumpfmt/write_parts.h); split_measure.h measures the stored bytes.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"

namespace dumpfmt::split {

/// Half-open PFN ranges [start, end) that tile [0, max_pfn) in order.
using Ranges = std::vector<std::pair<Pfn, Pfn>>;

/// Every part starts at a multiple of this many PFNs: crash counts a part's
/// dumpable pages one 64-bit bitmap word at a time from its start_pfn, so
/// an unaligned start makes it read the wrong descriptors (makedumpfile's
/// split blocks are always aligned).
constexpr Pfn kCutAlign = 64;

/// The header data every part of a split of `src` carries: the whole dump's,
/// with max_pfn covering every page and all RAM (the parts tile [0, max_pfn)
/// of the header the writer lays out) and no split range.
DumpInfo split_info(const PageSource& src);

/// The dump level the parts declare: the source's, with kDumpLevelZero set.
/// Our writer stores zero pages as one shared zero block, which is what that
/// bit says; makedumpfile --reassemble keeps them shared only when it is set
/// (otherwise it copies a full zero page for each).
uint32_t split_dump_level(const DumpInfo& info);

/// `n` parts holding about pages.count()/n pages each. Parts that get no
/// pages (fewer pages or 64-PFN windows than parts) are empty ranges at
/// max_pfn, after the others, as makedumpfile places them.
Ranges plan_by_count(const PfnSet& pages, Pfn max_pfn, unsigned n);

/// What each window of PFNs costs in a part: block i starts at PFN start[i]
/// (ascending, multiples of kCutAlign) and its pages store bytes[i] bytes.
struct SizeProfile {
  std::vector<Pfn> start;
  std::vector<uint64_t> bytes;
};

struct SizePlan {
  Ranges ranges;
  std::vector<uint64_t> payload;  // stored page bytes in each part
};

/// The fewest parts whose payload is at most `budget` bytes each, cut only at
/// block starts. The cuts go where each part gets about total/parts bytes
/// (within about a block); when that would push a part over the budget, they
/// fall back to the partition with the smallest largest part. Error
/// (invalid_argument) when one block alone exceeds the budget.
Result<SizePlan> plan_by_size(const SizeProfile& profile, Pfn max_pfn, uint64_t budget);

}  // namespace dumpfmt::split
