// dumpfilter's plan: the memory budget's arithmetic and when there are
// cycles; classify_all() over many windows against one; and the writes with
// and without cycles giving the same bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <tuple>

#include "dumpfmt_filters/filter_plan.h"
#include "filter_test_support.h"

using namespace dumpfmt;
using namespace dumpfmt::filters;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

TEST(FilterPlan, StructPageChunkIsASixteenthClamped) {
  EXPECT_EQ(struct_page_chunk_bytes(4 * kMiB), 256u << 10);
  EXPECT_EQ(struct_page_chunk_bytes(64 * kMiB), 1u << 20);
  EXPECT_EQ(struct_page_chunk_bytes(1024 * kMiB), 1u << 20);
  EXPECT_EQ(struct_page_chunk_bytes(512u << 10), 64u << 10);
}

TEST(FilterPlan, CyclesFromTheBudget) {
  PlanOptions o;
  o.end = 5'000'000;
  o.budget = 4 * kMiB;  // sets of 4Mi PFNs fit: two cycles
  FilterPlan p = plan_filter(o);
  EXPECT_TRUE(p.windowed);
  EXPECT_TRUE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, 4 * kMiB);
  EXPECT_EQ(p.cycle_count(), 2u);
  EXPECT_EQ(p.budget, 4 * kMiB);
  EXPECT_EQ(p.batch_pages, 56u);  // 1 MiB / 2 slots of 9 KiB

  o.budget = 64 * kMiB;  // one window of the whole dump
  p = plan_filter(o);
  EXPECT_FALSE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, 5'000'000u);
  EXPECT_EQ(p.cycle_count(), 1u);
  EXPECT_EQ(p.batch_pages, 256u);

  o.budget = 1024 * kMiB;
  o.end = uint64_t{3} << 30;
  p = plan_filter(o);
  EXPECT_TRUE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, uint64_t{1} << 30);
  EXPECT_EQ(p.cycle_count(), 3u);
  EXPECT_EQ(p.batch_pages, 256u);

  // A budget that is not a multiple of PfnSet::kChunkPfns rounds down.
  o.budget = 4 * kMiB + 1000;
  EXPECT_EQ(plan_filter(o).cycle_pfns, 4 * kMiB);

  // Large pages make large slots: never fewer than 16 per batch.
  o.budget = 4 * kMiB;
  o.page_size = 65536;
  EXPECT_EQ(plan_filter(o).batch_pages, 16u);
}

TEST(FilterPlan, CyclePagesRoundUpTo64) {
  PlanOptions o;
  o.end = 5040;
  for (auto [asked, cycle, count] : {std::tuple<uint64_t, uint64_t, uint64_t>{1, 64, 79},
                                     {64, 64, 79},
                                     {100, 128, 40},
                                     {4000, 4032, 2},
                                     {4160, 4160, 2}}) {
    o.cycle_pages = asked;
    FilterPlan p = plan_filter(o);
    EXPECT_TRUE(p.cycles) << asked;
    EXPECT_EQ(p.cycle_pfns, cycle) << asked;
    EXPECT_EQ(p.cycle_count(), count) << asked;
  }
  o.cycle_pages = 5040;  // one cycle holds the dump: none
  FilterPlan p = plan_filter(o);
  EXPECT_FALSE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, 5040u);
}

TEST(FilterPlan, ElfHasNoCyclesUnlessADryRun) {
  PlanOptions o;
  o.end = 5040;
  o.cycle_pages = 100;
  o.format = "elf";
  FilterPlan p = plan_filter(o);
  EXPECT_FALSE(p.windowed);
  EXPECT_FALSE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, 5040u);

  o.dry_run = true;
  p = plan_filter(o);
  EXPECT_TRUE(p.windowed);
  EXPECT_TRUE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, 128u);

  o.format = "kdump";
  o.dry_run = false;
  o.end = 0;  // an empty dump is one window of one PFN
  p = plan_filter(o);
  EXPECT_FALSE(p.cycles);
  EXPECT_EQ(p.cycle_pfns, 1u);
}

FilterPlan cycles_of(uint64_t pfns, Pfn end) {
  FilterPlan p;
  p.windowed = p.cycles = true;
  p.cycle_pfns = pfns;
  p.end = end;
  return p;
}

