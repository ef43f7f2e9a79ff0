// Page classes from synthetic struct page arrays (the Linux 6.1 x86_64
// layout) and the memory models that locate them: FLATMEM, SPARSEMEM with
// and without EXTREME, vmemmap. Expected classes follow makedumpfile 1.7.2's
// rules, restated in each case.
#include <gtest/gtest.h>

#include <map>

#include "dumpfmt/kernel/page_classes.h"
#include "kernel_test_support.h"

using namespace dumpfmt;
using namespace kernel_test;

namespace {

// Kernel-image addresses translate without page tables: V(pa) maps to pa.
constexpr uint64_t V(uint64_t pa) { return kStartKernelMap + pa; }

constexpr uint64_t kMemMapPa = 0x200000;  // FLATMEM array
constexpr uint64_t kMemMapPtr = 0x1000;   // the mem_map variable
constexpr Pfn kRamPages = 256;

std::string base_vmcoreinfo() {
  return "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n" +
         strfmt("SYMBOL(init_top_pgt)=%llx\nNUMBER(phys_base)=0\n",
                static_cast<unsigned long long>(V(0x8000))) +
         page_vmcoreinfo();
}

// A FLATMEM kernel with RAM PFNs [0, kRamPages) and a writable struct page array.
struct FlatKernel {
  MemSource mem{Arch::x86_64, 4096};
  std::string extra;
  FlatKernel() {
    mem.add_ram(0, 0x400);
    mem.write64(kMemMapPtr, V(kMemMapPa));
  }
  uint64_t sp(Pfn pfn) const { return kMemMapPa + pfn * PageLayout::size; }
  void flags(Pfn pfn, uint64_t f) { mem.write64(sp(pfn) + PageLayout::flags, f); }
  void mapping(Pfn pfn, uint64_t m) { mem.write64(sp(pfn) + PageLayout::mapping, m); }
  void mapcount(Pfn pfn, int32_t m) {
    mem.write32(sp(pfn) + PageLayout::mapcount, static_cast<uint32_t>(m));
  }
  void priv(Pfn pfn, uint64_t p) { mem.write64(sp(pfn) + PageLayout::priv, p); }
  // A compound page: head flags, tails pointing at the head, order/dtor in
  // the first tail page (6.1: compound_dtor at 16, compound_order at 17).
  void compound(Pfn head, unsigned order, uint8_t dtor, uint64_t head_flags) {
    flags(head, head_flags | kPgHeadMask);
    for (Pfn t = head + 1; t < head + (Pfn{1} << order); ++t) {
      mem.write64(sp(t) + PageLayout::compound_head, V(sp(head)) | 1);
    }
    mem.write8(sp(head + 1) + PageLayout::compound_order, static_cast<uint8_t>(order));
    mem.write8(sp(head + 1) + PageLayout::compound_dtor, dtor);
  }
  std::unique_ptr<KernelMemory> km;
  Result<PageClassifier> classifier() {
    mem.set_vmcoreinfo(
        base_vmcoreinfo() +
        strfmt("SYMBOL(mem_map)=%llx\n", static_cast<unsigned long long>(V(kMemMapPtr))) + extra);
    auto k = KernelMemory::create(mem);
    if (!k) return k.error();
    km = std::move(*k);
    return PageClassifier::create(*km);
  }
};

constexpr uint64_t kFileMapping = 0xffff888001234000ULL;  // an address_space
constexpr uint64_t kAnonMapping = 0xffff888004321000ULL | 1;

// The decisions of makedumpfile 1.7.2, one PFN (or block) per case.
void populate(FlatKernel& k) {
  k.flags(1, 1 << kPgLru);  // page cache
  k.mapping(1, kFileMapping);
  k.flags(2, (1 << kPgLru) | (1 << kPgPrivate));  // page cache with buffers
  k.mapping(2, kFileMapping);
  k.flags(3, (1 << kPgLru) | (1 << kPgSwapbacked));  // anonymous
  k.mapping(3, kAnonMapping);
  k.flags(4, (1 << kPgSwapcache) | (1 << kPgSwapbacked));  // anon in swap cache: user
  k.mapping(4, kAnonMapping);
  k.flags(5, 1 << kPgSwapcache);  // PG_swapcache without PG_swapbacked: not cache
  k.mapping(5, kFileMapping);
  k.flags(6, (1 << kPgSwapcache) | (1 << kPgSwapbacked));  // shmem in swap cache: cache
  k.mapping(6, kFileMapping);
  k.mapcount(8, kBuddy);  // free block of order 3: PFNs 8-15
  k.priv(8, 3);
  k.compound(16, 3, 0, (1 << kPgLru) | (1 << kPgSwapbacked));  // THP: PFNs 16-23, user
  k.mapping(16, kAnonMapping);
  k.flags(24, 1 << kPgSlab);  // slab with a buddy-looking mapcount: kernel
  k.mapcount(24, kBuddy);
  k.mapcount(25, kOffline);  // logically offline
  k.mapcount(26, kBuddy);    // order 11 >= LENGTH(zone.free_area): kept
  k.priv(26, 11);
  k.compound(32, 3, 2, 0);            // hugetlbfs page (dtor HUGETLB_PAGE_DTOR): user
  k.compound(41, 1, 0, 1 << kPgLru);  // misaligned order-1 head: order 0
  k.mapping(41, kAnonMapping);
  k.compound(64, 5, 0, 1 << kPgLru);  // page-cache folio of 32 pages
  k.mapping(64, kFileMapping);
  k.mapcount(128, kBuddy);  // free block of order 6 running past RAM? no: 128-191
  k.priv(128, 6);
  k.flags(200, 1 << kPgLru);  // anon page on the LRU with PG_private: user
  k.mapping(200, kAnonMapping);
}

PfnSet range(Pfn a, Pfn b) {
  PfnSet s;
  s.insert_range(a, b);
  return s;
}

std::map<Pfn, std::pair<Pfn, PageClass>> run_classify(const PageClassifier& pc,
                                                      const PageSource& src, uint32_t dl,
                                                      ClassifyStats* stats = nullptr) {
  std::map<Pfn, std::pair<Pfn, PageClass>> runs;
  ClassifyOptions o;
  o.dump_level = dl;
  o.chunk_bytes = 64 * 7;  // small chunks: decisions must not depend on chunking
  auto st = pc.classify(range(0, kRamPages), o, [&](Pfn a, Pfn b, PageClass c) {
    EXPECT_TRUE(runs.empty() || runs.rbegin()->second.first <= a) << "runs out of order";
    runs[a] = {b, c};
  });
  EXPECT_TRUE(st) << st.error().message;
  if (st && stats) *stats = *st;
  (void)src;
  return runs;
}

// The excluded PFNs of one class, from the runs.
PfnSet of_class(const std::map<Pfn, std::pair<Pfn, PageClass>>& runs, PageClass c) {
  PfnSet s;
  for (const auto& [a, r] : runs) {
    if (r.second == c) s.insert_range(a, r.first);
  }
  return s;
}

PfnSet pfns(std::initializer_list<std::pair<Pfn, Pfn>> rs) {
  PfnSet s;
  for (auto [a, b] : rs) s.insert_range(a, b);
  return s;
}

TEST(PageClasses, MakedumpfileDecisionsAtLevel31) {
  FlatKernel k;
  populate(k);
  auto pc = k.classifier();
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ(pc->mem_map().model, MemoryModel::flatmem);
  EXPECT_EQ(pc->supported_dump_level(), 31u);
  ClassifyStats st;
  auto runs = run_classify(*pc, k.mem, 31, &st);
  EXPECT_EQ(of_class(runs, PageClass::cache), pfns({{1, 2}, {6, 7}, {64, 96}}));
  EXPECT_EQ(of_class(runs, PageClass::cache_private), pfns({{2, 3}}));
  EXPECT_EQ(of_class(runs, PageClass::user),
            pfns({{3, 5}, {16, 24}, {32, 40}, {41, 42}, {200, 201}}));
  EXPECT_EQ(of_class(runs, PageClass::free), pfns({{8, 16}, {128, 192}}));
  EXPECT_EQ(of_class(runs, PageClass::offline), pfns({{25, 26}}));
  EXPECT_EQ(of_class(runs, PageClass::hwpoison), PfnSet());
  EXPECT_EQ(st.excluded[PageClass::cache], 34u);
  EXPECT_EQ(st.excluded[PageClass::user], 20u);
  EXPECT_EQ(st.excluded[PageClass::free], 72u);
  EXPECT_EQ(st.examined, kRamPages - 7 - 7 - 7 - 31 - 63);  // blocks decided by their heads
  EXPECT_EQ(st.no_struct_page, 0u);

  unsigned order = 9;
  EXPECT_EQ(pc->classify_pfn(8, &order).value_or(PageClass::kernel), PageClass::free);
  EXPECT_EQ(order, 3u);
  EXPECT_EQ(pc->classify_pfn(16, &order).value_or(PageClass::kernel), PageClass::user);
  EXPECT_EQ(order, 3u);
  EXPECT_EQ(pc->classify_pfn(17, &order).value_or(PageClass::free), PageClass::kernel);  // tail
  auto ps = pc->read_page_struct(26);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->private_, 11u);
  EXPECT_EQ(static_cast<int32_t>(ps->mapcount), kBuddy);
}

