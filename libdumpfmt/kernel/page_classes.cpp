// Page-class decisions from struct page, made the way makedumpfile makes them
// (its __exclude_unnecessary_pages(), page_is_buddy_v2/v3, is_cache_page,
// isAnon/isSlab/isOffline/isHugetlb, read for facts), so that a dump_level
// keeps exactly the pages makedumpfile keeps; plus a self-check against the
// kernel's own free-page counters.
#include "dumpfmt/kernel/page_classes.h"

#include <algorithm>
#include <cstring>

#include "dumpfmt/bytes.h"
#include "dumpfmt/enum_names.h"

namespace dumpfmt {

namespace {

constexpr uint64_t kMappingAnon = 1;           // PAGE_MAPPING_ANON
constexpr uint64_t kIsHugetlb = ~uint64_t{0};  // dtor marker for "hugetlb by page type/flag"
constexpr uint32_t kClassNamesCount = kPageClassCount;
constexpr std::string_view kClassNames[kClassNamesCount] = {
    "kernel", "zero", "cache", "private", "user", "free", "hwpoison", "offline"};

// makedumpfile's test_bit(): `int mask = 1 << (nr & 0x1f)`, so bit numbers
// wrap at 32 and bit 31 sign-extends over the upper half of a 64-bit flags
// word. Every PG_* value of current kernels is below 31, where this is the
// plain bit test; the quirk is kept so that odd layouts decide identically.
bool mdf_test_bit(int64_t nr, uint64_t flags) {
  int32_t mask = static_cast<int32_t>(uint32_t{1} << (static_cast<uint64_t>(nr) & 0x1f));
  return (static_cast<uint64_t>(static_cast<int64_t>(mask)) & flags) != 0;
}

}  // namespace

std::string_view page_class_name(PageClass c) {
  auto i = static_cast<size_t>(c);
  return i < kClassNamesCount ? kClassNames[i] : "?";
}

std::optional<PageClass> page_class_from_name(std::string_view name) {
  if (name == "cache_private" || name == "cache-private") return PageClass::cache_private;
  for (size_t i = 0; i < kClassNamesCount; ++i) {
    if (kClassNames[i] == name) return static_cast<PageClass>(i);
  }
  return std::nullopt;
}

uint32_t dump_level_bit(PageClass c) {
  // kernel, hwpoison and offline have no bit.
  static constexpr EnumRow<PageClass, uint32_t> kBits[] = {
      {PageClass::zero, kDumpLevelZero},
      {PageClass::cache, kDumpLevelCache},
      {PageClass::cache_private, kDumpLevelCachePrivate},
      {PageClass::user, kDumpLevelUser},
      {PageClass::free, kDumpLevelFree}};
  return enum_lookup(c, kBits, uint32_t{0});
}

Result<uint32_t> dump_level_from_names(std::string_view list) {
  uint32_t level = 0;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty()) continue;
    auto c = page_class_from_name(name);
    uint32_t bit = c ? dump_level_bit(*c) : 0;
    if (!bit) {
      return make_error(Errc::invalid_argument,
                        "unknown page class '" + std::string(name) +
                            "' (excludable classes: zero, cache, private, user, free)");
    }
    level |= bit;
  }
  return level;
}

uint64_t PageClassCounts::total() const {
  uint64_t t = 0;
  for (uint64_t n : pages) t += n;
  return t;
}

// Everything the decisions need, resolved from VMCOREINFO once.
struct PageClassifier::Layout {
  uint32_t size = 0;  // SIZE(page)
  uint32_t word = 8;
  Endian endian = Endian::little;
  uint64_t off_flags = 0, off_refcount = 0, off_mapping = 0;
  std::optional<uint64_t> off_mapcount, off_private, off_compound_head;
  // Compound order / destructor fields, relative to the first tail page; 0 =
  // not known (makedumpfile's convention: offset 0 is the flags word).
  uint64_t order_offset = 0, dtor_offset = 0;
  unsigned order_width = 1, dtor_width = 1;
  uint64_t head_mask = 0;  // NUMBER(PG_head_mask)
  std::optional<int64_t> pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison,
      pg_buddy, pg_hugetlb;
  std::optional<int32_t> buddy_value, offline_value, slab_value, hugetlb_value, unaccepted_value;
  std::optional<uint64_t> hugetlb_dtor, free_huge_page;
  std::optional<uint64_t> nr_orders;  // LENGTH(zone.free_area)
  bool buddy_v3 = false, buddy_v2 = false;

