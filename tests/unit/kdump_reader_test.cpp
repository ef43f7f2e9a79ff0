// Tests of the kdump-compressed reader: a dump laid out byte by byte here from
// docs/formats.md §3, and the dumpgen matrix (independent of libdumpfmt's writer):
// header versions, 32/64-bit, byte orders, codecs, incomplete and truncated
// files, hostile fields and split sets.
#include <zlib.h>

#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "dumpfmt/codec.h"
#include "dumpfmt/format.h"
#include "dumpfmt/vmcoreinfo.h"
#include "dumpgen.h"
#include "gtest/gtest.h"
#include "read_pages_check.h"

namespace {

using namespace dumpfmt;
using Bytes = std::vector<uint8_t>;
using dumpgen::Codec;
using dumpgen::DumpSpec;
using dumpgen::PageKind;
using dumpgen::PageStatus;

std::unique_ptr<File> mem(const Bytes& b, const std::string& name) {
  std::vector<std::byte> v(b.size());
  if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
  return memory_file(name, std::move(v));
}

Result<std::unique_ptr<PageSource>> open_set(const std::vector<Bytes>& parts,
                                             const std::vector<std::string>& names = {}) {
  std::vector<std::unique_ptr<File>> files;
  for (size_t i = 0; i < parts.size(); ++i) {
    files.push_back(mem(parts[i], i < names.size() ? names[i] : "part" + std::to_string(i + 1)));
  }
  return open_dump_files(std::move(files));
}

Result<std::unique_ptr<PageSource>> open_one(const Bytes& b, const std::string& name = "dump") {
  return open_set({b}, {name});
}

void put(Bytes& b, size_t off, uint64_t v, int size, bool be = false) {
  for (int i = 0; i < size; ++i) {
    int shift = be ? 8 * (size - 1 - i) : 8 * i;
    b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> shift);
  }
}

uint64_t get(const Bytes& b, size_t off, int size) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) v |= uint64_t{b[off + static_cast<size_t>(i)]} << (8 * i);
  return v;
}

Bytes read(const PageSource& s, Pfn pfn, PageState* state = nullptr) {
  std::vector<std::byte> buf(s.info().page_size);
  auto r = s.read_page(pfn, buf);
  EXPECT_TRUE(r) << "PFN " << pfn << ": " << (r ? "" : r.error().message);
  if (state && r) *state = *r;
  Bytes out(buf.size());
  std::memcpy(out.data(), buf.data(), buf.size());
  return out;
}

bool has_warning(const DumpInfo& in, const std::string& part) {
  for (const auto& w : in.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

// Every PFN up to max_pfn (and a few beyond) against dumpgen's oracle.
void check_pages(const DumpSpec& spec, const PageSource& src, int parts = 1) {
  std::map<uint64_t, PageStatus> st;
  for (const auto& p : dumpgen::page_map(spec, parts)) st[p.pfn] = p.status;
  const uint64_t maxp = src.info().max_pfn;
  std::vector<std::byte> buf(src.info().page_size);
  uint64_t n_present = 0;
  for (Pfn p = 0; p < maxp + 3; ++p) {
    auto it = st.find(p);
    PageStatus s = it == st.end() ? PageStatus::absent : it->second;
    bool present = src.present().contains(p);
    switch (s) {
      case PageStatus::present: {
        ++n_present;
        ASSERT_TRUE(present) << "PFN " << p;
        auto r = src.read_page(p, buf);
        ASSERT_TRUE(r) << "PFN " << p << ": " << r.error().message;
        ASSERT_EQ(*r, PageState::present);
        Bytes want = dumpgen::page_content(spec, p);
        ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), want.size())) << "PFN " << p;
        break;
      }
      case PageStatus::excluded:
      case PageStatus::lost: {
        ASSERT_FALSE(present) << "PFN " << p;
        ASSERT_TRUE(src.ram().contains(p)) << "PFN " << p;
        auto r = src.read_page(p, buf);
        ASSERT_TRUE(r);
        ASSERT_EQ(*r, PageState::excluded);
        break;
      }
      case PageStatus::absent:
        ASSERT_FALSE(present) << "PFN " << p;
        ASSERT_FALSE(src.ram().contains(p)) << "PFN " << p;
        break;
    }
  }
  EXPECT_EQ(src.present().count(), n_present);
  expect_read_pages_agree(src);
}

