// dumpsplit's planning: cuts by page count (aligned, balanced, empty parts
// last) and the size partition checked against exhaustive search on small
// random profiles (fewest parts, then the smallest largest part).
#include <algorithm>
#include <limits>
#include <random>

#include "dumpfmt/split_plan.h"
#include "gtest/gtest.h"

namespace {

using namespace dumpfmt;
using split::kCutAlign;
using split::Ranges;

void expect_tiles(const Ranges& r, Pfn max_pfn) {
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.front().first, 0u);
  bool empties = false;
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_LE(r[i].first, r[i].second) << i;
    if (i > 0) {
      EXPECT_EQ(r[i].first, r[i - 1].second) << i;
    }
    EXPECT_EQ(r[i].first % kCutAlign == 0 || r[i].first == max_pfn, true) << r[i].first;
    if (r[i].first == r[i].second) {
      empties = true;
      EXPECT_EQ(r[i].first, max_pfn) << "empty parts come last, at max_pfn";
    } else {
      EXPECT_FALSE(empties) << "a non-empty part after an empty one";
    }
  }
  EXPECT_EQ(r.back().second, max_pfn);
}

TEST(DumpsplitPlan, ByCountContiguous) {
  PfnSet s;
  s.insert_range(0, 100000);
  for (unsigned n : {1u, 2u, 3u, 7u, 64u}) {
    Ranges r = split::plan_by_count(s, 100003, n);
    ASSERT_EQ(r.size(), n);
    expect_tiles(r, 100003);
    for (const auto& [a, b] : r) {
      double want = 100000.0 / n;
      EXPECT_NEAR(static_cast<double>(s.count_range(a, b)), want, kCutAlign + 1) << n;
    }
  }
}

TEST(DumpsplitPlan, ByCountFewPages) {
  PfnSet s;
  s.insert(5);
  s.insert(6);
  Ranges r = split::plan_by_count(s, 7, 4);
  // Both pages fall in the first 64-PFN window: one part holds them.
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], std::make_pair(Pfn{0}, Pfn{7}));
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(r[i], std::make_pair(Pfn{7}, Pfn{7}));
  PfnSet none;
  Ranges e = split::plan_by_count(none, 0, 2);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], std::make_pair(Pfn{0}, Pfn{0}));
  // Pages in two far-apart runs: the cut lands at the second run.
  PfnSet two;
  two.insert_range(0, 1000);
  two.insert_range(1u << 30, (1u << 30) + 1000);
  Ranges t = split::plan_by_count(two, (1u << 30) + 1000, 2);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].second, Pfn{1} << 30);
}

TEST(DumpsplitPlan, ByCountRandomSets) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    PfnSet s;
    Pfn p = rng() % 500;
    int runs = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < runs; ++i) {
      Pfn len = 1 + rng() % 3000;
      s.insert_range(p, p + len);
      p += len + rng() % 100000;
    }
    unsigned n = 1 + static_cast<unsigned>(rng() % 12);
    Pfn max = s.end_bound() + rng() % 70;
    Ranges r = split::plan_by_count(s, max, n);
    ASSERT_EQ(r.size(), n);
    expect_tiles(r, max);
    uint64_t total = 0;
    for (const auto& [a, b] : r) {
      uint64_t c = s.count_range(a, b);
      total += c;
      if (a != b) {
        EXPECT_GT(c, 0u) << "a non-empty range without pages";
      }
    }
    EXPECT_EQ(total, s.count());
    // Rounding moves each cut by less than the alignment.
    if (s.count() >= uint64_t{kCutAlign} * n * 2) {
      for (const auto& [a, b] : r) {
        EXPECT_NEAR(static_cast<double>(s.count_range(a, b)), static_cast<double>(s.count()) / n,
                    2 * kCutAlign + 1);
      }
    }
  }
}

// Exhaustive answers for a small profile: the fewest parts with every part
// <= budget, and for that count the smallest possible largest part.
std::pair<size_t, uint64_t> brute(const std::vector<uint64_t>& b, uint64_t budget) {
  const size_t n = b.size();
  const uint64_t inf = std::numeric_limits<uint64_t>::max();
  // best[k][i]: smallest max over partitions of b[0..i) into k parts <= budget.
  std::vector<std::vector<uint64_t>> best(n + 1, std::vector<uint64_t>(n + 1, inf));
  best[0][0] = 0;
  for (size_t k = 1; k <= n; ++k) {
    for (size_t i = 1; i <= n; ++i) {
      uint64_t sum = 0;
      for (size_t j = i; j-- > 0;) {
        sum += b[j];
        if (sum > budget) break;
        if (best[k - 1][j] != inf) best[k][i] = std::min(best[k][i], std::max(best[k - 1][j], sum));
      }
    }
    if (best[k][n] != inf) return {k, best[k][n]};
  }
  return {0, 0};
}

