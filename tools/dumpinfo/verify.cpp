// --verify: every carried page read through scan_pages; each unit keeps its
// first failures and units merge in PFN order, so the report's order is PFN
// order whatever the scheduling.
#include "verify.h"

#include <algorithm>

#include "dumpfmt/page_scan.h"

namespace dumpfmt::dumpinfo {

namespace {

constexpr uint64_t kChunkPages = 1024;

struct UnitFailures {
  uint64_t failed = 0;
  std::vector<PageFailure> failures;
};

}  // namespace

VerifyReport verify_pages(const PageSource& src, const VerifyOptions& opts) {
  VerifyReport r;
  const DumpInfo& info = src.info();
  r.incomplete = info.incomplete;
  r.lost_from = info.lost_from;
  r.reader_warnings = info.warnings;

  const uint64_t total = src.present().count();
  ScanOptions so;
  so.threads = opts.threads;
  so.unit_pages = kChunkPages;
  so.keep_going = true;  // every failure is counted
  so.progress = opts.progress;
  std::vector<UnitFailures> units(scan_slots(so));
  auto visit = [&](const ScanBatch& b) -> Status {
    UnitFailures& u = units[b.unit->slot];
    if (b.error) {
      if (u.failures.size() < opts.max_failures_kept)
        u.failures.push_back({b.first, b.error->message});
      ++u.failed;
    }
    return ok();
  };
  auto merge = [&](const ScanUnit& unit) -> Status {
    UnitFailures& u = units[unit.slot];
    r.pages_failed += u.failed;
    for (auto& f : u.failures) {
      if (r.failures.size() < opts.max_failures_kept) r.failures.push_back(std::move(f));
    }
    u = {};
    return ok();
  };
  // Neither the visitor nor the merge fails, and read failures are kept.
  (void)scan_pages(src, src.present(), so, visit, merge);
  if (total == 0 && opts.progress) opts.progress(0, 0);

  r.pages_checked = total;
  if (!r.failures.empty()) r.first_bad = r.failures.front().pfn;
  if (r.lost_from && (!r.first_bad || *r.lost_from < *r.first_bad)) r.first_bad = r.lost_from;
  if (r.first_bad) {
    // Every carried PFN below the first damage read fine.
    src.present().for_each_run([&](Pfn a, Pfn b) {
      if (a < *r.first_bad) r.last_good = std::min(b, *r.first_bad) - 1;
    });
  }
  return r;
}

}  // namespace dumpfmt::dumpinfo