DumpSpec mixed_spec(const std::string& arch, Codec codec = Codec::zlib) {
  DumpSpec s;
  s.format = dumpgen::Format::kdump;
  s.arch = arch;
  s.kdump.codec = codec;
  s.nr_cpus = 2;
  s.pages = {dumpgen::page(0),
             dumpgen::page(1, PageKind::random),
             dumpgen::page(2, PageKind::zero),
             dumpgen::page(3),
             dumpgen::page(7),
             dumpgen::page(8, PageKind::zero),
             dumpgen::page(40),
             dumpgen::page(41, PageKind::random)};
  s.ram_only = {4, 5, 6, 39};
  s.kdump.phys_base = 0x2000000;
  return s;
}

// ---------------------------------------------------------------------------
// A dump written field by field from docs/formats.md §3 (64-bit LE, version 6).

Bytes zlib_page(const Bytes& page) {
  uLongf n = compressBound(static_cast<uLong>(page.size()));
  Bytes out(n);
  EXPECT_EQ(Z_OK, compress2(out.data(), &n, page.data(), static_cast<uLong>(page.size()), 1));
  out.resize(n);
  return out;
}

Bytes pattern(uint8_t seed, size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i / 64);
  return b;
}

struct HandOptions {
  std::string signature = "KDUMP   ";
  int version = 6;
  bool single_bitmap = false;
};

// PFN 1 raw, PFN 2 zlib, PFN 5 the shared zero page; RAM = {0,1,2,3,5}; max_mapnr 8.
Bytes hand_built(const HandOptions& o = {}) {
  const size_t bs = 4096;
  const std::string vmci = "OSRELEASE=6.1.0-hand\nPAGESIZE=4096\nCRASHTIME=1700000042\n";
  Bytes f(bs * 4, 0);
  // disk_dump_header (64-bit layout)
  std::memcpy(f.data(), o.signature.data(), 8);
  put(f, 8, static_cast<uint64_t>(o.version), 4);
  const char* uts[] = {"Linux", "hand", "6.1.0-hand", "#1 SMP", "x86_64", "(none)"};
  for (int i = 0; i < 6; ++i) std::memcpy(f.data() + 12 + 65 * i, uts[i], std::strlen(uts[i]));
  put(f, 408, 1700000001, 8);               // timestamp.tv_sec
  put(f, 424, 1, 4);                        // status: zlib
  put(f, 428, bs, 4);                       // block_size
  put(f, 432, 1, 4);                        // sub_hdr_size
  put(f, 436, o.single_bitmap ? 1 : 2, 4);  // bitmap_blocks
  put(f, 440, 8, 4);                        // max_mapnr
  put(f, 460, 3, 4);                        // nr_cpus
  // kdump_sub_header (64-bit) at block 1, the VMCOREINFO note right after it
  put(f, bs + 0, 0x1a000000, 8);  // phys_base
  put(f, bs + 8, 31, 4);          // dump_level
  const size_t note = bs + 104;
  put(f, note, 11, 4);
  put(f, note + 4, vmci.size(), 4);
  put(f, note + 8, 0, 4);
  std::memcpy(f.data() + note + 12, "VMCOREINFO", 11);
  std::memcpy(f.data() + note + 24, vmci.data(), vmci.size());
  const size_t note_size = 24 + ((vmci.size() + 3) & ~size_t{3});
  if (o.version >= 3) {
    put(f, bs + 32, note + 24, 8);  // offset_vmcoreinfo
    put(f, bs + 40, vmci.size(), 8);
  }
  if (o.version >= 4) {
    put(f, bs + 48, note, 8);  // offset_note
    put(f, bs + 56, note_size, 8);
  }
  if (o.version >= 6) put(f, bs + 96, 8, 8);  // max_mapnr_64
  // bitmaps: 1st = RAM, 2nd = dumpable
  size_t d = 2 * bs;
  if (o.single_bitmap) {
    f[2 * bs] = 0x26;
    d = 3 * bs;
  } else {
    f[2 * bs] = 0x2f;
    f[3 * bs] = 0x26;
    f.resize(bs * 5);
    d = 4 * bs;
  }
  // descriptors for PFNs 1, 2, 5, then data: zero page, PFN 1 raw, PFN 2 zlib
  const size_t data = d + 3 * 24;
  Bytes raw = pattern(0x10, bs), packed = zlib_page(pattern(0x20, bs));
  const size_t off_zero = data, off_raw = data + bs, off_z = data + 2 * bs;
  f.resize(off_z + packed.size());
  std::memcpy(f.data() + off_raw, raw.data(), bs);
  std::memcpy(f.data() + off_z, packed.data(), packed.size());
  put(f, d + 0, off_raw, 8);
  put(f, d + 8, bs, 4);
  put(f, d + 24, off_z, 8);
  put(f, d + 32, packed.size(), 4);
  put(f, d + 36, 1, 4);
  put(f, d + 48, off_zero, 8);
  put(f, d + 56, bs, 4);
  return f;
}

