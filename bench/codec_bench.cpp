// One 4 KiB page through each codec, compress and decompress, on zero, kernel-
// like and random data; plus zlib-format pages via libdeflate (the default),
// via zlib's deflate/inflate back end, and via plain compress2()/uncompress(); our LZO1X
// encoder beside liblzo2's lzo1x_1_compress, per page and (with DUMPFMT_CORPUS_DIR holding
// proc-vmcore.elf) over every non-zero page of the real corpus dump.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "codecs/codec_impl.h"
#include "codecs/lzo1x_encode.h"
#include "dumpfmt/codec.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_LZO
#include <lzo/lzo1x.h>
#endif

namespace dumpfmt {
namespace {

using Bytes = std::vector<std::byte>;
constexpr size_t kPage = 4096;

// Roughly what a kernel page holds: structures of direct-map pointers, small
// counters and flags, zero padding, and some text.
Bytes kernel_like_page() {
  std::mt19937_64 rng(2024);
  Bytes page(kPage);
  size_t pos = 0;
  auto put64 = [&](uint64_t v) {
    if (pos + 8 > kPage) return;
    std::memcpy(page.data() + pos, &v, 8);
    pos += 8;
  };
  static const char kText[] = "systemd[1]: Started Journal Service. ext4 mounted filesystem ";
  while (pos + 8 <= kPage) {
    switch (rng() % 5) {
      case 0:  // list_head and friends
        put64(0xffff888000000000ull + ((rng() % 0x100000) << 6));
        put64(0xffff888000000000ull + ((rng() % 0x100000) << 6));
        break;
      case 1:  // refcounts, flags, sizes
        put64(rng() % 64);
        put64(rng() % 2 ? 0x8000000000000000ull : 0x1000);
        break;
      case 2:  // padding
        pos += 8 * (1 + rng() % 6);
        break;
      case 3: {
        size_t n = std::min(sizeof kText - 1, kPage - pos);
        std::memcpy(page.data() + pos, kText, n);
        pos += n;
        break;
      }
      default:  // function pointers into kernel text
        put64(0xffffffff81000000ull + (rng() % 0x1000000));
        break;
    }
  }
  return page;
}

Bytes random_page() {
  std::mt19937_64 rng(99);
  Bytes page(kPage);
  for (size_t i = 0; i < kPage; i += 8) {
    uint64_t v = rng();
    std::memcpy(page.data() + i, &v, 8);
  }
  return page;
}

struct Data {
  const char* name;
  Bytes page;
};

const std::vector<Data>& pages() {
  static const std::vector<Data> v{
      {"zero", Bytes(kPage)}, {"kernel", kernel_like_page()}, {"random", random_page()}};
  return v;
}

using Factory = std::function<Result<std::unique_ptr<Codec>>()>;

std::unique_ptr<Codec> make_or_skip(benchmark::State& state, const Factory& make) {
  auto c = make();
  if (!c) {
    state.SkipWithError(c.error().message.c_str());
    return nullptr;
  }
  return std::move(*c);
}

void report(benchmark::State& state, size_t compressed) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPage));
  state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(kPage);
}

void bm_compress(benchmark::State& state, const Factory& make, const Bytes& page) {
  auto codec = make_or_skip(state, make);
  if (!codec) return;
  Bytes out(codec->max_compressed_size(page.size()));
  size_t n = 0;
  for (auto _ : state) {
    auto r = codec->compress(page, out);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    n = *r;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, n);
}

void bm_decompress(benchmark::State& state, const Factory& make, const Bytes& page) {
  auto codec = make_or_skip(state, make);
  if (!codec) return;
  Bytes z(codec->max_compressed_size(page.size()));
  auto n = codec->compress(page, z);
  if (!n) {
    state.SkipWithError(n.error().message.c_str());
    return;
  }
  z.resize(*n);
  Bytes out(page.size());
  for (auto _ : state) {
    auto st = codec->decompress(z, out);
    if (!st) {
      state.SkipWithError(st.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, z.size());
}

// What QEMU does per page, allocation of the deflate state included.
void bm_compress2(benchmark::State& state, const Bytes& page) {
  Bytes out(compressBound(kPage));
  uLongf n = 0;
  for (auto _ : state) {
    n = out.size();
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                  reinterpret_cast<const Bytef*>(page.data()), kPage, Z_BEST_SPEED) != Z_OK) {
      state.SkipWithError("compress2 failed");
      return;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, n);
}

// What crash does per page.
void bm_uncompress(benchmark::State& state, const Bytes& page) {
  Bytes z(compressBound(kPage));
  uLongf z_len = z.size();
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &z_len,
                reinterpret_cast<const Bytef*>(page.data()), kPage, Z_BEST_SPEED) != Z_OK) {
    state.SkipWithError("compress2 failed");
    return;
  }
  Bytes out(kPage);
  for (auto _ : state) {
    uLongf out_len = out.size();
    if (uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len,
                   reinterpret_cast<const Bytef*>(z.data()), z_len) != Z_OK) {
      state.SkipWithError("uncompress failed");
      return;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, z_len);
}

#if DUMPFMT_HAVE_LZO
// One LZO1X page compressor: liblzo2's lzo1x_1 (makedumpfile's) or ours.
struct LzoEncoders {
  std::vector<lzo_align_t> wrkmem =
      std::vector<lzo_align_t>(LZO1X_1_MEM_COMPRESS / sizeof(lzo_align_t) + 1);
  detail::Lzo1xEncoder ours;

