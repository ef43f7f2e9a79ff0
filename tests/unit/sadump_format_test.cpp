// Tests of the sadump format: dumpgen's single-partition, disk-set and media
// backup files (independent of libdumpfmt) for x86_64 and x86, MSB-first
// bitmaps, CPU state <-> NT_PRSTATUS/QEMU notes, the writer's layout checked
// byte by byte, round trips, truncation, byte flips and hostile fields.
#include <cstring>
#include <map>

#include "dumpgen.h"
#include "s390_sadump_test_support.h"

namespace {

using namespace s390_sadump_test;
using dumpgen::DumpSpec;
using dumpgen::SadumpOptions;
using dumpgen::SadumpVariant;

uint64_t le(const uint8_t* p, int size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t le(const std::vector<std::byte>& b, size_t off, int size) {
  return le(reinterpret_cast<const uint8_t*>(b.data()) + off, size);
}

DumpSpec small_spec(int bits = 64) {
  DumpSpec s;
  s.arch = bits == 64 ? "x86_64" : "i686";
  for (uint64_t p : {1, 2, 3, 8, 9, 30}) s.pages.push_back(pg(p));
  s.pages.push_back(pg(10, dumpgen::PageKind::random));
  s.pages.push_back(pg(11, dumpgen::PageKind::zero));
  s.segments.push_back({100 * 4096, 300 * 4096, dumpgen::Fill::sparse_pattern, 5});
  s.ram_only = {4, 5, 31};
  s.max_mapnr = 450;
  s.nr_cpus = 2;
  s.crash_time = 1712345678;
  return s;
}

// Present / excluded / absent for every PFN, as dumpgen describes the memory.
void expect_pages(const DumpSpec& spec, const PageSource& src) {
  std::map<uint64_t, char> kind;  // 'p' present, 'x' RAM only
  for (const auto& p : spec.pages) kind[p.pfn] = 'p';
  for (const auto& s : spec.segments) {
    for (uint64_t p = s.paddr / 4096; p < (s.paddr + s.size) / 4096; ++p) kind[p] = 'p';
  }
  for (uint64_t p : spec.ram_only) kind[p] = 'x';
  EXPECT_EQ(src.info().max_pfn, *spec.max_mapnr);
  std::vector<std::byte> buf(4096);
  for (Pfn p = 0; p < *spec.max_mapnr + 2; ++p) {
    const char k = kind.count(p) ? kind[p] : 0;
    ASSERT_EQ(src.present().contains(p), k == 'p') << p;
    ASSERT_EQ(src.ram().contains(p), k != 0) << p;
    auto r = src.read_page(p, buf);
    ASSERT_TRUE(r) << p << ": " << r.error().message;
    if (k != 'p') {
      ASSERT_EQ(*r, PageState::excluded) << p;
      continue;
    }
    Bytes want = dumpgen::page_content(spec, p);
    ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), 4096)) << "PFN " << p;
  }
}

// The x86_64 pr_reg values the reader must produce from dumpgen's SMRAM states.
void expect_cpu_notes(const DumpInfo& in, int bits, int ncpu) {
  std::vector<const Note*> pr, qemu;
  for (const Note& n : in.notes) {
    if (n.name == "CORE" && n.type == 1) pr.push_back(&n);
    if (n.name == "QEMU") qemu.push_back(&n);
  }
  ASSERT_EQ(pr.size(), static_cast<size_t>(ncpu));
  ASSERT_EQ(qemu.size(), static_cast<size_t>(ncpu));
  for (int cpu = 0; cpu < ncpu; ++cpu) {
    const auto& d = pr[cpu]->desc;
    if (bits == 64) {
      ASSERT_EQ(d.size(), 336u);
      for (int i = 0; i < 27; ++i) {
        uint64_t want = dumpgen::prstatus_reg(cpu, i);
        if (i == 15) want = dumpgen::prstatus_reg(cpu, 10);  // orig_rax: SMRAM has none; rax
        if (i == 21 || i == 22) want = 0;                    // fs_base, gs_base: not in SMRAM
        EXPECT_EQ(le(d, 112 + 8 * i, 8), want) << "cpu " << cpu << " reg " << i;
      }
    } else {
      ASSERT_EQ(d.size(), 144u);
      // i386 order: ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss
      const int idx[17] = {5, 11, 12, 13, 14, 4, 10, 23, 24, 25, 26, 10, 16, 17, 18, 19, 20};
      for (int i = 0; i < 17; ++i) {
        EXPECT_EQ(le(d, 72 + 4 * i, 4), dumpgen::prstatus_reg(cpu, idx[i]) & 0xffffffff)
            << "cpu " << cpu << " reg " << i;
      }
    }
    const auto& q = qemu[cpu]->desc;
    ASSERT_EQ(q.size(), 432u);
    EXPECT_EQ(le(q, 392 + 24, 8), 0x100000ull * (cpu + 1));                           // cr3
    EXPECT_EQ(le(q, 152 + 24 * 9 + 16, 8), 0xfffffe0000000000ull + 0x1000ull * cpu);  // IDT
    EXPECT_EQ(le(q, 8 + 16 * 8, 8), dumpgen::prstatus_reg(cpu, 16));                  // rip
  }
}