  uint64_t ulong_at(const std::byte* p) const {
    return word == 8 ? load<uint64_t>(p, endian) : load<uint32_t>(p, endian);
  }
  uint64_t field(const std::byte* p, unsigned width) const {
    switch (width) {
      case 1:
        return static_cast<uint64_t>(p[0]);
      case 2:
        return load<uint16_t>(p, endian);
      default:
        return ulong_at(p);
    }
  }

  bool is_slab(uint64_t flags, uint32_t mapcount) const {
    if (slab_value && static_cast<int32_t>(mapcount) == *slab_value) return true;
    return pg_slab && *pg_slab >= 0 && *pg_slab < 64 && (flags & (uint64_t{1} << *pg_slab));
  }
  bool is_buddy(uint64_t flags, uint32_t mapcount) const {
    if (buddy_v3) {
      if (is_slab(flags, mapcount)) return false;
      return static_cast<int32_t>(mapcount) == *buddy_value;
    }
    return buddy_v2 && mdf_test_bit(*pg_buddy, flags);
  }
  bool is_anon(uint64_t mapping, uint64_t flags, uint32_t mapcount) const {
    return (mapping & kMappingAnon) && !is_slab(flags, mapcount);
  }
  bool is_cache(uint64_t flags) const {
    if (pg_lru && mdf_test_bit(*pg_lru, flags)) return true;
    // PG_swapcache is only meaningful with PG_swapbacked (4.10+) when that exists.
    return pg_swapcache && (!pg_swapbacked || mdf_test_bit(*pg_swapbacked, flags)) &&
           mdf_test_bit(*pg_swapcache, flags);
  }
  bool is_private(uint64_t flags) const { return pg_private && mdf_test_bit(*pg_private, flags); }
  bool is_hwpoison(uint64_t flags) const {
    return pg_hwpoison && mdf_test_bit(*pg_hwpoison, flags);
  }
  bool is_offline(uint64_t flags, uint32_t mapcount) const {
    return offline_value && !is_slab(flags, mapcount) &&
           static_cast<int32_t>(mapcount) == *offline_value;
  }
  bool is_hugetlb(uint64_t dtor) const {
    return dtor == kIsHugetlb || (hugetlb_dtor && *hugetlb_dtor == dtor) ||
           (free_huge_page && *free_huge_page == dtor);
  }

  PageStruct decode(const std::byte* p) const {
    PageStruct s;
    s.flags = ulong_at(p + off_flags);
    s.mapping = ulong_at(p + off_mapping);
    s.refcount = load<uint32_t>(p + off_refcount, endian);
    if (off_mapcount) s.mapcount = load<uint32_t>(p + *off_mapcount, endian);
    if (off_private) s.private_ = ulong_at(p + *off_private);
    if (off_compound_head) s.compound_head = ulong_at(p + *off_compound_head);
    return s;
  }

