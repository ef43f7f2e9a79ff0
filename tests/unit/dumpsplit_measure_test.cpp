// Measuring a split before writing it (dumpfmt/split_measure.h), checked
// against what write_parts really writes: the overhead is the size of an
// empty part, a size profile adds up to the page bytes of the parts, and the
// plan by size gives parts of exactly overhead + payload bytes.
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "dumpfmt/format.h"
#include "dumpfmt/split_measure.h"
#include "dumpfmt/write_parts.h"
#include "dumpgen.h"
#include "gtest/gtest.h"

namespace {

using namespace dumpfmt;

class SplitMeasure : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dumpsplit_measure_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Pattern, random and zero pages, a hole, and RAM the dump does not carry.
    dumpgen::DumpSpec spec;
    spec.format = dumpgen::Format::elf;
    for (uint64_t p = 0; p < 1000; ++p) {
      if (p >= 400 && p < 700) continue;
      auto kind = p % 7 == 0   ? dumpgen::PageKind::zero
                  : p % 5 == 3 ? dumpgen::PageKind::random
                               : dumpgen::PageKind::pattern;
      spec.pages.push_back(dumpgen::page(p, kind));
    }
    for (uint64_t p = 1000; p < 1100; ++p) spec.ram_only.push_back(p);
    dumpgen::write_file(spec, dir_ + "/in.elf");
    auto s = open_dump({dir_ + "/in.elf"});
    ASSERT_TRUE(s) << s.error().message;
    src_ = std::move(*s);
    info_ = split::split_info(*src_);
    job_.write.codec = CodecId::zlib;
    job_.write.dump_level = split::split_dump_level(info_);
    job_.pipeline.threads = 2;
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }

  Result<PartStats> write(const split::Ranges& ranges, uint64_t max_bytes = 0) {
    PartsJob pj;
    pj.base = job_;
    pj.max_bytes = max_bytes;
    for (size_t i = 0; i < ranges.size(); ++i) {
      pj.parts.push_back(
          {dir_ + "/part." + std::to_string(i + 1), ranges[i].first, ranges[i].second});
    }
    return write_parts(*src_, info_, src_->ram(), src_->present(), pj);
  }
  uint64_t overhead() {
    auto o = split::part_overhead(info_, src_->ram(), src_->present(), job_);
    EXPECT_TRUE(o) << o.error().message;
    return o ? *o : 0;
  }

  std::string dir_;
  std::unique_ptr<PageSource> src_;
  DumpInfo info_;
  WriteJob job_;
};

TEST_F(SplitMeasure, SplitInfoCoversEveryPageAndRam) {
  EXPECT_GE(info_.max_pfn, 1100u);
  EXPECT_FALSE(info_.split_range);
  EXPECT_EQ(job_.write.dump_level & 1u, 1u);
}

TEST_F(SplitMeasure, OverheadIsTheSizeOfAnEmptyPart) {
  const uint64_t o = overhead();
  ASSERT_GT(o, 0u);
  // The second part is empty (it starts at max_pfn, as plan_by_count places them).
  auto r = write({{0, info_.max_pfn}, {info_.max_pfn, info_.max_pfn}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->part_bytes[1], o);
  EXPECT_GT(r->part_bytes[0], o);
}

TEST_F(SplitMeasure, ProfileSumsToThePageBytesWritten) {
  const uint64_t o = overhead();
  auto profile = split::size_profile(*src_, src_->present(), job_, split::kCutAlign);
  ASSERT_TRUE(profile) << profile.error().message;
  ASSERT_EQ(profile->start.size(), profile->bytes.size());
  const split::Ranges ranges = {{0, 192}, {192, 768}, {768, info_.max_pfn}};
  auto r = write(ranges);
  ASSERT_TRUE(r) << r.error().message;
  uint64_t total = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    uint64_t in_range = 0;
    for (size_t b = 0; b < profile->start.size(); ++b) {
      EXPECT_EQ(profile->start[b] % split::kCutAlign, 0u);
      if (profile->start[b] >= ranges[i].first && profile->start[b] < ranges[i].second) {
        in_range += profile->bytes[b];
      }
    }
    EXPECT_EQ(r->part_bytes[i], o + in_range) << "part " << i + 1;
    total += r->part_bytes[i] - o;
  }
  EXPECT_EQ(total, std::accumulate(profile->bytes.begin(), profile->bytes.end(), uint64_t{0}));
  // No window starts in the hole: it holds no pages.
  for (Pfn s : profile->start) EXPECT_FALSE(s >= 448 && s < 640) << s;
}

TEST_F(SplitMeasure, ProfileWindowKeepsTheBlocksBounded) {
  EXPECT_EQ(split::profile_window(1), split::kCutAlign);
  EXPECT_EQ(split::profile_window(split::kCutAlign * split::kMaxProfileBlocks), split::kCutAlign);
  const Pfn big = split::kCutAlign * split::kMaxProfileBlocks * 3 + 1;
  const Pfn w = split::profile_window(big);
  EXPECT_EQ(w % split::kCutAlign, 0u);
  EXPECT_LE((big + w - 1) / w, split::kMaxProfileBlocks);
  EXPECT_FALSE(split::size_profile(*src_, src_->present(), job_, 100));
}

TEST_F(SplitMeasure, PlanBySizeGivesPartsOfOverheadPlusPayload) {
  const uint64_t o = overhead();
  auto whole = write({{0, info_.max_pfn}});
  ASSERT_TRUE(whole) << whole.error().message;
  const uint64_t pages_bytes = whole->part_bytes[0] - o;
  // About a third of the pages per part.
  const uint64_t limit = o + pages_bytes / 3 + pages_bytes / 10;
  auto split = split::plan_split_by_size(*src_, info_, src_->present(), job_, limit);
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(split->overhead, o);
  ASSERT_TRUE(split->plan) << split->plan.error().message;
  ASSERT_EQ(split->plan->ranges.size(), 3u);
  auto r = write(split->plan->ranges, limit);
  ASSERT_TRUE(r) << r.error().message;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r->part_bytes[i], o + split->plan->payload[i]) << "part " << i + 1;
    EXPECT_LE(r->part_bytes[i], limit);
  }
}

TEST_F(SplitMeasure, PlanBySizeSaysWhyALimitCannotBeMet) {
  const uint64_t o = overhead();
  // The overhead alone reaches the limit: nothing is measured.
  auto at = split::plan_split_by_size(*src_, info_, src_->present(), job_, o);
  ASSERT_TRUE(at) << at.error().message;
  EXPECT_EQ(at->overhead, o);
  ASSERT_FALSE(at->plan);
  EXPECT_EQ(at->plan.error().code, Errc::invalid_argument);
  // One byte for pages: a window of pages alone is too much.
  auto tight = split::plan_split_by_size(*src_, info_, src_->present(), job_, o + 1);
  ASSERT_TRUE(tight) << tight.error().message;
  EXPECT_EQ(tight->overhead, o);
  ASSERT_FALSE(tight->plan);
  EXPECT_NE(tight->plan.error().message.find("left for pages in a part"), std::string::npos)
      << tight->plan.error().message;
}

}  // namespace