TEST(SadumpReader, DumpgenVariants) {
  for (int bits : {64, 32}) {
    for (SadumpVariant v : {SadumpVariant::single, SadumpVariant::disk_set, SadumpVariant::media}) {
      for (int hv : {1, 0}) {
        for (int disks : {2, 3}) {
          if (v != SadumpVariant::disk_set && disks == 3) continue;
          SCOPED_TRACE(testing::Message() << "bits " << bits << " variant " << static_cast<int>(v)
                                          << " version " << hv << " disks " << disks);
          DumpSpec spec = small_spec(bits);
          SadumpOptions opt;
          opt.variant = v;
          opt.header_version = hv;
          opt.disks = disks;
          auto files = dumpgen::generate_sadump(spec, opt);
          auto r = open_set(files);
          ASSERT_TRUE(r) << r.error().message;
          const DumpInfo& in = (*r)->info();
          EXPECT_EQ(in.format, "sadump");
          EXPECT_EQ(in.arch, bits == 64 ? Arch::x86_64 : Arch::x86);
          EXPECT_EQ(in.crash_time, spec.crash_time);
          EXPECT_EQ(in.nr_cpus, 2u);
          EXPECT_FALSE(in.incomplete);
          EXPECT_FALSE(in.vmcoreinfo);
          EXPECT_TRUE(has(in.warnings, "no VMCOREINFO"));
          expect_pages(spec, **r);
          expect_cpu_notes(in, bits, 2);
          if (v == SadumpVariant::disk_set) {
            // Disks may be given in any order.
            std::vector<Bytes> rev(files.rbegin(), files.rend());
            ASSERT_TRUE(open_set(rev));
          }
        }
      }
    }
  }
}

TEST(SadumpReader, DiskSetErrors) {
  DumpSpec spec = small_spec();
  SadumpOptions opt;
  opt.variant = SadumpVariant::disk_set;
  opt.disks = 3;
  auto files = dumpgen::generate_sadump(spec, opt);
  EXPECT_FALSE(open_set({files[0], files[1]}));            // a disk missing
  EXPECT_FALSE(open_set({files[0], files[1], files[1]}));  // a duplicate
  EXPECT_FALSE(open_set({files[1], files[2]}));            // no first disk
  Bytes foreign = files[2];
  foreign[104] ^= 1;  // disk_set_id
  EXPECT_FALSE(open_set({files[0], files[1], foreign}));
  auto single = dumpgen::generate_sadump(spec, SadumpOptions{});
  EXPECT_FALSE(open_set({single[0], files[1]}));
  // A disk cut short: its lost pages are not present, the others still are.
  std::vector<Bytes> cut = files;
  cut[1].resize(cut[1].size() - 4096 * 3);
  auto r = open_set(cut);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)->info().incomplete);
  EXPECT_EQ((*r)->present().count() + 3, (*open_set(files))->present().count());
}

