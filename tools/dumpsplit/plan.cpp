// Split planning: cuts by page count and the min-max partition by stored size.
#include "plan.h"

#include <algorithm>

#include "dumpfmt/bytes.h"

namespace dumpfmt::split {

Ranges plan_by_count(const PfnSet& pages, Pfn max_pfn, unsigned n) {
  n = std::max(1u, n);
  max_pfn = std::max(max_pfn, pages.end_bound());
  const uint64_t total = pages.count();
  const uint64_t filled = std::max<uint64_t>(1, std::min<uint64_t>(n, total));
  auto target = [&](uint64_t k) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(k) * total) / filled);
  };
  // Part k (k >= 1) starts at the member with index target(k), rounded down
  // to the alignment; a cut that rounds onto the previous one is dropped
  // and its part becomes an empty one at the end.
  Ranges r;
  Pfn start = 0;
  uint64_t k = 1, seen = 0;
  pages.for_each_run([&](Pfn a, Pfn b) {
    while (k < filled && target(k) < seen + (b - a)) {
      Pfn cut = (a + (target(k) - seen)) / kCutAlign * kCutAlign;
      if (cut > start) {
        r.emplace_back(start, cut);
        start = cut;
      }
      ++k;
    }
    seen += b - a;
  });
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
  uint64_t cur = 0;
  Pfn start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (cur + bytes[i] > cap) {
      plan.ranges.emplace_back(start, profile.start[i]);
      plan.payload.push_back(cur);
      start = profile.start[i];
      cur = 0;
    }
    cur += bytes[i];
  }
  plan.ranges.emplace_back(start, max_pfn);
  plan.payload.push_back(cur);
  return plan;
}

}  // namespace dumpfmt::split
