// filter_pages(): a makedumpfile dump_level applied to any PageSource, and the
// parallel zero-page scan for outputs that must know the zero pages up front.
#include "dumpfmt_filters/page_filter.h"

#include <algorithm>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/page_scan.h"

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
  ScanOptions so;
  so.threads = threads;
  so.unit_pages = kZeroBlockPfns;
  so.read_pages = kReadPfns;
  so.keep_going = true;  // unreadable pages stay in the set; the pipeline reports them
  so.progress = progress;
  // A bit per PFN of each unit in flight; units merge in PFN order, and
  // erasing a unit's zero pages happens behind the scan's cursor only.
  std::vector<std::vector<uint64_t>> zero_bits(scan_slots(so));
  const size_t page_size = src.info().page_size;
  auto visit = [&](const ScanBatch& b) -> Status {
    auto& bits = zero_bits[b.unit->slot];
    if (b.first == b.unit->first) bits.assign((b.unit->end - b.unit->first + 63) / 64, 0);
    if (b.error) return ok();
    for (size_t k = 0; k < b.count; ++k) {
      if (b.states[k] == PageState::excluded) continue;
      if (b.states[k] == PageState::zero || is_zero(b.data.subspan(k * page_size, page_size))) {
        const uint64_t i = b.first + k - b.unit->first;
        bits[i / 64] |= uint64_t{1} << (i % 64);
      }
    }
    return ok();
  };
  uint64_t removed = 0;
  auto merge = [&](const ScanUnit& u) -> Status {
    const auto& bits = zero_bits[u.slot];
    const uint64_t len = u.end - u.first;
    for (uint64_t i = 0; i < len;) {
      if (!(bits[i / 64] >> (i % 64) & 1)) {
        ++i;
        continue;
      }
      uint64_t j = i;
      while (j < len && (bits[j / 64] >> (j % 64) & 1)) ++j;
      pages.erase_range(u.first + i, u.first + j);
      removed += j - i;
      i = j;
    }
    return ok();
  };
  DUMPFMT_TRY(scan_pages(src, pages, so, visit, merge));
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