TEST(PageClasses, LevelsGateTheDecisions) {
  FlatKernel k;
  populate(k);
  auto pc = k.classifier();
  ASSERT_TRUE(pc) << pc.error().message;
  // -d 2: cache without private only; offline pages go at every level that
  // examines struct pages.
  auto r2 = run_classify(*pc, k.mem, 2);
  EXPECT_EQ(of_class(r2, PageClass::cache), pfns({{1, 2}, {6, 7}, {64, 96}}));
  EXPECT_EQ(of_class(r2, PageClass::cache_private), PfnSet());
  EXPECT_EQ(of_class(r2, PageClass::offline), pfns({{25, 26}}));
  EXPECT_EQ(r2.size(), 4u);
  // -d 4 excludes all page cache, with or without private data.
  auto r4 = run_classify(*pc, k.mem, 4);
  EXPECT_EQ(of_class(r4, PageClass::cache), pfns({{1, 2}, {6, 7}, {64, 96}}));
  EXPECT_EQ(of_class(r4, PageClass::cache_private), pfns({{2, 3}}));
  // -d 8: user pages only; the free block's pages are examined one by one
  // and stay (their struct pages say nothing else).
  auto r8 = run_classify(*pc, k.mem, 8);
  EXPECT_EQ(of_class(r8, PageClass::user),
            pfns({{3, 5}, {16, 24}, {32, 40}, {41, 42}, {200, 201}}));
  EXPECT_EQ(of_class(r8, PageClass::free), PfnSet());
  // -d 16: free pages only.
  auto r16 = run_classify(*pc, k.mem, 16);
  EXPECT_EQ(of_class(r16, PageClass::free), pfns({{8, 16}, {128, 192}}));
  EXPECT_EQ(of_class(r16, PageClass::user), PfnSet());
  // -d 1 examines nothing here (zero pages come from the data).
  auto r1 = run_classify(*pc, k.mem, 1);
  EXPECT_EQ(r1.size(), 1u);  // only the offline page: see above
}

