// Tests of the s390 formats: a classic dump laid out byte by byte here from
// docs/formats.md §6, dumpgen's classic / s390_ext / zlib / multi-volume files
// (independent of libdumpfmt), the writer against dumpgen's bytes, register
// notes from lowcores and back, round trips, truncation, bit flips, hostile fields.
#include <cstring>
#include <map>

#include "dumpgen.h"
#include "s390_sadump_test_support.h"

namespace {

using namespace s390_sadump_test;
using dumpgen::DumpSpec;
using dumpgen::S390Layout;
using dumpgen::S390Options;

constexpr uint64_t kTodUnixEpoch = 0x7d91048bca000000ULL;  // 2208988800 s * 10^6 << 12

void put(Bytes& b, size_t off, uint64_t v, int size) {
  for (int i = 0; i < size; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * (size - 1 - i)));
}
uint64_t get_be(const std::vector<std::byte>& b, size_t off, int size) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<uint8_t>(b[off + i]);
  return v;
}

// A classic dump of `pages` pages, page p filled with byte p+1, written field by field.
Bytes hand_built(uint32_t pages, uint32_t arch = 2, int64_t when = 1700000000) {
  const uint64_t mem = uint64_t{pages} * 4096;
  Bytes b(0x1000 + mem + 16, 0);
  put(b, 0x00, 0xa8190173618f23fdULL, 8);
  put(b, 0x08, 5, 4);
  put(b, 0x0c, 0x1000, 4);
  put(b, 0x14, 4096, 4);
  put(b, 0x18, mem, 8);
  put(b, 0x28, mem - 1, 8);
  put(b, 0x30, pages, 4);
  const uint64_t tod = (static_cast<uint64_t>(when) * 1000000 << 12) + kTodUnixEpoch;
  put(b, 0x38, tod, 8);
  put(b, 0x48, arch, 4);
  for (uint32_t p = 0; p < pages; ++p) std::memset(&b[0x1000 + p * 4096], p + 1, 4096);
  std::memcpy(&b[0x1000 + mem], "DUMP_END", 8);
  put(b, 0x1000 + mem + 8, tod, 8);
  return b;
}

DumpSpec small_spec(int bits = 64) {
  DumpSpec s;
  s.arch = bits == 64 ? "s390x" : "s390";
  for (uint64_t p : {0, 1, 2, 5, 6, 7, 40, 41}) s.pages.push_back(pg(p));
  s.pages.push_back(pg(9, dumpgen::PageKind::random));
  s.pages.push_back(pg(10, dumpgen::PageKind::zero));
  s.segments.push_back({300 * 4096, 600 * 4096, dumpgen::Fill::sparse_pattern, 3});
  s.ram_only = {12, 13};
  s.max_mapnr = 1000;
  s.crash_time = 1712345678;
  return s;
}

void expect_pages(const DumpSpec& spec, const S390Options& opt, const PageSource& src) {
  const DumpInfo& in = src.info();
  const uint64_t npages = std::max<uint64_t>(*spec.max_mapnr, 0);
  EXPECT_GE(in.max_pfn, npages);
  std::vector<std::byte> buf(in.page_size);
  for (Pfn p = 0; p < in.max_pfn; ++p) {
    ASSERT_TRUE(src.present().contains(p)) << p;
    auto r = src.read_page(p, buf);
    ASSERT_TRUE(r) << p << ": " << r.error().message;
    Bytes want = dumpgen::s390_page(spec, opt, p);
    ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), want.size())) << "PFN " << p;
  }
  EXPECT_FALSE(src.present().contains(in.max_pfn));
}

