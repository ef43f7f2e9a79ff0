// run_pipeline with a fake source and a recording writer: order, encoding,
// zero detection, thread counts, transforms and per-page failures.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>

#include "dumpfmt/bytes.h"
#include "dumpfmt/pipeline.h"

using namespace dumpfmt;

namespace {

constexpr uint32_t kPage = 4096;

// Pages whose content is a function of the PFN; every 5th page zero, every
// 7th stored as "zero" state, PFNs listed in `bad` fail to read.
class FakeSource : public PageSource {
 public:
  explicit FakeSource(PfnSet present) : present_(std::move(present)) { info_.page_size = kPage; }
  const DumpInfo& info() const override { return info_; }
  const PfnSet& present() const override { return present_; }
  Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override {
    if (bad.count(pfn)) return make_error(Errc::corrupt, "bad page " + hex(pfn));
    if (pfn % 7 == 0) {
      std::fill(out.begin(), out.end(), std::byte{0});
      return PageState::zero;
    }
    fill(pfn, out);
    return PageState::present;
  }
  static void fill(Pfn pfn, std::span<std::byte> out) {
    if (pfn % 5 == 0) {
      std::fill(out.begin(), out.end(), std::byte{0});
      return;
    }
    // Compressible but distinct per PFN; odd PFNs random-ish (incompressible).
    uint64_t x = pfn * 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < out.size(); ++i) {
      if (pfn % 2) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<std::byte>(x);
      } else {
        out[i] = static_cast<std::byte>((pfn + i / 64) & 0xff);
      }
    }
  }
  std::set<Pfn> bad;

 private:
  DumpInfo info_;
  PfnSet present_;
};

class RecordingWriter : public DumpWriter {
 public:
  explicit RecordingWriter(CodecId c) : codec_(c) {}
  CodecId wanted_codec() const override { return codec_; }
  Status begin(const DumpInfo&, const PfnSet&, const PfnSet&) override { return ok(); }
  Status write_page(const EncodedPage& p) override {
    if (!order.empty() && p.pfn <= order.back()) return make_error(Errc::invalid_argument, "order");
    order.push_back(p.pfn);
    std::vector<std::byte> page(kPage);
    if (!p.zero) {
      if (p.codec == CodecId::none) {
        if (p.data.size() != kPage) return make_error(Errc::corrupt, "raw size");
        std::copy(p.data.begin(), p.data.end(), page.begin());
      } else {
        auto c = make_codec(p.codec);
        if (!c) return c.error();
        DUMPFMT_TRY((*c)->decompress(p.data, page));
        ++compressed;
      }
    } else {
      ++zeros;
    }
    pages[p.pfn] = std::move(page);
    return ok();
  }
  Status finish() override {
    finished = true;
    return ok();
  }
  std::vector<Pfn> order;
  std::map<Pfn, std::vector<std::byte>> pages;
  size_t zeros = 0, compressed = 0;
  bool finished = false;

 private:
  CodecId codec_;
};

PfnSet sample_set() {
  PfnSet s;
  s.insert_range(0, 3000);
  s.insert_range(5000, 5003);
  s.insert_range(100000, 102500);
  return s;
}

}  // namespace

class PipelineThreads : public ::testing::TestWithParam<std::tuple<unsigned, CodecId, size_t>> {};

TEST_P(PipelineThreads, WritesEveryPageInOrderWithExactContents) {
  auto [threads, codec, batch] = GetParam();
  if (!codec_built(codec)) GTEST_SKIP() << "codec not built";
  FakeSource src(sample_set());
  RecordingWriter w(codec);
  PipelineOptions o;
  o.threads = threads;
  o.batch_pages = batch;
  uint64_t last_progress = 0;
  o.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, src.present().count());
    EXPECT_GE(done, last_progress);
    last_progress = done;
  };
  auto st = run_pipeline(src, src.present(), w, o);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_TRUE(w.finished);
  EXPECT_EQ(last_progress, src.present().count());
  ASSERT_EQ(w.order.size(), src.present().count());
  EXPECT_EQ(st->pages, w.order.size());
  std::vector<std::byte> expect(kPage);
  size_t zeros = 0;
  for (auto& [pfn, page] : w.pages) {
    if (pfn % 7 == 0 || pfn % 5 == 0) {
      std::fill(expect.begin(), expect.end(), std::byte{0});
      ++zeros;
    } else {
      FakeSource::fill(pfn, expect);
    }
    ASSERT_EQ(page, expect) << "pfn " << pfn;
  }
  EXPECT_EQ(w.zeros, zeros) << "zero pages must be detected, not compressed";
  EXPECT_EQ(st->zero_pages, zeros);
  if (codec != CodecId::none) {
    EXPECT_GT(w.compressed, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, PipelineThreads,
    ::testing::Values(std::make_tuple(1u, CodecId::none, size_t{4096}),
                      std::make_tuple(2u, CodecId::zlib, size_t{100}),
                      std::make_tuple(4u, CodecId::lzo, size_t{1}),
                      std::make_tuple(3u, CodecId::zstd, size_t{777}),
                      std::make_tuple(2u, CodecId::snappy, size_t{4096})));

TEST(Pipeline, FailureStopsWithPfnInMessage) {
  FakeSource src(sample_set());
  src.bad.insert(101234);
  RecordingWriter w(CodecId::zlib);
  PipelineOptions o;
  o.threads = 2;
  auto st = run_pipeline(src, src.present(), w, o);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("0x18b72"), std::string::npos) << st.error().message;
  EXPECT_FALSE(w.finished);
}

