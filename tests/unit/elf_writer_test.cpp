// ELF vmcore writer tests: output is checked three independent ways: by
// hand-parsing it with glibc's <elf.h> structs, with elfutils' libelf (loaded
// at run time, so no link dependency), and by reading it back with our reader.
#include <dlfcn.h>
#include <elf.h>
#include <gelf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dumpfmt/dump_writer.h"
#include "dumpfmt/file.h"
#include "dumpfmt/format.h"
#include "dumpfmt/output.h"

namespace dumpfmt {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kDirectMap = 0xffff888000000000;
constexpr uint64_t kText = 0xffffffff81000000;

std::vector<std::byte> page_fill(uint64_t pfn, uint64_t size = kPage) {
  std::vector<std::byte> p(size);
  for (uint64_t i = 0; i + 8 <= size; i += 8) {
    uint64_t w = (uint64_t{0x5a} << 56) | (pfn << 16) | (i / 8);
    std::memcpy(p.data() + i, &w, 8);
  }
  return p;
}

std::vector<std::byte> text_bytes(const std::string& s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

DumpInfo x86_info(uint32_t page_size = kPage) {
  DumpInfo in;
  in.arch = Arch::x86_64;
  in.endian = Endian::little;
  in.page_size = page_size;
  in.notes.push_back({"CORE", 1, std::vector<std::byte>(336, std::byte{0x11})});
  in.notes.push_back({"CORE", 1, std::vector<std::byte>(336, std::byte{0x22})});
  in.notes.push_back(
      {"VMCOREINFO", 0,
       text_bytes("OSRELEASE=6.1.0-w\nPAGESIZE=" + std::to_string(page_size) + "\n")});
  return in;
}

/// Writes `pages` (PFNs in `zero` as zero pages) and returns the error, if any.
Status write_dump(OutputSink& sink, const DumpInfo& info, const PfnSet& pages,
                  const PfnSet& zero = {}, WriteOptions opts = {}) {
  auto w = find_format("elf")->create_writer(sink, opts);
  if (!w) return w.error();
  EXPECT_EQ((*w)->wanted_codec(), CodecId::none);
  DUMPFMT_TRY((*w)->begin(info, pages, pages));
  Status st = ok();
  pages.for_each_run([&](Pfn lo, Pfn hi) {
    for (Pfn p = lo; p < hi && st; ++p) {
      EncodedPage ep;
      ep.pfn = p;
      std::vector<std::byte> data;
      if (zero.contains(p)) {
        ep.zero = true;
      } else {
        data = page_fill(p, info.page_size);
        ep.data = data;
      }
      st = (*w)->write_page(ep);
    }
  });
  DUMPFMT_TRY(st);
  DUMPFMT_TRY((*w)->finish());
  return sink.commit();
}

PfnSet set_of(std::initializer_list<std::pair<Pfn, Pfn>> runs) {
  PfnSet s;
  for (auto [a, b] : runs) s.insert_range(a, b);
  return s;
}

template <class T>
T at(std::span<const std::byte> b, uint64_t off) {
  T v;
  EXPECT_LE(off + sizeof(T), b.size());
  std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

std::vector<std::byte> slice(std::span<const std::byte> b, uint64_t off, uint64_t n) {
  if (off + n > b.size()) return {};
  return std::vector<std::byte>(b.begin() + static_cast<ptrdiff_t>(off),
                                b.begin() + static_cast<ptrdiff_t>(off + n));
}

Result<std::unique_ptr<PageSource>> reopen(std::span<const std::byte> b) {
  std::vector<std::unique_ptr<File>> files;
  files.push_back(memory_file("out.vmcore", std::vector<std::byte>(b.begin(), b.end())));
  return open_dump_files(std::move(files));
}

// --- libelf, loaded at run time -------------------------------------------

struct LibElf {
  void* h = nullptr;
  decltype(&elf_version) version = nullptr;
  decltype(&elf_memory) memory = nullptr;
  decltype(&elf_end) end = nullptr;
  decltype(&elf_kind) kind = nullptr;
  decltype(&elf_getphdrnum) getphdrnum = nullptr;
  decltype(&gelf_getehdr) getehdr = nullptr;
  decltype(&gelf_getphdr) getphdr = nullptr;
  decltype(&gelf_getclass) getclass = nullptr;

  static const LibElf* get() {
    static LibElf lib = [] {
      LibElf l;
      l.h = dlopen("libelf.so.1", RTLD_NOW | RTLD_LOCAL);
      if (!l.h) return l;
      auto sym = [&](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(l.h, name));
      };
      sym(l.version, "elf_version");
      sym(l.memory, "elf_memory");
      sym(l.end, "elf_end");
      sym(l.kind, "elf_kind");
      sym(l.getphdrnum, "elf_getphdrnum");
      sym(l.getehdr, "gelf_getehdr");
      sym(l.getphdr, "gelf_getphdr");
      sym(l.getclass, "gelf_getclass");
      if (l.version) l.version(EV_CURRENT);
      return l;
    }();
    return lib.getphdr && lib.memory ? &lib : nullptr;
  }
};

struct LibElfView {
  GElf_Ehdr ehdr{};
  int elf_class = 0;
  std::vector<GElf_Phdr> phdrs;
};

/// Parses `b` with libelf; nullopt when libelf is unavailable.
std::optional<LibElfView> libelf_parse(std::span<const std::byte> b) {
  const LibElf* lib = LibElf::get();
  if (!lib) return std::nullopt;
  std::vector<char> copy(reinterpret_cast<const char*>(b.data()),
                         reinterpret_cast<const char*>(b.data()) + b.size());
  Elf* e = lib->memory(copy.data(), copy.size());
  LibElfView v;
  EXPECT_NE(e, nullptr);
  if (!e) return v;
  EXPECT_EQ(lib->kind(e), ELF_K_ELF);
  EXPECT_NE(lib->getehdr(e, &v.ehdr), nullptr);
  v.elf_class = lib->getclass(e);
  size_t n = 0;
  EXPECT_EQ(lib->getphdrnum(e, &n), 0);
  for (size_t i = 0; i < n; ++i) {
    GElf_Phdr p{};
    EXPECT_NE(lib->getphdr(e, static_cast<int>(i), &p), nullptr) << i;
    v.phdrs.push_back(p);
  }
  lib->end(e);
  return v;
}

// --- tests ----------------------------------------------------------------

TEST(ElfWriter, TwoRunsAndZeroPages) {
  DumpInfo info = x86_info();
  info.vaddrs.push_back({0, 4 * kPage, kDirectMap});
  info.vaddrs.push_back({0x10000, 3 * kPage, kDirectMap + 0x10000});
  const PfnSet pages = set_of({{0, 4}, {16, 19}});
  const PfnSet zero = set_of({{2, 3}, {17, 18}});
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, pages, zero));
  const auto b = sink.bytes();

