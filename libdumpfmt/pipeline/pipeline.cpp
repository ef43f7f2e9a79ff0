// run_pipeline: read, transform, zero-detect and compress pages on worker
// threads; write them in PFN order from the calling thread.
//
// Pages flow through two batch buffers. The calling thread fills a batch with
// PFNs, cuts it into chunks of consecutive PFNs and queues them; workers take
// chunks, fetch each with one read_pages call and encode its pages into the
// batch's slots. While the workers encode one batch the calling thread writes
// the other, and the workers move straight on to the next batch as soon as it
// is queued. Idle threads sleep on a condition variable: an OpenMP version of
// this loop lost a core to libgomp's spinning workers at every batch barrier.
#include "dumpfmt/pipeline.h"

#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dumpfmt/bytes.h"

namespace dumpfmt {

namespace {

// Bytes fetched per read_pages call: large enough that per-call costs vanish,
// small enough that a chunk stays in cache until it is compressed.
constexpr size_t kChunkBytes = 128 << 10;

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
  size_t pending = 0;  // chunks queued or being encoded
};

struct Chunk {
  Batch* batch;
  size_t begin, end;  // slot indices; their PFNs are consecutive
};

// The chunk queue and the worker threads. Destroying it stops and joins the
// workers, so it must be declared after everything they touch.
class Workers {
 public:
  template <class Encode>
  Workers(unsigned n, Encode encode) {
    for (unsigned i = 0; i < n; ++i) {
      threads_.emplace_back([this, i, encode] {
        for (;;) {
          Chunk c;
          {
            std::unique_lock lock(mu_);
            work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stop_ with nothing left
            c = queue_.front();
            queue_.pop_front();
          }
          encode(i, c);
          std::lock_guard lock(mu_);
          if (--c.batch->pending == 0) done_cv_.notify_all();
        }
      });
    }
  }
  ~Workers() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      queue_.clear();  // an early return: queued work no longer matters
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void submit(Batch& b, const std::vector<Chunk>& chunks) {
    {
      std::lock_guard lock(mu_);
      b.pending += chunks.size();
      queue_.insert(queue_.end(), chunks.begin(), chunks.end());
    }
    work_cv_.notify_all();
  }
  void wait(const Batch& b) {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return b.pending == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Chunk> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

unsigned available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

Result<PipelineStats> run_pipeline(const PageSource& src, const PfnSet& pages, DumpWriter& w,
                                   const PipelineOptions& opts) {
  const size_t page_size = src.info().page_size;
  const CodecId codec_id = w.wanted_codec();
  const unsigned nthreads = opts.threads ? opts.threads : available_cpus();
  const size_t batch_pages = std::max<size_t>(1, opts.batch_pages);
  const size_t chunk_pages = std::clamp<size_t>(kChunkBytes / page_size, 1, batch_pages);

  // Per worker: a codec (codecs are single-threaded) and a chunk buffer.
  std::vector<std::unique_ptr<Codec>> codecs(nthreads);
  for (auto& c : codecs) {
    DUMPFMT_TRY_ASSIGN(c, make_codec(codec_id, opts.level));
  }
  const size_t stride = std::max(page_size, codecs[0]->max_compressed_size(page_size));
  std::vector<std::vector<std::byte>> scratch(nthreads);
  std::vector<std::vector<PageState>> scratch_states(nthreads);

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

  // Encodes one page, already read with state `st`, into its slot.
  auto encode_page = [&](unsigned tid, Batch& b, size_t i, std::span<std::byte> page,
                         Result<PageState> st) {
    Slot& s = b.slots[i];
    std::span<std::byte> out(b.data.data() + i * stride, stride);
    s.zero = false;
    s.failed = false;
    Error err;
    bool bad = false;
    if (!st) {
      err = std::move(st).error();
      bad = true;
    } else if (*st == PageState::excluded) {
      err = make_error(Errc::no_data,
                       strfmt("page %s is excluded from the source dump", hex(s.pfn).c_str()));
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
    if (*st == PageState::zero || is_zero(page)) {
      s.zero = true;
      return;
    }
    if (codec_id != CodecId::none) {
      auto n = codecs[tid]->compress(page, out);
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

  // Reads a chunk with one call; if that fails, page by page so that each
  // failure is attributed to its page (and --keep-going loses only those).
  auto encode_chunk = [&](unsigned tid, const Chunk& c) {
    {
      std::lock_guard<std::mutex> lock(err_mu);
      if (fatal) return;  // the run is over; don't waste the time
    }
    const size_t n = c.end - c.begin;
    auto& buf = scratch[tid];
    auto& states = scratch_states[tid];
    buf.resize(n * page_size);
    states.resize(n);
    const Pfn first = c.batch->slots[c.begin].pfn;
    const bool whole = n > 1 && src.read_pages(first, buf, states).has_value();
    for (size_t k = 0; k < n; ++k) {
      std::span<std::byte> page(buf.data() + k * page_size, page_size);
      Result<PageState> st = whole ? Result<PageState>(states[k]) : src.read_page(first + k, page);
      encode_page(tid, *c.batch, c.begin + k, page, std::move(st));
    }
  };

  // Hands one finished batch to the writer, in order.
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

  // Walks the page set run by run with a cursor (a list of the runs of a
  // fragmented terabyte would take hundreds of MiB), filling a batch and
  // cutting it into chunks that never cross a run.
  PfnSet::Cursor cursor(pages);
  std::vector<Chunk> chunks;
  auto fill = [&](Batch& b) {
    b.count = 0;
    chunks.clear();
    while (b.count < batch_pages) {
      auto piece = cursor.next(std::min(batch_pages - b.count, chunk_pages));
      if (!piece) break;
      const size_t n = static_cast<size_t>(piece->second - piece->first);
      for (size_t k = 0; k < n; ++k) b.slots[b.count + k].pfn = piece->first + k;
      chunks.push_back({&b, b.count, b.count + n});
      b.count += n;
    }
  };

  Workers workers(nthreads, encode_chunk);
  int cur = 0;
  for (Batch& b : batches) {
    fill(b);
    workers.submit(b, chunks);
  }
  for (;;) {
    Batch& b = batches[cur];
    workers.wait(b);
    {
      std::lock_guard<std::mutex> lock(err_mu);
      if (fatal) return *fatal;
    }
    if (b.count == 0) break;  // batches finish in order: nothing after it either
    DUMPFMT_TRY(drain(b));
    fill(b);
    workers.submit(b, chunks);
    cur ^= 1;
  }
  if (opts.finish_writer) DUMPFMT_TRY(w.finish());
  return stats;
}

}  // namespace dumpfmt