TEST(DumpsplitPlan, BySizeMatchesExhaustiveSearch) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 2000; ++iter) {
    split::SizeProfile prof;
    size_t blocks = 1 + rng() % 12;
    Pfn pfn = (rng() % 4) * kCutAlign;
    uint64_t largest = 0;
    for (size_t i = 0; i < blocks; ++i) {
      prof.start.push_back(pfn);
      prof.bytes.push_back(rng() % 5 == 0 ? 0 : rng() % 4096);
      largest = std::max(largest, prof.bytes.back());
      pfn += kCutAlign * (1 + rng() % 3);
    }
    const Pfn max = pfn + rng() % 64;
    const uint64_t budget = largest + rng() % 9000;
    auto plan = split::plan_by_size(prof, max, budget);
    ASSERT_TRUE(plan) << plan.error().message;
    auto [k, best_max] = brute(prof.bytes, budget);
    ASSERT_EQ(plan->ranges.size(), k) << "not the fewest parts";
    ASSERT_EQ(plan->payload.size(), k);
    expect_tiles(plan->ranges, max);
    uint64_t got_max = 0, got_min = UINT64_MAX, sum = 0;
    for (size_t i = 0; i < k; ++i) {
      // The payload is what the blocks inside the range add up to.
      uint64_t in = 0;
      for (size_t j = 0; j < blocks; ++j) {
        if (prof.start[j] >= plan->ranges[i].first && prof.start[j] < plan->ranges[i].second) {
          in += prof.bytes[j];
        }
      }
      EXPECT_EQ(plan->payload[i], in);
      EXPECT_LE(in, budget);
      got_max = std::max(got_max, in);
      got_min = std::min(got_min, in);
      sum += in;
      // Cuts fall on block starts.
      if (i > 0) {
        EXPECT_NE(std::find(prof.start.begin(), prof.start.end(), plan->ranges[i].first),
                  prof.start.end());
      }
    }
    // Balanced: within two blocks of each other, or else (the fallback) the
    // smallest possible largest part.
    EXPECT_TRUE(got_max - got_min <= 2 * largest || got_max == best_max)
        << "parts " << got_min << ".." << got_max << ", largest block " << largest << ", best max "
        << best_max;
    uint64_t total = 0;
    for (uint64_t x : prof.bytes) total += x;
    EXPECT_EQ(sum, total);
  }
}

TEST(DumpsplitPlan, BySizeEdges) {
  split::SizeProfile prof{{0, 64, 128}, {100, 5000, 100}};
  auto bad = split::plan_by_size(prof, 200, 4999);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_NE(bad.error().message.find("from PFN 0x40 take 5000 bytes"), std::string::npos)
      << bad.error().message;
  auto one = split::plan_by_size(prof, 200, 5200);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->ranges.size(), 1u);
  EXPECT_EQ(one->ranges[0], std::make_pair(Pfn{0}, Pfn{200}));
  auto empty = split::plan_by_size({}, 10, 0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->ranges.size(), 1u);
  // Balanced: 10 equal blocks under a budget of 3.5 blocks give 4 parts of
  // 3 and 2 blocks, not the greedy 3, 3, 3, 1.
  split::SizeProfile even;
  for (Pfn i = 0; i < 10; ++i) {
    even.start.push_back(i * kCutAlign);
    even.bytes.push_back(1000);
  }
  auto bal = split::plan_by_size(even, 10 * kCutAlign, 3500);
  ASSERT_TRUE(bal);
  ASSERT_EQ(bal->payload.size(), 4u);
  EXPECT_EQ(*std::max_element(bal->payload.begin(), bal->payload.end()), 3000u);
  EXPECT_EQ(*std::min_element(bal->payload.begin(), bal->payload.end()), 2000u);
  // Blocks where cuts at equal shares would overflow a part of 13: the
  // fallback keeps every part within the budget, with the smallest largest
  // part (10 | 11 | 7 | 7).
  split::SizeProfile tight;
  for (uint64_t b : {2, 8, 4, 7, 7, 7}) {
    tight.start.push_back(tight.start.size() * kCutAlign);
    tight.bytes.push_back(b);
  }
  auto t = split::plan_by_size(tight, 6 * kCutAlign, 13);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->payload.size(), 4u);
  EXPECT_EQ(*std::max_element(t->payload.begin(), t->payload.end()), 11u);
  // Hostile profiles: unaligned, unordered, or past the end.
  EXPECT_FALSE(split::plan_by_size({{0, 65}, {1, 1}}, 200, 10));
  EXPECT_FALSE(split::plan_by_size({{64, 0}, {1, 1}}, 200, 10));
  EXPECT_FALSE(split::plan_by_size({{0, 256}, {1, 1}}, 200, 10));
  EXPECT_FALSE(split::plan_by_size({{0}, {1, 1}}, 200, 10));
}

}  // namespace
