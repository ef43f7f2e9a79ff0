// Whole-file gzip/zstd/lz4 dumps: streams made here with zlib, libzstd and
// liblz4's own compressors decompress to the original bytes (several frames,
// multi-MiB inputs, padding), open through the registry as the plain dump
// does, and every damaged form (truncation at many points, bit flips,
// trailing junk, an unusable temporary directory) is an error, not a crash.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "dumpfmt/compressed_file.h"
#include "dumpfmt/config.h"
#include "dumpfmt/format.h"
#include "dumpgen.h"

#if DUMPFMT_HAVE_ZSTD
#include <zstd.h>
#endif
#if DUMPFMT_HAVE_LZ4
#include <lz4frame.h>
#endif

using namespace dumpfmt;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes gzip(const Bytes& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, in.size()) + 64);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

#if DUMPFMT_HAVE_ZSTD
Bytes zstd(const Bytes& in) {
  Bytes out(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}
#endif

#if DUMPFMT_HAVE_LZ4
Bytes lz4(const Bytes& in) {
  Bytes out(LZ4F_compressFrameBound(in.size(), nullptr));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
  EXPECT_FALSE(LZ4F_isError(n));
  out.resize(n);
  return out;
}
#endif

struct Codec {
  const char* name;
  WholeFileCompression kind;
  Bytes (*compress)(const Bytes&);
};

std::vector<Codec> codecs() {
  std::vector<Codec> v{{"gzip", WholeFileCompression::gzip, gzip}};
#if DUMPFMT_HAVE_ZSTD
  v.push_back({"zstd", WholeFileCompression::zstd, zstd});
#endif
#if DUMPFMT_HAVE_LZ4
  v.push_back({"lz4", WholeFileCompression::lz4, lz4});
#endif
  return v;
}

std::unique_ptr<File> mem(const Bytes& b, const std::string& name = "in") {
  return memory_file(
      name, std::vector<std::byte>(reinterpret_cast<const std::byte*>(b.data()),
                                   reinterpret_cast<const std::byte*>(b.data()) + b.size()));
}

Bytes read_all(const File& f) {
  Bytes out(f.size());
  EXPECT_TRUE(f.read_at(0, std::as_writable_bytes(std::span(out))));
  return out;
}

Bytes sample_dump() {
  auto spec = dumpgen::simple_spec(dumpgen::Format::kdump, 200);
  return dumpgen::generate(spec);
}

// Bytes that compress poorly enough to span several 1 MiB input chunks.
Bytes noisy(size_t n) {
  Bytes b(n);
  uint64_t z = 7;
  for (size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) z = dumpgen::splitmix64(z + i / 64);  // runs of 8 bytes repeat in blocks
    b[i] = static_cast<uint8_t>(z >> (8 * (i % 8)));
  }
  return b;
}

TEST(CompressedFile, DetectsOnlyTheThreeMagics) {
  EXPECT_EQ(detect_whole_file_compression(*mem(sample_dump())), WholeFileCompression::none);
  EXPECT_EQ(detect_whole_file_compression(*mem({0x1f, 0x8b})), WholeFileCompression::none);
  EXPECT_EQ(detect_whole_file_compression(*mem({0x1f, 0x8b, 0x08, 0})), WholeFileCompression::gzip);
  EXPECT_EQ(detect_whole_file_compression(*mem({0x28, 0xb5, 0x2f, 0xfd})),
            WholeFileCompression::zstd);
  EXPECT_EQ(detect_whole_file_compression(*mem({0x04, 0x22, 0x4d, 0x18})),
            WholeFileCompression::lz4);
  EXPECT_EQ(whole_file_compression_name(WholeFileCompression::lz4), "lz4");
}

