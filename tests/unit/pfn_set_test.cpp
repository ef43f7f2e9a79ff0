// PfnSet against a std::set model: random operations must agree exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "dumpfmt/pfn_set.h"

using dumpfmt::Pfn;
using dumpfmt::PfnSet;

namespace {

std::vector<std::pair<Pfn, Pfn>> runs_of(const PfnSet& s) {
  std::vector<std::pair<Pfn, Pfn>> r;
  s.for_each_run([&](Pfn a, Pfn b) { r.emplace_back(a, b); });
  return r;
}

std::vector<std::pair<Pfn, Pfn>> runs_of(const std::set<Pfn>& s) {
  std::vector<std::pair<Pfn, Pfn>> r;
  for (Pfn p : s) {
    if (!r.empty() && r.back().second == p) {
      r.back().second = p + 1;
    } else {
      r.emplace_back(p, p + 1);
    }
  }
  return r;
}

}  // namespace

TEST(PfnSet, EmptySet) {
  PfnSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.end_bound(), 0u);
  EXPECT_FALSE(s.next(0).has_value());
  EXPECT_FALSE(s.contains(12345));
}

TEST(PfnSet, FullChunksAreCheap) {
  PfnSet s;
  // 1 TiB of 4 KiB pages in one range.
  s.insert_range(0, Pfn{1} << 28);
  EXPECT_EQ(s.count(), Pfn{1} << 28);
  EXPECT_LT(s.memory_bytes(), 512u * 1024);
  EXPECT_TRUE(s.contains((Pfn{1} << 28) - 1));
  EXPECT_FALSE(s.contains(Pfn{1} << 28));
  EXPECT_EQ(runs_of(s).size(), 1u);
  s.erase(100);
  EXPECT_EQ(s.count(), (Pfn{1} << 28) - 1);
  EXPECT_EQ(runs_of(s).size(), 2u);
  EXPECT_EQ(s.next(100), Pfn{101});
}

TEST(PfnSet, RandomOperationsMatchModel) {
  std::mt19937_64 rng(42);
  PfnSet s;
  std::set<Pfn> model;
  const Pfn space = 5 * PfnSet::kChunkPfns + 77;
  for (int step = 0; step < 1500; ++step) {
    Pfn a = rng() % space;
    Pfn len = (rng() % 16 == 0) ? rng() % (2 * PfnSet::kChunkPfns) : rng() % 70;
    Pfn b = std::min(space, a + len);
    if (rng() % 3 == 0) {
      s.erase_range(a, b);
      for (Pfn p = a; p < b; ++p) model.erase(p);
    } else {
      s.insert_range(a, b);
      for (Pfn p = a; p < b; ++p) model.insert(p);
    }
    if (step % 100 == 0) {
      ASSERT_EQ(s.count(), model.size()) << "step " << step;
      ASSERT_EQ(runs_of(s), runs_of(model)) << "step " << step;
      Pfn q = rng() % space;
      auto it = model.lower_bound(q);
      auto n = s.next(q);
      ASSERT_EQ(n.has_value(), it != model.end());
      if (n) {
        ASSERT_EQ(*n, *it);
      }
      Pfn c0 = rng() % space, c1 = rng() % space;
      if (c0 > c1) std::swap(c0, c1);
      uint64_t expect =
          static_cast<uint64_t>(std::distance(model.lower_bound(c0), model.lower_bound(c1)));
      ASSERT_EQ(s.count_range(c0, c1), expect);
      ASSERT_EQ(s.end_bound(), model.empty() ? 0 : *model.rbegin() + 1);
      // slice() keeps exactly the members of the window.
      std::set<Pfn> window(model.lower_bound(c0), model.lower_bound(c1));
      PfnSet sl = s.slice(c0, c1);
      ASSERT_EQ(sl.count(), window.size()) << "step " << step;
      ASSERT_EQ(runs_of(sl), runs_of(window)) << "step " << step;
      // next_run as a cursor walks the same runs as for_each_run, and from a
      // point inside a run starts there.
      std::vector<std::pair<Pfn, Pfn>> walked;
      for (auto r = s.next_run(0); r; r = s.next_run(r->second)) walked.push_back(*r);
      ASSERT_EQ(walked, runs_of(model)) << "step " << step;
      auto r = s.next_run(q);
      ASSERT_EQ(r.has_value(), it != model.end());
      if (r) {
        ASSERT_EQ(r->first, *it);
        Pfn e = *it;
        while (model.count(e)) ++e;
        ASSERT_EQ(r->second, e);
      }
    }
  }
}