  // One decision, as makedumpfile takes it for `pfn` whose struct page is at
  // `p`; `next` is the following struct page or null when it is not at hand.
  // Returns the class and sets *nr_pages to the pages the decision covers.
  PageClass decide(Pfn pfn, const std::byte* p, const std::byte* next, uint32_t dl,
                   uint64_t* nr_pages) const {
    const PageStruct s = decode(p);
    uint64_t order = 0, dtor = 0;
    if (head_mask && (s.flags & head_mask) && next) {
      if (hugetlb_value) {
        // 6.9+: the order is the low byte of folio._flags_1, hugetlb a page type.
        order = ulong_at(next + off_flags) & 0xff;
        if (static_cast<int32_t>(s.mapcount) == *hugetlb_value) dtor = kIsHugetlb;
      } else if (pg_hugetlb) {
        // 6.6 - 6.8: order in folio._flags_1, hugetlb a flag there.
        uint64_t flags1 = ulong_at(next + off_flags);
        order = flags1 & 0xff;
        if (mdf_test_bit(*pg_hugetlb, flags1)) dtor = kIsHugetlb;
      } else {
        if (order_offset) order = field(next + order_offset, order_width);
        if (dtor_offset) dtor = field(next + dtor_offset, dtor_width);
      }
      if (order >= 64 || (pfn & ((uint64_t{1} << order) - 1)) != 0) order = 0;
    }
    *nr_pages = uint64_t{1} << order;
    if (s.compound_head & 1) {
      // A tail page: an excludable compound page was cleared through its head.
      *nr_pages = 1;
      return PageClass::kernel;
    }
    if ((dl & kDumpLevelFree) && (buddy_v3 || buddy_v2) && is_buddy(s.flags, s.mapcount)) {
      if ((nr_orders && s.private_ >= *nr_orders) || s.private_ >= 64) {
        *nr_pages = 1;  // makedumpfile: "Invalid free page order", page kept
        return PageClass::kernel;
      }
      *nr_pages = uint64_t{1} << s.private_;
      return PageClass::free;
    }
    if ((dl & kDumpLevelFree) && unaccepted_value && nr_orders && *nr_orders > 0 &&
        *nr_orders <= 64 && static_cast<int32_t>(s.mapcount) == *unaccepted_value) {
      // Unaccepted memory sits on its list in MAX_PAGE_ORDER blocks.
      *nr_pages = uint64_t{1} << (*nr_orders - 1);
      return PageClass::free;
    }
    const bool cache = is_cache(s.flags);
    const bool anon = is_anon(s.mapping, s.flags, s.mapcount);
    if ((dl & kDumpLevelCache) && cache && !is_private(s.flags) && !anon) return PageClass::cache;
    if ((dl & kDumpLevelCachePrivate) && cache && !anon) {
      return is_private(s.flags) ? PageClass::cache_private : PageClass::cache;
    }
    if ((dl & kDumpLevelUser) && (anon || is_hugetlb(dtor))) return PageClass::user;
    if (is_hwpoison(s.flags)) return PageClass::hwpoison;
    if (is_offline(s.flags, s.mapcount)) return PageClass::offline;
    *nr_pages = 1;
    return PageClass::kernel;
  }
};

PageClassifier::PageClassifier(const KernelReader& mem, const VmcoreInfo& vmi, MemMap mm,
                               std::shared_ptr<const Layout> layout)
    : mem_(&mem), vmi_(&vmi), mem_map_(std::move(mm)), layout_(std::move(layout)) {}

Result<PageClassifier> PageClassifier::create(const KernelMemory& km) {
  DUMPFMT_TRY_ASSIGN(MemMap mm, km.find_mem_map());
  return create(km, km.vmcoreinfo(), std::move(mm));
}

Result<PageClassifier> PageClassifier::create(const KernelMemory& km, MemMap mm) {
  return create(km, km.vmcoreinfo(), std::move(mm));
}