TEST(SadumpReader, MsbFirstBitmapByHand) {
  // One dumpable page at PFN 1 and RAM at PFNs 1 and 6: bitmap bytes 0x40 and 0x42.
  DumpSpec spec;
  spec.pages.push_back(pg(1, dumpgen::PageKind::bytes, {0xde, 0xad}));
  spec.ram_only = {6};
  spec.max_mapnr = 8;
  spec.nr_cpus = 1;
  auto f = dumpgen::generate_sadump(spec, SadumpOptions{})[0];
  const size_t bm = 4096 * 3;  // part header, dump header, one sub-header block
  EXPECT_EQ(f[bm], 0x42);
  EXPECT_EQ(f[bm + 4096], 0x40);
  auto r = open_set({f});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)->present().contains(1));
  EXPECT_FALSE((*r)->present().contains(6));
  EXPECT_TRUE((*r)->ram().contains(6));
  Bytes p = read(**r, 1);
  EXPECT_EQ(p[0], 0xde);
  EXPECT_EQ(p[1], 0xad);
  EXPECT_EQ(p[2], 0);
}

TEST(SadumpWriter, LayoutMatchesDumpgen) {
  // A kdump file with the same memory and CPU count: bitmaps, data blocks and the header fields
  // that depend on the memory must equal dumpgen's file byte for byte.
  for (int bits : {64, 32}) {
    DumpSpec spec = small_spec(bits);
    spec.format = dumpgen::Format::kdump;  // carries the RAM-only pages as excluded
    auto src = open_set({dumpgen::generate(spec)});
    ASSERT_TRUE(src) << src.error().message;
    std::vector<std::string> warnings;
    auto out = convert(**src, "sadump", &warnings);
    ASSERT_TRUE(out) << out.error().message;
    const Bytes& got = *out;
    Bytes want = dumpgen::generate_sadump(spec, SadumpOptions{})[0];
    ASSERT_EQ(got.size(), want.size());
    // Part header: signatures, set_disk_set, used_device, the magic sequence.
    EXPECT_EQ(0, std::memcmp(got.data(), want.data(), 8));
    EXPECT_EQ(le(&got[152], 4), 0u);
    EXPECT_EQ(le(&got[160], 8), le(&want[160], 8));
    EXPECT_EQ(0, std::memcmp(got.data() + 168, want.data() + 168, 4096 - 168));
    // Dump header fields that follow from the memory.
    for (size_t off : {0, 8, 40, 48, 52, 56, 60, 64, 68, 72, 80, 88, 96, 104, 112}) {
      EXPECT_EQ(le(&got[4096 + off], off >= 88 ? 8 : 4), le(&want[4096 + off], off >= 88 ? 8 : 4))
          << "sadump_header offset " << off;
    }
    // Sub header, SMRAM per CPU: the general registers and segment selectors.
    const size_t sub = 8192, sm0 = sub + 4 + 2 * 16;
    EXPECT_EQ(le(&got[sub], 4), 2048u);
    for (int cpu = 0; cpu < 2; ++cpu) {
      const size_t sm = sm0 + 1024 * cpu;
      if (bits == 64) {
        // dumpgen numbers SMRAM registers by their x86_64 pr_reg index, as its notes do.
        EXPECT_EQ(0, std::memcmp(&got[sm + 796], &want[sm + 796], 128)) << "cpu " << cpu;
        EXPECT_EQ(0, std::memcmp(&got[sm + 936], &want[sm + 936], 24));  // es..gs
        EXPECT_EQ(0, std::memcmp(&got[sm + 984], &want[sm + 984], 8));   // rip
      } else {
        // dumpgen's i386 notes number registers in i386 order: eax 6, eip 12, esp 15, cs 13.
        EXPECT_EQ(le(&got[sm + 796 + 64], 8), dumpgen::prstatus_reg(cpu, 6));
        EXPECT_EQ(le(&got[sm + 984], 8), dumpgen::prstatus_reg(cpu, 12));
        EXPECT_EQ(le(&got[sm + 796 + 96], 8), dumpgen::prstatus_reg(cpu, 15));
        EXPECT_EQ(le(&got[sm + 940], 4), dumpgen::prstatus_reg(cpu, 13));
      }
      EXPECT_EQ(le(&got[sm + 992], 8) & 0x400, bits == 64 ? 0x400u : 0u);  // EFER.LMA
    }
    // Bitmaps and data: everything after the sub header.
    EXPECT_EQ(0, std::memcmp(got.data() + 3 * 4096, want.data() + 3 * 4096, got.size() - 3 * 4096));
    EXPECT_TRUE(has(warnings, "VMCOREINFO"));
  }
}