TEST(CompressedFile, RoundTripsSmallAndMultiChunkInputs) {
  for (const auto& c : codecs()) {
    SCOPED_TRACE(c.name);
    for (const Bytes& plain : {sample_dump(), noisy(3u << 20), Bytes(5u << 20, 0)}) {
      const Bytes packed = c.compress(plain);
      ASSERT_EQ(detect_whole_file_compression(*mem(packed)), c.kind);
      auto f = open_decompressed(mem(packed, "vmcore.x"));
      ASSERT_TRUE(f) << f.error().message;
      EXPECT_EQ((*f)->name(), "vmcore.x (decompressed)");
      ASSERT_EQ((*f)->size(), plain.size());
      EXPECT_TRUE(read_all(**f) == plain);
      std::byte b[16];
      auto past = (*f)->read_at(plain.size() - 8, b);
      ASSERT_FALSE(past);
      EXPECT_EQ(past.error().code, Errc::truncated);
    }
  }
}

TEST(CompressedFile, ConcatenatedFramesAndZeroPadding) {
  const Bytes a = noisy(100000), b = sample_dump();
  Bytes both = a;
  both.insert(both.end(), b.begin(), b.end());
  for (const auto& c : codecs()) {
    SCOPED_TRACE(c.name);
    Bytes packed = c.compress(a);
    const Bytes second = c.compress(b);
    packed.insert(packed.end(), second.begin(), second.end());
    auto f = open_decompressed(mem(packed));
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_TRUE(read_all(**f) == both);
    // Zero padding after the last frame (tapes, block devices) is accepted.
    Bytes padded = packed;
    padded.resize(packed.size() + 10000, 0);
    auto p = open_decompressed(mem(padded));
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ((*p)->size(), both.size());
    // A whole MiB of it too; more is not padding (a sparse input could
    // otherwise have the check read terabytes of zeros).
    padded.resize(packed.size() + (1u << 20), 0);
    EXPECT_TRUE(open_decompressed(mem(padded)));
    padded.push_back(0);
    auto more = open_decompressed(mem(padded, "more"));
    ASSERT_FALSE(more);
    EXPECT_NE(
        more.error().message.find("more: offset " + hex(packed.size()) + ": data after the last"),
        std::string::npos)
        << more.error().message;
    // Anything else after it is not.
    Bytes junk = packed;
    junk.push_back(0x42);
    auto j = open_decompressed(mem(junk, "junk"));
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().code, Errc::corrupt);
    EXPECT_NE(j.error().message.find("junk: offset " + hex(packed.size())), std::string::npos)
        << j.error().message;
  }
}

#if DUMPFMT_HAVE_ZSTD
// zstd decodes zeros as empty raw blocks and skips skippable frames whole: a
// few bytes of header before megabytes (on a sparse file, terabytes) of zeros
// must be refused, not read to the end.
TEST(CompressedFile, InputThatDecodesToNothingIsRefused) {
  const size_t zeros = 12u << 20;
  Bytes empty_blocks = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00};  // no content size, 1 KiB window
  empty_blocks.resize(empty_blocks.size() + zeros, 0);
  Bytes skippable = zstd({});  // a file starts with a real frame
  for (uint8_t b : {0x50, 0x2a, 0x4d, 0x18}) skippable.push_back(b);
  const uint32_t skip = zeros;
  for (int i = 0; i < 4; ++i) skippable.push_back(static_cast<uint8_t>(skip >> (8 * i)));
  skippable.resize(skippable.size() + zeros, 0);
  for (const Bytes* b : {&empty_blocks, &skippable}) {
    auto f = open_decompressed(mem(*b, "bomb"));
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, Errc::corrupt);
    EXPECT_NE(f.error().message.find("bomb: offset "), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("decodes to only 0 bytes"), std::string::npos)
        << f.error().message;
  }
}
#endif