TEST(S390Reader, HandBuiltClassic) {
  auto r = open_set({hand_built(4)});
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  const DumpInfo& in = s.info();
  EXPECT_EQ(in.format, "s390");
  EXPECT_EQ(in.arch, Arch::s390x);
  EXPECT_EQ(in.endian, Endian::big);
  EXPECT_EQ(in.page_size, 4096u);
  EXPECT_EQ(in.max_pfn, 4u);
  EXPECT_EQ(in.crash_time, 1700000000);
  EXPECT_EQ(in.nr_cpus, 0u);
  EXPECT_FALSE(in.incomplete);
  EXPECT_FALSE(in.vmcoreinfo);
  EXPECT_TRUE(has(in.warnings, "no VMCOREINFO"));
  for (Pfn p = 0; p < 4; ++p) EXPECT_EQ(read(s, p), Bytes(4096, static_cast<uint8_t>(p + 1)));
  PageState st;
  std::vector<std::byte> buf(4096);
  auto beyond = s.read_page(4, buf);
  ASSERT_TRUE(beyond);
  EXPECT_EQ(*beyond, PageState::excluded);
  EXPECT_FALSE(s.read_page(0, std::span(buf).first(100)));  // wrong buffer size
  (void)st;

  auto r31 = open_set({hand_built(2, 1)});
  ASSERT_TRUE(r31) << r31.error().message;
  EXPECT_EQ((*r31)->info().arch, Arch::s390);
}

TEST(S390Reader, VmcoreinfoFoundThroughLowcore) {
  Bytes b = hand_built(4);
  const std::string text = "OSRELEASE=6.1.0-s390x\nPAGESIZE=4096\n";
  // An ELF note at absolute 0x3000, pointed to by lowcore 0xe0 (file offset 0x1000 + addr).
  const size_t note = 0x1000 + 0x3000;
  put(b, note, 11, 4);
  put(b, note + 4, text.size(), 4);
  put(b, note + 8, 0, 4);
  std::memcpy(&b[note + 12], "VMCOREINFO", 11);
  std::memcpy(&b[note + 24], text.data(), text.size());
  put(b, 0x1000 + 0xe0, 0x3000, 8);
  auto r = open_set({b});
  ASSERT_TRUE(r) << r.error().message;
  const DumpInfo& in = (*r)->info();
  ASSERT_TRUE(in.vmcoreinfo);
  EXPECT_EQ(*in.vmcoreinfo, text);
  EXPECT_EQ(in.uts.release, "6.1.0-s390x");
  EXPECT_TRUE(find_vmcoreinfo(in.notes));

  // A pointer to garbage, or past memory, is ignored.
  put(b, note, 12, 4);
  auto bad = open_set({b});
  ASSERT_TRUE(bad);
  EXPECT_FALSE((*bad)->info().vmcoreinfo);
  put(b, 0x1000 + 0xe0, ~uint64_t{0} - 4, 8);
  ASSERT_TRUE(open_set({b}));
}

TEST(S390Reader, DumpgenLayoutsAndWordSizes) {
  for (int bits : {64, 32}) {
    for (S390Layout layout :
         {S390Layout::classic, S390Layout::ext, S390Layout::ext_zlib, S390Layout::multi_volume}) {
      SCOPED_TRACE(testing::Message() << "bits " << bits << " layout " << static_cast<int>(layout));
      DumpSpec spec = small_spec(bits);
      S390Options opt;
      opt.layout = layout;
      opt.zlib_entry_size = 64 * 1024;  // several entries per segment
      opt.volumes = 3;
      auto files = dumpgen::generate_s390(spec, opt);
      auto r = open_set(files);
      ASSERT_TRUE(r) << r.error().message;
      const DumpInfo& in = (*r)->info();
      EXPECT_EQ(in.arch, bits == 64 ? Arch::s390x : Arch::s390);
      EXPECT_EQ(in.crash_time, spec.crash_time);
      EXPECT_FALSE(in.incomplete);
      EXPECT_EQ(in.compression, layout == S390Layout::ext_zlib ? "zlib" : "none");
      expect_pages(spec, opt, **r);
    }
  }
}

