// dumpfilter's messages on stderr: what the classification found and what
// was written.
#pragma once

#include <cstdint>
#include <string>

#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt/pipeline.h"
#include "dumpfmt_filters/filter_plan.h"

namespace dumpfmt::dumpfilter {

constexpr const char* kTool = "dumpfilter";

/// "cache N, private N, user N, free N, hwpoison N, offline N".
std::string class_summary(const PageClassCounts& c);

/// The classification's warnings, then (unless `quiet`) its notes, the pages
/// beyond the struct page array and the cycles; the budget warning; the
/// excluded-pages summary (unless `quiet`, but always on a dry run) and on a
/// dry run the zero and kept pages.
void print_findings(const filters::Findings& found, const filters::FilterPlan& plan,
                    uint32_t dump_level, uint64_t present, bool quiet, bool dry_run);

/// The closing "wrote ..." line for `format` output.
void print_written(const PipelineStats& stats, const filters::Findings& found,
                   const std::string& format, uint32_t dump_level);

}  // namespace dumpfmt::dumpfilter
