// --verify: PFN chunks handed to worker threads through an atomic cursor;
// each chunk keeps its first failures, so the report's order is PFN order
// whatever the scheduling.
#include "verify.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "dumpfmt/pipeline.h"

namespace dumpfmt::dumpinfo {

namespace {

constexpr uint64_t kChunkPages = 1024;

struct Chunk {
  Pfn first = 0, end = 0;  // a piece of one run of present PFNs
  uint64_t failed = 0;
  std::vector<PageFailure> failures;
};

}  // namespace

VerifyReport verify_pages(const PageSource& src, const VerifyOptions& opts) {
  VerifyReport r;
  const DumpInfo& info = src.info();
  r.incomplete = info.incomplete;
  r.lost_from = info.lost_from;
  r.reader_warnings = info.warnings;

  std::vector<Chunk> chunks;
  src.present().for_each_run([&](Pfn a, Pfn b) {
    for (Pfn p = a; p < b; p += std::min(kChunkPages, b - p)) {
      chunks.push_back({p, p + std::min(kChunkPages, b - p), 0, {}});
    }
  });
  const uint64_t total = src.present().count();
  unsigned n = opts.threads ? opts.threads : available_cpus();
  n = static_cast<unsigned>(std::min<size_t>(n, std::max<size_t>(1, chunks.size())));

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done{0};
  auto work = [&] {
    std::vector<std::byte> page(info.page_size);
    for (size_t i; (i = next.fetch_add(1)) < chunks.size();) {
      Chunk& c = chunks[i];
      for (Pfn p = c.first; p < c.end; ++p) {
        auto st = src.read_page(p, page);
        if (!st) {
          if (c.failures.size() < opts.max_failures_kept) {
            c.failures.push_back({p, st.error().message});
          }
          ++c.failed;
        }
      }
      done += c.end - c.first;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < n; ++t) pool.emplace_back(work);
  while (opts.progress && done.load() < total) {
    opts.progress(done.load(), total);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : pool) t.join();
  if (opts.progress) opts.progress(total, total);

  r.pages_checked = total;
  for (auto& c : chunks) {
    r.pages_failed += c.failed;
    for (auto& f : c.failures) {
      if (r.failures.size() < opts.max_failures_kept) r.failures.push_back(std::move(f));
    }
  }
  if (!r.failures.empty()) r.first_bad = r.failures.front().pfn;
  if (r.lost_from && (!r.first_bad || *r.lost_from < *r.first_bad)) r.first_bad = r.lost_from;
  if (r.first_bad) {
    // Every carried PFN below the first damage read fine.
    src.present().for_each_run([&](Pfn a, Pfn b) {
      if (a < *r.first_bad) r.last_good = std::min(b, *r.first_bad) - 1;
    });
  }
  return r;
}

}  // namespace dumpfmt::dumpinfo
