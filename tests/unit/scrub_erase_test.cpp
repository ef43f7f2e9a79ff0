// EraseSet: physical ranges from virtual ones, merging, page cutting, fill
// and nullify bytes, items and the eraseinfo text.
#include <gtest/gtest.h>

#include "dumpfmt_filters/scrub_kernel.h"
#include "scrub_test_support.h"

using namespace dumpfmt;
using dumpfmt::filters::EraseSet;
using scrub_test::FakeKernel;
using scrub_test::kBase;

namespace {

std::vector<std::byte> page_of(uint8_t b) { return std::vector<std::byte>(4096, std::byte{b}); }

TEST(ScrubErase, RangesAcrossPagesAndKinds) {
  EraseSet e(4096);
  e.add_phys(0x1ff0, 0x20, "c", "a");        // crosses PFN 1 -> 2
  e.add_phys(0x2008, 0x10, "c", "a");        // overlaps: merged into item "a"
  e.add_phys(0x3000, 0x10, "c", "b", true);  // zero fill (nullify)
  e.add_phys(0x3008, 0x10, "c", "b2");       // pattern, overlapping the zero range
  e.add_phys(0x5000, 0, "c", "empty");       // nothing
  e.finish();
  PfnSet want;
  want.insert_range(1, 4);
  EXPECT_EQ(e.pages(), want);

  auto p1 = page_of(0x11);
  EXPECT_EQ(e.apply(1, p1, std::byte{'X'}), 0x10u);
  for (size_t i = 0; i < 4096; ++i) {
    EXPECT_EQ(p1[i], std::byte{static_cast<uint8_t>(i >= 0xff0 ? 'X' : 0x11)}) << i;
  }
  auto p2 = page_of(0x22);
  EXPECT_EQ(e.apply(2, p2, std::byte{'X'}), 0x18u);
  for (size_t i = 0; i < 4096; ++i) {
    EXPECT_EQ(p2[i], std::byte{static_cast<uint8_t>(i < 0x18 ? 'X' : 0x22)}) << i;
  }
  auto p3 = page_of(0x33);
  e.apply(3, p3, std::byte{'X'});
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(p3[i], std::byte{0}) << i;
  for (size_t i = 0x10; i < 0x18; ++i) EXPECT_EQ(p3[i], std::byte{'X'}) << i;
  EXPECT_EQ(p3[0x18], std::byte{0x33});
  auto p4 = page_of(0x44);
  EXPECT_EQ(e.apply(4, p4, std::byte{'X'}), 0u);
  EXPECT_EQ(p4, page_of(0x44));

  ASSERT_EQ(e.items().size(), 3u);  // an empty range is no item
  EXPECT_EQ(e.items()[0].what, "a");
  EXPECT_EQ(e.items()[0].bytes, 0x30u);
  EXPECT_EQ(e.items()[0].count, 2u);
  EXPECT_EQ(e.eraseinfo(), "erase a size 48\nerase b size 16\nerase b2 size 16\n");
}

TEST(ScrubErase, VirtualRangesTranslatePageByPage) {
  // A view whose pages are scattered: virtual page n maps to physical page 10 - n.
  struct Scattered : FakeKernel {
    Result<uint64_t> vtop(uint64_t v) const override {
      uint64_t n = (v - kBase) / 4096;
      if (v < kBase || n > 10) return make_error(Errc::no_data, "unmapped");
      return (10 - n) * 4096 + v % 4096;
    }
  } k;
  EraseSet e(4096);
  ASSERT_TRUE(e.add_virt(k, kBase + 0x0ff8, 0x10, "c", "w"));
  // Fails on the unmapped page: nothing of it is recorded.
  EXPECT_FALSE(e.add_virt(k, kBase + 10 * 4096 + 4000, 200, "c", "bad"));
  EXPECT_FALSE(e.add_virt(k, ~uint64_t{0} - 4, 10, "c", "wrap"));
  e.finish();
  PfnSet want;
  want.insert(9);
  want.insert(10);
  EXPECT_EQ(e.pages(), want);
  auto p10 = page_of(0);
  EXPECT_EQ(e.apply(10, p10, std::byte{1}), 8u);
  EXPECT_EQ(p10[4088], std::byte{1});
  auto p9 = page_of(0);
  EXPECT_EQ(e.apply(9, p9, std::byte{1}), 8u);
  EXPECT_EQ(p9[7], std::byte{1});
  EXPECT_EQ(p9[8], std::byte{0});
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0].bytes, 16u);
}

}  // namespace
