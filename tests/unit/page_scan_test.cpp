// scan_pages and parallel_for with a fake source: every page once, units in
// PFN order, 1 vs N threads, failures (keep-going and stop), progress, empty
// sets, many tiny runs, batched reads.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "dumpfmt/bytes.h"
#include "dumpfmt/page_scan.h"

using namespace dumpfmt;

namespace {

constexpr uint32_t kPage = 4096;

// Page contents a function of the PFN; PFNs in `bad` fail to read; read_pages
// is the one-call kind formats override (it fails when any page does).
class FakeSource : public PageSource {
 public:
  explicit FakeSource(PfnSet present) : present_(std::move(present)) { info_.page_size = kPage; }
  const DumpInfo& info() const override { return info_; }
  const PfnSet& present() const override { return present_; }
  Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override {
    ++single_reads;
    if (bad.count(pfn)) return make_error(Errc::corrupt, "bad page " + hex(pfn));
    fill(pfn, out);
    return pfn % 3 == 0 ? PageState::zero : PageState::present;
  }
  Status read_pages(Pfn first, std::span<std::byte> out,
                    std::span<PageState> states) const override {
    ++batch_reads;
    for (size_t k = 0; k < states.size(); ++k) {
      if (bad.count(first + k)) return make_error(Errc::corrupt, "bad run");
      fill(first + k, out.subspan(k * kPage, kPage));
      states[k] = (first + k) % 3 == 0 ? PageState::zero : PageState::present;
    }
    return ok();
  }
  static void fill(Pfn pfn, std::span<std::byte> out) {
    std::fill(out.begin(), out.end(), std::byte{0});
    if (pfn % 3) std::memcpy(out.data(), &pfn, sizeof pfn);
  }
  std::set<Pfn> bad;
  mutable std::atomic<uint64_t> single_reads{0}, batch_reads{0};

 private:
  DumpInfo info_;
  PfnSet present_;
};

PfnSet runs_set() {
  PfnSet s;
  s.insert_range(0, 1);
  s.insert_range(5, 300);
  s.insert_range(1000, 5000);
  s.insert_range(1 << 20, (1 << 20) + 777);
  for (Pfn p = 10000; p < 12000; p += 3) s.insert(p);
  return s;
}

// What a scan saw: each PFN's checksum and state, merged unit by unit.
struct Seen {
  std::vector<std::pair<Pfn, Pfn>> units;  // in merge order
  std::map<Pfn, uint64_t> pages;           // PFN -> contents' first word
  std::vector<Pfn> errors;                 // in merge order
  uint64_t last_progress = 0;
};

Seen scan(const FakeSource& src, const PfnSet& set, ScanOptions so, Status* result = nullptr) {
  Seen seen;
  struct Slot {
    std::vector<std::pair<Pfn, uint64_t>> pages;
    std::vector<Pfn> errors;
    size_t unit = SIZE_MAX;
  };
  std::vector<Slot> slots(scan_slots(so));
  const auto caller = std::this_thread::get_id();
  so.progress = [&](uint64_t d, uint64_t t) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_GE(d, seen.last_progress);
    EXPECT_EQ(t, set.count());
    seen.last_progress = d;
  };
  Status st = scan_pages(
      src, set, so,
      [&](const ScanBatch& b) -> Status {
        EXPECT_LT(b.unit->slot, slots.size());
        Slot& s = slots[b.unit->slot];
        if (b.first == b.unit->first) {
          EXPECT_EQ(s.unit, SIZE_MAX) << "slot reused before its merge";
          s.unit = b.unit->index;
        }
        EXPECT_EQ(s.unit, b.unit->index);
        EXPECT_GE(b.first, b.unit->first);
        EXPECT_LE(b.first + b.count, b.unit->end);
        EXPECT_LT(b.worker, std::max(1u, so.threads));
        if (b.error) {
          EXPECT_EQ(b.count, 1u);
          s.errors.push_back(b.first);
          return ok();
        }
        EXPECT_EQ(b.data.size(), b.count * kPage);
        EXPECT_EQ(b.states.size(), b.count);
        for (size_t k = 0; k < b.count; ++k) {
          uint64_t w;
          std::memcpy(&w, b.data.data() + k * kPage, sizeof w);
          EXPECT_EQ(b.states[k], (b.first + k) % 3 ? PageState::present : PageState::zero);
          s.pages.emplace_back(b.first + k, w);
        }
        return ok();
      },
      [&](const ScanUnit& u) -> Status {
        EXPECT_EQ(u.index, seen.units.size());
        Slot& s = slots[u.slot];
        EXPECT_EQ(s.unit, u.index);
        seen.units.emplace_back(u.first, u.end);
        for (auto [p, w] : s.pages) EXPECT_TRUE(seen.pages.emplace(p, w).second) << "twice " << p;
        seen.errors.insert(seen.errors.end(), s.errors.begin(), s.errors.end());
        s = {};
        return ok();
      });
  if (result) {
    *result = st;
  } else {
    EXPECT_TRUE(st) << st.error().message;
  }
  return seen;
}

