// Our LZO1X encoder (libdumpfmt/codecs/lzo1x_encode.h): every block it writes must decode
// with liblzo2's lzo1x_decompress_safe (what makedumpfile, crash and libkdumpfile call) to
// exactly the input, fit lzo1x_encode_bound, and never be written past the buffer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../../libdumpfmt/codecs/lzo1x_encode.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_LZO
#include <lzo/lzo1x.h>

namespace {

using dumpfmt::detail::lzo1x_encode_bound;
using dumpfmt::detail::Lzo1xEncoder;
using Bytes = std::vector<uint8_t>;

class Lzo1xEncode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(lzo_init(), LZO_E_OK); }

  // Encodes into a heap buffer of exactly the bound (ASan catches a write past it),
  // decodes with liblzo2 and compares. Returns the block size (0 on failure).
  size_t round_trip(const uint8_t* data, size_t n) {
    std::unique_ptr<uint8_t[]> z(new uint8_t[lzo1x_encode_bound(n)]);
    size_t zn = enc_.encode(data, n, z.get(), lzo1x_encode_bound(n));
    EXPECT_GE(zn, 3u) << "n=" << n;
    EXPECT_LE(zn, lzo1x_encode_bound(n)) << "n=" << n;
    if (zn < 3) return 0;
    EXPECT_EQ(z[zn - 3], 0x11);
    EXPECT_EQ(z[zn - 2], 0x00);
    EXPECT_EQ(z[zn - 1], 0x00);
    // A decode buffer of exactly n: the decoder's own overrun check must not fire.
    std::unique_ptr<uint8_t[]> back(new uint8_t[n + 1]);
    lzo_uint back_len = n;
    int rc = lzo1x_decompress_safe(z.get(), zn, back.get(), &back_len, nullptr);
    EXPECT_EQ(rc, LZO_E_OK) << "n=" << n;
    EXPECT_EQ(back_len, n);
    if (rc != LZO_E_OK || back_len != n) return 0;
    if (n != 0 && std::memcmp(back.get(), data, n) != 0) {
      ADD_FAILURE() << "decoded bytes differ, n=" << n;
      return 0;
    }
    return zn;
  }
  size_t round_trip(const Bytes& b) { return round_trip(b.data(), b.size()); }

  Lzo1xEncoder enc_;
};

Bytes random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& c : b) c = static_cast<uint8_t>(rng());
  return b;
}

Bytes text(size_t n) {
  static const char kText[] =
      "Call Trace:\n <TASK>\n dump_stack_lvl+0x44/0x5c\n panic+0x118/0x2f0\n"
      " sysrq_handle_crash+0x16/0x20\n __handle_sysrq.cold+0x43/0x113\n"
      "ext4 mounted filesystem with ordered data mode. Quota mode: none.\n";
  Bytes b(n);
  std::mt19937 rng(7);
  size_t i = 0;
  while (i < n) {
    size_t from = rng() % (sizeof kText - 1);
    size_t len = std::min<size_t>({1 + rng() % 40, sizeof kText - 1 - from, n - i});
    std::memcpy(b.data() + i, kText + from, len);
    i += len;
  }
  return b;
}

// Runs, copies from near and far back, and noise, in random proportions.
Bytes synthetic(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  size_t i = 0;
  while (i < n) {
    size_t left = n - i;
    size_t len = std::min<size_t>(left, 1 + rng() % (rng() % 4 == 0 ? 600 : 40));
    switch (rng() % 6) {
      case 0:  // a run of one byte (zero half the time)
        std::memset(b.data() + i, rng() % 2 ? 0 : static_cast<int>(rng()), len);
        break;
      case 1:
      case 2:
        if (i > 0) {  // a copy, possibly overlapping (short distances make periodic runs)
          size_t dist = 1 + (rng() % 3 == 0 ? rng() % std::min<size_t>(i, 8) : rng() % i);
          for (size_t k = 0; k < len; ++k) b[i + k] = b[i + k - dist];
          break;
        }
        [[fallthrough]];
      case 3:  // noise
        for (size_t k = 0; k < len; ++k) b[i + k] = static_cast<uint8_t>(rng());
        break;
      case 4: {  // little-endian words: pointers and small integers
        for (size_t k = 0; k + 8 <= len; k += 8) {
          uint64_t v = rng() % 2 ? 0xffff888000000000ull + (rng() % 0x10000) * 64 : rng() % 16;
          std::memcpy(b.data() + i + k, &v, 8);
        }
        break;
      }
      default:  // a copy of a few bytes with one changed: near misses for the matcher
        if (i > 0) {
          size_t dist = 1 + rng() % i;
          for (size_t k = 0; k < len; ++k) b[i + k] = b[i + k - dist];
          b[i + rng() % len] ^= 1;
        }
        break;
    }
    i += len;
  }
  return b;
}

TEST_F(Lzo1xEncode, EmptyInputIsTheEndMarker) {
  uint8_t out[lzo1x_encode_bound(0)];
  ASSERT_EQ(enc_.encode(nullptr, 0, out, sizeof out), 3u);
  EXPECT_EQ(out[0], 0x11);
  EXPECT_EQ(out[1], 0x00);
  EXPECT_EQ(out[2], 0x00);
  EXPECT_EQ(round_trip(nullptr, 0), 3u);
}