TEST(PageClasses, HwpoisonNeedsTheNumber) {
  FlatKernel k;
  k.flags(7, uint64_t{1} << kPgHwpoison);
  auto pc = k.classifier();
  ASSERT_TRUE(pc);
  EXPECT_TRUE(run_classify(*pc, k.mem, 31).empty());
  FlatKernel k2;
  k2.flags(7, uint64_t{1} << kPgHwpoison);
  k2.flags(9, (uint64_t{1} << kPgHwpoison) | (1 << kPgLru));  // cache first at -d 2
  k2.mapping(9, kFileMapping);
  k2.extra = "NUMBER(PG_hwpoison)=23\n";
  auto pc2 = k2.classifier();
  ASSERT_TRUE(pc2);
  auto r = run_classify(*pc2, k2.mem, 2);
  EXPECT_EQ(of_class(r, PageClass::hwpoison), pfns({{7, 8}}));
  EXPECT_EQ(of_class(r, PageClass::cache), pfns({{9, 10}}));
  r = run_classify(*pc2, k2.mem, 8);
  EXPECT_EQ(of_class(r, PageClass::hwpoison), pfns({{7, 8}, {9, 10}}));
}

TEST(PageClasses, NewerKernelLayouts) {
  // 6.10+: slab is a page type, not a flag; 6.9+: hugetlb is a page type and
  // the folio order is the low byte of the second page's flags.
  FlatKernel k;
  k.extra = "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-513\nNUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-1025\n";
  k.flags(16, kPgHeadMask);
  k.mapcount(16, -1025);
  k.mem.write64(k.sp(17) + PageLayout::flags, 2);  // order 2 in folio._flags_1
  for (Pfn t = 17; t < 20; ++t) k.mem.write64(k.sp(t) + PageLayout::compound_head, V(k.sp(16)) | 1);
  k.mapcount(24, -513);  // slab by type, with an anon-looking mapping
  k.mapping(24, kAnonMapping);
  auto pc = k.classifier();
  ASSERT_TRUE(pc) << pc.error().message;
  auto r = run_classify(*pc, k.mem, 31);
  EXPECT_EQ(of_class(r, PageClass::user), pfns({{16, 20}}));
  EXPECT_EQ(r.size(), 1u);
}

