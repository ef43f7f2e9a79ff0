// dumpsplit's messages (see report.h).
#include "report.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "common/cli.h"
#include "common/cli_options.h"
#include "dumpfmt/bytes.h"

namespace dumpsplit {

using namespace dumpfmt;

std::string size_refusal(const std::string& max_size, uint64_t limit, const split::SizeSplit& r) {
  const auto overhead = static_cast<unsigned long long>(r.overhead);
  if (limit <= r.overhead) {
    return strfmt(
        "--max-size %s is too small: every part repeats the header, both page bitmaps "
        "and the descriptor table of the whole dump, %llu bytes (%s) here, before any "
        "page data",
        max_size.c_str(), overhead, cli::human_bytes(r.overhead).c_str());
  }
  return strfmt(
      "--max-size %s is too small: %s (each part also repeats %llu bytes of "
      "headers, bitmaps and descriptor table)",
      max_size.c_str(), r.plan.error().message.c_str(), overhead);
}

void print_plan(uint64_t limit, const split::SizeSplit& r) {
  std::string sizes;
  for (uint64_t b : r.plan->payload) sizes += (sizes.empty() ? "" : " + ") + std::to_string(b);
  std::fprintf(stderr,
               "%s: %zu part(s) of at most %llu bytes: %llu bytes of headers each, "
               "page data %s\n",
               kTool, r.plan->ranges.size(), static_cast<unsigned long long>(limit),
               static_cast<unsigned long long>(r.overhead), sizes.c_str());
}

void print_parts(const PartsJob& job, const PfnSet& pages, const PartStats& stats) {
  for (size_t i = 0; i < job.parts.size(); ++i) {
    const auto& p = job.parts[i];
    std::fprintf(stderr, "%s: %s: PFNs %s-%s, %llu pages, %llu bytes\n", kTool, p.path.c_str(),
                 hex(p.start).c_str(), hex(p.end).c_str(),
                 static_cast<unsigned long long>(pages.count_range(p.start, p.end)),
                 static_cast<unsigned long long>(stats.part_bytes[i]));
  }
}

void warn_stale_part(const std::string& prefix, size_t parts) {
  const std::string stale = prefix + "." + std::to_string(parts + 1);
  std::error_code ec;  // as stat(): what cannot be looked at is not reported
  if (std::filesystem::exists(stale, ec)) {
    cli::print_warning(kTool, stale + " is left from an earlier run and is not part of this set");
  }
}

int report(const PipelineStats& stats, const DumpInfo& in) {
  if (in.incomplete) {
    cli::print_warning(kTool, "the input was incomplete; its lost pages are not in the output");
  }
  return cli::report_failed_pages(kTool, stats, in.incomplete ? cli::kExitPartial : cli::kExitOk);
}

}  // namespace dumpsplit