TEST(KdumpReader, HandBuiltVersion6) {
  auto r = open_one(hand_built(), "hand.kdump");
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  const DumpInfo& in = s.info();
  EXPECT_EQ(in.format, "kdump");
  EXPECT_EQ(in.arch, Arch::x86_64);
  EXPECT_EQ(in.endian, Endian::little);
  EXPECT_EQ(in.page_size, 4096u);
  EXPECT_EQ(in.max_pfn, 8u);
  EXPECT_EQ(in.header_version, 6u);
  EXPECT_EQ(in.uts.release, "6.1.0-hand");
  EXPECT_EQ(in.uts.nodename, "hand");
  EXPECT_EQ(in.crash_time, 1700000001);
  EXPECT_EQ(in.nr_cpus, 3u);
  EXPECT_EQ(in.phys_base, 0x1a000000);
  EXPECT_EQ(in.dump_level, 31u);
  EXPECT_EQ(in.compression, "zlib");
  ASSERT_TRUE(in.vmcoreinfo);
  EXPECT_EQ(VmcoreinfoText::parse(*in.vmcoreinfo).osrelease(), "6.1.0-hand");
  ASSERT_EQ(in.notes.size(), 1u);
  EXPECT_FALSE(in.incomplete);
  EXPECT_EQ(s.present().count(), 3u);
  EXPECT_EQ(s.ram().count(), 5u);
  EXPECT_TRUE(s.ram().contains(3));
  EXPECT_FALSE(s.present().contains(3));
  EXPECT_EQ(read(s, 1), pattern(0x10, 4096));
  EXPECT_EQ(read(s, 2), pattern(0x20, 4096));
  EXPECT_EQ(read(s, 5), Bytes(4096, 0));
  PageState st = PageState::present;
  std::vector<std::byte> buf(4096);
  ASSERT_TRUE(s.read_page(3, buf));
  EXPECT_EQ(*s.read_page(3, buf), PageState::excluded);
  EXPECT_EQ(*s.read_page(7, buf), PageState::excluded);
  EXPECT_EQ(*s.read_page(1000, buf), PageState::excluded);
  (void)st;
  std::vector<std::byte> small(100);
  auto bad = s.read_page(1, small);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

TEST(KdumpReader, HandBuiltOlderVersions) {
  for (int v : {1, 3, 4}) {
    HandOptions o;
    o.version = v;
    auto r = open_one(hand_built(o));
    ASSERT_TRUE(r) << "v" << v << ": " << r.error().message;
    const DumpInfo& in = (*r)->info();
    EXPECT_EQ(in.header_version, static_cast<uint32_t>(v));
    EXPECT_EQ(in.max_pfn, 8u);
    EXPECT_EQ(in.dump_level, 31u);
    // v1 has no VMCOREINFO location; v3 finds it through offset_vmcoreinfo; v4 through notes.
    EXPECT_EQ(in.vmcoreinfo.has_value(), v >= 3) << v;
    EXPECT_EQ(in.notes.size(), v >= 4 ? 1u : 0u) << v;
    EXPECT_EQ(read(**r, 2), pattern(0x20, 4096));
  }
}

TEST(KdumpReader, OldDiskdumpSingleBitmap) {
  HandOptions o;
  o.signature = "DISKDUMP";
  o.version = 1;
  o.single_bitmap = true;
  auto r = open_one(hand_built(o));
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_NE(s.info().variant.find("diskdump"), std::string::npos);
  EXPECT_TRUE(has_warning(s.info(), "one page bitmap"));
  EXPECT_EQ(s.present().count(), 3u);
  EXPECT_EQ(s.ram().count(), 3u);
  EXPECT_EQ(read(s, 1), pattern(0x10, 4096));
  EXPECT_EQ(read(s, 2), pattern(0x20, 4096));
}

// ---------------------------------------------------------------------------
// The dumpgen matrix.

TEST(KdumpReader, VersionsWordSizesAndByteOrders) {
  struct Case {
    const char* arch;
    Arch want;
    Endian endian;
    const char* variant;
  };
  const Case cases[] = {{"x86_64", Arch::x86_64, Endian::little, "64-bit LE"},
                        {"i686", Arch::x86, Endian::little, "32-bit LE"},
                        {"arm", Arch::arm, Endian::little, "32-bit LE"},
                        {"s390x", Arch::s390x, Endian::big, "64-bit BE"},
                        {"ppc", Arch::ppc, Endian::big, "32-bit BE"},
                        {"aarch64", Arch::arm64, Endian::little, "64-bit LE"}};
  for (const Case& c : cases) {
    for (int v = 0; v <= 6; ++v) {
      SCOPED_TRACE(std::string(c.arch) + " v" + std::to_string(v));
      DumpSpec spec = mixed_spec(c.arch);
      spec.kdump.header_version = v;
      spec.eraseinfo = "erase foo size 4\n";
      if (std::string(c.arch) == "aarch64") spec.page_size = 16384;
      auto r = open_one(dumpgen::generate(spec));
      ASSERT_TRUE(r) << r.error().message;
      const DumpInfo& in = (*r)->info();
      EXPECT_EQ(in.arch, c.want);
      EXPECT_EQ(in.endian, c.endian);
      EXPECT_NE(in.variant.find(c.variant), std::string::npos) << in.variant;
      EXPECT_EQ(in.page_size, spec.page_size);
      EXPECT_EQ(in.max_pfn, 42u);
      EXPECT_EQ(in.header_version, static_cast<uint32_t>(v));
      EXPECT_EQ(in.uts.release, "6.1.0-dumpgen");
      EXPECT_EQ(in.crash_time, 1700000000);
      EXPECT_EQ(in.nr_cpus, 2u);
      if (v >= 1) {
        EXPECT_EQ(in.phys_base, 0x2000000);
        EXPECT_EQ(in.dump_level, 1u);
      }
      EXPECT_EQ(in.vmcoreinfo.has_value(), v >= 3);
      if (v >= 4) {
        ASSERT_EQ(in.notes.size(), 3u);
        EXPECT_EQ(in.notes[0].name, "CORE");
        EXPECT_EQ(in.notes[0].type, kNtPrstatus);
      }
      EXPECT_EQ(in.eraseinfo, v >= 5 ? spec.eraseinfo : "");
      check_pages(spec, **r);
    }
  }
}

// A padded (ARM) sub-header without VMCOREINFO: only the note location tells
// the layouts apart.
TEST(KdumpReader, PaddedSubHeaderWithoutVmcoreinfo) {
  for (const char* arch : {"arm", "i686"}) {
    SCOPED_TRACE(arch);
    DumpSpec spec = mixed_spec(arch);
    spec.with_vmcoreinfo = false;
    auto r = open_one(dumpgen::generate(spec));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE((*r)->info().vmcoreinfo);
    ASSERT_EQ((*r)->info().notes.size(), 2u);
    EXPECT_EQ((*r)->info().notes[0].name, "CORE");
    EXPECT_EQ((*r)->info().phys_base, 0x2000000);
    check_pages(spec, **r);
  }
}

TEST(KdumpReader, EveryCodecAndMixedPages) {
  for (Codec c : {Codec::none, Codec::zlib, Codec::lzo, Codec::snappy, Codec::zstd}) {
    if (!dumpgen::codec_available(c)) continue;
    SCOPED_TRACE(dumpgen::codec_name(c));
    DumpSpec spec = mixed_spec("x86_64", c);
    auto r = open_one(dumpgen::generate(spec));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().compression, dumpgen::codec_name(c));
    auto cid = codec_from_name(dumpgen::codec_name(c));
    if (cid && !codec_built(*cid)) {
      std::vector<std::byte> buf(4096);
      auto p = (*r)->read_page(0, buf);
      ASSERT_FALSE(p);
      EXPECT_EQ(p.error().code, Errc::not_built);
      continue;
    }
    check_pages(spec, **r);
  }
  // Per-page codecs differ from the header's choice: page flags decide.
  DumpSpec spec = mixed_spec("x86_64", Codec::zlib);
  const Codec per_page[] = {Codec::none, Codec::lzo, Codec::snappy, Codec::zstd, Codec::zlib};
  size_t k = 0;
  for (auto& p : spec.pages) {
    Codec c = per_page[k++ % 5];
    if (dumpgen::codec_available(c)) p.codec = c;
  }
  auto r = open_one(dumpgen::generate(spec));
  ASSERT_TRUE(r) << r.error().message;
  check_pages(spec, **r);
}