TEST_F(Lzo1xEncode, ShortInputsOfEveryLength) {
  for (size_t n = 0; n <= 64; ++n) {
    SCOPED_TRACE(n);
    round_trip(Bytes(n, 0));
    round_trip(Bytes(n, 0xa5));
    round_trip(random_bytes(n, n));
    round_trip(text(n));
    Bytes alt(n);
    for (size_t i = 0; i < n; ++i) alt[i] = static_cast<uint8_t>(i % 3);
    round_trip(alt);
  }
}

TEST_F(Lzo1xEncode, SingleByteValues) {
  for (int v = 0; v < 256; ++v) {
    round_trip(Bytes(1, static_cast<uint8_t>(v)));
    round_trip(Bytes(4096, static_cast<uint8_t>(v)));
  }
}

TEST_F(Lzo1xEncode, WholePages) {
  Bytes zero(4096, 0);
  size_t zn = round_trip(zero);
  EXPECT_LT(zn, 40u);  // one literal, one long match, the end marker
  size_t rn = round_trip(random_bytes(4096, 1));
  EXPECT_GT(rn, 4096u);
  EXPECT_LE(rn, 4096u + 4096 / 255 + 8);  // literals only: a header and its length bytes
  size_t tn = round_trip(text(4096));
  EXPECT_LT(tn, 2048u);
  for (size_t page : {size_t{16384}, size_t{65536}}) {
    round_trip(Bytes(page, 0));
    round_trip(random_bytes(page, page));
    round_trip(text(page));
  }
}

TEST_F(Lzo1xEncode, ZeroRunsAtEveryAlignment) {
  Bytes noise = random_bytes(4096, 3);
  for (size_t len :
       {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 34, 64, 255, 256, 300, 1000, 2048, 4000}) {
    for (size_t at = 0; at < 24 && at + len <= 4096; ++at) {
      Bytes b = noise;
      std::memset(b.data() + at, 0, len);
      round_trip(b);
      // The same run at the end of the page.
      Bytes e = noise;
      std::memset(e.data() + 4096 - len - at, 0, len);
      round_trip(e);
    }
  }
  // A page of zero runs split by single bytes at every spacing.
  for (size_t gap = 1; gap <= 70; ++gap) {
    Bytes b(4096, 0);
    for (size_t i = gap; i < b.size(); i += gap + 1) b[i] = static_cast<uint8_t>(i);
    round_trip(b);
  }
}

TEST_F(Lzo1xEncode, PeriodicPatterns) {
  for (size_t period = 1; period <= 64; ++period) {
    SCOPED_TRACE(period);
    Bytes unit = random_bytes(period, period);
    for (size_t n : {size_t{100}, size_t{4096}, size_t{5000}}) {
      Bytes b(n);
      for (size_t i = 0; i < n; ++i) b[i] = unit[i % period];
      round_trip(b);
      // Preceded by noise, so the first period is literals after a literal run.
      Bytes c = random_bytes(37, period);
      c.insert(c.end(), b.begin(), b.end());
      round_trip(c);
    }
  }
}

TEST_F(Lzo1xEncode, LiteralRunsOfEveryLengthBetweenMatches) {
  // Literal runs of 1..300 bytes between long matches: every S-bit, short-run and
  // long-run literal encoding, including lengths around 3, 18, 238 and 255 + 18.
  for (size_t lit = 1; lit <= 300; ++lit) {
    Bytes b;
    Bytes noise = random_bytes(lit, lit);
    for (int rep = 0; rep < 3; ++rep) {
      b.insert(b.end(), 40, 0x5a);
      b.insert(b.end(), noise.begin(), noise.end());
      for (auto& c : noise) c = static_cast<uint8_t>(c * 7 + 1);
    }
    round_trip(b);
    // As the block's first run.
    Bytes first = random_bytes(lit, lit + 1000);
    first.insert(first.end(), 64, 0);
    round_trip(first);
  }
}

TEST_F(Lzo1xEncode, MatchLengthsAndDistancesOfEveryKind) {
  // Copies of lengths 4..600 from distances on both sides of the M2/M3/M4 limits
  // (2048, 16384, 49151) and beyond what M4 reaches.
  std::mt19937_64 rng(11);
  for (size_t dist :
       {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{7}, size_t{8}, size_t{2047},
        size_t{2048}, size_t{2049}, size_t{16383}, size_t{16384}, size_t{16385}, size_t{16386},
        size_t{32768}, size_t{49150}, size_t{49151}, size_t{49152}, size_t{49153}, size_t{60000}}) {
    for (size_t len : {size_t{4}, size_t{5}, size_t{8}, size_t{9}, size_t{10}, size_t{33},
                       size_t{34}, size_t{35}, size_t{288}, size_t{289}, size_t{600}}) {
      Bytes b = random_bytes(dist + len + 50, rng());
      // Byte by byte: for distances below the length the copy overlaps itself.
      for (size_t k = 0; k < len; ++k) b[dist + 20 + k] = b[20 + k];
      round_trip(b);
    }
  }
}

