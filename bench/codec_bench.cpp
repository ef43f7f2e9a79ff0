// One 4 KiB page through each codec, compress and decompress, on zero, kernel-
// like and random data; plus zlib-format pages via libdeflate (the default),
// via zlib's deflate/inflate back end, and via plain compress2()/uncompress().
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "codecs/codec_impl.h"
#include "dumpfmt/codec.h"

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

void register_all() {
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
