// Google Benchmark for dumpfilter's two per-page costs: deciding page classes
// from a struct page array (a synthetic 6.1 x86_64 kernel of 1 GiB), and
// compressing a kept page with each codec. The pages are the ones dumpfilter
// -d 31 keeps from the corpus dump when DUMPFMT_CORPUS_DIR holds
// proc-vmcore.elf (kernel data: the real workload), synthetic otherwise.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "dumpfmt/codec.h"
#include "dumpfmt/format.h"
#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt_filters/page_filter.h"
#include "kernel_test_support.h"

using namespace dumpfmt;
using namespace kernel_test;

namespace {

constexpr Pfn kPages = Pfn{1} << 18;  // 1 GiB of 4 KiB pages
constexpr uint64_t kMemMapPa = 0x100000;

// A FLATMEM kernel whose struct pages hold a deterministic mix of classes in
// roughly the proportions of the corpus dump (a fifth each cache, user, free).
struct SyntheticKernel {
  MemSource mem{Arch::x86_64, 4096};
  std::unique_ptr<KernelMemory> km;
  std::optional<PageClassifier> pc;
  PfnSet ram;

  SyntheticKernel() {
    mem.add_ram(0, kPages);
    ram.insert_range(0, kPages);
    mem.write64(0x1000, kStartKernelMap + kMemMapPa);
    std::mt19937_64 rng(42);
    for (Pfn pfn = 0; pfn < kPages;) {
      uint64_t sp = kMemMapPa + pfn * PageLayout::size;
      switch (rng() % 5) {
        case 0:  // page cache, some with buffers
          mem.write64(sp, (1 << kPgLru) | (rng() % 3 == 0 ? (1 << kPgPrivate) : 0));
          mem.write64(sp + PageLayout::mapping, 0xffff888001234000ULL);
          break;
        case 1:  // anonymous
          mem.write64(sp, (1 << kPgLru) | (1 << kPgSwapbacked));
          mem.write64(sp + PageLayout::mapping, 0xffff888004321001ULL);
          break;
        case 2:  // a free block of order 0..3, aligned
          if (unsigned order = static_cast<unsigned>(rng() % 4);
              (pfn & ((Pfn{1} << order) - 1)) == 0) {
            mem.write32(sp + PageLayout::mapcount, static_cast<uint32_t>(kBuddy));
            mem.write64(sp + PageLayout::priv, order);
            pfn += Pfn{1} << order;
            continue;
          }
          break;
        default:  // kernel data: slab and others
          mem.write64(sp, 1 << kPgSlab);
          break;
      }
      ++pfn;
    }
    mem.set_vmcoreinfo(
        "OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82000000\n"
        "NUMBER(phys_base)=0\nSYMBOL(mem_map)=ffffffff80001000\n" +
        page_vmcoreinfo());
    km = std::move(*KernelMemory::create(mem));
    pc.emplace(std::move(*PageClassifier::create(*km)));
  }
};

void BM_ClassifyStructPages(benchmark::State& state) {
  static SyntheticKernel k;
  ClassifyOptions o;
  o.dump_level = static_cast<uint32_t>(state.range(0));
  uint64_t excluded = 0;
  for (auto _ : state) {
    auto st = k.pc->classify(k.ram, o, [&](Pfn a, Pfn b, PageClass) { excluded += b - a; });
    if (!st) state.SkipWithError(st.error().message.c_str());
    benchmark::DoNotOptimize(excluded);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPages));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPages * PageLayout::size));
  state.counters["excluded_per_run"] =
      static_cast<double>(excluded) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ClassifyStructPages)->Arg(31)->Arg(8)->Arg(16)->Unit(benchmark::kMillisecond);

// Up to 4096 pages kept at -d 31 from the corpus, else synthetic kernel-like
// pages (pointers, small counters, zero runs).
const std::vector<std::vector<std::byte>>& sample_pages(std::string* origin) {
  static std::string where;
  static const std::vector<std::vector<std::byte>> pages = [] {
    std::vector<std::vector<std::byte>> v;
    const char* dir = std::getenv("DUMPFMT_CORPUS_DIR");
    if (dir && *dir) {
      auto src = open_dump({std::string(dir) + "/proc-vmcore.elf"});
      filters::FilterOptions fo;
      fo.dump_level = 31;
      fo.scan_zero_pages = true;
      if (src) {
        if (auto fr = filters::filter_pages(**src, fo)) {
          std::vector<std::byte> buf(4096);
          fr->kept.for_each_run([&](Pfn a, Pfn b) {
            for (Pfn p = a; p < b && v.size() < 4096; ++p) {
              if ((*src)->read_page(p, buf)) v.push_back(buf);
            }
          });
          where = "corpus proc-vmcore.elf, -d 31 kept pages";
        }
      }
    }
    if (v.empty()) {
      std::mt19937_64 rng(7);
      for (int i = 0; i < 1024; ++i) {
        std::vector<std::byte> p(4096);
        for (size_t off = 0; off < p.size(); off += 8) {
          uint64_t w = 0;
          switch (rng() % 4) {
            case 0:
              w = 0xffff888000000000ULL | (rng() & 0xfffffff8);
              break;  // pointer
            case 1:
              w = rng() % 256;
              break;  // counter
            case 2:
              w = 0;
              break;
            default:
              w = (off & 64) ? 0 : rng();
              break;
          }
          store(p.data() + off, w, Endian::little);
        }
        v.push_back(std::move(p));
      }
      where = "synthetic kernel-like pages (set DUMPFMT_CORPUS_DIR for real ones)";
    }
    return v;
  }();
  if (origin) *origin = where;
  return pages;
}

void BM_CompressKeptPage(benchmark::State& state) {
  const auto id = static_cast<CodecId>(state.range(0));
  auto codec = make_codec(id);
  if (!codec) {
    state.SkipWithError(codec.error().message.c_str());
    return;
  }
  std::string origin;
  const auto& pages = sample_pages(&origin);
  std::vector<std::byte> out((*codec)->max_compressed_size(4096));
  size_t i = 0;
  uint64_t in_bytes = 0, out_bytes = 0;
  for (auto _ : state) {
    const auto& p = pages[i++ % pages.size()];
    auto n = (*codec)->compress(p, out);
    if (!n) {
      state.SkipWithError(n.error().message.c_str());
      break;
    }
    in_bytes += p.size();
    out_bytes += std::min<size_t>(*n, p.size());  // stored raw when not smaller
  }
  state.SetBytesProcessed(static_cast<int64_t>(in_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["ratio"] = in_bytes ? static_cast<double>(out_bytes) / in_bytes : 0;
  state.SetLabel(std::string(codec_name(id)) + "; " + origin);
}
BENCHMARK(BM_CompressKeptPage)
    ->DenseRange(static_cast<int>(CodecId::zlib), static_cast<int>(CodecId::lz4));

}  // namespace

BENCHMARK_MAIN();