TEST(S390Reader, MultiVolumeSetErrors) {
  DumpSpec spec = small_spec();
  S390Options opt;
  opt.layout = S390Layout::multi_volume;
  opt.volumes = 3;
  auto files = dumpgen::generate_s390(spec, opt);
  ASSERT_EQ(files.size(), 3u);
  // Any order works; a missing middle volume, a duplicate or a foreign volume does not.
  ASSERT_TRUE(open_set({files[2], files[0], files[1]}));
  EXPECT_FALSE(open_set({files[0], files[2]}));
  EXPECT_FALSE(open_set({files[0], files[0], files[1]}));
  Bytes foreign = files[1];
  foreign[0x20f] ^= 1;  // zipl time
  EXPECT_FALSE(open_set({files[0], foreign, files[2]}));
  // The first volumes alone: opens, with the rest of memory lost.
  auto part = open_set({files[0], files[1]});
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_TRUE((*part)->info().incomplete);
  EXPECT_TRUE(has((*part)->info().warnings, "stop marker"));
  // A classic dump is not a volume.
  EXPECT_FALSE(open_set({hand_built(2), files[0]}));
}

TEST(S390Reader, RegistersFromLowcores) {
  DumpSpec spec = small_spec();
  S390Options opt;
  opt.cpu_prefixes = {0x8000, 0x20000};
  auto files = dumpgen::generate_s390(spec, opt);
  auto r = open_set(files);
  ASSERT_TRUE(r) << r.error().message;
  const DumpInfo& in = (*r)->info();
  EXPECT_EQ(in.nr_cpus, 2u);
  std::vector<const Note*> pr, pfx, fp, ctrs;
  for (const Note& n : in.notes) {
    if (n.name == "CORE" && n.type == 1) pr.push_back(&n);
    if (n.name == "CORE" && n.type == 2) fp.push_back(&n);
    if (n.name == "LINUX" && n.type == 0x305) pfx.push_back(&n);
    if (n.name == "LINUX" && n.type == 0x304) ctrs.push_back(&n);
  }
  ASSERT_EQ(pr.size(), 2u);
  ASSERT_EQ(pfx.size(), 2u);
  ASSERT_EQ(fp.size(), 2u);
  ASSERT_EQ(ctrs.size(), 2u);
  for (int cpu = 0; cpu < 2; ++cpu) {
    const auto& d = pr[cpu]->desc;
    ASSERT_EQ(d.size(), 336u);
    EXPECT_EQ(get_be(d, 112, 8), dumpgen::prstatus_reg(cpu, 100));  // psw mask
    EXPECT_EQ(get_be(d, 120, 8), dumpgen::prstatus_reg(cpu, 101));  // psw addr
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(get_be(d, 128 + 8 * i, 8), dumpgen::prstatus_reg(cpu, i));
      EXPECT_EQ(get_be(d, 256 + 4 * i, 4), dumpgen::prstatus_reg(cpu, 200 + i) & 0xffffffff);
      EXPECT_EQ(get_be(fp[cpu]->desc, 8 + 8 * i, 8), dumpgen::prstatus_reg(cpu, 300 + i));
      EXPECT_EQ(get_be(ctrs[cpu]->desc, 8 * i, 8), dumpgen::prstatus_reg(cpu, 400 + i));
    }
    EXPECT_EQ(get_be(fp[cpu]->desc, 0, 4), 0x1234u + cpu);
    EXPECT_EQ(get_be(pfx[cpu]->desc, 0, 4), opt.cpu_prefixes[cpu]);
  }
  // The writer puts them back: s390 -> s390 is byte-identical, also with the lowcore page
  // zeroed in between (registers come from the notes, not from the page).
  auto again = convert(**r, "s390");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(*again == files[0]);

  // Through ELF: the notes survive, and ELF -> s390 rebuilds the lowcores.
  auto elf = convert(**r, "elf");
  ASSERT_TRUE(elf) << elf.error().message;
  auto re = open_set({*elf});
  ASSERT_TRUE(re) << re.error().message;
  EXPECT_EQ((*re)->info().arch, Arch::s390x);
  auto back = convert(**re, "s390");
  ASSERT_TRUE(back) << back.error().message;
  auto rb = open_set({*back});
  ASSERT_TRUE(rb);
  EXPECT_EQ((*rb)->info().nr_cpus, 2u);
  expect_pages(spec, opt, **rb);
}