TEST(KdumpReader, NoSharedZeroPage) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.kdump.shared_zero_page = false;
  auto r = open_one(dumpgen::generate(spec));
  ASSERT_TRUE(r) << r.error().message;
  check_pages(spec, **r);
}

TEST(KdumpReader, LargeSparseDumpAcrossPrefixBlocks) {
  DumpSpec spec;
  spec.format = dumpgen::Format::kdump;
  spec.page_size = 1024;
  spec.kdump.codec = Codec::zlib;
  // Runs that straddle the reader's 4096-PFN count blocks and PfnSet chunks.
  spec.segments = {{0, 5000ull * 1024, dumpgen::Fill::sparse_pattern, 37},
                   {6000ull * 1024, 30000ull * 1024, dumpgen::Fill::sparse_pattern, 101},
                   {40000ull * 1024, 3ull * 1024, dumpgen::Fill::pattern, 1},
                   {70001ull * 1024, 1024, dumpgen::Fill::pattern, 1}};
  for (uint64_t p = 36000; p < 39000; p += 300) spec.ram_only.push_back(p);
  auto r = open_one(dumpgen::generate(spec));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().max_pfn, 70002u);
  check_pages(spec, **r);
}

TEST(KdumpReader, ConcurrentReads) {
  DumpSpec spec;
  spec.format = dumpgen::Format::kdump;
  spec.segments = {{0, 600ull * 4096, dumpgen::Fill::sparse_pattern, 3}};
  spec.kdump.codec = Codec::zlib;
  Bytes file = dumpgen::generate(spec);
  auto r = open_one(file);
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::byte> buf(4096);
      for (int round = 0; round < 3; ++round) {
        for (Pfn p = static_cast<Pfn>(t); p < 600; p += 1) {
          auto st = s.read_page(p, buf);
          Bytes want = dumpgen::page_content(spec, p);
          if (!st || std::memcmp(buf.data(), want.data(), 4096) != 0) ++bad[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

// ---------------------------------------------------------------------------
// Incomplete and truncated dumps.

TEST(KdumpReader, IncompleteFlagAndEmptyDescriptors) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.incomplete_after_pfn = 3;
  auto r = open_one(dumpgen::generate(spec), "cut.kdump");
  ASSERT_TRUE(r) << r.error().message;
  const DumpInfo& in = (*r)->info();
  EXPECT_TRUE(in.incomplete);
  EXPECT_EQ(in.lost_from, 7u);
  EXPECT_TRUE(has_warning(in, "marked incomplete"));
  EXPECT_TRUE(has_warning(in, "lost"));
  check_pages(spec, **r);
}

TEST(KdumpReader, IncompleteFlagWithNothingLost) {
  Bytes f = dumpgen::generate(mixed_spec("x86_64"));
  put(f, 424, get(f, 424, 4) | 0x8, 4);
  auto r = open_one(f);
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)->info().incomplete);
  EXPECT_FALSE((*r)->info().lost_from);
  check_pages(mixed_spec("x86_64"), **r);
}

// Every prefix of a small dump opens as an Error or as exactly the pages that
// survived (dumpgen's oracle for a file cut at that length), never a crash.
TEST(KdumpReader, EveryTruncation) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.page_size = 1024;
  spec.pages.push_back(dumpgen::page(43, PageKind::zero));
  spec.pages.push_back(dumpgen::page(44));
  const Bytes full = dumpgen::generate(spec);
  size_t opened = 0;
  for (size_t len = 0; len <= full.size(); ++len) {
    Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    auto r = open_one(cut);
    if (!r) continue;
    ++opened;
    DumpSpec cspec = spec;
    if (len < full.size()) cspec.truncate_bytes = len;
    check_pages(cspec, **r);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "at length " << len;
      return;
    }
    bool lost = false;
    for (const auto& p : dumpgen::page_map(cspec)) lost |= p.status == PageStatus::lost;
    EXPECT_EQ((*r)->info().incomplete, lost) << len;
  }
  EXPECT_GT(opened, full.size() / 2);
}