TEST_F(Lzo1xEncode, OddSizesUpTo64KiBAndBeyond) {
  std::mt19937_64 rng(5);
  std::vector<size_t> sizes = {65,    100,   255,   256,   257,   1000,  4095,   4097,
                               8191,  8192,  8193,  12345, 16383, 16384, 16385,  32767,
                               49151, 49152, 49153, 65535, 65536, 65537, 100000, 300001};
  for (int i = 0; i < 40; ++i) sizes.push_back(1 + rng() % 65536);
  for (size_t n : sizes) {
    SCOPED_TRACE(n);
    round_trip(synthetic(rng, n));
    round_trip(random_bytes(n, n));
    // A block repeated far back: matches beyond 16 KiB and, for large n, beyond 48 KiB.
    Bytes far = random_bytes(n, n + 1);
    if (n > 20000) std::memcpy(far.data() + n - 9000, far.data() + 100, 8000);
    round_trip(far);
  }
}

TEST_F(Lzo1xEncode, RandomizedSyntheticInputs) {
  // A few hundred thousand mixtures of runs, copies and noise from a fixed seed, through
  // one encoder (its table carries stale entries from block to block).
  std::mt19937_64 rng(20241122);
  size_t total_in = 0, total_out = 0;
  for (int i = 0; i < 300000; ++i) {
    size_t n = rng() % 8 == 0 ? rng() % 16384 : rng() % 2048;
    Bytes b = synthetic(rng, n);
    size_t zn = round_trip(b);
    ASSERT_NE(zn, 0u) << "input " << i << " of " << n << " bytes";
    total_in += n;
    total_out += zn;
  }
  EXPECT_LT(total_out, total_in);
}

TEST_F(Lzo1xEncode, NeverWritesPastTheBound) {
  std::mt19937_64 rng(9);
  for (int i = 0; i < 2000; ++i) {
    size_t n = rng() % 5000;
    Bytes b = i % 2 ? random_bytes(n, rng()) : synthetic(rng, n);
    size_t bound = lzo1x_encode_bound(n);
    Bytes out(bound + 64, 0xcc);
    size_t zn = enc_.encode(b.data(), n, out.data(), bound);
    ASSERT_GT(zn, 0u);
    ASSERT_LE(zn, bound);
    for (size_t k = bound; k < out.size(); ++k) ASSERT_EQ(out[k], 0xcc) << "n=" << n;
  }
}

TEST_F(Lzo1xEncode, RefusesABufferBelowTheBound) {
  Bytes b = random_bytes(4096, 2);
  Bytes out(lzo1x_encode_bound(4096), 0xcc);
  EXPECT_EQ(enc_.encode(b.data(), b.size(), out.data(), out.size() - 1), 0u);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](uint8_t c) { return c == 0xcc; }));
  EXPECT_EQ(enc_.encode(b.data(), Lzo1xEncoder::kMaxInput + 1, out.data(), SIZE_MAX), 0u);
}

TEST_F(Lzo1xEncode, TableSurvivesPositionWraparound) {
  // More than 2^32 input bytes through one encoder: the position base wraps and the
  // table is cleared; blocks before and after still round-trip.
  Bytes zeros(size_t{1} << 20, 0);
  Bytes z(lzo1x_encode_bound(zeros.size()));
  std::mt19937_64 rng(3);
  Bytes page = synthetic(rng, 4096);
  for (int i = 0; i < 4100; ++i) {
    ASSERT_GT(enc_.encode(zeros.data(), zeros.size(), z.data(), z.size()), 0u);
    if (i % 512 == 0 || i >= 4090) {
      ASSERT_NE(round_trip(page), 0u) << i;
    }
  }
}

// Where the interop suite decompresses the real corpus: DUMPFMT_CORPUS_DIR, else the
// build tree's corpus/ (this binary runs from <build>/tests).
std::string corpus_elf() {
  if (const char* dir = std::getenv("DUMPFMT_CORPUS_DIR")) {
    return std::string(dir) + "/proc-vmcore.elf";
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path().parent_path() / "corpus" / "proc-vmcore.elf").string();
}

TEST_F(Lzo1xEncode, EveryPageOfTheCorpusDump) {
  std::string path = corpus_elf();
  std::ifstream f(path, std::ios::binary);
  if (path.empty() || !f) GTEST_SKIP() << "no corpus ELF at " << path;
  Bytes page(4096);
  size_t pages = 0, in = 0, out = 0;
  while (f.read(reinterpret_cast<char*>(page.data()), static_cast<std::streamsize>(page.size()))) {
    size_t zn = round_trip(page);
    ASSERT_NE(zn, 0u) << "page at file offset " << pages * 4096;
    ++pages;
    in += page.size();
    out += zn;
  }
  EXPECT_GT(pages, 1000u);
  std::printf("%zu pages, %.2f%% of their size\n", pages,
              100.0 * static_cast<double>(out) / static_cast<double>(in));
}

}  // namespace

#endif  // DUMPFMT_HAVE_LZO
