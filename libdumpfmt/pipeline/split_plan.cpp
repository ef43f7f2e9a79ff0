// Split planning: cuts by page count and the min-max partition by stored size
// (see dumpfmt/split_plan.h).
#include "dumpfmt/split_plan.h"

#include <algorithm>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/page_classes.h"

namespace dumpfmt::split {

DumpInfo split_info(const PageSource& src) {
  DumpInfo info = src.info();
  info.max_pfn = std::max({info.max_pfn, src.present().end_bound(), src.ram().end_bound()});
  info.split_range.reset();
  return info;
}

uint32_t split_dump_level(const DumpInfo& info) {
  return info.dump_level.value_or(0) | kDumpLevelZero;
}

Ranges plan_by_count(const PfnSet& pages, Pfn max_pfn, unsigned n) {
  n = std::max(1u, n);
  max_pfn = std::max(max_pfn, pages.end_bound());
  const uint64_t total = pages.count();
  const uint64_t filled = std::max<uint64_t>(1, std::min<uint64_t>(n, total));
  auto target = [&](uint64_t k) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(k) * total) / filled);
  };
  // Part k (k >= 1) starts at the member with index target(k), rounded to
  // the alignment (down, or up when down would leave the part before it
  // without pages). A cut that leaves a side without pages is dropped and
  // its part becomes an empty one at the end.
  Ranges r;
  Pfn start = 0;
  uint64_t k = 1, seen = 0;
  auto try_cut = [&](Pfn at) {
    for (Pfn cut : {at / kCutAlign * kCutAlign, (at / kCutAlign + 1) * kCutAlign}) {
      if (cut > start && cut < max_pfn && pages.count_range(start, cut) > 0 &&
          pages.count_range(cut, max_pfn) > 0) {
        r.emplace_back(start, cut);
        start = cut;
        return;
      }
    }
  };
  std::vector<Pfn> at;
  pages.for_each_run([&](Pfn a, Pfn b) {
    while (k < filled && target(k) < seen + (b - a)) {
      at.push_back(a + (target(k) - seen));
      ++k;
    }
    seen += b - a;
  });
  for (Pfn p : at) try_cut(p);
  r.emplace_back(start, max_pfn);
  while (r.size() < n) r.emplace_back(max_pfn, max_pfn);
  return r;
}

namespace {

// Parts needed when each holds at most `cap` bytes (greedy fill, which is
// optimal for a contiguous partition).
uint64_t parts_needed(const std::vector<uint64_t>& bytes, uint64_t cap) {
  uint64_t parts = 1, cur = 0;
  for (uint64_t b : bytes) {
    if (cur + b > cap) {
      ++parts;
      cur = b;
    } else {
      cur += b;
    }
  }
  return parts;
}

}  // namespace

Result<SizePlan> plan_by_size(const SizeProfile& profile, Pfn max_pfn, uint64_t budget) {
  const auto& bytes = profile.bytes;
  if (profile.start.size() != bytes.size()) {
    return make_error(Errc::invalid_argument, "size profile: starts and sizes differ in number");
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    if ((i > 0 && profile.start[i] <= profile.start[i - 1]) || profile.start[i] >= max_pfn ||
        profile.start[i] % kCutAlign != 0) {
      return make_error(Errc::invalid_argument,
                        strfmt("size profile: block %zu starts at PFN %s, out of order, "
                               "unaligned or past the end",
                               i, hex(profile.start[i]).c_str()));
    }
  }
  SizePlan plan;
  if (bytes.empty()) {
    plan.ranges.emplace_back(0, max_pfn);
    plan.payload.push_back(0);
    return plan;
  }
  uint64_t total = 0, largest = 0;
  size_t largest_at = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    total += bytes[i];
    if (bytes[i] > largest) {
      largest = bytes[i];
      largest_at = i;
    }
  }
  if (largest > budget) {
    return make_error(
        Errc::invalid_argument,
        strfmt("the pages from PFN %s take %llu bytes, more than the %llu bytes "
               "left for pages in a part",
               hex(profile.start[largest_at]).c_str(), static_cast<unsigned long long>(largest),
               static_cast<unsigned long long>(budget)));
  }
  const uint64_t k = parts_needed(bytes, budget);
  // Smallest cap that still needs only k parts.
  uint64_t lo = std::max(largest, (total + k - 1) / k), hi = budget;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (parts_needed(bytes, mid) <= k) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  const uint64_t cap = lo;

  // Cuts at the block boundaries nearest to equal shares of the total keep
  // every part within about a block of the average; they are used when no
  // part then exceeds the budget (the usual case).
  std::vector<uint64_t> prefix(bytes.size() + 1, 0);
  for (size_t i = 0; i < bytes.size(); ++i) prefix[i + 1] = prefix[i] + bytes[i];
  std::vector<size_t> cuts;  // block index where each part after the first starts
  bool fits = true;
  for (uint64_t part = 1; part < k && fits; ++part) {
    const uint64_t target = static_cast<uint64_t>(static_cast<unsigned __int128>(total) * part / k);
    size_t j = static_cast<size_t>(std::lower_bound(prefix.begin(), prefix.end(), target) -
                                   prefix.begin());
    if (j > 0 && (j == prefix.size() || target - prefix[j - 1] <= prefix[j] - target)) --j;
    const size_t prev = cuts.empty() ? 0 : cuts.back();
    j = std::clamp(j, prev + 1, bytes.size() - (k - part));
    fits = prefix[j] - prefix[prev] <= budget;
    cuts.push_back(j);
  }
  if (fits && prefix.back() - prefix[cuts.empty() ? 0 : cuts.back()] > budget) fits = false;
  if (!fits) {
    // Fall back to the smallest cap: greedy parts of at most `cap`.
    cuts.clear();
    uint64_t cur = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (cur + bytes[i] > cap) {
        cuts.push_back(i);
        cur = 0;
      }
      cur += bytes[i];
    }
  }
  size_t prev = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : bytes.size();
    plan.ranges.emplace_back(i == 0 ? 0 : profile.start[prev],
                             i < cuts.size() ? profile.start[end] : max_pfn);
    plan.payload.push_back(prefix[end] - prefix[prev]);
    prev = end;
  }
  return plan;
}

}  // namespace dumpfmt::split
