// dumpfilter's memory budget, cycles and passes over the windows (see filter_plan.h).
#include "dumpfmt_filters/filter_plan.h"

#include <algorithm>

namespace dumpfmt::filters {

size_t struct_page_chunk_bytes(uint64_t budget) {
  return static_cast<size_t>(std::clamp<uint64_t>(budget / 16, 64 << 10, 1 << 20));
}

FilterPlan plan_filter(const PlanOptions& o) {
  FilterPlan p;
  p.budget = o.budget;
  p.end = o.end;
  const uint64_t cycle =
      o.cycle_pages
          ? (o.cycle_pages + 63) / 64 * 64
          : std::max(PfnSet::kChunkPfns, o.budget / PfnSet::kChunkPfns * PfnSet::kChunkPfns);
  p.windowed = o.format == "kdump" || o.dry_run;
  p.cycles = p.windowed && o.end > cycle;
  p.cycle_pfns = p.cycles ? cycle : std::max<uint64_t>(o.end, 1);
  // Batches beyond 256 pages buy no speed (workers move on to the next batch
  // while one is written), so a large budget is not spent on them.
  const uint64_t slot = uint64_t{o.page_size} * 2 + 1024;
  p.batch_pages = static_cast<size_t>(std::clamp<uint64_t>(o.budget / 4 / (2 * slot), 16, 256));
  return p;
}

void Findings::add(const FilterResult& fr) {
  stats.add(fr.stats);
  if (notes.empty()) notes = fr.notes;
  beyond_mem_map += fr.beyond_mem_map;
  mem_map_end = fr.mem_map_end;
  classified = classified || fr.classified;
  zero_pages_removed += fr.zero_pages_removed;
  kept += fr.kept.count();
  top = std::max({top, fr.kept.end_bound(), fr.ram.end_bound()});
  set_bytes = std::max<uint64_t>(set_bytes, fr.kept.memory_bytes() + fr.ram.memory_bytes());
}

Result<Findings> classify_all(WindowFilter& filter, const FilterPlan& plan) {
  Findings found;
  Pfn first = 0;
  do {
    const Pfn last =
        filter.end() - first > plan.cycle_pfns ? first + plan.cycle_pfns : filter.end();
    DUMPFMT_TRY_ASSIGN(FilterResult fr, filter.window(first, last));
    found.add(fr);
    if (!plan.cycles) found.whole = std::move(fr);
    first = last;
  } while (first < filter.end());
  for (auto& w : filter.self_check(found.stats)) found.stats.warnings.push_back(std::move(w));
  return found;
}

WindowSource second_pass(WindowFilter& filter) {
  filter.restart();
  return [&filter](Pfn a, Pfn b) -> Result<WindowSets> {
    DUMPFMT_TRY_ASSIGN(FilterResult fr, filter.window(a, b));
    return WindowSets{std::move(fr.ram), std::move(fr.kept)};
  };
}

DumpInfo filtered_info(const DumpInfo& info, uint32_t dump_level, const Findings& found) {
  DumpInfo out = info;
  out.dump_level = dump_level;
  if (found.mem_map_end && out.max_pfn > *found.mem_map_end) out.max_pfn = *found.mem_map_end;
  return out;
}

Result<PipelineStats> write_filtered(const PageSource& src, WindowFilter& filter,
                                     const FilterPlan& plan, const Findings& found,
                                     const DumpInfo& info, const WriteJob& job) {
  if (!plan.cycles) {
    if (!found.whole) {
      return make_error(Errc::invalid_argument, "the classification was made in cycles");
    }
    return write_dump(src, info, found.whole->ram, found.whole->kept, job);
  }
  return write_dump_windowed(src, info, found.top, found.kept, plan.cycle_pfns, second_pass(filter),
                             job);
}

}  // namespace dumpfmt::filters