#if DUMPFMT_HAVE_LZ4
// The lz4 tool writes 4 MiB blocks and liblz4 emits nothing until a
// compressed block is whole, so megabytes are consumed before any output:
// that is not the empty-input bomb above and must decode.
TEST(CompressedFile, Lz4FourMiBCompressedBlocks) {
  // Random words between zero words: compressed blocks (not stored raw,
  // which liblz4 streams) of about 70%, over 2 MiB each.
  Bytes in(10u << 20);
  for (size_t i = 0; i < in.size(); i += 16) {
    const uint64_t r = dumpgen::splitmix64(i);
    std::memcpy(&in[i], &r, 8);
  }
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max4MB;
  Bytes out(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  out.resize(n);
  auto f = open_decompressed(mem(out));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_TRUE(read_all(**f) == in);
}
#endif

TEST(CompressedFile, EveryTruncationIsAnError) {
  for (const auto& c : codecs()) {
    SCOPED_TRACE(c.name);
    const Bytes packed = c.compress(sample_dump());
    for (size_t cut = 4; cut < packed.size(); cut += std::max<size_t>(1, packed.size() / 97)) {
      Bytes t(packed.begin(), packed.begin() + static_cast<ptrdiff_t>(cut));
      auto f = open_decompressed(mem(t));
      ASSERT_FALSE(f) << "cut at " << cut;
      EXPECT_TRUE(f.error().code == Errc::truncated || f.error().code == Errc::corrupt)
          << f.error().message;
    }
    Bytes t(packed.begin(), packed.end() - 1);
    auto f = open_decompressed(mem(t));
    ASSERT_FALSE(f);
  }
}

TEST(CompressedFile, BitFlipsAreCaught) {
  // gzip and zstd (content checksum off by default: the decoder still sees
  // structure damage) and lz4: flips must never crash; gzip's CRC catches all.
  for (const auto& c : codecs()) {
    SCOPED_TRACE(c.name);
    const Bytes plain = sample_dump();
    const Bytes packed = c.compress(plain);
    int caught = 0, tries = 0;
    for (size_t at = 20; at < packed.size(); at += packed.size() / 37 + 1) {
      Bytes bad = packed;
      bad[at] ^= 0x10;
      ++tries;
      auto f = open_decompressed(mem(bad));
      if (!f || read_all(**f) != plain) ++caught;
    }
    if (c.kind == WholeFileCompression::gzip) {
      EXPECT_EQ(caught, tries);
    }
    EXPECT_GT(caught, tries / 2);
  }
}

TEST(CompressedFile, OpensThroughTheRegistryLikeThePlainDump) {
  const Bytes plain = sample_dump();
  auto ref = open_dump_files([&] {
    std::vector<std::unique_ptr<File>> v;
    v.push_back(mem(plain));
    return v;
  }());
  ASSERT_TRUE(ref) << ref.error().message;
  for (const auto& c : codecs()) {
    SCOPED_TRACE(c.name);
    std::vector<std::unique_ptr<File>> files;
    files.push_back(mem(c.compress(plain), "vmcore.c"));
    auto src = open_dump_files(std::move(files));
    ASSERT_TRUE(src) << src.error().message;
    EXPECT_EQ((*src)->info().format, "kdump");
    EXPECT_TRUE((*src)->present() == (*ref)->present());
    std::vector<std::byte> a(4096), b(4096);
    for (Pfn p : {Pfn{0}, Pfn{77}, Pfn{199}}) {
      ASSERT_TRUE((*src)->read_page(p, a));
      ASSERT_TRUE((*ref)->read_page(p, b));
      EXPECT_TRUE(a == b);
    }
  }
  // A compressed flattened dump: decompressed first, then rearranged.
  auto spec = dumpgen::simple_spec(dumpgen::Format::kdump, 50);
  spec.flat.enabled = true;
  std::vector<std::unique_ptr<File>> files;
  files.push_back(mem(gzip(dumpgen::generate(spec))));
  auto flat = open_dump_files(std::move(files));
  ASSERT_TRUE(flat) << flat.error().message;
  EXPECT_EQ((*flat)->present().count(), 50u);
}

TEST(CompressedFile, UnusableTemporaryDirectory) {
  DecompressOptions o;
  o.tmpdir = "/nonexistent/dumpfmt-test";
  auto f = open_decompressed(mem(gzip(sample_dump())), o);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::io);
  EXPECT_NE(f.error().message.find("/nonexistent/dumpfmt-test"), std::string::npos);
}

TEST(CompressedFile, NotCompressedIsRefused) {
  auto f = open_decompressed(mem(sample_dump()));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::invalid_argument);
}

}  // namespace