// Windows of any size, also ones that cut the free block 16-23 after its
// head, find what one window over the whole dump finds.
TEST(FilterPlan, ClassifyAllOverWindowsAddsUpToOneWindow) {
  auto src = filter_test::dumpgen_with_classes();
  ASSERT_TRUE(src);
  FilterOptions fo;
  fo.dump_level = 31;
  fo.scan_zero_pages = true;
  auto one_filter = WindowFilter::create(*src, fo);
  ASSERT_TRUE(one_filter) << one_filter.error().message;
  PlanOptions po;
  po.format = "elf";
  po.end = (*one_filter)->end();
  const FilterPlan one_plan = plan_filter(po);
  ASSERT_FALSE(one_plan.cycles);
  auto one = classify_all(**one_filter, one_plan);
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_TRUE(one->whole);
  EXPECT_EQ(one->kept, one->whole->kept.count());
  EXPECT_EQ(one->stats.excluded[PageClass::free], 8u);
  EXPECT_EQ(one->stats.excluded[PageClass::cache], 1u);
  EXPECT_GT(one->zero_pages_removed, 0u);
  EXPECT_TRUE(one->classified);

  for (uint64_t size : {3u, 8u, 20u, 64u}) {
    auto wf = WindowFilter::create(*src, fo);
    ASSERT_TRUE(wf);
    auto many = classify_all(**wf, cycles_of(size, (*wf)->end()));
    ASSERT_TRUE(many) << many.error().message;
    EXPECT_FALSE(many->whole) << size;
    EXPECT_EQ(many->kept, one->kept) << size;
    EXPECT_EQ(many->stats.excluded.pages, one->stats.excluded.pages) << size;
    EXPECT_EQ(many->stats.examined, one->stats.examined) << size;
    // The same findings; the first unreadable struct page's address is where its window's read
    // began.
    EXPECT_EQ(many->stats.unreadable, one->stats.unreadable) << size;
    EXPECT_EQ(many->stats.warnings.size(), one->stats.warnings.size()) << size;
    EXPECT_EQ(many->zero_pages_removed, one->zero_pages_removed) << size;
    EXPECT_EQ(many->top, one->top) << size;
    EXPECT_EQ(many->classified, one->classified) << size;
    EXPECT_EQ(many->notes, one->notes) << size;
    EXPECT_EQ(many->beyond_mem_map, one->beyond_mem_map) << size;
    EXPECT_LE(many->set_bytes, one->set_bytes) << size;
  }
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// kdump output written in cycles (the second pass classifying each window
// again) is byte for byte what one pass writes.
TEST(FilterPlan, WriteFilteredInCyclesGivesTheSameBytes) {
  auto src = filter_test::dumpgen_with_classes();
  ASSERT_TRUE(src);
  FilterOptions fo;
  fo.dump_level = 31;
  auto write = [&](std::optional<uint64_t> cycle_pages, const std::string& name) {
    auto wf = WindowFilter::create(*src, fo);
    EXPECT_TRUE(wf) << wf.error().message;
    PlanOptions po;
    po.end = (*wf)->end();
    FilterPlan plan = plan_filter(po);
    if (cycle_pages) plan = cycles_of(*cycle_pages, po.end);
    EXPECT_EQ(plan.cycles, cycle_pages.has_value());
    auto found = classify_all(**wf, plan);
    EXPECT_TRUE(found) << found.error().message;
    WriteJob job;
    job.output = ::testing::TempDir() + "filter_plan_" + name + ".kdump";
    job.write.codec = CodecId::lzo;
    job.write.dump_level = fo.dump_level;
    job.pipeline.threads = 2;
    job.pipeline.batch_pages = plan.batch_pages;
    const DumpInfo info = filtered_info(src->info(), fo.dump_level, *found);
    EXPECT_EQ(info.dump_level, 31u);
    auto stats = write_filtered(*src, **wf, plan, *found, info, job);
    EXPECT_TRUE(stats) << stats.error().message;
    EXPECT_EQ(stats->pages, found->kept);
    return slurp(job.output);
  };
  const std::string one = write(std::nullopt, "one");
  ASSERT_FALSE(one.empty());
  for (uint64_t size : {8u, 24u, 64u}) {
    EXPECT_EQ(write(size, "cycles" + std::to_string(size)), one) << size;
  }
}

TEST(FilterPlan, FilteredInfoStopsAtTheStructPageArray) {
  DumpInfo info;
  info.max_pfn = 1000;
  Findings found;
  EXPECT_EQ(filtered_info(info, 3, found).max_pfn, 1000u);
  EXPECT_EQ(filtered_info(info, 3, found).dump_level, 3u);
  found.mem_map_end = 600;
  EXPECT_EQ(filtered_info(info, 3, found).max_pfn, 600u);
  found.mem_map_end = 2000;
  EXPECT_EQ(filtered_info(info, 3, found).max_pfn, 1000u);
}

}  // namespace
