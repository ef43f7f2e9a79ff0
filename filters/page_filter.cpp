// filter_pages(): a makedumpfile dump_level applied to any PageSource, and the
// parallel zero-page scan for outputs that must know the zero pages up front.
#include "dumpfmt_filters/page_filter.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt::filters {

namespace {

constexpr uint64_t kZeroBlockPfns = 4096;  // PFNs per unit of work in the zero scan
constexpr uint64_t kReadPfns = 32;         // PFNs per read in the zero scan

Error only_level_one(uint32_t dl, const Error& why) {
  return make_error(Errc::unsupported,
                    strfmt("-d %u needs the dumped kernel's page metadata: %s; without it only -d "
                           "1 (exclude zero pages) is possible",
                           dl, why.message.c_str()));
}

// Levels above 1 need the struct pages; their failures are errors, where
// levels 0 and 1 fall back to keeping every page.
bool needs_classes(uint32_t dl) { return (dl & ~uint32_t{kDumpLevelZero}) != 0; }

}  // namespace

Result<uint64_t> remove_zero_pages(const PageSource& src, PfnSet& pages, unsigned threads,
                                   const std::function<void(uint64_t, uint64_t)>& progress) {
  if (threads == 0) threads = available_cpus();
  const size_t page_size = src.info().page_size;
  // Work units: pieces of at most kZeroBlockPfns PFNs of one run.
  struct Unit {
    Pfn first, end;
  };
  const uint64_t total = pages.count();
  uint64_t done = 0, removed = 0;
  // Units are cut from the runs and processed in waves, so that neither the
  // units nor their results (a bit per PFN) grow with the dump. Erasing
  // happens behind the cursor only.
  const size_t wave = size_t{threads} * 16;
  std::vector<Unit> units;
  std::vector<std::vector<uint64_t>> zero_bits(wave);
  PfnSet::Cursor cursor(pages);
  for (;;) {
    units.clear();
    while (units.size() < wave) {
      auto piece = cursor.next(kZeroBlockPfns);
      if (!piece) break;
      units.push_back({piece->first, piece->second});
    }
    if (units.empty()) break;
    const size_t w0 = 0, w1 = units.size();
    std::atomic<size_t> next{w0};
    auto worker = [&] {
      std::vector<std::byte> buf(kReadPfns * page_size);
      std::vector<PageState> states(kReadPfns);
      for (size_t u = next++; u < w1; u = next++) {
        auto& bits = zero_bits[u - w0];
        bits.assign((units[u].end - units[u].first + 63) / 64, 0);
        for (Pfn p0 = units[u].first; p0 < units[u].end; p0 += kReadPfns) {
          const size_t n = static_cast<size_t>(std::min<Pfn>(kReadPfns, units[u].end - p0));
          // Several pages per read; on failure page by page, so one bad
          // page does not hide the others.
          const bool whole =
              src.read_pages(p0, std::span(buf).first(n * page_size), std::span(states).first(n))
                  .has_value();
          for (size_t k = 0; k < n; ++k) {
            std::span<std::byte> page(buf.data() + k * page_size, page_size);
            Result<PageState> st =
                whole ? Result<PageState>(states[k]) : src.read_page(p0 + k, page);
            // Unreadable pages stay in the set; the pipeline reports them.
            if (!st || *st == PageState::excluded) continue;
            if (*st == PageState::zero || is_zero(page)) {
              uint64_t i = p0 + k - units[u].first;
              bits[i / 64] |= uint64_t{1} << (i % 64);
            }
          }
        }
      }
    };
    unsigned n = static_cast<unsigned>(std::min<size_t>(threads, w1 - w0));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (size_t u = w0; u < w1; ++u) {
      const auto& bits = zero_bits[u - w0];
      uint64_t len = units[u].end - units[u].first;
      for (uint64_t i = 0; i < len;) {
        if (!(bits[i / 64] >> (i % 64) & 1)) {
          ++i;
          continue;
        }
        uint64_t j = i;
        while (j < len && (bits[j / 64] >> (j % 64) & 1)) ++j;
        pages.erase_range(units[u].first + i, units[u].first + j);
        removed += j - i;
        i = j;
      }
      done += len;
    }
    if (progress) progress(done, total);
  }
  return removed;
}