Result<PageClassifier> PageClassifier::create(const KernelReader& mem, const VmcoreInfo& v,
                                              MemMap mm) {
  auto L = std::make_shared<Layout>();
  L->word = mem.word_size();
  L->endian = mem.endian();
  std::string missing;
  auto need = [&](std::optional<uint64_t> o, const char* key) -> uint64_t {
    if (!o) {
      missing += missing.empty() ? "" : ", ";
      missing += key;
      return 0;
    }
    return *o;
  };
  L->size = static_cast<uint32_t>(need(v.size("page"), "SIZE(page)"));
  L->off_flags = need(v.offset("page.flags"), "OFFSET(page.flags)");
  auto refc = v.offset("page._refcount");
  if (!refc) refc = v.offset("page._count");  // before 4.6
  L->off_refcount = need(refc, "OFFSET(page._refcount)");
  L->off_mapping = need(v.offset("page.mapping"), "OFFSET(page.mapping)");
  if (!missing.empty()) {
    return make_error(Errc::invalid_argument,
                      "VMCOREINFO lacks " + missing + ", needed to classify pages");
  }
  if (mm.page_struct_size == 0) mm.page_struct_size = L->size;
  if (mm.page_struct_size != L->size) {
    return make_error(Errc::invalid_argument, "struct page array and SIZE(page) disagree");
  }
  L->off_mapcount = v.offset("page._mapcount");
  L->off_private = v.offset("page.private");
  L->off_compound_head = v.offset("page.compound_head");
  if (!L->off_compound_head) L->off_compound_head = v.offset("page.compound_info");  // 7.1+
  // Every field read must lie inside one struct page.
  auto fits = [&](std::optional<uint64_t> off, uint64_t width) {
    return !off || (*off <= L->size && L->size - *off >= width);
  };
  if (!fits(L->off_flags, L->word) || !fits(L->off_refcount, 4) || !fits(L->off_mapping, L->word) ||
      !fits(L->off_mapcount, 4) || !fits(L->off_private, L->word) ||
      !fits(L->off_compound_head, L->word) || L->size > 4096) {
    return make_error(Errc::invalid_argument,
                      "VMCOREINFO struct page offsets do not fit in SIZE(page)");
  }

  // An OSRELEASE that does not parse counts as the newest kernel.
  uint32_t kv = v.kernel_version().value_or(0);
  if (kv == 0) kv = kernel_version_code(255, 0, 0);
  const uint64_t psize = L->size;
  if (auto o = v.offset("folio._folio_order"); o && *o >= psize) {
    L->order_offset = *o - psize;  // 6.3+: in the folio's second struct page
  } else if (auto o2 = v.offset("page.compound_order")) {
    L->order_offset = *o2;
  } else if (kv < kernel_version_code(4, 4, 0)) {
    L->order_offset = v.offset("page.lru").value_or(0) + v.offset("list_head.prev").value_or(0);
  }
  if (auto o = v.offset("folio._folio_dtor"); o && *o >= psize) {
    L->dtor_offset = *o - psize;
  } else if (auto o2 = v.offset("page.compound_dtor")) {
    L->dtor_offset = *o2;
  } else if (kv < kernel_version_code(4, 4, 0)) {
    L->dtor_offset = v.offset("page.lru").value_or(0) + v.offset("list_head.next").value_or(0);
  }
  L->order_width = kv >= kernel_version_code(4, 16, 0) ? 1 : 2;
  L->dtor_width = kv >= kernel_version_code(4, 16, 0)  ? 1
                  : kv >= kernel_version_code(4, 4, 0) ? 2
                                                       : 8;
  if (L->dtor_width == 8) L->dtor_width = L->word;
  if (!fits(L->order_offset, L->order_width)) L->order_offset = 0;
  if (!fits(L->dtor_offset, L->dtor_width)) L->dtor_offset = 0;

  auto num = [&](const char* name) { return v.number(name); };
  auto num32 = [&](const char* name) -> std::optional<int32_t> {
    auto n = v.number(name);
    if (!n) return std::nullopt;
    return static_cast<int32_t>(*n);  // compared as (int) like makedumpfile
  };
  if (auto m = num("PG_head_mask")) L->head_mask = static_cast<uint64_t>(*m);
  // One line per VMCOREINFO key: these lines share a shape, not logic.
  L->pg_lru = num("PG_lru");
  L->pg_private = num("PG_private");
  L->pg_swapcache = num("PG_swapcache");
  L->pg_swapbacked = num("PG_swapbacked");
  L->pg_slab = num("PG_slab");
  L->pg_hwpoison = num("PG_hwpoison");
  L->pg_buddy = num("PG_buddy");
  L->pg_hugetlb = num("PG_hugetlb");
  L->buddy_value = num32("PAGE_BUDDY_MAPCOUNT_VALUE");
  L->offline_value = num32("PAGE_OFFLINE_MAPCOUNT_VALUE");
  L->slab_value = num32("PAGE_SLAB_MAPCOUNT_VALUE");
  L->hugetlb_value = num32("PAGE_HUGETLB_MAPCOUNT_VALUE");
  L->unaccepted_value = num32("PAGE_UNACCEPTED_MAPCOUNT_VALUE");
  if (!L->off_mapcount) {
    // Page types live in _mapcount; without it none can be recognised.
    L->offline_value.reset();
    L->slab_value.reset();
    L->hugetlb_value.reset();
    L->unaccepted_value.reset();
  }
  if (auto d = num("HUGETLB_PAGE_DTOR")) L->hugetlb_dtor = static_cast<uint64_t>(*d);
  L->free_huge_page = v.symbol("free_huge_page");
  L->nr_orders = v.length("zone.free_area");
  // makedumpfile's setup_page_is_buddy(): the page type when the kernel
  // exports it (2.6.38+), PG_buddy before; both need page.private (the order).
  if (L->off_private) {
    if (L->buddy_value && L->off_mapcount) {
      L->buddy_v3 = true;
    } else if (L->pg_buddy) {
      L->buddy_v2 = true;
    }
  }
  return PageClassifier(mem, v, std::move(mm), std::move(L));
}