TEST(PageClasses, MissingKeysLimitTheLevels) {
  FlatKernel k;
  k.mem.set_vmcoreinfo("");
  MemSource m(Arch::x86_64, 4096);
  m.add_ram(0, 16);
  m.set_vmcoreinfo(strfmt("SYMBOL(init_top_pgt)=%llx\nNUMBER(phys_base)=0\n",
                          static_cast<unsigned long long>(V(0x8000))));
  auto km = KernelMemory::create(m);
  ASSERT_TRUE(km);
  auto pc = PageClassifier::create(**km);
  ASSERT_FALSE(pc);
  EXPECT_NE(pc.error().message.find("SIZE(page)"), std::string::npos) << pc.error().message;

  std::string vi = base_vmcoreinfo();
  for (const char* drop : {"NUMBER(PG_lru)=4\n", "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"}) {
    vi.erase(vi.find(drop), strlen(drop));
  }
  m.write64(kMemMapPtr, V(kMemMapPa));
  m.set_vmcoreinfo(
      vi + strfmt("SYMBOL(mem_map)=%llx\n", static_cast<unsigned long long>(V(kMemMapPtr))));
  km = KernelMemory::create(m);
  ASSERT_TRUE(km);
  pc = PageClassifier::create(**km);
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ(pc->supported_dump_level(), 9u);
  EXPECT_TRUE(pc->check(9));
  auto st = pc->check(31);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("NUMBER(PG_lru)"), std::string::npos);
  EXPECT_NE(st.error().message.find("PAGE_BUDDY_MAPCOUNT_VALUE"), std::string::npos);
}

TEST(PageClasses, UnreadableStructPagesAreKeptAndCounted) {
  FlatKernel k;
  populate(k);
  auto pc = k.classifier();
  ASSERT_TRUE(pc);
  // The struct pages of PFNs 64-127 live in page 0x201 of the array.
  k.mem.drop((kMemMapPa + 64 * 64) / 4096);
  ClassifyStats st;
  auto r = run_classify(*pc, k.mem, 31, &st);
  EXPECT_EQ(of_class(r, PageClass::cache), pfns({{1, 2}, {6, 7}}));
  EXPECT_GE(st.unreadable, 64u);
  EXPECT_FALSE(st.warnings.empty());
}