  // (a) by hand, with <elf.h>.
  ASSERT_GE(b.size(), sizeof(Elf64_Ehdr));
  const auto eh = at<Elf64_Ehdr>(b, 0);
  EXPECT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(eh.e_ident[EI_DATA], ELFDATA2LSB);
  EXPECT_EQ(eh.e_ident[EI_VERSION], EV_CURRENT);
  EXPECT_EQ(eh.e_type, ET_CORE);
  EXPECT_EQ(eh.e_machine, EM_X86_64);
  EXPECT_EQ(eh.e_version, EV_CURRENT);
  EXPECT_EQ(eh.e_flags, 0u);
  EXPECT_EQ(eh.e_ehsize, sizeof(Elf64_Ehdr));
  EXPECT_EQ(eh.e_phentsize, sizeof(Elf64_Phdr));
  EXPECT_EQ(eh.e_phoff, sizeof(Elf64_Ehdr));
  ASSERT_EQ(eh.e_phnum, 3);
  EXPECT_EQ(eh.e_shnum, 0);
  EXPECT_EQ(eh.e_shoff, 0u);

  const auto note = at<Elf64_Phdr>(b, 64);
  const auto l1 = at<Elf64_Phdr>(b, 64 + 56);
  const auto l2 = at<Elf64_Phdr>(b, 64 + 112);
  EXPECT_EQ(note.p_type, PT_NOTE);
  EXPECT_EQ(note.p_offset, 64u + 3 * 56);
  // 2 x (12 + "CORE\0" padded to 8 + 336) + (12 + "VMCOREINFO\0" padded to 12 + text)
  EXPECT_EQ(note.p_filesz, 2u * 356 + 24 + (info.notes[2].desc.size() + 3) / 4 * 4);
  EXPECT_EQ(l1.p_type, PT_LOAD);
  EXPECT_EQ(l1.p_paddr, 0u);
  EXPECT_EQ(l1.p_vaddr, kDirectMap);
  EXPECT_EQ(l1.p_filesz, 4 * kPage);
  EXPECT_EQ(l1.p_memsz, 4 * kPage);
  EXPECT_EQ(l1.p_offset % kPage, 0u);
  EXPECT_GE(l1.p_offset, note.p_offset + note.p_filesz);
  EXPECT_EQ(l2.p_type, PT_LOAD);
  EXPECT_EQ(l2.p_paddr, 0x10000u);
  EXPECT_EQ(l2.p_vaddr, kDirectMap + 0x10000);
  EXPECT_EQ(l2.p_filesz, 3 * kPage);
  EXPECT_EQ(l2.p_offset, l1.p_offset + 4 * kPage);
  EXPECT_EQ(b.size(), l2.p_offset + 3 * kPage);
  const std::vector<std::byte> zeros(kPage);
  for (Pfn p = 0; p < 4; ++p) {
    EXPECT_EQ(slice(b, l1.p_offset + p * kPage, kPage), p == 2 ? zeros : page_fill(p)) << p;
  }
  for (Pfn p = 16; p < 19; ++p) {
    EXPECT_EQ(slice(b, l2.p_offset + (p - 16) * kPage, kPage), p == 17 ? zeros : page_fill(p));
  }
  // The first note, walked by hand: Elf64_Nhdr, "CORE\0" padded to 8, desc.
  const auto nh = at<Elf64_Nhdr>(b, note.p_offset);
  EXPECT_EQ(nh.n_namesz, 5u);
  EXPECT_EQ(nh.n_descsz, 336u);
  EXPECT_EQ(nh.n_type, static_cast<uint32_t>(NT_PRSTATUS));
  EXPECT_EQ(std::memcmp(b.data() + note.p_offset + 12, "CORE", 5), 0);
  EXPECT_EQ(at<uint8_t>(b, note.p_offset + 20), 0x11);