TEST(KdumpReader, TruncatedFlattenedStreamIsRefused) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.flat.enabled = true;
  Bytes full = dumpgen::generate(spec);
  ASSERT_TRUE(open_one(full));
  Bytes cut(full.begin(), full.end() - 16);  // no end marker
  auto r = open_one(cut);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::truncated);
}

// ---------------------------------------------------------------------------
// Hostile and odd headers.

TEST(KdumpReader, NewerHeaderVersionReadsAsSix) {
  DumpSpec spec = mixed_spec("x86_64");
  Bytes f = dumpgen::generate(spec);
  put(f, 8, 9, 4);
  auto r = open_one(f);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().header_version, 9u);
  EXPECT_TRUE(has_warning((*r)->info(), "newer"));
  check_pages(spec, **r);
}

TEST(KdumpReader, PrefersMaxMapnr64) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.max_mapnr = 100;
  Bytes f = dumpgen::generate(spec);
  put(f, 440, 50, 4);  // the 32-bit copy disagrees
  auto r = open_one(f);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().max_pfn, 100u);
}

TEST(KdumpReader, QemuStyleEmptyMachineAndMisparsedPhysBase) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.vmcoreinfo = "OSRELEASE=6.1.0\nPAGESIZE=4096\nNUMBER(phys_base)=-320864256\n";
  spec.kdump.phys_base = static_cast<uint64_t>(-13430571606LL);
  Bytes f = dumpgen::generate(spec);
  std::memset(f.data() + 12 + 4 * 65, 0, 65);  // utsname.machine
  auto r = open_one(f);
  ASSERT_TRUE(r) << r.error().message;
  const DumpInfo& in = (*r)->info();
  EXPECT_EQ(in.arch, Arch::x86_64);
  EXPECT_TRUE(has_warning(in, "machine is empty"));
  EXPECT_EQ(in.phys_base, -320864256);
  EXPECT_TRUE(has_warning(in, "phys_base"));
  check_pages(spec, **r);

  // Nothing to guess from: still opens, arch unknown, with a warning.
  DumpSpec bare = mixed_spec("x86_64");
  bare.nr_cpus = 0;
  bare.vmcoreinfo = "OSRELEASE=6.1.0\n";
  Bytes g = dumpgen::generate(bare);
  std::memset(g.data() + 12 + 4 * 65, 0, 65);
  auto r2 = open_one(g);
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ((*r2)->info().arch, Arch::unknown);
  EXPECT_TRUE(has_warning((*r2)->info(), "no note"));
}