TEST(S390Writer, MatchesDumpgenBytes) {
  // An x86_64 ELF from dumpgen written as s390 must equal dumpgen's own classic s390 file of
  // the same memory (same header fields: version 5, dump_level 4, no CPUs).
  for (bool with_ram_only : {false, true}) {
    DumpSpec spec = small_spec();
    spec.arch = "x86_64";
    if (!with_ram_only) spec.ram_only.clear();
    spec.format = dumpgen::Format::kdump;
    auto src = open_set({dumpgen::generate(spec)});
    ASSERT_TRUE(src) << src.error().message;
    std::vector<std::string> warnings;
    auto out = convert(**src, "s390", &warnings);
    ASSERT_TRUE(out) << out.error().message;
    DumpSpec s390 = spec;
    s390.arch = "s390x";
    auto want = dumpgen::generate_s390(s390, S390Options{});
    ASSERT_EQ(out->size(), want[0].size());
    EXPECT_TRUE(*out == want[0]);
    EXPECT_TRUE(has(warnings, "labelled s390x"));
    EXPECT_TRUE(has(warnings, "VMCOREINFO"));
    EXPECT_EQ(has(warnings, "excluded page"), with_ram_only);
  }
}

TEST(S390Writer, RoundTripThroughKdumpAndElf) {
  DumpSpec spec = small_spec();
  spec.arch = "x86_64";
  spec.format = dumpgen::Format::elf;
  auto src = open_set({dumpgen::generate(spec)});
  ASSERT_TRUE(src);
  auto s390 = convert(**src, "s390");
  ASSERT_TRUE(s390);
  for (const char* fmt : {"elf", "kdump"}) {
    auto out = convert(**open_set({*s390}), fmt);
    ASSERT_TRUE(out) << out.error().message;
    auto back = open_set({*out});
    ASSERT_TRUE(back) << back.error().message;
    // Every page the source carries is identical; its holes are zero pages now.
    std::vector<std::byte> buf(4096);
    for (Pfn p = 0; p < 1000; ++p) {
      Bytes want = dumpgen::page_content(spec, p);
      ASSERT_EQ(read(**back, p), want) << fmt << " PFN " << p;
    }
  }
}

TEST(S390Writer, RefusesWhatItCannotWrite) {
  MemorySink sink;
  auto w = find_format("s390")->create_writer(sink, {});
  ASSERT_TRUE(w);
  DumpInfo in;
  in.arch = Arch::s390x;
  in.page_size = 3000;
  PfnSet none;
  EXPECT_FALSE((*w)->begin(in, none, none));
  auto w2 = find_format("s390")->create_writer(sink, {});
  in.page_size = 4096;
  in.max_pfn = uint64_t{1} << 33;  // beyond the 32-bit page count
  auto st = (*w2)->begin(in, none, none);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::unsupported);
  auto w3 = find_format("s390")->create_writer(sink, {});
  in.max_pfn = 4;
  PfnSet pages;
  pages.insert_range(0, 2);
  ASSERT_TRUE((*w3)->begin(in, pages, pages));
  std::vector<std::byte> page(4096);
  ASSERT_TRUE((*w3)->write_page({1, false, CodecId::none, page}));
  EXPECT_FALSE((*w3)->write_page({0, false, CodecId::none, page}));  // out of order
}

