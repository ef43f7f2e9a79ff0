// Codec tests: round trips per built codec, hand-assembled streams and direct
// calls into zlib/zstd/lzo/snappy/lz4 proving the bytes are the standard
// formats, exact-size and hostile-input handling, and the codec registry.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

// The private factories give zlib's own back end next to the default one.
#include "../../libdumpfmt/codecs/codec_impl.h"
#include "dumpfmt/codec.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#if DUMPFMT_HAVE_SNAPPY
#include <snappy-c.h>
#endif
#if DUMPFMT_HAVE_ZSTD
#include <zstd.h>
#endif
#if DUMPFMT_HAVE_LZ4
#include <lz4.h>
#include <lz4hc.h>
#endif

namespace dumpfmt {
namespace {

using Bytes = std::vector<std::byte>;

constexpr size_t kPage = 4096;

Bytes to_bytes(std::string_view s) {
  Bytes b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

Bytes hex_bytes(std::initializer_list<int> v) {
  Bytes b;
  for (int x : v) b.push_back(static_cast<std::byte>(x));
  return b;
}

Bytes zero_page(size_t n = kPage) { return Bytes(n); }

// Words and numbers like a kernel log buffer: compressible, not trivially.
Bytes text_page(size_t n = kPage, uint32_t seed = 1) {
  static const char* const kWords[] = {"kernel", "page",  "memory", "task", "irq",   "cpu",
                                       "sched",  "ext4:", "mount",  "pid",  "[    ", "] ",
                                       "usb",    "0x",    "\n",     "=",    "ok",    "failed"};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += kWords[rng() % std::size(kWords)];
    if (rng() % 3 == 0) s += std::to_string(rng() % 100000);
    s += ' ';
  }
  s.resize(n);
  return to_bytes(s);
}

Bytes random_page(size_t n = kPage, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::byte>(rng());
  return b;
}

std::unique_ptr<Codec> must_make(CodecId id, int level = 0) {
  auto c = make_codec(id, level);
  EXPECT_TRUE(c) << codec_name(id) << ": " << (c ? "" : c.error().message);
  return c ? std::move(*c) : nullptr;
}

Bytes compress_with(Codec& c, const Bytes& in) {
  Bytes out(c.max_compressed_size(in.size()));
  auto n = c.compress(in, out);
  EXPECT_TRUE(n) << codec_name(c.id()) << ": " << (n ? "" : n.error().message);
  out.resize(n ? *n : 0);
  return out;
}

// --- Round trips and hostile input, for every built codec and both zlib back ends.

struct CodecCase {
  std::string label;
  std::function<Result<std::unique_ptr<Codec>>()> make;
};

void PrintTo(const CodecCase& c, std::ostream* os) { *os << c.label; }

std::vector<CodecCase> codec_cases() {
  std::vector<CodecCase> v;
  for (CodecId id : built_codecs()) {
    v.push_back({std::string(codec_name(id)), [id] { return make_codec(id); }});
  }
  v.push_back({"zlib_via_zlib", [] { return detail::make_zlib_codec_via_zlib(0); }});
  return v;
}

class CodecRoundTrip : public ::testing::TestWithParam<CodecCase> {
 protected:
  void SetUp() override {
    auto c = GetParam().make();
    ASSERT_TRUE(c) << c.error().message;
    codec_ = std::move(*c);
  }
  Bytes round_trip(const Bytes& page) {
    Bytes z = compress_with(*codec_, page);
    EXPECT_LE(z.size(), codec_->max_compressed_size(page.size()));
    Bytes back(page.size());
    auto st = codec_->decompress(z, back);
    EXPECT_TRUE(st) << st.error().message;
    EXPECT_EQ(back, page);
    return z;
  }
  std::unique_ptr<Codec> codec_;
};

TEST_P(CodecRoundTrip, ZeroPage) {
  Bytes z = round_trip(zero_page());
  if (codec_->id() != CodecId::none) {
    EXPECT_LT(z.size(), 256u);
  }
}

TEST_P(CodecRoundTrip, TextPage) {
  Bytes z = round_trip(text_page());
  if (codec_->id() != CodecId::none) {
    EXPECT_LT(z.size(), kPage * 3 / 4);
  }
}

TEST_P(CodecRoundTrip, RandomPageStaysWithinBound) { round_trip(random_page()); }

TEST_P(CodecRoundTrip, LargePages) {
  round_trip(text_page(64 * 1024, 3));
  round_trip(random_page(64 * 1024, 3));
  round_trip(zero_page(64 * 1024));
}

TEST_P(CodecRoundTrip, SmallAndEmptyInputs) {
  round_trip(Bytes{});
  round_trip(to_bytes("x"));
  round_trip(to_bytes("hello, hello, hello"));
}

// One instance across many pages: per-page state must be reset, also after
// a failed decompression.
TEST_P(CodecRoundTrip, InstanceReuseAfterErrors) {
  for (uint32_t i = 0; i < 20; ++i) {
    Bytes page = i % 3 == 0 ? random_page(kPage, i) : text_page(kPage, i);
    Bytes z = round_trip(page);
    if (!z.empty()) {
      Bytes bad = z;
      bad.resize(bad.size() / 2);
      Bytes out(kPage);
      EXPECT_FALSE(codec_->decompress(bad, out));
    }
  }
}

TEST_P(CodecRoundTrip, WrongOutputSizeIsCorrupt) {
  Bytes page = text_page();
  Bytes z = compress_with(*codec_, page);
  for (size_t n : {kPage - 1, kPage + 1, kPage / 2, kPage * 2, size_t{0}}) {
    Bytes out(n);
    auto st = codec_->decompress(z, out);
    ASSERT_FALSE(st) << "output size " << n;
    EXPECT_EQ(st.error().code, Errc::corrupt) << st.error().message;
    EXPECT_EQ(st.error().message.rfind(std::string(codec_name(codec_->id())) + ": ", 0), 0u)
        << st.error().message;
  }
}

TEST_P(CodecRoundTrip, TruncatedIsCorrupt) {
  for (const Bytes& page : {text_page(), random_page(), zero_page()}) {
    Bytes z = compress_with(*codec_, page);
    Bytes out(page.size());
    for (size_t len = 0; len < z.size(); ++len) {
      Bytes cut(z.begin(), z.begin() + static_cast<ptrdiff_t>(len));
      auto st = codec_->decompress(cut, out);
      ASSERT_FALSE(st) << "prefix " << len << " of " << z.size();
      EXPECT_EQ(st.error().code, Errc::corrupt) << st.error().message;
    }
  }
}

TEST_P(CodecRoundTrip, TrailingGarbageIsCorrupt) {
  for (const Bytes& page : {text_page(), zero_page()}) {
    Bytes z = compress_with(*codec_, page);
    for (int extra : {0x00, 0x11, 0xff}) {
      Bytes longer = z;
      longer.push_back(static_cast<std::byte>(extra));
      Bytes out(page.size());
      auto st = codec_->decompress(longer, out);
      ASSERT_FALSE(st) << "trailing byte " << extra;
      EXPECT_EQ(st.error().code, Errc::corrupt) << st.error().message;
    }
  }
}

// Flipped bytes may decode (not every format is checksummed) but must never
// crash or report anything but corruption; run under ASan to see overruns.
TEST_P(CodecRoundTrip, FlippedBytesNeverCrash) {
  Bytes page = text_page();
  Bytes z = compress_with(*codec_, page);
  std::mt19937 rng(42);
  Bytes out(page.size());
  for (size_t i = 0; i < z.size(); ++i) {
    for (int k = 0; k < 3; ++k) {
      Bytes bad = z;
      bad[i] ^= static_cast<std::byte>(1 + rng() % 255);
      auto st = codec_->decompress(bad, out);
      if (!st) {
        EXPECT_EQ(st.error().code, Errc::corrupt) << st.error().message;
      }
    }
  }
}

TEST_P(CodecRoundTrip, RandomInputNeverCrashes) {
  std::mt19937_64 rng(9);
  Bytes out(kPage);
  for (size_t len : {1, 2, 3, 4, 7, 16, 100, 1000, 5000}) {
    for (int k = 0; k < 20; ++k) {
      Bytes junk = random_page(len, rng());
      auto st = codec_->decompress(junk, out);
      if (!st) {
        EXPECT_EQ(st.error().code, Errc::corrupt) << st.error().message;
      }
    }
  }
}

TEST_P(CodecRoundTrip, OutputBelowBoundIsRefused) {
  Bytes page = random_page();
  Bytes out(codec_->max_compressed_size(page.size()) - 1);
  auto n = codec_->compress(page, out);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecRoundTrip, ::testing::ValuesIn(codec_cases()),
                         [](const auto& p) { return p.param.label; });

// Decodes `z` to exactly `want` bytes with a fresh codec `id`.
void expect_decodes(CodecId id, const Bytes& z, const Bytes& want) {
  auto c = must_make(id);
  ASSERT_TRUE(c);
  Bytes out(want.size());
  auto st = c->decompress(z, out);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(out, want);
}

// --- none

TEST(CodecNone, CopiesAndChecksSize) {
  auto c = must_make(CodecId::none);
  ASSERT_TRUE(c);
  Bytes page = text_page();
  EXPECT_EQ(compress_with(*c, page), page);
  expect_decodes(CodecId::none, page, page);
  Bytes out(kPage);
  auto st = c->decompress(Bytes(kPage - 1), out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::corrupt);
}

// --- zlib: the stream zlib's uncompress()/compress2() use (docs/formats.md §8).

// A stored-block zlib stream assembled by hand from RFC 1950/1951.
TEST(CodecZlib, DecodesHandAssembledStream) {
  // CMF 0x78 (deflate, 32K window), FLG 0x01 (FCHECK: 0x7801 % 31 == 0);
  // final stored block, LEN 5, NLEN ~5; Adler-32 of "hello" big-endian.
  Bytes z = hex_bytes(
      {0x78, 0x01, 0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o', 0x06, 0x2c, 0x02, 0x15});
  expect_decodes(CodecId::zlib, z, to_bytes("hello"));
  auto zc = detail::make_zlib_codec_via_zlib(0);
  ASSERT_TRUE(zc);
  Bytes out(5);
  ASSERT_TRUE((*zc)->decompress(z, out));
  EXPECT_EQ(out, to_bytes("hello"));
  // A wrong checksum is caught by both back ends.
  z.back() ^= std::byte{1};
  auto c = must_make(CodecId::zlib);
  EXPECT_FALSE(c->decompress(z, out));
  EXPECT_FALSE((*zc)->decompress(z, out));
}

TEST(CodecZlib, OutputIsZlibStreamWithAdler32) {
  Bytes page = text_page();
  for (auto make : {std::function([] { return make_codec(CodecId::zlib); }),
                    std::function([] { return detail::make_zlib_codec_via_zlib(0); })}) {
    auto c = make();
    ASSERT_TRUE(c);
    Bytes z = compress_with(**c, page);
    ASSERT_GT(z.size(), 6u);
    EXPECT_EQ(z[0], std::byte{0x78});
    EXPECT_EQ(((static_cast<unsigned>(z[0]) << 8) | static_cast<unsigned>(z[1])) % 31, 0u);
    uLong a = adler32(1L, reinterpret_cast<const Bytef*>(page.data()), kPage);
    const auto* t = z.data() + z.size() - 4;
    uLong stored = (static_cast<uLong>(t[0]) << 24) | (static_cast<uLong>(t[1]) << 16) |
                   (static_cast<uLong>(t[2]) << 8) | static_cast<uLong>(t[3]);
    EXPECT_EQ(stored, a);
    // zlib's uncompress() is what crash uses on kdump pages.
    Bytes out(kPage);
    uLongf out_len = out.size();
    ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len,
                         reinterpret_cast<const Bytef*>(z.data()), z.size()),
              Z_OK);
    EXPECT_EQ(out_len, kPage);
    EXPECT_EQ(out, page);
  }
}

TEST(CodecZlib, DecodesCompress2AtEveryLevel) {
  Bytes page = text_page(kPage, 5);
  for (int level : {1, 6, 9}) {
    Bytes z(compressBound(kPage));
    uLongf z_len = z.size();
    ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &z_len,
                        reinterpret_cast<const Bytef*>(page.data()), kPage, level),
              Z_OK);
    z.resize(z_len);
    expect_decodes(CodecId::zlib, z, page);
    auto zc = detail::make_zlib_codec_via_zlib(0);
    ASSERT_TRUE(zc);
    Bytes out(kPage);
    ASSERT_TRUE((*zc)->decompress(z, out));
    EXPECT_EQ(out, page);
  }
}

