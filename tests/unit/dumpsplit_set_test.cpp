// Split sets as one dump: parts written by libdumpfmt's kdump writer (as
// dumpsplit writes them) read back page for page against dumpgen, and sets
// mixing parts of different dumps whose main headers are equal (notes,
// sub-header or bitmaps differ) refused with the part named.
#include <cstring>
#include <string>
#include <vector>

#include "dumpfmt/format.h"
#include "dumpfmt/output.h"
#include "dumpfmt/pipeline.h"
#include "dumpgen.h"
#include "gtest/gtest.h"

namespace {

using namespace dumpfmt;
using Bytes = std::vector<uint8_t>;
using dumpgen::DumpSpec;
using dumpgen::PageKind;

std::unique_ptr<File> mem(std::span<const uint8_t> b, const std::string& name) {
  std::vector<std::byte> v(b.size());
  if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
  return memory_file(name, std::move(v));
}

Result<std::unique_ptr<PageSource>> open_set(const std::vector<Bytes>& parts,
                                             const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<File>> files;
  for (size_t i = 0; i < parts.size(); ++i) files.push_back(mem(parts[i], names.at(i)));
  return open_dump_files(std::move(files));
}

// 48 PFNs: pattern, zero and random pages, holes and RAM the dump leaves out.
DumpSpec spec48() {
  DumpSpec s;
  s.format = dumpgen::Format::kdump;
  s.nr_cpus = 2;
  for (uint64_t p = 0; p < 40; ++p) {
    if (p == 12 || p == 13 || p == 24) continue;  // holes
    s.pages.push_back(dumpgen::page(p, p % 5 == 0   ? PageKind::zero
                                       : p % 7 == 0 ? PageKind::random
                                                    : PageKind::pattern));
  }
  s.ram_only = {40, 41};
  for (uint64_t p = 42; p < 48; ++p) s.pages.push_back(dumpgen::page(p));
  return s;
}

void expect_refused(const std::vector<Bytes>& set, const std::vector<std::string>& names,
                    const std::string& words) {
  auto r = open_set(set, names);
  ASSERT_FALSE(r) << words;
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
}

TEST(DumpsplitSet, PartsOfAnotherDumpWithTheSameMainHeader) {
  DumpSpec spec = spec48();
  spec.kdump.split_at = {16, 32};
  auto parts = dumpgen::generate_split(spec, 3);
  ASSERT_TRUE(open_set(parts, {"a", "b", "c"}));

  // Other CPU notes (another crash of the same kernel at the same second).
  spec.extra_notes.push_back({"QEMU", 0x13, Bytes(32, 7)});
  parts = dumpgen::generate_split(spec, 3);
  DumpSpec notes = spec;
  notes.extra_notes.back().desc[5] = 8;
  auto n = dumpgen::generate_split(notes, 3);
  expect_refused({parts[0], n[1], parts[2]}, {"a", "alien", "c"},
                 "alien: ELF note area differs from a's: the files are not parts of the same dump");

  // Other dump level.
  DumpSpec level = spec;
  level.kdump.dump_level = 31;
  auto l = dumpgen::generate_split(level, 3);
  expect_refused({parts[0], parts[1], l[2]}, {"a", "b", "alien"}, "alien: sub-header");

  // Other pages in the foreign part's own range: its descriptors would be
  // counted against the wrong bitmap.
  DumpSpec pages = spec;
  pages.pages.erase(pages.pages.begin() + 18);  // PFN 20 (of [16, 32)) becomes RAM left out
  ASSERT_EQ(pages.pages[18].pfn, 21u);
  pages.ram_only.push_back(20);
  auto p = dumpgen::generate_split(pages, 3);
  expect_refused({parts[0], p[1], parts[2]}, {"a", "alien", "c"},
                 "alien: 2nd (dumpable) bitmap over its PFNs 0x10-0x20 differs");
  DumpSpec ram = spec;
  ram.ram_only.push_back(24);  // a hole becomes RAM left out
  auto q = dumpgen::generate_split(ram, 3);
  expect_refused({q[0], parts[1], parts[2]}, {"alien", "b", "c"},
                 "b: 1st (RAM) bitmap over its PFNs 0x10-0x20 differs from alien's");
}

TEST(DumpsplitSet, BitmapsOutsideAPartsRangeAreNotItsConcern) {
  // A part whose bitmaps differ only outside its own range still reads
  // correctly (its descriptors count only its own range), so it passes.
  DumpSpec spec = spec48();
  spec.kdump.split_at = {16, 32};
  auto parts = dumpgen::generate_split(spec, 3);
  DumpSpec other = spec;
  other.pages.erase(other.pages.begin() + 3);  // PFN 3, in part 1's range
  auto o = dumpgen::generate_split(other, 3);
  auto r = open_set({parts[0], parts[1], o[2]}, {"a", "b", "c'"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)->present().contains(3));  // part a's bitmaps serve the set
}

// Writes `src` as split parts with the library's kdump writer, as dumpsplit
// does: every part laid out for the whole dump, given only its range's pages.
std::vector<Bytes> write_parts(const PageSource& src,
                               const std::vector<std::pair<Pfn, Pfn>>& ranges, CodecId codec) {
  std::vector<Bytes> out;
  for (const auto& r : ranges) {
    MemorySink sink;
    WriteOptions wo;
    wo.codec = codec;
    wo.dump_level = 1;
    wo.split_range = r;
    auto w = find_format("kdump")->create_writer(sink, wo);
    EXPECT_TRUE(w);
    EXPECT_TRUE((*w)->begin(src.info(), src.ram(), src.present()));
    PfnSet mine = src.present();
    mine.erase_range(0, r.first);
    mine.erase_range(r.second, UINT64_MAX);
    PipelineOptions po;
    po.threads = 2;
    auto st = run_pipeline(src, mine, **w, po);
    EXPECT_TRUE(st) << st.error().message;
    EXPECT_TRUE(sink.commit());
    auto b = sink.bytes();
    out.emplace_back(reinterpret_cast<const uint8_t*>(b.data()),
                     reinterpret_cast<const uint8_t*>(b.data()) + b.size());
  }
  return out;
}

TEST(DumpsplitSet, OurPartsReadBackAsTheSource) {
  DumpSpec spec = spec48();
  spec.format = dumpgen::Format::elf;
  Bytes elf = dumpgen::generate(spec);
  std::vector<std::unique_ptr<File>> files;
  files.push_back(mem(elf, "src.elf"));
  OpenOptions oo;
  oo.elf_tail_is_zero = false;  // dumpgen's p_memsz tails are RAM left out
  auto src = open_dump_files(std::move(files), oo);
  ASSERT_TRUE(src) << src.error().message;
  const PageSource& s = **src;
  const Pfn max = std::max(s.info().max_pfn, s.ram().end_bound());
  // Ranges tiling [0, max) and an empty part at the end (as makedumpfile).
  std::vector<std::pair<Pfn, Pfn>> ranges = {{0, 16}, {16, 33}, {33, max}, {max, max}};
  for (CodecId c : {CodecId::zlib, CodecId::zstd, CodecId::none}) {
    if (!codec_built(c)) continue;
    auto parts = write_parts(s, ranges, c);
    auto set = open_set({parts[3], parts[1], parts[0], parts[2]}, {"p4", "p2", "p1", "p3"});
    ASSERT_TRUE(set) << set.error().message;
    const PageSource& t = **set;
    EXPECT_EQ(t.present(), s.present());
    dumpgen::Oracle oracle(spec);
    std::vector<std::byte> buf(4096);
    for (Pfn p = 0; p < 50; ++p) {
      auto want = oracle.expected(p);
      auto st = t.read_page(p, buf);
      ASSERT_TRUE(st) << st.error().message;
      if (!want) {
        EXPECT_EQ(*st, PageState::excluded) << p;
        continue;
      }
      ASSERT_NE(*st, PageState::excluded) << p;
      EXPECT_EQ(0, std::memcmp(buf.data(), want->data(), buf.size())) << "PFN " << p;
    }
    // Every part alone holds exactly its range, and says so.
    for (size_t i = 0; i < parts.size(); ++i) {
      auto one = open_set({parts[i]}, {"one"});
      ASSERT_TRUE(one) << one.error().message;
      EXPECT_EQ((*one)->info().split_range, ranges[i]);
      bool warned = false;
      for (const auto& w : (*one)->info().warnings) warned |= w.find("only PFNs") != w.npos;
      EXPECT_TRUE(warned) << "part " << i;
      EXPECT_EQ((*one)->present().count(),
                s.present().count_range(ranges[i].first, ranges[i].second));
    }
    // A set of one part (everything fitted) is the whole dump, without a warning.
    auto all = write_parts(s, {{0, max}}, c);
    auto whole = open_set({all[0]}, {"all"});
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ((*whole)->present(), s.present());
    EXPECT_TRUE((*whole)->info().warnings.empty()) << (*whole)->info().warnings.front();
    // A part left out, or a part of a different split of the same dump.
    expect_refused({parts[0], parts[2], parts[3]}, {"p1", "p3", "p4"},
                   "no part holds PFNs 0x10-0x21 (before p3)");
    auto other = write_parts(s, {{0, 20}, {20, max}}, c);
    expect_refused({parts[0], other[1], parts[1]}, {"p1", "q2", "p2"},
                   "q2 (PFNs 0x14-0x30) overlaps p2 (PFNs 0x10-0x21)");
  }
}

}  // namespace
