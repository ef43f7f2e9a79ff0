// scan_pages and parallel_for (see dumpfmt/page_scan.h).
//
// The calling thread owns the cursor and the merge: it cuts units into a
// ring of scan_slots() entries, workers take them in order and mark them
// done, and the calling thread merges the oldest as soon as it is done and
// cuts the next. Workers sleep on a condition variable when the ring is
// empty (no spinning: see pipeline.cpp on libgomp).
#include "dumpfmt/page_scan.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt {

namespace {

unsigned resolve_threads(unsigned threads) { return threads ? threads : available_cpus(); }

constexpr size_t kNone = SIZE_MAX;

// Reads one unit batch by batch and hands the batches to `visit`; gives up
// between batches once `abandoned()` says a lower unit has failed.
template <class Abandoned>
Status scan_unit(const PageSource& src, const ScanOptions& opts, unsigned worker,
                 const ScanUnit& unit, std::vector<std::byte>& buf, std::vector<PageState>& states,
                 const std::function<Status(const ScanBatch&)>& visit, Abandoned abandoned) {
  const size_t ps = src.info().page_size;
  ScanBatch b;
  b.worker = worker;
  b.unit = &unit;
  for (Pfn p0 = unit.first; p0 < unit.end; p0 += b.count) {
    if (abandoned()) return ok();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size() / ps, unit.end - p0));
    const std::span<std::byte> data(buf.data(), n * ps);
    const std::span<PageState> st(states.data(), n);
    b.count = n;
    if (n > 1 && src.read_pages(p0, data, st)) {
      b.first = p0;
      b.data = data;
      b.states = st;
      b.error = nullptr;
      DUMPFMT_TRY(visit(b));
      continue;
    }
    // One call failed (or there was one page): page by page, so that each
    // failure is attributed to its page.
    for (size_t k = 0; k < n; ++k) {
      ScanBatch one = b;
      one.first = p0 + k;
      one.count = 1;
      one.data = data.subspan(k * ps, ps);
      one.states = st.subspan(k, 1);
      auto r = src.read_page(one.first, data.subspan(k * ps, ps));
      if (r) {
        st[k] = *r;
        DUMPFMT_TRY(visit(one));
        continue;
      }
      if (!opts.keep_going) return with_context(std::move(r).error(), "page " + hex(one.first));
      const Error& e = r.error();
      one.error = &e;
      DUMPFMT_TRY(visit(one));
    }
  }
  return ok();
}

}  // namespace

size_t scan_slots(const ScanOptions& opts) {
  return size_t{resolve_threads(opts.threads)} * std::max<size_t>(1, opts.units_per_thread);
}

Status scan_pages(const PageSource& src, const PfnSet& pages, const ScanOptions& opts,
                  const std::function<Status(const ScanBatch&)>& visit,
                  const std::function<Status(const ScanUnit&)>& merge) {
  const uint64_t total = pages.count();
  if (total == 0) return ok();
  const uint64_t unit_pages = std::max<uint64_t>(1, opts.unit_pages);
  const size_t slots = scan_slots(opts);
  // No more workers than units can keep busy.
  const unsigned nthreads = static_cast<unsigned>(
      std::min<uint64_t>(resolve_threads(opts.threads), (total + unit_pages - 1) / unit_pages));
  const size_t read_bytes = std::max<size_t>(1, opts.read_pages) * src.info().page_size;

  struct Entry {
    ScanUnit unit;
    bool done = false;
    std::optional<Error> error;
  };
  std::vector<Entry> ring(slots);
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  size_t cut = 0, taken = 0, merged = 0;   // unit counts; merged <= taken <= cut
  std::atomic<bool> quit{false};           // set when the scan returns: workers drop their units
  std::atomic<size_t> failed_unit{kNone};  // lowest unit whose work failed

  auto worker = [&](unsigned w) {
    std::vector<std::byte> buf(read_bytes);
    std::vector<PageState> states(buf.size() / src.info().page_size);
    for (;;) {
      ScanUnit unit;
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return quit || taken < cut; });
        if (quit) return;
        unit = ring[taken++ % slots].unit;
      }
      const size_t i = unit.index;
      auto abandoned = [&] {
        return quit.load(std::memory_order_relaxed) ||
               failed_unit.load(std::memory_order_relaxed) < i;
      };
      Status st = scan_unit(src, opts, w, unit, buf, states, visit, abandoned);
      std::lock_guard lock(mu);
      Entry& e = ring[unit.slot];
      e.done = true;
      if (!st) {
        e.error = std::move(st).error();
        if (i < failed_unit.load()) failed_unit = i;
      }
      if (i == merged) done_cv.notify_one();
    }
  };

  // Destroyed in reverse: `stop` tells the workers to quit, then the
  // jthreads join them, before anything they touch goes away.
  std::vector<std::jthread> threads;
  struct Stop {
    std::mutex& mu;
    std::atomic<bool>& quit;
    std::condition_variable& cv;
    ~Stop() {
      {
        std::lock_guard lock(mu);
        quit = true;
      }
      cv.notify_all();
    }
  } stop{mu, quit, work_cv};
  for (unsigned w = 0; w < nthreads; ++w) threads.emplace_back(worker, w);

  PfnSet::Cursor cursor(pages);
  bool exhausted = false;
  // Cuts units into the free entries of the ring (with `mu` held). After a
  // failure nothing more is cut: the scan ends at the failing unit.
  auto refill = [&] {
    while (!exhausted && cut < merged + slots && failed_unit.load() == kNone) {
      auto piece = cursor.next(unit_pages);
      if (!piece) {
        exhausted = true;
        break;
      }
      Entry& e = ring[cut % slots];
      e.unit = {cut, cut % slots, piece->first, piece->second};
      e.done = false;
      e.error.reset();
      ++cut;
    }
  };

  uint64_t done = 0;
  std::unique_lock lock(mu);
  for (;;) {
    refill();
    work_cv.notify_all();
    done_cv.wait(lock, [&] { return merged == cut || ring[merged % slots].done; });
    if (merged == cut) return ok();  // nothing left to cut or to merge
    Entry& e = ring[merged % slots];
    if (e.error) return std::move(*e.error);
    const ScanUnit unit = e.unit;
    lock.unlock();
    if (merge) DUMPFMT_TRY(merge(unit));
    done += unit.end - unit.first;
    if (opts.progress) opts.progress(done, total);
    lock.lock();
    ++merged;
  }
}

void parallel_for(size_t count, unsigned threads,
                  const std::function<void(unsigned worker, size_t i)>& fn) {
  const unsigned n = static_cast<unsigned>(std::min<size_t>(resolve_threads(threads), count));
  std::atomic<size_t> next{0};
  auto work = [&](unsigned w) {
    for (size_t i; (i = next.fetch_add(1)) < count;) fn(w, i);
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned w = 1; w < n; ++w) pool.emplace_back(work, w);
    if (n > 0) work(0);
  }  // joins
}

}  // namespace dumpfmt
