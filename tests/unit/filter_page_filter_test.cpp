// filter_pages(): levels without VMCOREINFO, the zero-page scan, the cut at
// the end of the struct page array, and a whole dumpgen ELF filtered and
// written through the real reader and kdump writer.
#include <gtest/gtest.h>

#include "dumpfmt/format.h"
#include "dumpfmt/output.h"
#include "dumpfmt/pipeline.h"
#include "dumpfmt_filters/page_filter.h"
#include "filter_test_support.h"
#include "kernel_test_support.h"

using namespace dumpfmt;
using namespace kernel_test;
using filter_test::dumpgen_with_classes;

namespace {

constexpr uint64_t V(uint64_t pa) { return kStartKernelMap + pa; }

TEST(PageFilter, WithoutVmcoreinfoOnlyLevelOne) {
  MemSource m(Arch::x86_64, 4096);
  m.add_ram(0, 32);
  m.page(3)[100] = std::byte{1};
  m.page(9)[0] = std::byte{7};
  filters::FilterOptions o;
  o.dump_level = 31;
  auto r = filters::filter_pages(m, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unsupported);
  EXPECT_NE(r.error().message.find("only -d 1"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("VMCOREINFO"), std::string::npos) << r.error().message;

  o.dump_level = 1;
  r = filters::filter_pages(m, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kept.count(), 32u);  // kdump keeps zero pages in its bitmap
  EXPECT_FALSE(r->classified);
  EXPECT_FALSE(r->notes.empty());

  o.scan_zero_pages = true;
  o.threads = 3;
  r = filters::filter_pages(m, o);
  ASSERT_TRUE(r);
  PfnSet want;
  want.insert(3);
  want.insert(9);
  EXPECT_EQ(r->kept, want);
  EXPECT_EQ(r->zero_pages_removed, 30u);

  o.dump_level = 0;  // no zero bit: the scan does nothing
  r = filters::filter_pages(m, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kept.count(), 32u);

  o.dump_level = 32;
  r = filters::filter_pages(m, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(PageFilter, ZeroScanOverManyRunsAndUnreadablePages) {
  class Flaky : public MemSource {
   public:
    Flaky() : MemSource(Arch::x86_64, 4096) {}
    Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override {
      if (pfn % 1000 == 7) return make_error(Errc::corrupt, "bad");
      return MemSource::read_page(pfn, out);
    }
  } m;
  for (Pfn p = 0; p < 20000; p += 2) m.add_ram(p, p + 1);  // 10000 runs of one page
  for (Pfn p = 0; p < 20000; p += 6) m.page(p)[5] = std::byte{9};
  PfnSet pages = m.present();
  uint64_t calls = 0;
  auto removed = filters::remove_zero_pages(m, pages, 2, [&](uint64_t d, uint64_t t) {
    ++calls;
    EXPECT_LE(d, t);
  });
  ASSERT_TRUE(removed);
  for (Pfn p = 0; p < 20000; p += 2) {
    bool nonzero = p % 6 == 0, bad = p % 1000 == 7;
    EXPECT_EQ(pages.contains(p), nonzero || bad) << p;
  }
  EXPECT_GT(calls, 0u);
}

// SPARSEMEM with one section of struct pages; RAM continues above it.
TEST(PageFilter, PagesBeyondTheStructPageArrayAreCut) {
  MemSource m(Arch::x86_64, 4096);
  const Pfn pps = 32768;
  m.add_ram(0, pps + 100);
  m.add_ram(0x100000, 0x100010);  // "device memory" far above
  m.write64(0x10000, V(0x20000));
  m.write64(0x20000, (V(0x1000000)) | 3);
  m.set_vmcoreinfo("OSRELEASE=6.1.0\nPAGESIZE=4096\n" +
                   strfmt("SYMBOL(init_top_pgt)=%llx\nNUMBER(phys_base)=0\n",
                          static_cast<unsigned long long>(V(0x8000))) +
                   page_vmcoreinfo() +
                   strfmt("SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=2048\n"
                          "SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
                          "NUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n",
                          static_cast<unsigned long long>(V(0x10000))));
  filters::FilterOptions o;
  o.dump_level = 1;
  auto r = filters::filter_pages(m, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->mem_map_end, pps);
  EXPECT_EQ(r->beyond_mem_map, 100u + 16u);
  EXPECT_EQ(r->kept.end_bound(), pps);
  EXPECT_EQ(r->ram.end_bound(), pps);
  EXPECT_TRUE(r->notes.empty());

  o.dump_level = 16;
  r = filters::filter_pages(m, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->classified);
  EXPECT_EQ(r->kept.count(), pps);  // all struct pages zero: nothing free
}

// -d 31 through the registry's ELF reader, then the kdump writer and reader.
TEST(PageFilter, DumpgenElfEndToEnd) {
  auto src = dumpgen_with_classes();
  ASSERT_TRUE(src);
  filters::FilterOptions o;
  o.dump_level = 31;
  auto r = filters::filter_pages(*src, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->stats.excluded[PageClass::free], 8u);
  EXPECT_EQ(r->stats.excluded[PageClass::cache], 1u);
  PfnSet want = src->present();
  want.erase_range(16, 24);
  want.erase(30);
  EXPECT_EQ(r->kept, want);

  // Write it as kdump (lzo) and read it back: same pages, same bytes.
  MemorySink sink("out.kdump");
  WriteOptions wo;
  wo.codec = CodecId::lzo;
  wo.dump_level = 31;
  auto w = find_format("kdump")->create_writer(sink, wo);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE((*w)->begin(src->info(), r->ram, r->kept));
  PipelineOptions po;
  po.threads = 2;
  auto stats = run_pipeline(*src, r->kept, **w, po);
  ASSERT_TRUE(stats) << stats.error().message;
  ASSERT_TRUE(sink.commit());
  std::vector<std::byte> out(sink.bytes().begin(), sink.bytes().end());
  std::vector<std::unique_ptr<File>> f2;
  f2.push_back(memory_file("out.kdump", std::move(out)));
  auto back = open_dump_files(std::move(f2));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ((*back)->present(), r->kept);
  EXPECT_EQ((*back)->info().dump_level, 31u);
  std::vector<std::byte> a(4096), b(4096);
  r->kept.for_each_run([&](Pfn first, Pfn end) {
    for (Pfn p = first; p < end; ++p) {
      ASSERT_TRUE(src->read_page(p, a));
      ASSERT_TRUE((*back)->read_page(p, b));
      EXPECT_EQ(a, b) << p;
    }
  });
}

// Windows of any size, also ones that cut the free block 16-23 after its
// head, add up to exactly what the whole dump keeps; out-of-order windows
// are refused.
TEST(PageFilter, WindowsAddUpToTheWhole) {
  auto src = dumpgen_with_classes();
  ASSERT_TRUE(src);
  filters::FilterOptions o;
  o.dump_level = 31;
  auto whole = filters::filter_pages(*src, o);
  ASSERT_TRUE(whole) << whole.error().message;
  for (Pfn size : {Pfn{1}, Pfn{3}, Pfn{8}, Pfn{17}, Pfn{18}, Pfn{20}, Pfn{64}, Pfn{1000}}) {
    auto wf = filters::WindowFilter::create(*src, o);
    ASSERT_TRUE(wf) << wf.error().message;
    PfnSet kept, ram;
    ClassifyStats stats;
    for (Pfn first = 0; first < (*wf)->end(); first += size) {
      auto fr = (*wf)->window(first, std::min(first + size, (*wf)->end()));
      ASSERT_TRUE(fr) << fr.error().message;
      EXPECT_TRUE(fr->kept.empty() ||
                  (fr->kept.next(0) >= first && fr->kept.end_bound() <= first + size))
          << "window " << first << " of " << size;
      kept.add(fr->kept);
      ram.add(fr->ram);
      stats.add(fr->stats);
    }
    EXPECT_EQ(kept, whole->kept) << "windows of " << size;
    EXPECT_EQ(ram, whole->ram) << "windows of " << size;
    EXPECT_EQ(stats.excluded.pages, whole->stats.excluded.pages) << "windows of " << size;
    EXPECT_EQ(stats.examined, whole->stats.examined) << "windows of " << size;
    // A second pass after restart() gives the same again.
    (*wf)->restart();
    auto again = (*wf)->window(0, (*wf)->end());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->kept, whole->kept);
  }
  auto wf = filters::WindowFilter::create(*src, o);
  ASSERT_TRUE(wf);
  ASSERT_TRUE((*wf)->window(0, 16));
  auto gap = (*wf)->window(20, 30);
  ASSERT_FALSE(gap);
  EXPECT_NE(gap.error().message.find("does not follow"), std::string::npos) << gap.error().message;
}

}  // namespace