TEST(SadumpWriter, SystemRegistersFromVmcoreinfo) {
  DumpSpec spec = small_spec();
  spec.vmcoreinfo =
      "OSRELEASE=6.1.0\nSYMBOL(swapper_pg_dir)=ffffffff82000000\nNUMBER(phys_base)=-16777216\n"
      "NUMBER(pgtable_l5_enabled)=1\n";
  spec.format = dumpgen::Format::kdump;
  auto src = open_set({dumpgen::generate(spec)});
  ASSERT_TRUE(src) << src.error().message;
  auto out = convert(**src, "sadump");
  ASSERT_TRUE(out) << out.error().message;
  const size_t sm = 8192 + 4 + 2 * 16;
  EXPECT_EQ(le(&(*out)[sm + 1008], 8), 0x2000000u - 0x1000000u);  // cr3 = __pa(pgd)
  EXPECT_EQ(le(&(*out)[sm + 576], 4), 0x20u | 0x1000u);           // cr4: PAE | LA57
  EXPECT_EQ(le(&(*out)[sm + 472], 4), 0xfffffe00u);               // IDTR high
  EXPECT_EQ(le(&(*out)[sm + 660], 4), 0u);                        // IDTR low
  // sadump -> kdump keeps the registers as notes, including QEMU's with CR3.
  auto back = open_set({*out});
  ASSERT_TRUE(back);
  auto kd = convert(**back, "kdump");
  ASSERT_TRUE(kd) << kd.error().message;
  auto rk = open_set({*kd});
  ASSERT_TRUE(rk) << rk.error().message;
  int prstatus = 0;
  for (const Note& n : (*rk)->info().notes) {
    if (n.name == "CORE" && n.type == 1) {
      EXPECT_EQ(le(n.desc, 112 + 8 * 16, 8), dumpgen::prstatus_reg(prstatus, 16));  // rip
      ++prstatus;
    }
    if (n.name == "QEMU") {
      EXPECT_EQ(le(n.desc, 392 + 24, 8), 0x1000000u);
    }
  }
  EXPECT_EQ(prstatus, 2);
  expect_pages(
      [&] {
        DumpSpec s = spec;
        s.ram_only.clear();  // kdump from dumpgen: RAM-only pages are in the 1st bitmap
        s.ram_only = spec.ram_only;
        return s;
      }(),
      **rk);
}

TEST(SadumpWriter, RefusesOtherArchitecturesAndMisuse) {
  MemorySink sink;
  DumpInfo in;
  in.arch = Arch::arm64;
  PfnSet none;
  auto w = find_format("sadump")->create_writer(sink, {});
  auto st = (*w)->begin(in, none, none);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::unsupported);
  in.arch = Arch::x86_64;
  auto w2 = find_format("sadump")->create_writer(sink, {});
  PfnSet pages;
  pages.insert_range(2, 4);
  ASSERT_TRUE((*w2)->begin(in, pages, pages));
  std::vector<std::byte> page(4096);
  EXPECT_FALSE((*w2)->write_page({7, false, CodecId::none, page}));  // not in the set
  auto w3 = find_format("sadump")->create_writer(sink, {});
  ASSERT_TRUE((*w3)->begin(in, pages, pages));
  ASSERT_TRUE((*w3)->write_page({2, false, CodecId::none, page}));
  EXPECT_FALSE((*w3)->finish());  // page 3 never came
}