TEST(Pipeline, KeepGoingWritesZerosAndCounts) {
  FakeSource src(sample_set());
  src.bad = {1, 2, 5001};
  RecordingWriter w(CodecId::zlib);
  PipelineOptions o;
  o.keep_going = true;
  auto st = run_pipeline(src, src.present(), w, o);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(st->failed_pages, 3u);
  EXPECT_NE(st->first_failure.find("bad page"), std::string::npos);
  EXPECT_TRUE(is_zero(w.pages.at(5001)));
  EXPECT_EQ(w.order.size(), src.present().count());
}

TEST(Pipeline, TransformRewritesBeforeCompression) {
  PfnSet s;
  s.insert_range(1, 50);
  FakeSource src(s);
  RecordingWriter w(CodecId::zstd);
  PipelineOptions o;
  o.transform = [](Pfn pfn, std::span<std::byte> page) -> Status {
    if (pfn == 3) std::fill(page.begin(), page.end(), std::byte{0xAA});
    return ok();
  };
  auto st = run_pipeline(src, src.present(), w, o);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(w.pages.at(3), std::vector<std::byte>(kPage, std::byte{0xAA}));
}

namespace {

// A source that reads chunks in one go (as ELF does) and fails a whole chunk
// when any page of it is bad: the pipeline must find the bad page itself.
class ChunkedSource : public FakeSource {
 public:
  using FakeSource::FakeSource;
  Status read_pages(Pfn first, std::span<std::byte> out,
                    std::span<PageState> states) const override {
    ++chunk_calls;
    for (size_t k = 0; k < states.size(); ++k) {
      if (bad.count(first + k)) return make_error(Errc::io, "chunk read failed");
    }
    return PageSource::read_pages(first, out, states);
  }
  mutable std::atomic<uint64_t> chunk_calls{0};
};

// Fails on its n-th page, as a full disk would.
class FailingWriter : public RecordingWriter {
 public:
  FailingWriter(CodecId c, size_t n) : RecordingWriter(c), fail_at_(n) {}
  Status write_page(const EncodedPage& p) override {
    if (order.size() == fail_at_) return make_error(Errc::io, "disk full");
    return RecordingWriter::write_page(p);
  }

 private:
  size_t fail_at_;
};

}  // namespace

TEST(Pipeline, ChunkReadsAndPerPageFallback) {
  ChunkedSource src(sample_set());
  src.bad = {2500, 100007};
  RecordingWriter w(CodecId::lzo);
  PipelineOptions o;
  o.threads = 3;
  o.keep_going = true;
  auto st = run_pipeline(src, src.present(), w, o);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(st->failed_pages, 2u);  // only the bad pages, not their chunks
  EXPECT_GT(src.chunk_calls.load(), 0u);
  EXPECT_LT(src.chunk_calls.load(), src.present().count() / 8);  // pages really go in chunks
  ASSERT_EQ(w.order.size(), src.present().count());
  for (const auto& [pfn, page] : w.pages) {
    std::vector<std::byte> want(kPage);
    if (src.bad.count(pfn)) {
      EXPECT_TRUE(is_zero(page));
      continue;
    }
    if (pfn % 7 != 0) FakeSource::fill(pfn, want);
    ASSERT_EQ(page, want) << pfn;
  }
}

TEST(Pipeline, WriterFailureStopsEveryThread) {
  for (size_t fail_at : {size_t{0}, size_t{1}, size_t{1500}, size_t{5502}}) {
    SCOPED_TRACE(fail_at);
    FakeSource src(sample_set());
    FailingWriter w(CodecId::zlib, fail_at);
    PipelineOptions o;
    o.threads = 4;
    o.batch_pages = 300;
    auto st = run_pipeline(src, src.present(), w, o);
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("disk full"), std::string::npos);
    EXPECT_EQ(w.order.size(), fail_at);
    EXPECT_FALSE(w.finished);
  }
}

TEST(Pipeline, EmptySetFinishes) {
  FakeSource src(PfnSet{});
  RecordingWriter w(CodecId::zlib);
  auto st = run_pipeline(src, src.present(), w, PipelineOptions{});
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(st->pages, 0u);
  EXPECT_TRUE(w.finished);
}