uint32_t PageClassifier::supported_dump_level() const {
  uint32_t dl = kDumpLevelZero | kDumpLevelUser;
  if (layout_->pg_lru) dl |= kDumpLevelCache | kDumpLevelCachePrivate;
  if (layout_->buddy_v3 || layout_->buddy_v2) dl |= kDumpLevelFree;
  return dl;
}

Status PageClassifier::check(uint32_t dump_level) const {
  uint32_t missing = dump_level & ~supported_dump_level();
  if (!missing) return ok();
  std::string msg;
  if (missing & (kDumpLevelCache | kDumpLevelCachePrivate)) {
    msg = "page cache pages (-d 2, 4) need NUMBER(PG_lru) in VMCOREINFO";
  }
  if (missing & kDumpLevelFree) {
    if (!msg.empty()) msg += "; ";
    msg +=
        "free pages (-d 16) need OFFSET(page.private) and NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) "
        "with OFFSET(page._mapcount) (or NUMBER(PG_buddy)) in VMCOREINFO";
  }
  return make_error(Errc::unsupported, msg);
}

Result<PageStruct> PageClassifier::read_page_struct(Pfn pfn) const {
  auto va = mem_map_.page_vaddr(pfn);
  if (!va) return make_error(Errc::no_data, "PFN " + hex(pfn) + " has no struct page");
  std::vector<std::byte> buf(layout_->size);
  DUMPFMT_TRY(mem_->read_virt(*va, buf));
  return layout_->decode(buf.data());
}

Result<PageClass> PageClassifier::classify_pfn(Pfn pfn, unsigned* order) const {
  auto va = mem_map_.page_vaddr(pfn);
  if (!va) return make_error(Errc::no_data, "PFN " + hex(pfn) + " has no struct page");
  const uint32_t sz = layout_->size;
  std::vector<std::byte> buf(2 * size_t{sz});
  DUMPFMT_TRY(mem_->read_virt(*va, std::span<std::byte>(buf.data(), sz)));
  const std::byte* next = nullptr;
  if (auto nva = mem_map_.page_vaddr(pfn + 1); nva && *nva == *va + sz) {
    if (mem_->read_virt(*nva, std::span<std::byte>(buf.data() + sz, sz))) next = buf.data() + sz;
  }
  uint64_t nr = 1;
  PageClass c = layout_->decide(pfn, buf.data(), next, kDumpLevelMax, &nr);
  if (order) *order = static_cast<unsigned>(__builtin_ctzll(nr));
  return c;
}

Result<uint64_t> PageClassifier::kernel_free_pages() const {
  const VmcoreInfo& v = *vmi_;
  auto nr_free = v.number("NR_FREE_PAGES");
  auto zones_off = v.offset("pglist_data.node_zones");
  auto nr_zones_off = v.offset("pglist_data.nr_zones");
  auto zone_size = v.size("zone");
  auto vm_stat = v.offset("zone.vm_stat");
  if (!nr_free || !zones_off || !nr_zones_off || !zone_size || !vm_stat || *nr_free < 0 ||
      *nr_free > 64) {
    return make_error(Errc::unsupported,
                      "VMCOREINFO lacks the zone counters (NR_FREE_PAGES, "
                      "OFFSET(zone.vm_stat), SIZE(zone), ...)");
  }
  const uint64_t word = mem_->word_size();
  std::vector<uint64_t> pgdats;
  if (auto nd = v.symbol("node_data")) {
    uint64_t n = std::min<uint64_t>(v.length("node_data").value_or(1), 1024);
    // node_online_map is a bitmap of nodes; without it, take every non-NULL entry.
    std::vector<std::byte> online;
    if (auto om = v.symbol("node_online_map")) {
      online.resize(static_cast<size_t>(std::min<uint64_t>(v.size("nodemask_t").value_or(8), 128)));
      if (!mem_->read_virt(*om, online)) online.clear();
    }
    for (uint64_t i = 0; i < n; ++i) {
      if (!online.empty()) {
        if (i / 8 >= online.size()) break;
        // Bitmaps are arrays of unsigned long: bit i is in word i/64 at i%64;
        // on a little-endian machine that is byte i/8, bit i%8.
        size_t byte = mem_->endian() == Endian::little
                          ? i / 8
                          : (i / (word * 8)) * word + (word - 1 - (i % (word * 8)) / 8);
        if (byte >= online.size()) break;
        if (!(static_cast<unsigned>(online[byte]) & (1u << (i % 8)))) continue;
      }
      DUMPFMT_TRY_ASSIGN(uint64_t p, mem_->read_ulong(*nd + i * word));
      if (p) pgdats.push_back(p);
    }
  } else if (auto cp = v.symbol("contig_page_data")) {
    pgdats.push_back(*cp);
  } else {
    return make_error(Errc::unsupported,
                      "VMCOREINFO has neither SYMBOL(node_data) nor "
                      "SYMBOL(contig_page_data)");
  }
  uint64_t total = 0;
  for (uint64_t pgdat : pgdats) {
    DUMPFMT_TRY_ASSIGN(uint32_t nz, mem_->read_u32(pgdat + *nr_zones_off));
    if (nz > 16) return make_error(Errc::corrupt, strfmt("pglist_data.nr_zones = %u", nz));
    for (uint32_t z = 0; z < nz; ++z) {
      uint64_t zone = pgdat + *zones_off + z * *zone_size;
      DUMPFMT_TRY_ASSIGN(
          uint64_t f, mem_->read_ulong(zone + *vm_stat + static_cast<uint64_t>(*nr_free) * word));
      // atomic_long_t can dip below zero transiently; such a value counts as 0.
      if (static_cast<int64_t>(f) > 0) total += f;
    }
  }
  return total;
}

