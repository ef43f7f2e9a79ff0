// --mem-usage: the page classifier over the dump's RAM, then a zero scan of
// the carried pages no class claims; printed in makedumpfile's table form.
#include "mem_usage.h"

#include "dumpfmt_filters/page_filter.h"

namespace dumpfmt::dumpinfo {

Result<MemUsage> mem_usage(const PageSource& src, const KernelMemory* km, unsigned threads,
                           const std::function<void(const char*, uint64_t, uint64_t)>& progress) {
  MemUsage u;
  u.page_size = src.info().page_size;
  PfnSet domain = src.ram();
  domain.add(src.present());
  PfnSet rest = domain;  // pages no class has claimed yet

  std::optional<PageClassifier> pc;
  if (!km) {
    u.not_classified_why = "the dump has no usable VMCOREINFO";
  } else if (auto c = PageClassifier::create(*km); !c) {
    u.not_classified_why = c.error().message;
  } else {
    pc = std::move(*c);
  }
  if (pc) {
    // As makedumpfile: memory above the struct page array is not the kernel's.
    if (!pc->mem_map().ranges.empty()) {
      const Pfn end = pc->mem_map().ranges.back().end;
      const Pfn top = domain.end_bound();
      if (top > end) {
        u.beyond_mem_map = domain.count_range(end, top);
        domain.erase_range(end, top);
        rest.erase_range(end, top);
      }
    }
    ClassifyOptions co;
    co.dump_level = kDumpLevelMax & pc->supported_dump_level();
    if (progress)
      co.progress = [&](uint64_t d, uint64_t t) { progress("examining struct pages", d, t); };
    auto stats = pc->classify(domain, co, [&](Pfn a, Pfn b, PageClass) { rest.erase_range(a, b); });
    if (!stats) {
      u.not_classified_why = stats.error().message;
      rest = domain;
    } else {
      u.classified = true;
      u.classes = stats->excluded;
      u.warnings = stats->warnings;
      if (co.dump_level != kDumpLevelMax) {
        u.warnings.push_back(
            strfmt("VMCOREINFO supports only dump level %u; the other classes "
                   "count as kernel pages",
                   co.dump_level | kDumpLevelZero));
      }
    }
  }
  // Zero pages: read what the dump carries among the unclaimed pages.
  PfnSet carried = rest;
  carried.intersect(src.present());
  const uint64_t carried_before = carried.count();
  std::function<void(uint64_t, uint64_t)> zp;
  if (progress) zp = [&](uint64_t d, uint64_t t) { progress("finding zero pages", d, t); };
  DUMPFMT_TRY_ASSIGN(uint64_t zero, filters::remove_zero_pages(src, carried, threads, zp));
  u.classes[PageClass::zero] = zero;
  u.classes[PageClass::kernel] = carried_before - zero;
  u.not_in_dump = rest.count() - carried_before;
  u.total = u.classes.total() + u.not_in_dump;
  return u;
}

std::string format_mem_usage(const MemUsage& u) {
  auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::string s;
  s += "TYPE\t\tPAGES\t\t\tEXCLUDABLE\tDESCRIPTION\n";
  s += "----------------------------------------------------------------------\n";
  s += strfmt("ZERO\t\t%-16llu\tyes\t\tPages filled with zero\n", n(u.classes[PageClass::zero]));
  s += strfmt("NON_PRI_CACHE\t%-16llu\tyes\t\tCache pages without private flag\n",
              n(u.classes[PageClass::cache]));
  s += strfmt("PRI_CACHE\t%-16llu\tyes\t\tCache pages with private flag\n",
              n(u.classes[PageClass::cache_private]));
  s += strfmt("USER\t\t%-16llu\tyes\t\tUser process pages\n", n(u.classes[PageClass::user]));
  s += strfmt("FREE\t\t%-16llu\tyes\t\tFree pages\n", n(u.classes[PageClass::free]));
  if (u.classes[PageClass::hwpoison]) {
    s += strfmt("HWPOISON\t%-16llu\tyes\t\tHardware-poisoned pages\n",
                n(u.classes[PageClass::hwpoison]));
  }
  if (u.classes[PageClass::offline]) {
    s += strfmt("OFFLINE\t\t%-16llu\tyes\t\tLogically offline pages\n",
                n(u.classes[PageClass::offline]));
  }
  s += strfmt("KERN_DATA\t%-16llu\tno\t\tDumpable kernel data \n", n(u.classes[PageClass::kernel]));
  if (u.not_in_dump) {
    s += strfmt("NOT_IN_DUMP\t%-16llu\t-\t\tRAM the dump does not carry (class unknown)\n",
                n(u.not_in_dump));
  }
  s += "\n";
  s += strfmt("page size:\t\t%-16u\n", u.page_size);
  s += strfmt("Total pages on system:\t%-16llu\n", n(u.total));
  s += strfmt("Total size on system:\t%-16llu Byte\n", n(u.total * u.page_size));
  return s;
}

}  // namespace dumpfmt::dumpinfo