TEST(S390Reader, EveryTruncation) {
  DumpSpec spec = small_spec();
  spec.segments.clear();
  spec.max_mapnr = 50;
  for (S390Layout layout : {S390Layout::classic, S390Layout::ext, S390Layout::ext_zlib}) {
    S390Options opt;
    opt.layout = layout;
    opt.zlib_entry_size = 8192;
    auto files = dumpgen::generate_s390(spec, opt);
    std::vector<size_t> lens;
    for (size_t n = 0; n < files[0].size(); n += n < 0x1100 ? 7 : 509) lens.push_back(n);
    robustness(files, 0, lens, [&](const PageSource& s) {
      // What a truncated file still reports present is exactly what the full one holds.
      std::vector<std::byte> buf(4096);
      s.present().for_each_run([&](Pfn a, Pfn b) {
        for (Pfn p = a; p < b; ++p) {
          auto r = s.read_page(p, buf);
          ASSERT_TRUE(r) << r.error().message;
          Bytes want = dumpgen::s390_page(spec, opt, p);
          ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), 4096)) << p;
        }
      });
      if (s.present().count() < s.info().max_pfn) {
        EXPECT_TRUE(s.info().incomplete);
      }
    });
  }
}

TEST(S390Reader, ByteFlipsAndHostileFields) {
  DumpSpec spec = small_spec();
  spec.segments.clear();
  spec.max_mapnr = 48;
  for (S390Layout layout : {S390Layout::classic, S390Layout::ext_zlib, S390Layout::multi_volume}) {
    S390Options opt;
    opt.layout = layout;
    opt.zlib_entry_size = 8192;
    opt.cpu_prefixes = {0x4000};
    auto files = dumpgen::generate_s390(spec, opt);
    // Header fields, lc_vec, the first segment header and the end marker, byte by byte.
    std::vector<size_t> offs;
    for (size_t o = 0; o < 0x70; ++o) offs.push_back(o);
    for (size_t o = 0x200; o < 0x210; ++o) offs.push_back(o);
    for (size_t o = 0x800; o < 0x808; ++o) offs.push_back(o);
    for (size_t o = 0x1000; o < 0x1040; ++o) offs.push_back(o);
    for (size_t o = files[0].size() - 16; o < files[0].size(); ++o) offs.push_back(o);
    for (size_t o : offs) {
      for (uint8_t x : {0x01, 0x80, 0xff}) {
        std::vector<Bytes> bad = files;
        bad[0][o] ^= x;
        auto r = open_set(bad);
        if (!r) continue;
        std::vector<std::byte> buf((*r)->info().page_size);
        (*r)->present().for_each_run([&](Pfn a, Pfn b) {
          for (Pfn p = a; p < b && p < a + 64; ++p) (void)(*r)->read_page(p, buf);
        });
      }
    }
  }
  // Specific hostile values must be clean errors.
  auto expect_error = [](Bytes b, size_t off, uint64_t v, int size) {
    put(b, off, v, size);
    auto r = open_set({b});
    EXPECT_FALSE(r) << "offset " << off;
  };
  Bytes b = hand_built(4);
  expect_error(b, 0x14, 3, 4);                  // page size
  expect_error(b, 0x14, 1u << 30, 4);           // page size
  expect_error(b, 0x0c, 0x10, 4);               // header size
  expect_error(b, 0x48, 7, 4);                  // arch
  expect_error(b, 0x18, uint64_t{1} << 60, 8);  // memory size
  expect_error(b, 0x5d, 600, 2);                // cpu count
  expect_error(b, 0x0c, 0xffffffff, 4);         // header size past EOF
  // A memory size past the file is a truncated dump, not a crash or a huge allocation;
  // one no file could be a truncated copy of is an error.
  expect_error(b, 0x18, uint64_t{1} << 51, 8);
  put(b, 0x18, uint64_t{1} << 40, 8);
  auto big = open_set({b});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_TRUE((*big)->info().incomplete);
  EXPECT_EQ((*big)->present().count(), 4u);
}

TEST(S390Registry, ProbeOrderAndName) {
  ASSERT_TRUE(find_format("s390"));
  EXPECT_TRUE(find_format("s390")->create_writer);
  auto f = mem(hand_built(1), "x");
  auto p = find_format("s390")->probe(*f);
  ASSERT_TRUE(p);
  EXPECT_TRUE(*p);
  auto tiny = mem(Bytes{0xa8, 0x19}, "tiny");
  EXPECT_FALSE(*find_format("s390")->probe(*tiny));
}

}  // namespace
