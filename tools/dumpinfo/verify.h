// --verify: reads every page the dump carries, in parallel, and reports the
// first one that does not decode (with the reader's file offset), lost data
// of an incomplete dump, and the last good PFN before the damage.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dumpfmt/dump.h"

namespace dumpfmt::dumpinfo {

struct PageFailure {
  Pfn pfn = 0;
  std::string message;  // the reader's, naming file and offset
};

struct VerifyReport {
  uint64_t pages_checked = 0;
  uint64_t pages_failed = 0;
  std::vector<PageFailure> failures;  // the first few, ascending PFN
  bool incomplete = false;            // the writer marked the dump cut short
  std::optional<Pfn> lost_from;       // first PFN whose data is lost
  std::optional<Pfn> first_bad;       // lowest PFN that failed or is lost
  std::optional<Pfn> last_good;       // highest carried PFN below first_bad
  std::vector<std::string> reader_warnings;
  bool ok() const { return pages_failed == 0 && !incomplete && !lost_from; }
};

struct VerifyOptions {
  unsigned threads = 0;  // 0: every CPU
  size_t max_failures_kept = 16;
  std::function<void(uint64_t done, uint64_t total)> progress;  // called from the calling thread
};

VerifyReport verify_pages(const PageSource& src, const VerifyOptions& opts);

}  // namespace dumpfmt::dumpinfo