// Ranges spanning many chunks, inserted below and over existing members (the
// merge path of insert_range), against a bitmap model.
TEST(PfnSet, LongRangesOutOfOrderMatchModel) {
  std::mt19937_64 rng(7);
  const Pfn space = 40 * PfnSet::kChunkPfns + 77;
  PfnSet s;
  std::vector<char> model(space, 0);
  auto model_runs = [&] {
    std::vector<std::pair<Pfn, Pfn>> r;
    for (Pfn p = 0; p < space; ++p) {
      if (!model[p]) continue;
      if (!r.empty() && r.back().second == p) {
        r.back().second = p + 1;
      } else {
        r.emplace_back(p, p + 1);
      }
    }
    return r;
  };
  for (int step = 0; step < 120; ++step) {
    Pfn a = rng() % space;
    Pfn b = std::min(space, a + rng() % (20 * PfnSet::kChunkPfns));
    if (step % 4 == 3) {
      s.erase_range(a, b);
      std::fill(model.begin() + static_cast<ptrdiff_t>(a),
                model.begin() + static_cast<ptrdiff_t>(b), 0);
    } else {
      s.insert_range(a, b);
      std::fill(model.begin() + static_cast<ptrdiff_t>(a),
                model.begin() + static_cast<ptrdiff_t>(b), 1);
    }
    if (step % 10 == 9) {
      ASSERT_EQ(runs_of(s), model_runs()) << "step " << step;
      ASSERT_EQ(s.count(), static_cast<uint64_t>(std::count(model.begin(), model.end(), 1)));
    }
  }
  // Segments from the top of memory downwards, as some ELF writers order them.
  PfnSet down, up;
  for (Pfn k = 30; k-- > 0;)
    down.insert_range(k * 10 * PfnSet::kChunkPfns + 5, (k + 1) * 10 * PfnSet::kChunkPfns - 3);
  for (Pfn k = 0; k < 30; ++k)
    up.insert_range(k * 10 * PfnSet::kChunkPfns + 5, (k + 1) * 10 * PfnSet::kChunkPfns - 3);
  EXPECT_EQ(runs_of(down), runs_of(up));
  EXPECT_EQ(down.count(), up.count());
}

// insert_word against the model: words in order (the readers' bitmaps), words
// filling a chunk (which must become a full one), and words out of order or
// over existing members.
TEST(PfnSet, InsertWordMatchesModel) {
  std::mt19937_64 rng(7);
  PfnSet s;
  std::set<Pfn> model;
  auto put = [&](Pfn base, uint64_t w) {
    s.insert_word(base, w);
    for (unsigned i = 0; i < 64; ++i)
      if (w >> i & 1) model.insert(base + i);
  };
  const uint64_t shapes[] = {0, ~uint64_t{0}, 0x5555555555555555, 0x8000000000000001, 1};
  for (Pfn base = 0; base < 3 * PfnSet::kChunkPfns; base += 64) {
    // chunk 1 all ones (becomes a full chunk), the others mixed
    uint64_t w = base / PfnSet::kChunkPfns == 1 ? ~uint64_t{0}
                 : rng() % 4 == 0               ? rng()
                                                : shapes[rng() % 5];
    put(base, w);
  }
  EXPECT_EQ(s.count(), model.size());
  EXPECT_EQ(runs_of(s), runs_of(model));
  EXPECT_LT(s.memory_bytes(), 3 * PfnSet::kChunkPfns / 8);  // chunk 1 holds no bitmap
  for (int i = 0; i < 2000; ++i) put((rng() % (4 * PfnSet::kChunkPfns)) & ~Pfn{63}, rng());
  EXPECT_EQ(s.count(), model.size());
  EXPECT_EQ(runs_of(s), runs_of(model));
}

TEST(PfnSet, SetAlgebra) {
  PfnSet a, b;
  a.insert_range(0, 100000);
  b.insert_range(50000, 150000);
  PfnSet u = a;
  u.add(b);
  EXPECT_EQ(u.count(), 150000u);
  PfnSet d = a;
  d.subtract(b);
  EXPECT_EQ(d.count(), 50000u);
  EXPECT_EQ(d.end_bound(), 50000u);
  PfnSet i = a;
  i.intersect(b);
  EXPECT_EQ(i.count(), 50000u);
  EXPECT_EQ(i.next(0), Pfn{50000});
  EXPECT_TRUE(u == u);
  EXPECT_FALSE(u == d);
}