  // (b) read back.
  auto r = reopen(b);
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_EQ(s.present(), pages);
  EXPECT_EQ(s.info().arch, Arch::x86_64);
  EXPECT_EQ(s.info().nr_cpus, 2u);
  EXPECT_EQ(s.info().uts.release, "6.1.0-w");
  ASSERT_EQ(s.info().notes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(s.info().notes[i].name, info.notes[i].name);
    EXPECT_EQ(s.info().notes[i].desc, info.notes[i].desc);
  }
  ASSERT_EQ(s.info().vaddrs.size(), 2u);
  EXPECT_EQ(s.info().vaddrs[1].vaddr, kDirectMap + 0x10000);
  std::vector<std::byte> out(kPage);
  for (Pfn p : {0, 1, 2, 3, 16, 17, 18}) {
    ASSERT_TRUE(s.read_page(p, out));
    EXPECT_EQ(out, zero.contains(p) ? zeros : page_fill(p)) << p;
  }

  // (c) libelf.
  auto v = libelf_parse(b);
  if (!v) GTEST_SKIP() << "libelf.so.1 not available";
  EXPECT_EQ(v->elf_class, ELFCLASS64);
  EXPECT_EQ(v->ehdr.e_type, ET_CORE);
  EXPECT_EQ(v->ehdr.e_machine, EM_X86_64);
  ASSERT_EQ(v->phdrs.size(), 3u);
  EXPECT_EQ(v->phdrs[0].p_type, PT_NOTE);
  EXPECT_EQ(v->phdrs[2].p_paddr, 0x10000u);
  EXPECT_EQ(v->phdrs[2].p_offset, l2.p_offset);
  EXPECT_EQ(v->phdrs[2].p_filesz, 3 * kPage);
}