Result<std::unique_ptr<WindowFilter>> WindowFilter::create(const PageSource& src,
                                                           const FilterOptions& opts) {
  const uint32_t dl = opts.dump_level;
  if (dl > kDumpLevelMax) {
    return make_error(Errc::invalid_argument, strfmt("dump level %u is out of range 0-31", dl));
  }
  std::unique_ptr<WindowFilter> f(new WindowFilter(src, opts));
  f->end_ = std::max(src.present().end_bound(), src.ram().end_bound());
  f->total_ = src.present().count();
  // makedumpfile examines struct pages for levels above 1, and at any level
  // when the kernel exports PG_hwpoison (hwpoison and offline pages go then).
  const bool need_classes = needs_classes(dl);
  auto km = KernelMemory::create(src);
  if (!km) {
    if (need_classes) return only_level_one(dl, km.error());
    f->notes_.push_back(km.error().message);
    return f;
  }
  f->km_ = std::move(*km);
  auto pc = PageClassifier::create(*f->km_);
  if (!pc) {
    if (need_classes) return only_level_one(dl, pc.error());
    f->notes_.push_back(pc.error().message);
    return f;
  }
  if (!pc->mem_map().ranges.empty()) f->mem_map_end_ = pc->mem_map().ranges.back().end;
  if (need_classes) {
    if (auto st = pc->check(dl); !st) return only_level_one(dl, st.error());
  }
  f->classify_ = need_classes || f->km_->vmcoreinfo().number("PG_hwpoison");
  f->pc_.emplace(std::move(*pc));
  return f;
}

Result<FilterResult> WindowFilter::window(Pfn first, Pfn last) {
  if (first != next_ || last < first) {
    return make_error(Errc::invalid_argument,
                      strfmt("filter window %s-%s does not follow the previous one (ended at %s)",
                             hex(first).c_str(), hex(last).c_str(), hex(next_).c_str()));
  }
  next_ = last;
  FilterResult r;
  r.kept = src_.present().slice(first, last);
  r.ram = src_.ram().slice(first, last);
  r.notes = notes_;
  r.mem_map_end = mem_map_end_;
  if (mem_map_end_ && last > *mem_map_end_) {
    const Pfn cut = std::max(first, *mem_map_end_);
    r.beyond_mem_map = r.kept.count_range(cut, last);
    r.kept.erase_range(cut, last);
    r.ram.erase_range(cut, last);
  }
  if (classify_) {
    // What an earlier window's free block or compound page covers here was
    // decided there; its tail pages must not be examined on their own.
    if (carry_end_ > first) {
      const Pfn ce = std::min(carry_end_, last);
      r.stats.excluded[carry_class_] += r.kept.count_range(first, ce);
      r.kept.erase_range(first, ce);
    }
    ClassifyOptions co;
    co.dump_level = opts_.dump_level;
    co.chunk_bytes = opts_.chunk_bytes;
    co.self_check = false;
    const uint64_t before = examined_before_;
    if (opts_.progress) {
      co.progress = [&](uint64_t d, uint64_t) {
        opts_.progress("examining struct pages", before + d, total_);
      };
    }
    // The walk reads the set it is given while runs are erased from `kept`.
    const PfnSet domain = r.kept;
    examined_before_ += domain.count();
    PfnSet& kept = r.kept;
    auto stats = pc_->classify(domain, co, [&](Pfn a, Pfn b, PageClass c) {
      kept.erase_range(a, std::min(b, last));
      if (b > last && b > carry_end_) {
        carry_end_ = b;
        carry_class_ = c;
      }
    });
    if (!stats) {
      if (needs_classes(opts_.dump_level)) return std::move(stats).error();
      r.kept = domain;
      r.notes.push_back(stats.error().message);
    } else {
      stats->add(r.stats);  // the carried pages
      r.stats = std::move(*stats);
      r.classified = true;
    }
  }
  if ((opts_.dump_level & kDumpLevelZero) && opts_.scan_zero_pages) {
    std::function<void(uint64_t, uint64_t)> prog;
    if (opts_.progress) {
      prog = [&](uint64_t d, uint64_t t) { opts_.progress("finding zero pages", d, t); };
    }
    DUMPFMT_TRY_ASSIGN(r.zero_pages_removed, remove_zero_pages(src_, r.kept, opts_.threads, prog));
  }
  return r;
}

std::vector<std::string> WindowFilter::self_check(const ClassifyStats& total) const {
  if (!pc_ || !classify_) return {};
  return pc_->self_check(total, opts_.dump_level);
}

Result<FilterResult> filter_pages(const PageSource& src, const FilterOptions& opts) {
  DUMPFMT_TRY_ASSIGN(auto f, WindowFilter::create(src, opts));
  DUMPFMT_TRY_ASSIGN(FilterResult r, f->window(0, f->end()));
  auto w = f->self_check(r.stats);
  r.stats.warnings.insert(r.stats.warnings.end(), w.begin(), w.end());
  return r;
}

}  // namespace dumpfmt::filters
