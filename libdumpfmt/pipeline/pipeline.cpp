// run_pipeline: read, transform, zero-detect and compress pages in parallel
// batches; write them in PFN order. The only OpenMP user in libdumpfmt.
//
// Two batch buffers alternate: while the workers compress batch k, one thread
// writes batch k-1, so the writer never waits for a whole batch to finish.
#include "dumpfmt/pipeline.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/config.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace dumpfmt {

namespace {

struct Slot {
  Pfn pfn = 0;
  uint32_t size = 0;
  CodecId codec = CodecId::none;
  bool zero = false;
  bool failed = false;
};

struct Batch {
  std::vector<Slot> slots;
  std::vector<std::byte> data;  // slot i owns [i*stride, (i+1)*stride)
  size_t count = 0;
};

unsigned thread_count(unsigned wanted) {
#ifdef _OPENMP
  if (wanted == 0) wanted = static_cast<unsigned>(omp_get_max_threads());
#endif
  return std::max(1u, wanted);
}

int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace

Result<PipelineStats> run_pipeline(const PageSource& src, const PfnSet& pages, DumpWriter& w,
                                   const PipelineOptions& opts) {
  const size_t page_size = src.info().page_size;
  const CodecId codec_id = w.wanted_codec();
  const unsigned nthreads = thread_count(opts.threads);
  const size_t batch_pages = std::max<size_t>(1, opts.batch_pages);

  // One codec and one scratch page per worker: codecs are single-threaded.
  std::vector<std::unique_ptr<Codec>> codecs(nthreads);
  for (auto& c : codecs) {
    DUMPFMT_TRY_ASSIGN(c, make_codec(codec_id, opts.level));
  }
  const size_t stride = std::max(page_size, codecs[0]->max_compressed_size(page_size));
  std::vector<std::vector<std::byte>> scratch(nthreads, std::vector<std::byte>(page_size));

  Batch batches[2];
  for (auto& b : batches) {
    b.slots.resize(batch_pages);
    b.data.resize(batch_pages * stride);
  }

  PipelineStats stats;
  const uint64_t total = pages.count();
  std::mutex err_mu;
  std::optional<Error> fatal;  // first error that stops the run
  auto record_error = [&](Error e) {
    std::lock_guard<std::mutex> lock(err_mu);
    if (!fatal) fatal = std::move(e);
  };

  // Encodes one page into its slot; runs on any worker thread.
  auto encode = [&](Batch& b, size_t i) {
    Slot& s = b.slots[i];
    int tid = thread_id();
    std::span<std::byte> page(scratch[static_cast<size_t>(tid)]);
    std::span<std::byte> out(b.data.data() + i * stride, stride);
    s.zero = false;
    s.failed = false;
    auto st = src.read_page(s.pfn, page);
    Error err;
    bool bad = false;
    if (!st) {
      err = std::move(st).error();
      bad = true;
    } else if (*st == PageState::excluded) {
      err = make_error(Errc::no_data, strfmt("page %s is excluded from the source dump",
                                             hex(s.pfn).c_str()));
      bad = true;
    } else if (opts.transform) {
      auto t = opts.transform(s.pfn, page);
      if (!t) {
        err = std::move(t).error();
        bad = true;
      }
    }
    if (bad) {
      s.failed = true;
      err = with_context(std::move(err), "page " + hex(s.pfn));
      if (!opts.keep_going) {
        record_error(std::move(err));
        return;
      }
      std::lock_guard<std::mutex> lock(err_mu);
      if (stats.first_failure.empty()) stats.first_failure = err.message;
      return;
    }
    if ((st && *st == PageState::zero) || is_zero(page)) {
      s.zero = true;
      return;
    }
    if (codec_id != CodecId::none) {
      auto n = codecs[static_cast<size_t>(tid)]->compress(page, out);
      if (!n) {
        record_error(std::move(n).error());
        s.failed = true;
        return;
      }
      if (*n < page_size) {
        s.codec = codec_id;
        s.size = static_cast<uint32_t>(*n);
        return;
      }
    }
    std::memcpy(out.data(), page.data(), page_size);
    s.codec = CodecId::none;
    s.size = static_cast<uint32_t>(page_size);
  };

  // Hands one finished batch to the writer, in order; runs on one thread.
  auto drain = [&](Batch& b) -> Status {
    for (size_t i = 0; i < b.count; ++i) {
      const Slot& s = b.slots[i];
      EncodedPage ep;
      ep.pfn = s.pfn;
      if (s.failed) {
        ++stats.failed_pages;
        ep.zero = true;  // keep_going: the page is written as zeros and counted
      } else if (s.zero) {
        ep.zero = true;
        ++stats.zero_pages;
      } else {
        ep.codec = s.codec;
        ep.data = std::span<const std::byte>(b.data.data() + i * stride, s.size);
        if (s.codec == CodecId::none) ++stats.raw_pages;
        stats.bytes_out += s.size;
      }
      DUMPFMT_TRY(w.write_page(ep));
      ++stats.pages;
    }
    if (opts.progress) opts.progress(stats.pages, total);
    return ok();
  };

  // Walk the page set run by run, filling batches.
  std::vector<std::pair<Pfn, Pfn>> runs;
  pages.for_each_run([&](Pfn a, Pfn b) { runs.emplace_back(a, b); });
  size_t run_i = 0;
  Pfn next_pfn = runs.empty() ? 0 : runs[0].first;
  auto fill = [&](Batch& b) {
    b.count = 0;
    while (b.count < batch_pages && run_i < runs.size()) {
      b.slots[b.count++].pfn = next_pfn++;
      if (next_pfn >= runs[run_i].second) {
        ++run_i;
        if (run_i < runs.size()) next_pfn = runs[run_i].first;
      }
    }
  };

  Status write_status;
  int cur = 0;
  bool have_prev = false;
  for (;;) {
    Batch& b = batches[cur];
    Batch& prev = batches[cur ^ 1];
    fill(b);
    if (b.count == 0 && !have_prev) break;
    const bool write_prev = have_prev;
#pragma omp parallel num_threads(static_cast<int>(nthreads))
    {
#pragma omp single nowait
      {
        if (write_prev) write_status = drain(prev);
      }
#pragma omp for schedule(dynamic, 16) nowait
      for (size_t i = 0; i < b.count; ++i) encode(b, i);
    }
    if (!write_status) return std::move(write_status).error();
    if (fatal) return *fatal;
    have_prev = b.count > 0;
    cur ^= 1;
  }
  DUMPFMT_TRY(w.finish());
  return stats;
}

}  // namespace dumpfmt