TEST(ElfWriter, KeepsKernelTextMapping) {
  DumpInfo info = x86_info();
  info.vaddrs.push_back({0x3000, 2 * kPage, kText});  // aliases PFN 3-4
  info.vaddrs.push_back({0, 8 * kPage, kDirectMap});
  const PfnSet pages = set_of({{0, 8}});
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, pages));
  const auto b = sink.bytes();
  const auto eh = at<Elf64_Ehdr>(b, 0);
  ASSERT_EQ(eh.e_phnum, 3);
  const auto text = at<Elf64_Phdr>(b, 64 + 56);
  const auto ram = at<Elf64_Phdr>(b, 64 + 112);
  EXPECT_EQ(text.p_type, PT_LOAD);
  EXPECT_EQ(text.p_vaddr, kText);
  EXPECT_EQ(text.p_paddr, 0x3000u);
  EXPECT_EQ(text.p_filesz, 2 * kPage);
  EXPECT_EQ(ram.p_vaddr, kDirectMap);
  EXPECT_EQ(ram.p_filesz, 8 * kPage);
  // Same file data, not a second copy.
  EXPECT_EQ(text.p_offset, ram.p_offset + 3 * kPage);
  EXPECT_EQ(b.size(), ram.p_offset + 8 * kPage);
  EXPECT_EQ(slice(b, text.p_offset, kPage), page_fill(3));

  auto r = reopen(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->present().count(), 8u);
  EXPECT_TRUE((*r)->info().warnings.empty());
  ASSERT_EQ((*r)->info().vaddrs.size(), 2u);
  EXPECT_EQ((*r)->info().vaddrs[0].vaddr, kText);
}

TEST(ElfWriter, VaddrOnlyWhereTheDirectMapCoversTheRun) {
  // One run of PFN 0-9; the direct map is known for PFN 2-5 only, so the
  // run is split: no segment may claim a vaddr for pages outside the map.
  DumpInfo info = x86_info();
  info.vaddrs.push_back({2 * kPage, 4 * kPage, kDirectMap + 2 * kPage});
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, set_of({{0, 10}})));
  const auto b = sink.bytes();
  ASSERT_EQ(at<Elf64_Ehdr>(b, 0).e_phnum, 4);
  const auto a = at<Elf64_Phdr>(b, 64 + 56), m = at<Elf64_Phdr>(b, 64 + 112),
             c = at<Elf64_Phdr>(b, 64 + 168);
  EXPECT_EQ(a.p_paddr, 0u);
  EXPECT_EQ(a.p_vaddr, 0u);
  EXPECT_EQ(m.p_paddr, 2 * kPage);
  EXPECT_EQ(m.p_vaddr, kDirectMap + 2 * kPage);
  EXPECT_EQ(m.p_filesz, 4 * kPage);
  EXPECT_EQ(c.p_paddr, 6 * kPage);
  EXPECT_EQ(c.p_vaddr, 0u);
  EXPECT_EQ(c.p_offset, a.p_offset + 6 * kPage);
}