TEST(SadumpReader, EveryTruncation) {
  DumpSpec spec = small_spec();
  spec.segments.clear();
  spec.max_mapnr = 40;
  for (SadumpVariant v : {SadumpVariant::single, SadumpVariant::media, SadumpVariant::disk_set}) {
    SadumpOptions opt;
    opt.variant = v;
    auto files = dumpgen::generate_sadump(spec, opt);
    for (size_t which = 0; which < files.size(); ++which) {
      std::vector<size_t> lens;
      for (size_t n = 0; n < files[which].size(); n += n < 0x2100 ? 5 : 397) lens.push_back(n);
      robustness(files, which, lens, [&](const PageSource& s) {
        std::vector<std::byte> buf(4096);
        s.present().for_each_run([&](Pfn a, Pfn b) {
          for (Pfn p = a; p < b; ++p) {
            auto r = s.read_page(p, buf);
            ASSERT_TRUE(r) << r.error().message;
            Bytes want = dumpgen::page_content(spec, p);
            ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), 4096)) << p;
          }
        });
      });
    }
  }
}

TEST(SadumpReader, ByteFlipsAndHostileFields) {
  DumpSpec spec = small_spec();
  spec.segments.clear();
  spec.max_mapnr = 40;
  for (SadumpVariant v : {SadumpVariant::single, SadumpVariant::media, SadumpVariant::disk_set}) {
    SadumpOptions opt;
    opt.variant = v;
    auto files = dumpgen::generate_sadump(spec, opt);
    const size_t base = v == SadumpVariant::media ? 4096 : 0;
    std::vector<size_t> offs;
    for (size_t o = 0; o < 200; ++o) offs.push_back(base + o);              // partition header
    for (size_t o = 4096 - 8; o < 4096 + 8; ++o) offs.push_back(base + o);  // magic end
    const size_t hdr = base + (v == SadumpVariant::disk_set ? 8192 : 4096);
    if (v == SadumpVariant::disk_set) {
      for (size_t o = 0; o < 48; ++o) offs.push_back(base + 4096 + o);
    }
    for (size_t o = 0; o < 120; ++o) offs.push_back(hdr + o);
    for (size_t o = 0; o < 40; ++o) offs.push_back(hdr + 4096 + o);  // sub header
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
  auto f = dumpgen::generate_sadump(spec, SadumpOptions{})[0];
  auto expect_error = [](Bytes b, size_t off, uint64_t v, int size) {
    for (int i = 0; i < size; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
    auto r = open_set({b});
    EXPECT_FALSE(r) << "offset " << off;
  };
  expect_error(f, 4096 + 40, 8192, 4);        // block size differs from the magic's
  expect_error(f, 4096 + 48, 0xffffffff, 4);  // sub header size
  expect_error(f, 4096 + 52, 0, 4);           // bitmap blocks
  expect_error(f, 4096 + 52, 0x7fffffff, 4);  // bitmap blocks past EOF
  expect_error(f, 4096 + 80, 100000, 4);      // nr_cpus
  expect_error(f, 8192, 100, 4);              // SMRAM size below 1024 per CPU
  expect_error(f, 200, 12345, 4);             // magic sequence broken
  expect_error(f, 160, 100, 8);               // used_device below the data area
  // A huge max_mapnr is bounded by the bitmap, with a warning.
  Bytes big = f;
  for (int i = 0; i < 8; ++i) big[4096 + 88 + i] = i == 5 ? 1 : 0;
  auto r = open_set({big});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(has((*r)->info().warnings, "exceeds the bitmaps"));
}

TEST(SadumpRegistry, ProbeVariants) {
  const Format* f = find_format("sadump");
  ASSERT_TRUE(f);
  DumpSpec spec = small_spec();
  for (SadumpVariant v : {SadumpVariant::single, SadumpVariant::media, SadumpVariant::disk_set}) {
    SadumpOptions opt;
    opt.variant = v;
    for (const Bytes& b : dumpgen::generate_sadump(spec, opt)) {
      auto file = mem(b, "x");
      auto p = f->probe(*file);
      ASSERT_TRUE(p);
      EXPECT_TRUE(*p);
    }
  }
  auto none = mem(Bytes(10000, 0), "zeros");
  EXPECT_FALSE(*f->probe(*none));
}

}  // namespace