// node_data → pglist_data → zones → vm_stat[NR_FREE_PAGES], as in 6.1.
void add_zone_counters(FlatKernel& k, uint64_t free0, uint64_t free1) {
  k.extra += strfmt(
      "SYMBOL(node_data)=%llx\nLENGTH(node_data)=4\nSYMBOL(node_online_map)=%llx\n"
      "SIZE(nodemask_t)=8\nOFFSET(pglist_data.node_zones)=0\n"
      "OFFSET(pglist_data.nr_zones)=2048\nSIZE(zone)=256\nOFFSET(zone.vm_stat)=64\n"
      "NUMBER(NR_FREE_PAGES)=1\n",
      static_cast<unsigned long long>(V(0x3000)), static_cast<unsigned long long>(V(0x3100)));
  k.mem.write64(0x3000, 0);               // node 0 offline
  k.mem.write64(0x3008, V(0x4000));       // node 1
  k.mem.write64(0x3100, 0x2);             // online map: node 1
  k.mem.write32(0x4000 + 2048, 2);        // nr_zones
  k.mem.write64(0x4000 + 64 + 8, free0);  // zone 0 vm_stat[1]
  k.mem.write64(0x4000 + 256 + 64 + 8, free1);
}

TEST(PageClasses, SelfCheckAgainstZoneCounters) {
  FlatKernel k;
  populate(k);
  add_zone_counters(k, 70, 2);
  auto pc = k.classifier();
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc->kernel_free_pages().value_or(0), 72u);
  ClassifyStats st;
  run_classify(*pc, k.mem, 16, &st);
  EXPECT_TRUE(st.warnings.empty());

  // A kernel whose buddy page type moved: nothing found, but the zones say
  // thousands of pages were free.
  FlatKernel bad;
  populate(bad);
  add_zone_counters(bad, 5000, 0);
  bad.extra += "";
  auto pc2 = bad.classifier();
  ASSERT_TRUE(pc2);
  ClassifyStats st2;
  run_classify(*pc2, bad.mem, 16, &st2);
  ASSERT_EQ(st2.warnings.size(), 1u);
  EXPECT_NE(st2.warnings[0].find("5000"), std::string::npos) << st2.warnings[0];
}

// Garbage struct pages (random bytes) and hostile VMCOREINFO numbers: the walk
// must finish, report ascending, non-overlapping runs, and never crash.
TEST(PageClasses, GarbageStructPagesAndHostileNumbers) {
  const char* extras[] = {"",
                          "NUMBER(PG_lru)=63\nNUMBER(PG_private)=-1\nNUMBER(PG_swapcache)=999\n",
                          "NUMBER(PG_head_mask)=-1\nNUMBER(PG_slab)=-5\nNUMBER(PG_hwpoison)=31\n",
                          "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=0\nNUMBER(PG_hugetlb)=70\n",
                          "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=0\n"};
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto rnd = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (const char* extra : extras) {
    FlatKernel k;
    // Overriding numbers: the first occurrence wins, so put them first.
    k.extra = extra;
    for (Pfn p = 0; p < kRamPages; ++p) {
      for (uint64_t off = 0; off < 64; off += 8) k.mem.write64(k.sp(p) + off, rnd());
    }
    std::string vi =
        std::string(extra) + base_vmcoreinfo() +
        strfmt("SYMBOL(mem_map)=%llx\n", static_cast<unsigned long long>(V(kMemMapPtr)));
    k.mem.set_vmcoreinfo(vi);
    auto km = KernelMemory::create(k.mem);
    ASSERT_TRUE(km);
    auto pc = PageClassifier::create(**km);
    ASSERT_TRUE(pc) << pc.error().message;
    ClassifyOptions o;
    o.dump_level = 31;
    Pfn last_end = 0;
    auto st = pc->classify(range(0, kRamPages), o, [&](Pfn a, Pfn b, PageClass) {
      EXPECT_LE(last_end, a);
      EXPECT_LT(a, b);
      last_end = b;
    });
    ASSERT_TRUE(st) << st.error().message;
    for (Pfn p = 0; p < 8; ++p) (void)pc->classify_pfn(p);
  }
  // Offsets outside SIZE(page), absurd sizes: refused, never read out of bounds.
  for (const char* bad : {"SIZE(page)=8\n", "OFFSET(page.mapping)=4096\n", "SIZE(page)=0\n",
                          "OFFSET(page._mapcount)=62\n", "SIZE(page)=99999\n"}) {
    FlatKernel k;
    k.mem.set_vmcoreinfo(
        std::string(bad) + base_vmcoreinfo() +
        strfmt("SYMBOL(mem_map)=%llx\n", static_cast<unsigned long long>(V(kMemMapPtr))));
    auto km = KernelMemory::create(k.mem);
    ASSERT_TRUE(km);
    EXPECT_FALSE(PageClassifier::create(**km)) << bad;
  }
}

