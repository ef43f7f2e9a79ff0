// dumpsplit's own words on stderr: why a --max-size cannot be met, the
// --verbose plan, the parts written, and the closing warnings.
#pragma once

#include <cstdint>
#include <string>

#include "dumpfmt/split_measure.h"
#include "dumpfmt/write_parts.h"

namespace dumpsplit {

inline constexpr const char* kTool = "dumpsplit";

/// Why `--max-size SIZE` (`max_size` as given, `limit` its bytes) cannot be
/// met, from plan_split_by_size's answer `r` (whose plan is an error).
std::string size_refusal(const std::string& max_size, uint64_t limit,
                         const dumpfmt::split::SizeSplit& r);

/// The --verbose plan: how many parts, their overhead and page data.
void print_plan(uint64_t limit, const dumpfmt::split::SizeSplit& r);

/// One line per part written: name, PFN range, pages and bytes.
void print_parts(const dumpfmt::PartsJob& job, const dumpfmt::PfnSet& pages,
                 const dumpfmt::PartStats& stats);

/// Warns when PREFIX.(parts + 1) exists: left from an earlier run, it would
/// pass for a part of this set.
void warn_stale_part(const std::string& prefix, size_t parts);

/// The closing warnings (an incomplete input, pages written as zeros) and the
/// exit code: kExitPartial after either, kExitOk otherwise.
int report(const dumpfmt::PipelineStats& stats, const dumpfmt::DumpInfo& in);

}  // namespace dumpsplit