// 70000 single-page runs need 70001 program headers: PN_XNUM. 512-byte pages
// keep the output at 36 MB.
TEST(ElfWriter, PnXnumOutput) {
  constexpr uint64_t kSmall = 512, kRuns = 70000;
  DumpInfo info = x86_info(kSmall);
  PfnSet pages;
  for (uint64_t i = 0; i < kRuns; ++i) pages.insert(2 * i);
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, pages));
  const auto b = sink.bytes();
  const auto eh = at<Elf64_Ehdr>(b, 0);
  EXPECT_EQ(eh.e_phnum, PN_XNUM);
  EXPECT_EQ(eh.e_shnum, 1);
  EXPECT_EQ(eh.e_shentsize, sizeof(Elf64_Shdr));
  EXPECT_EQ(eh.e_shoff, 64 + (kRuns + 1) * 56);
  const auto sh = at<Elf64_Shdr>(b, eh.e_shoff);
  EXPECT_EQ(sh.sh_type, static_cast<uint32_t>(SHT_NULL));
  EXPECT_EQ(sh.sh_info, kRuns + 1);
  const auto note = at<Elf64_Phdr>(b, 64);
  EXPECT_EQ(note.p_type, PT_NOTE);
  EXPECT_EQ(note.p_offset, eh.e_shoff + sizeof(Elf64_Shdr));
  const auto last = at<Elf64_Phdr>(b, 64 + kRuns * 56);
  EXPECT_EQ(last.p_paddr, 2 * (kRuns - 1) * kSmall);
  EXPECT_EQ(last.p_offset + kSmall, b.size());
  EXPECT_EQ(slice(b, last.p_offset, kSmall), page_fill(2 * (kRuns - 1), kSmall));

  auto r = reopen(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().page_size, kSmall);
  EXPECT_EQ((*r)->present(), pages);
  std::vector<std::byte> out(kSmall);
  for (Pfn p : {Pfn{0}, Pfn{2}, Pfn{70000}, 2 * (kRuns - 1)}) {
    ASSERT_TRUE((*r)->read_page(p, out));
    EXPECT_EQ(out, page_fill(p, kSmall)) << p;
  }

  auto v = libelf_parse(b);
  if (!v) GTEST_SKIP() << "libelf.so.1 not available";
  ASSERT_EQ(v->phdrs.size(), kRuns + 1);
  EXPECT_EQ(v->phdrs[kRuns].p_paddr, 2 * (kRuns - 1) * kSmall);
}

/// A sink like a pipe: only sequential writes; records any other.
class PipeSink : public OutputSink {
 public:
  const std::string& name() const override { return name_; }
  bool seekable() const override { return false; }
  Status write_at(uint64_t off, std::span<const std::byte> data) override {
    if (off != bytes_.size()) {
      ++bad_writes_;
      return make_error(Errc::invalid_argument, "pipe: write not sequential");
    }
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return ok();
  }
  Status commit() override { return ok(); }
  std::vector<std::byte> bytes_;
  int bad_writes_ = 0;

 private:
  std::string name_ = "<pipe>";
};

TEST(ElfWriter, WritesSequentiallyToAPipe) {
  DumpInfo info = x86_info();
  info.vaddrs.push_back({0x3000, 2 * kPage, kText});
  info.vaddrs.push_back({0, 8 * kPage, kDirectMap});
  info.eraseinfo = "erase init_uts_ns 4\n";
  const PfnSet pages = set_of({{0, 8}, {100, 103}});
  const PfnSet zero = set_of({{5, 6}});
  PipeSink pipe;
  ASSERT_TRUE(write_dump(pipe, info, pages, zero));
  EXPECT_EQ(pipe.bad_writes_, 0);
  MemorySink mem;
  ASSERT_TRUE(write_dump(mem, info, pages, zero));
  EXPECT_TRUE(
      std::equal(pipe.bytes_.begin(), pipe.bytes_.end(), mem.bytes().begin(), mem.bytes().end()));
}

