// What the parts of a split dump will take, measured by the writer that will
// write them: the bytes every part repeats (header, bitmaps, descriptor
// table), and the stored bytes of the pages, window by window; and the split
// by size that follows from both. Nothing is written to a file.
#pragma once

#include <cstdint>

#include "dumpfmt/dump.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"
#include "dumpfmt/split_plan.h"
#include "dumpfmt/write_dump.h"

namespace dumpfmt::split {

/// A size profile has at most this many windows (64 MiB of profile at most).
constexpr uint64_t kMaxProfileBlocks = uint64_t{1} << 22;

/// Bytes every part takes besides its pages: header, notes, both full
/// bitmaps, the descriptor table of the whole dump, the zero block,
/// eraseinfo. Measured by having job.format's writer (with job.write) lay out
/// an empty part of a dump of `ram`/`pages` described by `info`.
Result<uint64_t> part_overhead(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages,
                               const WriteJob& job);

/// The window of a size profile over [0, max_pfn): kCutAlign PFNs, or the
/// multiple of it that keeps the windows at most kMaxProfileBlocks.
Pfn profile_window(Pfn max_pfn);

/// What the pages of each window of `window` PFNs (a multiple of kCutAlign)
/// will store in a part: the pages of `pages` are compressed with job.write's
/// codec and job.pipeline's options exactly as when the parts are written
/// (zero pages share the part's zero block, so they store nothing).
/// job.pipeline.progress, if set, sees the pages measured.
Result<SizeProfile> size_profile(const PageSource& src, const PfnSet& pages, const WriteJob& job,
                                 Pfn window);

/// plan_split_by_size's answer: the bytes every part repeats, and the plan,
/// or (invalid_argument) why the limit cannot be met: `overhead` alone
/// reaches it (then nothing was measured), or the pages of one window take
/// more than is left for pages (plan_by_size's error).
struct SizeSplit {
  uint64_t overhead = 0;
  Result<SizePlan> plan;
};

/// The fewest parts, balanced, of at most `limit` bytes each, that the parts
/// of `pages` of `src` written with `job` (and `info` as the header data,
/// its max_pfn the end of the last part) make. An error only when measuring
/// fails.
Result<SizeSplit> plan_split_by_size(const PageSource& src, const DumpInfo& info,
                                     const PfnSet& pages, const WriteJob& job, uint64_t limit);

}  // namespace dumpfmt::split