TEST(PageScan, EveryPageOnceUnitsInPfnOrder) {
  const PfnSet set = runs_set();
  FakeSource src(set);
  for (unsigned threads : {1u, 2u, 5u}) {
    SCOPED_TRACE(threads);
    ScanOptions so;
    so.threads = threads;
    so.unit_pages = 100;
    so.read_pages = 7;
    so.units_per_thread = 2;
    Seen s = scan(src, set, so);
    ASSERT_EQ(s.pages.size(), set.count());
    for (auto [p, w] : s.pages) {
      EXPECT_TRUE(set.contains(p));
      EXPECT_EQ(w, p % 3 ? p : 0) << p;
    }
    // Units: ascending, within one run each, at most unit_pages, covering the set.
    PfnSet covered;
    Pfn prev_end = 0;
    for (auto [a, b] : s.units) {
      EXPECT_GE(a, prev_end);
      EXPECT_LE(b - a, 100u);
      EXPECT_EQ(set.count_range(a, b), b - a);
      covered.insert_range(a, b);
      prev_end = b;
    }
    EXPECT_EQ(covered, set);
    EXPECT_EQ(s.last_progress, set.count());
  }
}

// A keep-going scan of runs_set() with a few unreadable pages.
const std::set<Pfn> kBad = {7, 1500, 1501, 11002, (1 << 20) + 5};
Seen scan_with_bad_pages(unsigned threads, uint64_t unit_pages) {
  const PfnSet set = runs_set();
  FakeSource src(set);
  src.bad = kBad;
  ScanOptions so;
  so.keep_going = true;
  so.threads = threads;
  so.unit_pages = unit_pages;
  return scan(src, set, so);
}

TEST(PageScan, OneAndManyThreadsAgree) {
  Seen one = scan_with_bad_pages(1, 64);
  Seen many = scan_with_bad_pages(4, 64);
  EXPECT_EQ(one.units, many.units);
  EXPECT_EQ(one.pages, many.pages);
  EXPECT_EQ(one.errors, many.errors);
}

TEST(PageScan, KeepGoingReportsEachFailingPage) {
  Seen s = scan_with_bad_pages(3, 50);
  EXPECT_EQ(s.errors, std::vector<Pfn>(kBad.begin(), kBad.end()));
  const uint64_t total = runs_set().count();
  // The neighbours of a bad page are read page by page, not lost.
  EXPECT_EQ(s.pages.size() + s.errors.size(), total);
  EXPECT_TRUE(s.pages.count(8));
  EXPECT_TRUE(s.pages.count(1502));
  EXPECT_EQ(s.last_progress, total);
}

