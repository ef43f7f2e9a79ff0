// dumpfilter's messages (see report.h).
#include "report.h"

#include <cstdio>

#include "common/cli.h"
#include "dumpfmt/bytes.h"

namespace dumpfmt::dumpfilter {

std::string class_summary(const PageClassCounts& c) {
  std::string s;
  for (PageClass k : {PageClass::cache, PageClass::cache_private, PageClass::user, PageClass::free,
                      PageClass::hwpoison, PageClass::offline}) {
    if (!s.empty()) s += ", ";
    s += strfmt("%s %llu", std::string(page_class_name(k)).c_str(),
                static_cast<unsigned long long>(c[k]));
  }
  return s;
}

void print_findings(const filters::Findings& found, const filters::FilterPlan& plan,
                    uint32_t dump_level, uint64_t present, bool quiet, bool dry_run) {
  for (const auto& w : found.stats.warnings) cli::print_warning(kTool, w);
  if (!quiet) {
    for (const auto& n : found.notes) {
      cli::print_warning(kTool, "kernel page metadata not used: " + n);
    }
    if (found.beyond_mem_map) {
      std::fprintf(stderr,
                   "%s: %llu pages at or above PFN %s have no struct page (not memory the "
                   "kernel managed) and are left out, as makedumpfile does\n",
                   kTool, static_cast<unsigned long long>(found.beyond_mem_map),
                   hex(*found.mem_map_end).c_str());
    }
    if (plan.cycles) {
      std::fprintf(stderr, "%s: classified in %llu cycles of %llu pages\n", kTool,
                   static_cast<unsigned long long>(plan.cycle_count()),
                   static_cast<unsigned long long>(plan.cycle_pfns));
    }
  }
  // Without cycles (ELF output) the page sets can outgrow the budget (at
  // most a bit per page of the dumped machine): say so when they take more
  // than half of it.
  if (found.set_bytes > plan.budget / 2) {
    cli::print_warning(
        kTool,
        strfmt("the page sets take %s, more than half the memory budget of %s",
               cli::human_bytes(found.set_bytes).c_str(), cli::human_bytes(plan.budget).c_str()));
  }
  if (!quiet || dry_run) {
    std::fprintf(stderr, "%s: dump level %u: %llu of %llu pages excluded by class (%s)%s\n", kTool,
                 dump_level, static_cast<unsigned long long>(found.stats.excluded.total()),
                 static_cast<unsigned long long>(present),
                 class_summary(found.stats.excluded).c_str(),
                 found.classified ? "" : " [no struct pages examined]");
  }
  if (dry_run) {
    std::fprintf(stderr, "%s: zero pages: %llu; pages kept: %llu\n", kTool,
                 static_cast<unsigned long long>(found.zero_pages_removed),
                 static_cast<unsigned long long>(found.kept));
  }
}

void print_written(const PipelineStats& stats, const filters::Findings& found,
                   const std::string& format, uint32_t dump_level) {
  const bool elf = format == "elf";
  const uint64_t zero = elf ? found.zero_pages_removed : stats.zero_pages;
  std::fprintf(stderr, "%s: wrote %llu pages (%s of page data), %llu zero pages %s\n", kTool,
               static_cast<unsigned long long>(stats.pages - (elf ? 0 : zero)),
               cli::human_bytes(stats.bytes_out).c_str(), static_cast<unsigned long long>(zero),
               elf ? ((dump_level & kDumpLevelZero) ? "left out" : "kept")
                   : "stored as one shared zero page");
}

}  // namespace dumpfmt::dumpfilter