Result<ClassifyStats> PageClassifier::classify(
    const PfnSet& pfns, const ClassifyOptions& opts,
    const std::function<void(Pfn, Pfn, PageClass)>& emit) const {
  const Layout& L = *layout_;
  const uint32_t dl = opts.dump_level;
  const uint64_t sz = L.size;
  const uint64_t chunk_pfns = std::max<uint64_t>(64, opts.chunk_bytes / sz);
  ClassifyStats st;

  // Runs of excluded pages are merged before they are handed on.
  Pfn run_first = 0, run_end = 0;
  PageClass run_class = PageClass::kernel;
  auto flush = [&] {
    if (run_end > run_first) emit(run_first, run_end, run_class);
    run_end = run_first;
  };
  auto report = [&](Pfn first, Pfn end, PageClass c) {
    st.excluded[c] += end - first == 1 ? 1 : pfns.count_range(first, end);
    if (run_end > run_first && run_end == first && run_class == c) {
      run_end = end;
      return;
    }
    flush();
    run_first = first;
    run_end = end;
    run_class = c;
  };

  std::vector<std::pair<Pfn, Pfn>> runs;
  pfns.for_each_run([&](Pfn a, Pfn b) { runs.emplace_back(a, b); });
  const uint64_t total = pfns.count();
  uint64_t covered = 0;
  std::vector<std::byte> buf;
  Pfn skip_until = 0;  // PFNs below this were covered by a multi-page decision

  size_t ri = 0;
  for (const MemMapRange& r : mem_map_.ranges) {
    while (ri < runs.size() && runs[ri].second <= r.first) ++ri;
    for (size_t rj = ri; rj < runs.size() && runs[rj].first < r.end; ++rj) {
      const Pfn a = std::max(runs[rj].first, r.first);
      const Pfn b = std::min(runs[rj].second, r.end);
      covered += b - a;
      for (Pfn c0 = a; c0 < b;) {
        const Pfn c1 = std::min<Pfn>(b, c0 + chunk_pfns);
        const Pfn start = std::max(c0, skip_until);
        if (start >= c1) {
          c0 = c1;
          continue;
        }
        // One struct page beyond the chunk lets a head at its end see its order.
        const Pfn read_end = std::min<Pfn>(c1 + 1, r.end);
        buf.resize((read_end - start) * sz);
        auto rs = mem_->read_virt(r.vaddr + (start - r.first) * sz, buf);
        if (!rs) {
          // Some page of the array is missing from the dump: decide what can
          // be read, one struct page (and its successor) at a time.
          std::byte one[2 * 4096];
          for (Pfn pfn = start; pfn < c1;) {
            const uint64_t va = r.vaddr + (pfn - r.first) * sz;
            const bool two = pfn + 1 < r.end && mem_->read_virt(va, std::span(one, 2 * sz));
            if (!two && !mem_->read_virt(va, std::span(one, sz))) {
              if (st.first_unreadable.empty()) {
                st.first_unreadable = "struct page of PFN " + hex(pfn) + ": " + rs.error().message;
              }
              ++st.unreadable;
              ++pfn;
              continue;
            }
            uint64_t nr = 1;
            PageClass cls = L.decide(pfn, one, two ? one + sz : nullptr, dl, &nr);
            ++st.examined;
            if (cls != PageClass::kernel) report(pfn, pfn + nr, cls);
            pfn += nr;
            if (pfn > c1) skip_until = std::max(skip_until, pfn);
          }
          c0 = c1;
          continue;
        }
        for (Pfn pfn = start; pfn < c1;) {
          const std::byte* p = buf.data() + (pfn - start) * sz;
          const std::byte* next = pfn + 1 < read_end ? p + sz : nullptr;
          uint64_t nr = 1;
          PageClass cls = L.decide(pfn, p, next, dl, &nr);
          ++st.examined;
          if (cls != PageClass::kernel) report(pfn, pfn + nr, cls);
          pfn += nr;
          if (pfn > c1) skip_until = std::max(skip_until, pfn);
        }
        c0 = c1;
        if (opts.progress) opts.progress(std::min(covered, total), total);
      }
    }
  }
  st.no_struct_page = total - std::min(covered, total);
  flush();
  if (opts.progress) opts.progress(total, total);

  if (opts.self_check) {
    auto w = self_check(st, dl);
    st.warnings.insert(st.warnings.end(), w.begin(), w.end());
  }
  return st;
}