// add/subtract/intersect of random sets (scattered runs, full chunks, sets
// built out of order) against the model.
TEST(PfnSet, AlgebraMatchesModel) {
  std::mt19937_64 rng(11);
  const Pfn space = 6 * PfnSet::kChunkPfns;
  auto random_set = [&](PfnSet& s, std::set<Pfn>& m) {
    for (int k = 0; k < 40; ++k) {
      Pfn a = rng() % space;
      Pfn len = rng() % 8 == 0 ? rng() % (2 * PfnSet::kChunkPfns) : rng() % 300;
      Pfn b = std::min(space, a + len);
      s.insert_range(a, b);
      for (Pfn p = a; p < b; ++p) m.insert(p);
    }
  };
  for (int round = 0; round < 30; ++round) {
    PfnSet a, b;
    std::set<Pfn> ma, mb;
    random_set(a, ma);
    random_set(b, mb);
    PfnSet u = a, d = a, i = a;
    u.add(b);
    d.subtract(b);
    i.intersect(b);
    std::set<Pfn> mu = ma, md, mi;
    mu.insert(mb.begin(), mb.end());
    for (Pfn p : ma) (mb.count(p) ? mi : md).insert(p);
    ASSERT_EQ(u.count(), mu.size()) << round;
    ASSERT_EQ(runs_of(u), runs_of(mu)) << round;
    ASSERT_EQ(runs_of(d), runs_of(md)) << round;
    ASSERT_EQ(runs_of(i), runs_of(mi)) << round;
    // the same union built run by run compares equal (one representation)
    PfnSet v;
    for (auto [x, y] : runs_of(mu)) v.insert_range(x, y);
    ASSERT_TRUE(u == v) << round;
    u.add(u);
    ASSERT_EQ(u.count(), mu.size());
  }
}

TEST(PfnSet, ExportBitmapIsLsbFirst) {
  PfnSet s;
  s.insert(0);
  s.insert(9);
  s.insert(15);
  s.insert_range(PfnSet::kChunkPfns - 3, PfnSet::kChunkPfns + 10);  // crosses a chunk edge
  std::vector<uint8_t> bm(PfnSet::kChunkPfns / 8 + 8);
  s.export_bitmap(0, bm);
  EXPECT_EQ(bm[0], 0x01);
  EXPECT_EQ(bm[1], 0x82);
  for (Pfn p = 0; p < bm.size() * 8; ++p) {
    bool bit = (bm[p / 8] >> (p % 8)) & 1;
    ASSERT_EQ(bit, s.contains(p)) << p;
  }
  // Window not starting at 0, over a full chunk.
  PfnSet f;
  f.insert_range(PfnSet::kChunkPfns, 2 * PfnSet::kChunkPfns);
  std::vector<uint8_t> w(16);
  f.export_bitmap(PfnSet::kChunkPfns - 64, w);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(w[i], 0) << i;
  for (size_t i = 8; i < 16; ++i) EXPECT_EQ(w[i], 0xff) << i;
}

TEST(PfnSet, NextRunCrossesFullAndAdjacentChunks) {
  PfnSet s;
  const Pfn k = PfnSet::kChunkPfns;
  s.insert_range(k - 5, 3 * k + 9);  // bitmap chunk, two full chunks, bitmap chunk
  s.insert_range(5 * k, 6 * k);      // a full chunk after a missing one
  auto r = s.next_run(0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::make_pair(k - 5, 3 * k + 9));
  r = s.next_run(2 * k + 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::make_pair(2 * k + 1, 3 * k + 9));
  r = s.next_run(3 * k + 9);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::make_pair(5 * k, 6 * k));
  EXPECT_FALSE(s.next_run(6 * k));
}

TEST(PfnSet, CursorPiecesTileTheRuns) {
  std::mt19937_64 rng(7);
  PfnSet s;
  for (int i = 0; i < 300; ++i) {
    Pfn a = rng() % (4 * PfnSet::kChunkPfns);
    s.insert_range(a, a + rng() % 3000);
  }
  for (uint64_t max : {1, 5, 64, 4096}) {
    PfnSet::Cursor c(s);
    std::vector<std::pair<Pfn, Pfn>> joined;
    while (auto p = c.next(max)) {
      ASSERT_LT(p->first, p->second);
      ASSERT_LE(p->second - p->first, max);
      ASSERT_EQ(s.count_range(p->first, p->second), p->second - p->first);  // within one run
      if (!joined.empty() && joined.back().second == p->first) {
        joined.back().second = p->second;
      } else {
        joined.push_back(*p);
      }
    }
    EXPECT_FALSE(c.next(max));
    EXPECT_EQ(joined, runs_of(s)) << max;
  }
}