  size_t liblzo2(const uint8_t* in, size_t n, uint8_t* out, size_t cap) {
    lzo_uint out_len = cap;
    if (lzo1x_1_compress(in, n, out, &out_len, wrkmem.data()) != LZO_E_OK) return 0;
    return out_len;
  }
};

using LzoFn = size_t (*)(LzoEncoders&, const uint8_t*, size_t, uint8_t*, size_t);
const LzoFn kLiblzo2 = [](LzoEncoders& e, const uint8_t* in, size_t n, uint8_t* out, size_t cap) {
  return e.liblzo2(in, n, out, cap);
};
const LzoFn kOurs = [](LzoEncoders& e, const uint8_t* in, size_t n, uint8_t* out, size_t cap) {
  return e.ours.encode(in, n, out, cap);
};

void bm_lzo_page(benchmark::State& state, LzoFn fn, const Bytes& page) {
  if (lzo_init() != LZO_E_OK) {
    state.SkipWithError("lzo_init failed");
    return;
  }
  auto enc = std::make_unique<LzoEncoders>();
  std::vector<uint8_t> out(detail::lzo1x_encode_bound(page.size()));
  const auto* in = reinterpret_cast<const uint8_t*>(page.data());
  size_t n = 0;
  for (auto _ : state) {
    n = fn(*enc, in, page.size(), out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, n);
}

// The non-zero 4 KiB pages of $DUMPFMT_CORPUS_DIR/proc-vmcore.elf (the file mapped, its
// header page skipped), or none.
const std::vector<const uint8_t*>& corpus_pages() {
  static const std::vector<const uint8_t*> pages = [] {
    std::vector<const uint8_t*> v;
    const char* dir = std::getenv("DUMPFMT_CORPUS_DIR");
    if (!dir) return v;
    int fd = open((std::string(dir) + "/proc-vmcore.elf").c_str(), O_RDONLY);
    if (fd < 0) return v;
    struct stat st {};
    void* map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    }
    close(fd);
    if (map == MAP_FAILED) return v;
    static const uint8_t zero[kPage] = {};
    const auto* base = static_cast<const uint8_t*>(map);
    for (size_t off = kPage; off + kPage <= static_cast<size_t>(st.st_size); off += kPage) {
      if (std::memcmp(base + off, zero, kPage) != 0) v.push_back(base + off);
    }
    return v;
  }();
  return pages;
}

// Every corpus page per iteration, single thread: throughput and total output size.
void bm_lzo_corpus(benchmark::State& state, LzoFn fn) {
  const auto& pages = corpus_pages();
  if (lzo_init() != LZO_E_OK) {
    state.SkipWithError("lzo_init failed");
    return;
  }
  auto enc = std::make_unique<LzoEncoders>();
  std::vector<uint8_t> out(detail::lzo1x_encode_bound(kPage));
  size_t total = 0;
  for (auto _ : state) {
    total = 0;
    for (const uint8_t* p : pages) total += fn(*enc, p, kPage, out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(pages.size() * kPage));
  state.counters["pages"] = static_cast<double>(pages.size());
  state.counters["ratio"] = static_cast<double>(total) / static_cast<double>(pages.size() * kPage);
}

void register_lzo() {
  for (const Data& d : pages()) {
    benchmark::RegisterBenchmark((std::string("compress/lzo1x_1_compress/") + d.name).c_str(),
                                 bm_lzo_page, kLiblzo2, d.page);
    benchmark::RegisterBenchmark((std::string("compress/lzo1x_encode/") + d.name).c_str(),
                                 bm_lzo_page, kOurs, d.page);
  }
  if (!corpus_pages().empty()) {
    benchmark::RegisterBenchmark("corpus/lzo1x_1_compress", bm_lzo_corpus, kLiblzo2)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("corpus/lzo1x_encode", bm_lzo_corpus, kOurs)
        ->Unit(benchmark::kMillisecond);
  }
}
#endif

void register_all() {
#if DUMPFMT_HAVE_LZO
  register_lzo();
#endif
  std::vector<std::pair<std::string, Factory>> codecs;
  for (CodecId id : built_codecs()) {
    codecs.emplace_back(std::string(codec_name(id)), [id] { return make_codec(id); });
  }
  codecs.emplace_back("zlib_via_zlib", [] { return detail::make_zlib_codec_via_zlib(0); });

  for (const auto& [name, make] : codecs) {
    for (const Data& d : pages()) {
      benchmark::RegisterBenchmark(("compress/" + name + "/" + d.name).c_str(), bm_compress, make,
                                   d.page);
      benchmark::RegisterBenchmark(("decompress/" + name + "/" + d.name).c_str(), bm_decompress,
                                   make, d.page);
    }
  }
  for (const Data& d : pages()) {
    benchmark::RegisterBenchmark((std::string("compress/zlib_compress2/") + d.name).c_str(),
                                 bm_compress2, d.page);
    benchmark::RegisterBenchmark((std::string("decompress/zlib_uncompress/") + d.name).c_str(),
                                 bm_uncompress, d.page);
  }
}

}  // namespace
}  // namespace dumpfmt

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  dumpfmt::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