// The zlib back end writes exactly what QEMU's compress2(Z_BEST_SPEED) does.
TEST(CodecZlib, ZlibBackEndMatchesCompress2Bytes) {
  for (const Bytes& page : {text_page(), random_page(), zero_page()}) {
    Bytes want(compressBound(kPage));
    uLongf want_len = want.size();
    ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(want.data()), &want_len,
                        reinterpret_cast<const Bytef*>(page.data()), kPage, Z_BEST_SPEED),
              Z_OK);
    want.resize(want_len);
    auto zc = detail::make_zlib_codec_via_zlib(0);
    ASSERT_TRUE(zc);
    EXPECT_EQ(compress_with(**zc, page), want);
    EXPECT_EQ(compress_with(**zc, page), want) << "second page through the same instance";
  }
}

TEST(CodecZlib, PresetDictionaryIsCorrupt) {
  // FLG with FDICT set (0x20) and a valid FCHECK: 0x78bb % 31 == 0.
  Bytes z = hex_bytes({0x78, 0xbb, 0, 0, 0, 1, 0x03, 0x00});
  Bytes out(1);
  auto st = must_make(CodecId::zlib)->decompress(z, out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::corrupt);
}

TEST(CodecZlib, Levels) {
  Bytes page = text_page();
  for (int level : {1, 6, 9}) {
    auto c = must_make(CodecId::zlib, level);
    ASSERT_TRUE(c);
    expect_decodes(CodecId::zlib, compress_with(*c, page), page);
  }
  for (int level : {-1, 13, 100}) {
    auto c = make_codec(CodecId::zlib, level);
    ASSERT_FALSE(c) << level;
    EXPECT_EQ(c.error().code, Errc::invalid_argument);
  }
  EXPECT_FALSE(detail::make_zlib_codec_via_zlib(10));
}