TEST(KdumpReader, HostileHeaders) {
  const Bytes good = dumpgen::generate(mixed_spec("x86_64"));
  auto expect_error = [&](Bytes f, const char* what) {
    auto r = open_one(f);
    EXPECT_FALSE(r) << what;
    if (!r) {
      EXPECT_NE(r.error().message.find("dump"), std::string::npos) << r.error().message;
    }
  };
  Bytes f = good;
  put(f, 436, 0, 4);  // bitmap_blocks 0 (every layout)
  expect_error(f, "bitmap_blocks 0");
  f = good;
  put(f, 428, 3000, 4);  // block_size not a power of two
  expect_error(f, "block_size 3000");
  f = good;
  put(f, 432, 0x7fffffff, 4);  // sub_hdr_size far past the end
  expect_error(f, "huge sub_hdr_size");
  f = good;
  put(f, 436, 0xffffffff, 4);  // bitmaps far past the end
  expect_error(f, "huge bitmap_blocks");
  expect_error(Bytes(good.begin(), good.begin() + 300), "short header");

  // A huge max_mapnr_64 is clamped to what the bitmaps can hold (no huge tables).
  f = good;
  put(f, 4096 + 96, uint64_t{1} << 60, 8);
  auto r = open_one(f);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_LE((*r)->info().max_pfn, 8u * 4096);
  EXPECT_TRUE(has_warning((*r)->info(), "max_mapnr"));
  check_pages(mixed_spec("x86_64"), **r);

  // Notes pointing past the end: a warning, the pages stay readable.
  f = good;
  put(f, 4096 + 48, f.size() + 100, 8);
  r = open_one(f);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)->info().notes.empty());
  EXPECT_TRUE(has_warning((*r)->info(), "note"));
}