TEST(ElfWriter, EraseinfoAndIncompleteSurvive) {
  DumpInfo info = x86_info();
  info.eraseinfo = "erase jiffies 8\n";
  info.incomplete = true;
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, set_of({{1, 2}})));
  const auto b = sink.bytes();
  EXPECT_EQ(at<Elf64_Ehdr>(b, 0).e_flags, 1u);  // DUMP_ELF_INCOMPLETE
  const auto note = at<Elf64_Phdr>(b, 64);
  // The ERASEINFO note is last: 12 + "ERASEINFO\0" padded to 12 + 16.
  const uint64_t last = note.p_offset + note.p_filesz - (12 + 12 + 16);
  const auto nh = at<Elf64_Nhdr>(b, last);
  EXPECT_EQ(nh.n_namesz, 10u);
  EXPECT_EQ(nh.n_descsz, 16u);
  EXPECT_EQ(std::memcmp(b.data() + last + 12, "ERASEINFO", 10), 0);
  EXPECT_EQ(std::memcmp(b.data() + last + 24, "erase jiffies 8\n", 16), 0);

  auto r = reopen(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().eraseinfo, info.eraseinfo);
  EXPECT_TRUE((*r)->info().incomplete);
  EXPECT_EQ((*r)->info().notes.size(), 3u);
}

TEST(ElfWriter, Elf32WhenAddressesFit) {
  DumpInfo info = x86_info();
  info.arch = Arch::x86;
  info.vaddrs.push_back({0, 16 * kPage, 0xc0000000});
  WriteOptions o;
  o.elf32 = true;
  const PfnSet pages = set_of({{0, 3}, {10, 12}});
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, pages, {}, o));
  const auto b = sink.bytes();
  const auto eh = at<Elf32_Ehdr>(b, 0);
  EXPECT_EQ(eh.e_ident[EI_CLASS], ELFCLASS32);
  EXPECT_EQ(eh.e_machine, EM_386);
  EXPECT_EQ(eh.e_phoff, sizeof(Elf32_Ehdr));
  EXPECT_EQ(eh.e_phentsize, sizeof(Elf32_Phdr));
  ASSERT_EQ(eh.e_phnum, 3);
  const auto l2 = at<Elf32_Phdr>(b, 52 + 64);
  EXPECT_EQ(l2.p_type, PT_LOAD);
  EXPECT_EQ(l2.p_paddr, 10 * kPage);
  EXPECT_EQ(l2.p_vaddr, 0xc0000000 + 10 * kPage);
  EXPECT_EQ(l2.p_filesz, 2 * kPage);
  EXPECT_EQ(slice(b, l2.p_offset, kPage), page_fill(10));

  auto r = reopen(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().arch, Arch::x86);
  EXPECT_EQ((*r)->present(), pages);

  auto v = libelf_parse(b);
  if (!v) GTEST_SKIP() << "libelf.so.1 not available";
  EXPECT_EQ(v->elf_class, ELFCLASS32);
  ASSERT_EQ(v->phdrs.size(), 3u);
  EXPECT_EQ(v->phdrs[2].p_offset, l2.p_offset);
}

TEST(ElfWriter, Elf32RefusedAbove4GiB) {
  WriteOptions o;
  o.elf32 = true;
  MemorySink sink;
  Status st = write_dump(sink, x86_info(), set_of({{0x100000, 0x100001}}), {}, o);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::invalid_argument);
  EXPECT_NE(st.error().message.find("ELF32"), std::string::npos);
}