// --- zstd

#if DUMPFMT_HAVE_ZSTD
TEST(CodecZstd, DecodesHandAssembledFrame) {
  // Magic; descriptor 0x20 (single segment, 1-byte content size); size 5;
  // last raw block of 5 bytes: header (5 << 3) | 1.
  Bytes z =
      hex_bytes({0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'});
  expect_decodes(CodecId::zstd, z, to_bytes("hello"));
  // Claims 6 bytes of content but carries 5.
  z[5] = std::byte{6};
  Bytes out(5);
  EXPECT_FALSE(must_make(CodecId::zstd)->decompress(z, out));
}

TEST(CodecZstd, OutputIsOneLevel1FrameWithContentSize) {
  Bytes page = text_page();
  auto c = must_make(CodecId::zstd);
  ASSERT_TRUE(c);
  Bytes z = compress_with(*c, page);
  ASSERT_GE(z.size(), 4u);
  EXPECT_EQ(z[0], std::byte{0x28});
  EXPECT_EQ(z[3], std::byte{0xfd});
  EXPECT_EQ(ZSTD_getFrameContentSize(z.data(), z.size()), kPage);
  EXPECT_EQ(ZSTD_findFrameCompressedSize(z.data(), z.size()), z.size());
  // makedumpfile's writer: level 1 of the same library gives the same bytes.
  Bytes want(ZSTD_compressBound(kPage));
  size_t n = ZSTD_compress(want.data(), want.size(), page.data(), kPage, 1);
  ASSERT_FALSE(ZSTD_isError(n));
  want.resize(n);
  EXPECT_EQ(z, want);
  Bytes out(kPage);
  EXPECT_EQ(ZSTD_decompress(out.data(), out.size(), z.data(), z.size()), kPage);
  EXPECT_EQ(out, page);
}

TEST(CodecZstd, DecodesOtherLevelsAndConcatenatedFrames) {
  Bytes page = text_page(kPage, 11);
  Bytes z(ZSTD_compressBound(kPage));
  size_t n = ZSTD_compress(z.data(), z.size(), page.data(), kPage, 19);
  ASSERT_FALSE(ZSTD_isError(n));
  z.resize(n);
  expect_decodes(CodecId::zstd, z, page);

  Bytes half1(page.begin(), page.begin() + kPage / 2), half2(page.begin() + kPage / 2, page.end());
  auto c = must_make(CodecId::zstd);
  Bytes two = compress_with(*c, half1);
  Bytes z2 = compress_with(*c, half2);
  two.insert(two.end(), z2.begin(), z2.end());
  expect_decodes(CodecId::zstd, two, page);
}

TEST(CodecZstd, Levels) {
  Bytes page = text_page();
  auto c = must_make(CodecId::zstd, 19);
  ASSERT_TRUE(c);
  expect_decodes(CodecId::zstd, compress_with(*c, page), page);
  EXPECT_FALSE(make_codec(CodecId::zstd, ZSTD_maxCLevel() + 1));
}
#endif

// --- lzo

#if DUMPFMT_HAVE_LZO
TEST(CodecLzo, DecodesHandAssembledBlock) {
  // First byte 17 + 5: a 5-byte literal run; then the end marker (M4, distance 0).
  Bytes z = hex_bytes({0x16, 'h', 'e', 'l', 'l', 'o', 0x11, 0x00, 0x00});
  expect_decodes(CodecId::lzo, z, to_bytes("hello"));
}

TEST(CodecLzo, MatchesLzo1x1AndDecodesWithLibrary) {
  ASSERT_EQ(lzo_init(), LZO_E_OK);
  std::vector<lzo_align_t> wrk((LZO1X_999_MEM_COMPRESS + sizeof(lzo_align_t) - 1) /
                               sizeof(lzo_align_t));
  auto c = must_make(CodecId::lzo);
  ASSERT_TRUE(c);
  for (const Bytes& page : {text_page(), random_page(), zero_page()}) {
    Bytes z = compress_with(*c, page);
    // makedumpfile's writer: lzo1x_1_compress, byte for byte.
    Bytes want(kPage + kPage / 16 + 64 + 3);
    lzo_uint want_len = want.size();
    ASSERT_EQ(lzo1x_1_compress(reinterpret_cast<const lzo_bytep>(page.data()), kPage,
                               reinterpret_cast<lzo_bytep>(want.data()), &want_len, wrk.data()),
              LZO_E_OK);
    want.resize(want_len);
    EXPECT_EQ(z, want);
    // crash's reader.
    Bytes out(kPage);
    lzo_uint out_len = out.size();
    ASSERT_EQ(lzo1x_decompress_safe(reinterpret_cast<const lzo_bytep>(z.data()), z.size(),
                                    reinterpret_cast<lzo_bytep>(out.data()), &out_len, nullptr),
              LZO_E_OK);
    EXPECT_EQ(out_len, kPage);
    EXPECT_EQ(out, page);
    // Another LZO1X compressor (999) makes a different block of the same format.
    Bytes z999(kPage + kPage / 16 + 64 + 3);
    lzo_uint z999_len = z999.size();
    ASSERT_EQ(lzo1x_999_compress(reinterpret_cast<const lzo_bytep>(page.data()), kPage,
                                 reinterpret_cast<lzo_bytep>(z999.data()), &z999_len, wrk.data()),
              LZO_E_OK);
    z999.resize(z999_len);
    expect_decodes(CodecId::lzo, z999, page);
  }
}

TEST(CodecLzo, HasNoLevels) {
  auto c = make_codec(CodecId::lzo, 5);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::invalid_argument);
}
#endif

// --- snappy

#if DUMPFMT_HAVE_SNAPPY
TEST(CodecSnappy, DecodesHandAssembledBlocks) {
  // varint 5, literal tag ((5 - 1) << 2).
  expect_decodes(CodecId::snappy, hex_bytes({0x05, 0x10, 'h', 'e', 'l', 'l', 'o'}),
                 to_bytes("hello"));
  // varint 8, literal "a", copy-1 tag (length 7 -> (7 - 4) << 2 | 1), offset 1.
  expect_decodes(CodecId::snappy, hex_bytes({0x08, 0x00, 'a', 0x0d, 0x01}), to_bytes("aaaaaaaa"));
  // A copy reaching before the start of the output.
  Bytes out(8);
  auto st = must_make(CodecId::snappy)->decompress(hex_bytes({0x08, 0x00, 'a', 0x0d, 0x02}), out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::corrupt);
}

TEST(CodecSnappy, OutputIsRawBlockReadableByCApi) {
  auto c = must_make(CodecId::snappy);
  ASSERT_TRUE(c);
  for (const Bytes& page : {text_page(), random_page()}) {
    Bytes z = compress_with(*c, page);
    // Raw block: varint 4096 (0x80 0x20), no stream identifier chunk.
    ASSERT_GE(z.size(), 2u);
    EXPECT_EQ(z[0], std::byte{0x80});
    EXPECT_EQ(z[1], std::byte{0x20});
    size_t len = 0;
    ASSERT_EQ(snappy_uncompressed_length(reinterpret_cast<const char*>(z.data()), z.size(), &len),
              SNAPPY_OK);
    EXPECT_EQ(len, kPage);
    Bytes out(kPage);
    size_t out_len = out.size();
    ASSERT_EQ(snappy_uncompress(reinterpret_cast<const char*>(z.data()), z.size(),
                                reinterpret_cast<char*>(out.data()), &out_len),
              SNAPPY_OK);
    EXPECT_EQ(out, page);
  }
}

TEST(CodecSnappy, DeclaredLengthMustMatchPage) {
  Bytes out(4);
  auto st =
      must_make(CodecId::snappy)->decompress(hex_bytes({0x05, 0x10, 'h', 'e', 'l', 'l', 'o'}), out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::corrupt);
  EXPECT_NE(st.error().message.find("5 bytes, expected 4"), std::string::npos)
      << st.error().message;
}
#endif

// --- lz4

#if DUMPFMT_HAVE_LZ4
TEST(CodecLz4, DecodesHandAssembledAndHcBlocks) {
  // Token 0x50: 5 literals, no match.
  expect_decodes(CodecId::lz4, hex_bytes({0x50, 'h', 'e', 'l', 'l', 'o'}), to_bytes("hello"));
  Bytes page = text_page();
  Bytes z(LZ4_compressBound(kPage));
  int n = LZ4_compress_HC(reinterpret_cast<const char*>(page.data()),
                          reinterpret_cast<char*>(z.data()), kPage, static_cast<int>(z.size()), 9);
  ASSERT_GT(n, 0);
  z.resize(static_cast<size_t>(n));
  expect_decodes(CodecId::lz4, z, page);
}

TEST(CodecLz4, OutputMatchesCompressFast) {
  Bytes page = text_page();
  Bytes want(LZ4_compressBound(kPage));
  int n = LZ4_compress_fast(reinterpret_cast<const char*>(page.data()),
                            reinterpret_cast<char*>(want.data()), kPage,
                            static_cast<int>(want.size()), 1);
  ASSERT_GT(n, 0);
  want.resize(static_cast<size_t>(n));
  auto c = must_make(CodecId::lz4);
  ASSERT_TRUE(c);
  EXPECT_EQ(compress_with(*c, page), want);
}
#endif

// --- The registry

TEST(CodecRegistry, NamesRoundTrip) {
  const CodecId all[] = {CodecId::none,   CodecId::zlib, CodecId::lzo,
                         CodecId::snappy, CodecId::zstd, CodecId::lz4};
  const char* names[] = {"none", "zlib", "lzo", "snappy", "zstd", "lz4"};
  for (size_t i = 0; i < std::size(all); ++i) {
    EXPECT_EQ(codec_name(all[i]), names[i]);
    EXPECT_EQ(codec_from_name(names[i]), all[i]);
  }
  EXPECT_EQ(codec_from_name("gzip"), std::nullopt);
  EXPECT_EQ(codec_from_name(""), std::nullopt);
  EXPECT_EQ(codec_from_name("ZLIB"), std::nullopt);
  EXPECT_EQ(codec_name(static_cast<CodecId>(200)), "unknown");
}

TEST(CodecRegistry, BuiltCodecsMatchConfig) {
  EXPECT_TRUE(codec_built(CodecId::none));
  EXPECT_TRUE(codec_built(CodecId::zlib));
  EXPECT_EQ(codec_built(CodecId::lzo), DUMPFMT_HAVE_LZO != 0);
  EXPECT_EQ(codec_built(CodecId::snappy), DUMPFMT_HAVE_SNAPPY != 0);
  EXPECT_EQ(codec_built(CodecId::zstd), DUMPFMT_HAVE_ZSTD != 0);
  EXPECT_EQ(codec_built(CodecId::lz4), DUMPFMT_HAVE_LZ4 != 0);
  EXPECT_FALSE(codec_built(static_cast<CodecId>(200)));
  std::vector<CodecId> built = built_codecs();
  for (int i = 0; i <= static_cast<int>(CodecId::lz4); ++i) {
    auto id = static_cast<CodecId>(i);
    EXPECT_EQ(std::count(built.begin(), built.end(), id), codec_built(id) ? 1 : 0);
  }
}

TEST(CodecRegistry, MakeCodecReportsNotBuilt) {
  for (int i = 0; i <= static_cast<int>(CodecId::lz4); ++i) {
    auto id = static_cast<CodecId>(i);
    auto c = make_codec(id);
    if (codec_built(id)) {
      ASSERT_TRUE(c) << c.error().message;
      EXPECT_EQ((*c)->id(), id);
    } else {
      ASSERT_FALSE(c);
      EXPECT_EQ(c.error().code, Errc::not_built);
      EXPECT_EQ(c.error().message, std::string(codec_name(id)) + ": not built into this dumpfmt");
    }
  }
  auto bad = make_codec(static_cast<CodecId>(200));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

// The message every compiled-out codec gives, whatever this build contains.
TEST(CodecRegistry, NotBuiltMessage) {
  Error e = detail::codec_not_built(CodecId::lzo);
  EXPECT_EQ(e.code, Errc::not_built);
  EXPECT_EQ(e.message, "lzo: not built into this dumpfmt");
}

}  // namespace
}  // namespace dumpfmt