// ---------------------------------------------------------------------------
// SPARSEMEM

constexpr int kSectionBits = 27;  // 32768 pages per section
constexpr Pfn kPps = Pfn{1} << (kSectionBits - 12);

struct SparseKernel {
  MemSource mem{Arch::x86_64, 4096};
  std::string vi;
  std::unique_ptr<KernelMemory> km;
  explicit SparseKernel(bool extreme, int max_physmem_bits = 46) {
    uint64_t nr_sections = uint64_t{1} << (max_physmem_bits - kSectionBits);
    uint64_t length = extreme ? nr_sections / 256 : nr_sections;
    vi = base_vmcoreinfo() +
         strfmt(
             "SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=%llu\nSIZE(mem_section)=16\n"
             "OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=%d\n"
             "NUMBER(MAX_PHYSMEM_BITS)=%d\n",
             static_cast<unsigned long long>(V(0x10000)), static_cast<unsigned long long>(length),
             kSectionBits, max_physmem_bits);
  }
  Result<MemMap> find() {
    mem.set_vmcoreinfo(vi);
    auto k = KernelMemory::create(mem);
    if (!k) return k.error();
    km = std::move(*k);
    return km->find_mem_map();
  }
};

// Section entry: the mem_map address minus first_pfn * SIZE(page), with
// SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP in the low bits.
uint64_t encode(uint64_t mem_map_va, uint64_t section) {
  return (mem_map_va - section * kPps * 64) | 0x3;
}

TEST(MemMap, SparsemExtreme) {
  SparseKernel k(true);
  k.mem.add_ram(0, kPps);                   // section 0
  k.mem.add_ram(2 * kPps, 3 * kPps);        // section 2
  k.mem.add_ram(3 * kPps, 3 * kPps + 100);  // section 3, partly
  k.mem.write64(0x10000, V(0x20000));       // root 0 → sections 0..255
  k.mem.write64(0x20000 + 0 * 16, encode(V(0x1000000), 0));
  k.mem.write64(0x20000 + 1 * 16, 0);  // section 1: no memory
  k.mem.write64(0x20000 + 2 * 16, encode(V(0x2000000), 2));
  // Section 3 continues section 2's array: merged into one range.
  k.mem.write64(0x20000 + 3 * 16, encode(V(0x2000000 + kPps * 64), 3));
  auto mm = k.find();
  ASSERT_TRUE(mm) << mm.error().message;
  EXPECT_EQ(mm->model, MemoryModel::sparsemem_extreme);
  ASSERT_EQ(mm->ranges.size(), 2u);
  EXPECT_EQ(mm->ranges[0].first, 0u);
  EXPECT_EQ(mm->ranges[0].end, kPps);
  EXPECT_EQ(mm->ranges[0].vaddr, V(0x1000000));
  EXPECT_EQ(mm->ranges[1].first, 2 * kPps);
  EXPECT_EQ(mm->ranges[1].end, 3 * kPps + 100);  // cut at the end of RAM
  EXPECT_EQ(mm->page_vaddr(2 * kPps + 5), V(0x2000000 + 5 * 64));
  EXPECT_EQ(mm->page_vaddr(3 * kPps + 1), V(0x2000000 + (kPps + 1) * 64));
  EXPECT_FALSE(mm->page_vaddr(kPps + 1));
  EXPECT_FALSE(mm->page_vaddr(3 * kPps + 100));
}