TEST(ElfWriter, BigEndianS390x) {
  DumpInfo info = x86_info();
  info.arch = Arch::s390x;
  info.endian = Endian::big;
  const PfnSet pages = set_of({{0, 2}, {5, 6}});
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, info, pages));
  const auto b = sink.bytes();
  EXPECT_EQ(at<uint8_t>(b, EI_DATA), ELFDATA2MSB);
  EXPECT_EQ(at<uint8_t>(b, 18), 0);  // e_machine 22, big-endian
  EXPECT_EQ(at<uint8_t>(b, 19), EM_S390);
  EXPECT_EQ(at<uint8_t>(b, 57), 3);  // e_phnum low byte last
  // First note's n_namesz = 5, big-endian.
  const uint64_t note_off = __builtin_bswap64(at<uint64_t>(b, 64 + 8));
  EXPECT_EQ(__builtin_bswap32(at<uint32_t>(b, note_off)), 5u);

  auto r = reopen(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().arch, Arch::s390x);
  EXPECT_EQ((*r)->info().endian, Endian::big);
  EXPECT_EQ((*r)->info().nr_cpus, 2u);
  EXPECT_EQ((*r)->present(), pages);
  std::vector<std::byte> out(kPage);
  ASSERT_TRUE((*r)->read_page(5, out));
  EXPECT_EQ(out, page_fill(5));

  auto v = libelf_parse(b);
  if (!v) GTEST_SKIP() << "libelf.so.1 not available";
  EXPECT_EQ(v->ehdr.e_machine, EM_S390);
  ASSERT_EQ(v->phdrs.size(), 3u);
  EXPECT_EQ(v->phdrs[2].p_paddr, 5 * kPage);
}

TEST(ElfWriter, EmptyPageSet) {
  MemorySink sink;
  ASSERT_TRUE(write_dump(sink, x86_info(), PfnSet{}));
  auto r = reopen(sink.bytes());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)->present().empty());
  EXPECT_EQ((*r)->info().notes.size(), 3u);
}

TEST(ElfWriter, MisuseIsInvalidArgument) {
  const DumpInfo info = x86_info();
  const PfnSet pages = set_of({{0, 2}, {4, 5}});
  const auto p0 = page_fill(0), p1 = page_fill(1), p4 = page_fill(4);
  auto make = [&](MemorySink& sink) {
    auto w = find_format("elf")->create_writer(sink, WriteOptions{});
    EXPECT_TRUE(w);
    return std::move(*w);
  };
  auto expect_invalid = [](const Status& s, const char* what) {
    ASSERT_FALSE(s) << what;
    EXPECT_EQ(s.error().code, Errc::invalid_argument) << what;
  };
  {
    MemorySink sink;
    auto w = make(sink);
    expect_invalid(w->write_page({0, false, CodecId::none, p0}), "before begin");
    ASSERT_TRUE(w->begin(info, pages, pages));
    expect_invalid(w->begin(info, pages, pages), "begin twice");
    expect_invalid(w->write_page({1, false, CodecId::none, p1}), "skips page 0");
    ASSERT_TRUE(w->write_page({0, false, CodecId::none, p0}));
    expect_invalid(w->write_page({0, false, CodecId::none, p0}), "page 0 again");
    expect_invalid(w->write_page({1, false, CodecId::zlib, p1}), "compressed page");
    expect_invalid(w->write_page({1, false, CodecId::none, std::span(p1).first(100)}),
                   "short page");
    ASSERT_TRUE(w->write_page({1, true, CodecId::none, {}}));
    expect_invalid(w->write_page({3, false, CodecId::none, p4}), "page 3 not in the set");
    expect_invalid(w->finish(), "finish with page 4 missing");
    ASSERT_TRUE(w->write_page({4, false, CodecId::none, p4}));
    expect_invalid(w->write_page({5, false, CodecId::none, p4}), "beyond the set");
    ASSERT_TRUE(w->finish());
  }
  {
    MemorySink sink;
    auto w = make(sink);
    DumpInfo odd = info;
    odd.page_size = 3000;
    expect_invalid(w->begin(odd, pages, pages), "page size 3000");
  }
}

}  // namespace
}  // namespace dumpfmt