TEST(KdumpReader, HostileDescriptors) {
  const DumpSpec spec = mixed_spec("x86_64");
  const Bytes good = dumpgen::generate(spec);
  std::map<uint64_t, dumpgen::PageInfo> pm;
  for (const auto& p : dumpgen::page_map(spec)) pm[p.pfn] = p;
  ASSERT_EQ(pm[0].flags, 1u);
  ASSERT_EQ(pm[1].flags, 0u);

  auto read_err = [&](const Bytes& f, Pfn pfn) -> Error {
    auto r = open_one(f, "bad.kdump");
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    std::vector<std::byte> buf(4096);
    auto p = (*r)->read_page(pfn, buf);
    EXPECT_FALSE(p) << "PFN " << pfn;
    expect_read_pages_agree(**r);  // chunked reads fail there too, and only there
    return p ? Error{} : p.error();
  };
  // Data past the end of the file (in the middle of the table).
  Bytes f = good;
  put(f, pm[3].desc_offset, f.size() + 4096, 8);
  {
    auto r = open_one(f);
    ASSERT_TRUE(r);
    std::vector<std::byte> buf(4096);
    auto p = (*r)->read_page(3, buf);
    // Either classified as lost at open or reported when read; never garbage.
    if ((*r)->present().contains(3)) {
      ASSERT_FALSE(p);
      EXPECT_EQ(p.error().code, Errc::truncated);
    }
  }
  // Offset into the headers.
  f = good;
  put(f, pm[0].desc_offset, 100, 8);
  Error e = read_err(f, 0);
  EXPECT_EQ(e.code, Errc::corrupt);
  EXPECT_NE(e.message.find("PFN 0x0"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("bad.kdump"), std::string::npos) << e.message;
  // A raw page whose size is not the block size.
  f = good;
  put(f, pm[1].desc_offset + 8, 4000, 4);
  EXPECT_EQ(read_err(f, 1).code, Errc::corrupt);
  // Compressed size larger than a page.
  f = good;
  put(f, pm[0].desc_offset + 8, 5000, 4);
  EXPECT_EQ(read_err(f, 0).code, Errc::corrupt);
  // Damaged zlib data: corrupt, naming the PFN and the data offset.
  f = good;
  for (uint64_t i = 2; i < pm[0].size; ++i) f[pm[0].offset + i] ^= 0x5a;
  e = read_err(f, 0);
  EXPECT_EQ(e.code, Errc::corrupt);
  EXPECT_NE(e.message.find("PFN 0x0"), std::string::npos) << e.message;
  char off[32];
  std::snprintf(off, sizeof off, "0x%llx", static_cast<unsigned long long>(pm[0].offset));
  EXPECT_NE(e.message.find(off), std::string::npos) << e.message;
  // Unknown page flag; two codec flags at once.
  f = good;
  put(f, pm[0].desc_offset + 12, 0x41, 4);
  EXPECT_EQ(read_err(f, 0).code, Errc::unsupported);
  f = good;
  put(f, pm[0].desc_offset + 12, 0x3, 4);
  EXPECT_EQ(read_err(f, 0).code, Errc::corrupt);
  // Overlapping descriptors: PFN 3 points at PFN 0's data; both read it.
  f = good;
  for (int i = 0; i < 24; ++i) {
    f[pm[3].desc_offset + static_cast<uint64_t>(i)] =
        f[pm[0].desc_offset + static_cast<uint64_t>(i)];
  }
  auto r = open_one(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(read(**r, 3), dumpgen::page_content(spec, 0));
  expect_read_pages_agree(**r);
}

// Single-byte damage anywhere in the headers and bitmaps: an Error or a
// readable dump, never a crash or a hang.
TEST(KdumpReader, HeaderByteFlips) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.page_size = 512;
  const Bytes good = dumpgen::generate(spec);
  std::vector<std::byte> buf(512);
  for (size_t i = 0; i < std::min<size_t>(good.size(), 6 * 512); ++i) {
    for (uint8_t x : {uint8_t{0xff}, uint8_t{0x80}, uint8_t{0x01}}) {
      Bytes f = good;
      f[i] ^= x;
      auto r = open_one(f);
      if (!r) continue;
      const PageSource& s = **r;
      if (s.info().page_size != 512) continue;
      for (Pfn p = 0; p < 48; ++p) (void)s.read_page(p, buf);
    }
  }
}

// ---------------------------------------------------------------------------
// Split sets.

TEST(KdumpReader, SplitSet) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.kdump.split_at = {3, 8};
  auto parts = dumpgen::generate_split(spec, 3);
  ASSERT_EQ(parts.size(), 3u);
  // Any order.
  auto r = open_set({parts[2], parts[0], parts[1]}, {"p3", "p1", "p2"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE((*r)->info().variant.find("split set of 3"), std::string::npos);
  EXPECT_FALSE((*r)->info().split_range);
  check_pages(spec, **r, 3);

  // One part alone: only its range, with a warning.
  auto one = open_one(parts[1], "p2");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ((*one)->info().split_range, std::make_pair(Pfn{3}, Pfn{8}));
  EXPECT_TRUE(has_warning((*one)->info(), "only PFNs"));
  EXPECT_EQ((*one)->present().count(), 2u);  // PFNs 3 and 7
  EXPECT_EQ(read(**one, 7), dumpgen::page_content(spec, 7));
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(*(*one)->read_page(0, buf), PageState::excluded);
}

TEST(KdumpReader, SplitSetErrors) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.kdump.split_at = {3, 8};
  auto parts = dumpgen::generate_split(spec, 3);
  auto expect = [&](const std::vector<Bytes>& set, const std::vector<std::string>& names,
                    const std::string& words) {
    auto r = open_set(set, names);
    ASSERT_FALSE(r) << words;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  };
  expect({parts[0], parts[1], parts[1], parts[2]}, {"a", "b", "c", "d"}, "given twice");
  expect({parts[0], parts[2]}, {"a", "c"}, "no part holds PFNs 0x3-0x8");
  expect({parts[0], parts[1]}, {"a", "b"}, "no part holds PFNs 0x8-0x2a");
  expect({parts[1], parts[2]}, {"b", "c"}, "no part holds PFNs 0x0-0x3");
  DumpSpec other = spec;
  other.crash_time = 1700000099;
  auto foreign = dumpgen::generate_split(other, 3);
  expect({parts[0], foreign[1], parts[2]}, {"a", "alien", "c"}, "alien: header differs");
  DumpSpec whole = mixed_spec("x86_64");
  expect({parts[0], dumpgen::generate(whole)}, {"a", "whole"}, "whole: not a split dump part");
  // Overlap: a part from a set split elsewhere (same main header).
  DumpSpec shifted = spec;
  shifted.kdump.split_at = {2, 8};
  auto sh = dumpgen::generate_split(shifted, 3);
  expect({parts[0], sh[1], parts[2]}, {"a", "b'", "c"}, "overlaps");
}

TEST(KdumpReader, SplitSetWithIncompletePart) {
  DumpSpec spec = mixed_spec("x86_64");
  spec.kdump.split_at = {3, 8};
  spec.incomplete_after_pfn = 3;
  auto parts = dumpgen::generate_split(spec, 3);
  auto r = open_set(parts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)->info().incomplete);
  check_pages(spec, **r, 3);
}

}  // namespace