TEST(MemMap, SparsemExtremeThroughPointer) {
  // SYMBOL(mem_section) giving the address of the pointer to the roots.
  SparseKernel k(true);
  k.mem.add_ram(0, kPps);
  k.mem.write64(0x10000, V(0x30000));  // *mem_section = roots at 0x30000
  k.mem.write64(0x30000, V(0x20000));
  k.mem.write64(0x20000, encode(V(0x1000000), 0));
  auto mm = k.find();
  ASSERT_TRUE(mm) << mm.error().message;
  ASSERT_EQ(mm->ranges.size(), 1u);
  EXPECT_EQ(mm->ranges[0].vaddr, V(0x1000000));
}

TEST(MemMap, SparsemWithoutExtreme) {
  SparseKernel k(false, 34);  // 128 sections of structs at SYMBOL(mem_section)
  k.mem.add_ram(kPps, 2 * kPps);
  k.mem.write64(0x10000 + 16, encode(V(0x1000000), 1));
  auto mm = k.find();
  ASSERT_TRUE(mm) << mm.error().message;
  EXPECT_EQ(mm->model, MemoryModel::sparsemem);
  ASSERT_EQ(mm->ranges.size(), 1u);
  EXPECT_EQ(mm->ranges[0].first, kPps);
  EXPECT_EQ(mm->ranges[0].vaddr, V(0x1000000));
}

TEST(MemMap, BadSectionsAreRejected) {
  // Present bit clear, or a mem_map that does not translate: no range; none at
  // all is an error naming SYMBOL(mem_section).
  SparseKernel k(true);
  k.mem.add_ram(0, 2 * kPps);
  k.mem.write64(0x10000, V(0x20000));
  k.mem.write64(0x20000, encode(V(0x1000000), 0) & ~uint64_t{1});
  k.mem.write64(0x20010, encode(0x1000, 1));  // user-space address
  auto mm = k.find();
  ASSERT_FALSE(mm);
  EXPECT_NE(mm.error().message.find("mem_section"), std::string::npos);

  SparseKernel odd(true);
  odd.vi += "";
  odd.vi.replace(odd.vi.find("LENGTH(mem_section)=2048"), 24, "LENGTH(mem_section)=77");
  odd.mem.add_ram(0, 1);
  mm = odd.find();
  ASSERT_FALSE(mm);
  EXPECT_NE(mm.error().message.find("LENGTH(mem_section)=77"), std::string::npos);
}

TEST(MemMap, Vmemmap) {
  MemSource m(Arch::x86_64, 4096);
  m.add_ram(0, 64);
  m.set_vmcoreinfo(base_vmcoreinfo() + "SYMBOL(vmemmap)=ffffea0000000000\n");
  auto km = KernelMemory::create(m);
  ASSERT_TRUE(km);
  auto mm = (*km)->find_mem_map();
  ASSERT_TRUE(mm) << mm.error().message;
  EXPECT_EQ(mm->model, MemoryModel::vmemmap);
  EXPECT_EQ(mm->page_vaddr(10), 0xffffea0000000000ULL + 640);
}

TEST(PageClassNames, RoundTripAndLevels) {
  for (size_t i = 0; i < kPageClassCount; ++i) {
    auto c = static_cast<PageClass>(i);
    EXPECT_EQ(page_class_from_name(page_class_name(c)), c);
  }
  EXPECT_EQ(page_class_from_name("cache_private"), PageClass::cache_private);
  EXPECT_EQ(dump_level_from_names("zero,cache,private,user,free").value_or(0), 31u);
  EXPECT_EQ(dump_level_from_names("user,,free").value_or(0), 24u);
  EXPECT_EQ(dump_level_from_names("").value_or(99), 0u);
  EXPECT_FALSE(dump_level_from_names("kernel"));
  EXPECT_FALSE(dump_level_from_names("cache,slab"));
}

}  // namespace