// A kernel whose page flags or page types moved shows up as a class that is
// suddenly empty (or absurdly large).
std::vector<std::string> PageClassifier::self_check(const ClassifyStats& st, uint32_t dl) const {
  std::vector<std::string> warnings;
  if ((dl & kDumpLevelFree) && st.examined > 0) {
    if (auto expected = kernel_free_pages()) {
      uint64_t found = st.excluded[PageClass::free];
      uint64_t want = *expected;
      if (want >= 1024 && found < want / 2) {
        warnings.push_back(strfmt(
            "self-check: found %llu free pages, but the kernel's zone counters (NR_FREE_PAGES) "
            "say %llu; PAGE_BUDDY_MAPCOUNT_VALUE or the struct page layout may not match this "
            "kernel, so free pages may have been kept",
            static_cast<unsigned long long>(found), static_cast<unsigned long long>(want)));
      } else if (found > want + want / 2 + 4096) {
        warnings.push_back(strfmt(
            "self-check: found %llu free pages, more than the %llu the kernel's zone counters "
            "(NR_FREE_PAGES) say; pages in use may have been excluded as free",
            static_cast<unsigned long long>(found), static_cast<unsigned long long>(want)));
      }
    }
  }
  if ((dl & (kDumpLevelCache | kDumpLevelCachePrivate | kDumpLevelUser)) && st.examined >= 65536) {
    uint64_t n = st.excluded[PageClass::cache] + st.excluded[PageClass::cache_private] +
                 st.excluded[PageClass::user];
    if (n == 0) {
      warnings.push_back(strfmt(
          "self-check: not one page cache or user page among %llu pages examined; NUMBER(PG_lru) "
          "or OFFSET(page.mapping) may not match this kernel",
          static_cast<unsigned long long>(st.examined)));
    }
  }
  if (st.unreadable) {
    warnings.push_back(
        strfmt("%llu page(s) were kept because their struct page could not be "
               "read; first: %s",
               static_cast<unsigned long long>(st.unreadable), st.first_unreadable.c_str()));
  }
  return warnings;
}

void ClassifyStats::add(const ClassifyStats& o) {
  for (size_t i = 0; i < excluded.pages.size(); ++i) excluded.pages[i] += o.excluded.pages[i];
  examined += o.examined;
  no_struct_page += o.no_struct_page;
  unreadable += o.unreadable;
  if (first_unreadable.empty()) first_unreadable = o.first_unreadable;
  warnings.insert(warnings.end(), o.warnings.begin(), o.warnings.end());
}

Result<std::pair<PfnSet, ClassifyStats>> PageClassifier::kept_pages(
    const PfnSet& pfns, const ClassifyOptions& opts) const {
  PfnSet kept = pfns;
  DUMPFMT_TRY_ASSIGN(ClassifyStats st, classify(pfns, opts, [&](Pfn a, Pfn b, PageClass) {
                       kept.erase_range(a, b);
                     }));
  return std::make_pair(std::move(kept), std::move(st));
}

}  // namespace dumpfmt