TEST(PageScan, StopsAtTheFirstFailureInPfnOrder) {
  const PfnSet set = runs_set();
  FakeSource src(set);
  src.bad = {1500, 4000, (1 << 20) + 5};
  for (unsigned threads : {1u, 4u}) {
    SCOPED_TRACE(threads);
    ScanOptions so;
    so.threads = threads;
    so.unit_pages = 30;
    Status st = ok();
    Seen s = scan(src, set, so, &st);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("page 0x5dc"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("bad page 0x5dc"), std::string::npos);
    EXPECT_TRUE(s.errors.empty());
    // Every unit before the failing one merged; none after it.
    ASSERT_FALSE(s.units.empty());
    EXPECT_LE(s.units.back().second, 1500u);
    EXPECT_EQ(s.last_progress, set.count_range(0, s.units.back().second));
    EXPECT_EQ(s.pages.size(), s.last_progress);
  }
}

TEST(PageScan, AVisitorErrorStopsTheScan) {
  const PfnSet set = runs_set();
  FakeSource src(set);
  for (unsigned threads : {1u, 4u}) {
    ScanOptions so;
    so.threads = threads;
    so.unit_pages = 40;
    std::atomic<uint64_t> merged{0};
    Status st = scan_pages(
        src, set, so,
        [&](const ScanBatch& b) -> Status {
          for (Pfn p = b.first; p < b.first + b.count; ++p) {
            if (p == 2000 || p == 4500) return make_error(Errc::invalid_argument, hex(p));
          }
          return ok();
        },
        [&](const ScanUnit& u) -> Status {
          EXPECT_LE(u.end, 2000u);
          ++merged;
          return ok();
        });
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message, hex(2000));
    EXPECT_GT(merged.load(), 0u);
  }
}

TEST(PageScan, MergeMayEraseBehindTheCursor) {
  PfnSet set;
  for (Pfn p = 0; p < 40000; p += 2) set.insert(p);  // 20000 runs of one page
  FakeSource src(set);
  PfnSet working = set;
  ScanOptions so;
  so.threads = 3;
  std::atomic<uint64_t> visited{0};
  uint64_t units = 0;
  Status st = scan_pages(
      src, working, so,
      [&](const ScanBatch& b) -> Status {
        visited += b.count;
        return ok();
      },
      [&](const ScanUnit& u) -> Status {
        ++units;
        working.erase_range(u.first, u.end);
        return ok();
      });
  ASSERT_TRUE(st);
  EXPECT_EQ(visited.load(), 20000u);
  EXPECT_EQ(units, 20000u);
  EXPECT_TRUE(working.empty());
}

TEST(PageScan, EmptySet) {
  FakeSource src{PfnSet{}};
  ScanOptions so;
  bool called = false;
  so.progress = [&](uint64_t, uint64_t) { called = true; };
  Status st = scan_pages(src, PfnSet{}, so, [&](const ScanBatch&) -> Status {
    called = true;
    return ok();
  });
  EXPECT_TRUE(st);
  EXPECT_FALSE(called);
}

TEST(PageScan, ReadsInBatches) {
  PfnSet set;
  set.insert_range(0, 3200);
  FakeSource src(set);
  ScanOptions so;
  so.threads = 2;
  so.read_pages = 32;
  std::atomic<uint64_t> pages{0};
  ASSERT_TRUE(scan_pages(src, set, so, [&](const ScanBatch& b) -> Status {
    EXPECT_EQ(b.count, 32u);
    pages += b.count;
    return ok();
  }));
  EXPECT_EQ(pages.load(), 3200u);
  EXPECT_EQ(src.batch_reads.load(), 100u);
  EXPECT_EQ(src.single_reads.load(), 0u);
}

TEST(ParallelFor, EachIndexOnce) {
  for (unsigned threads : {1u, 3u, 8u}) {
    std::vector<std::atomic<int>> hits(100);
    std::mutex mu;
    std::set<unsigned> workers;
    parallel_for(hits.size(), threads, [&](unsigned w, size_t i) {
      ++hits[i];
      std::lock_guard lock(mu);
      workers.insert(w);
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    for (unsigned w : workers) EXPECT_LT(w, threads);
  }
  bool called = false;
  parallel_for(0, 4, [&](unsigned, size_t) { called = true; });
  EXPECT_FALSE(called);
}

}  // namespace
