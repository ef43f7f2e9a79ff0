// ELF vmcore reader tests. Every input is built here byte by byte at explicit
// offsets (field offsets from the ELF gABI), independently of libdumpfmt's ELF
// code, then opened through the public registry.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/file.h"
#include "dumpfmt/format.h"
#include "dumpgen.h"
#include "read_pages_check.h"

namespace dumpfmt {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kDirectMap = 0xffff888000000000;

// --- a tiny hand-written ELF image builder --------------------------------

class Image {
 public:
  Image(bool is64, bool big) : is64_(is64), big_(big) {}

  void put(uint64_t off, uint64_t v, int n) {
    grow(off + n);
    for (int i = 0; i < n; ++i) {
      const int shift = big_ ? 8 * (n - 1 - i) : 8 * i;
      bytes_[off + i] = static_cast<std::byte>(v >> shift);
    }
  }
  void put_le(uint64_t off, uint64_t v, int n) {
    grow(off + n);
    for (int i = 0; i < n; ++i) bytes_[off + i] = static_cast<std::byte>(v >> (8 * i));
  }
  void put_bytes(uint64_t off, const std::vector<std::byte>& b) {
    grow(off + b.size());
    std::copy(b.begin(), b.end(), bytes_.begin() + static_cast<ptrdiff_t>(off));
  }
  void grow(uint64_t n) {
    if (bytes_.size() < n) bytes_.resize(n);
  }

  // Elf64_Ehdr: e_phoff @32, e_shoff @40, e_flags @48, e_phnum @56 ...
  // Elf32_Ehdr: e_phoff @28, e_shoff @32, e_flags @36, e_phnum @44 ...
  void ehdr(uint16_t machine, uint64_t phnum, uint64_t phoff, uint32_t flags = 0,
            uint16_t type = 4) {
    const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', uint8_t(is64_ ? 2 : 1), uint8_t(big_ ? 2 : 1),
                               1};
    for (int i = 0; i < 16; ++i) put(i, ident[i], 1);
    put(16, type, 2);
    put(18, machine, 2);
    put(20, 1, 4);
    if (is64_) {
      put(32, phoff, 8);
      put(48, flags, 4);
      put(52, 64, 2);
      put(54, 56, 2);
      put(56, phnum, 2);
    } else {
      put(28, phoff, 4);
      put(36, flags, 4);
      put(40, 52, 2);
      put(42, 32, 2);
      put(44, phnum, 2);
    }
  }
  void shdr_fields(uint64_t shoff) {  // e_shoff, e_shentsize, e_shnum = 1
    if (is64_) {
      put(40, shoff, 8);
      put(58, 64, 2);
      put(60, 1, 2);
    } else {
      put(32, shoff, 4);
      put(46, 40, 2);
      put(48, 1, 2);
    }
  }
  // Elf64_Phdr: type@0 flags@4 offset@8 vaddr@16 paddr@24 filesz@32 memsz@40 align@48
  // Elf32_Phdr: type@0 offset@4 vaddr@8 paddr@12 filesz@16 memsz@20 flags@24 align@28
  void phdr(uint64_t at, uint32_t type, uint64_t offset, uint64_t vaddr, uint64_t paddr,
            uint64_t filesz, uint64_t memsz) {
    put(at, type, 4);
    if (is64_) {
      put(at + 4, 7, 4);
      put(at + 8, offset, 8);
      put(at + 16, vaddr, 8);
      put(at + 24, paddr, 8);
      put(at + 32, filesz, 8);
      put(at + 40, memsz, 8);
    } else {
      put(at + 4, offset, 4);
      put(at + 8, vaddr, 4);
      put(at + 12, paddr, 4);
      put(at + 16, filesz, 4);
      put(at + 20, memsz, 4);
      put(at + 24, 7, 4);
    }
  }
  uint64_t phdr_size() const { return is64_ ? 56 : 32; }
  uint64_t ehdr_size() const { return is64_ ? 64 : 52; }

  /// Writes one note at `at`; returns its size (4-byte padded name and desc).
  uint64_t note(uint64_t at, const std::string& name, uint32_t type,
                const std::vector<std::byte>& desc) {
    const uint64_t namesz = name.size() + 1, name_pad = (namesz + 3) / 4 * 4;
    const uint64_t desc_pad = (desc.size() + 3) / 4 * 4;
    put(at, namesz, 4);
    put(at + 4, desc.size(), 4);
    put(at + 8, type, 4);
    grow(at + 12 + name_pad + desc_pad);
    std::memcpy(bytes_.data() + at + 12, name.data(), name.size());
    std::copy(desc.begin(), desc.end(),
              bytes_.begin() + static_cast<ptrdiff_t>(at + 12 + name_pad));
    return 12 + name_pad + desc_pad;
  }

  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  bool is64_, big_;
  std::vector<std::byte> bytes_;
};

std::vector<std::byte> text_bytes(const std::string& s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

/// Recognisable page contents: every 8-byte word holds tag, pfn and index.
std::vector<std::byte> page_fill(uint64_t pfn, uint64_t size = kPage, uint8_t tag = 0xa5) {
  std::vector<std::byte> p(size);
  for (uint64_t i = 0; i + 8 <= size; i += 8) {
    uint64_t w = (uint64_t{tag} << 56) | (pfn << 16) | (i / 8);
    std::memcpy(p.data() + i, &w, 8);
  }
  return p;
}

std::vector<std::byte> concat_pages(uint64_t first_pfn, uint64_t n, uint64_t size = kPage,
                                    uint8_t tag = 0xa5) {
  std::vector<std::byte> out;
  for (uint64_t i = 0; i < n; ++i) {
    auto p = page_fill(first_pfn + i, size, tag);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Result<std::unique_ptr<PageSource>> open_bytes(std::vector<std::byte> b, OpenOptions o = {}) {
  std::vector<std::unique_ptr<File>> files;
  files.push_back(memory_file("test.vmcore", std::move(b)));
  return open_dump_files(std::move(files), o);
}

/// A File without view(), so the reader's read_at path runs too.
class PreadOnlyFile : public File {
 public:
  explicit PreadOnlyFile(std::vector<std::byte> b) : b_(std::move(b)) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return b_.size(); }
  Status read_at(uint64_t off, std::span<std::byte> out) const override {
    if (off > b_.size() || b_.size() - off < out.size()) {
      return make_error(Errc::truncated, "pread-only: short read");
    }
    std::memcpy(out.data(), b_.data() + off, out.size());
    return ok();
  }

 private:
  std::string name_ = "pread.vmcore";
  std::vector<std::byte> b_;
};

std::vector<std::byte> read(const PageSource& s, Pfn pfn, PageState* state = nullptr) {
  std::vector<std::byte> out(s.info().page_size, std::byte{0x77});
  auto r = s.read_page(pfn, out);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (state && r) *state = *r;
  return out;
}

bool all_zero(const std::vector<std::byte>& v) {
  return std::all_of(v.begin(), v.end(), [](std::byte b) { return b == std::byte{0}; });
}

std::vector<std::byte> prstatus() { return std::vector<std::byte>(336, std::byte{0x11}); }

const char* kVmcoreinfo =
    "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82a0a000\n"
    "NUMBER(phys_base)=-320864256\nCRASHTIME=1795304727\n";

// ELF64 LE: PT_NOTE (2 x NT_PRSTATUS, VMCOREINFO) + 2 PT_LOADs with direct-map vaddrs.
std::vector<std::byte> basic64(bool big = false, uint16_t machine = 62,
                               const std::string& vmcoreinfo = kVmcoreinfo) {
  Image im(true, big);
  im.ehdr(machine, 3, 64);
  uint64_t n = 0x100;
  n += im.note(n, "CORE", 1, prstatus());
  n += im.note(n, "CORE", 1, prstatus());
  n += im.note(n, "VMCOREINFO", 0, text_bytes(vmcoreinfo));
  im.phdr(64, 4, 0x100, 0, 0, n - 0x100, n - 0x100);
  im.phdr(64 + 56, 1, 0x1000, kDirectMap, 0, 4 * kPage, 4 * kPage);                   // pfn 0-3
  im.phdr(64 + 112, 1, 0x5000, kDirectMap + 0x10000, 0x10000, 2 * kPage, 2 * kPage);  // 16-17
  im.put_bytes(0x1000, concat_pages(0, 4));
  im.put_bytes(0x5000, concat_pages(16, 2));
  return im.bytes();
}

// --- basics ---------------------------------------------------------------

TEST(ElfReader, Elf64LittleEndianBasics) {
  auto r = open_bytes(basic64());
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  const DumpInfo& in = s.info();
  EXPECT_EQ(in.format, "elf");
  EXPECT_NE(in.variant.find("ELF64 LE"), std::string::npos) << in.variant;
  EXPECT_NE(in.variant.find("2 PT_LOAD"), std::string::npos) << in.variant;
  EXPECT_EQ(in.arch, Arch::x86_64);
  EXPECT_EQ(in.endian, Endian::little);
  EXPECT_EQ(in.page_size, 4096u);
  EXPECT_EQ(in.max_pfn, 18u);
  EXPECT_EQ(in.nr_cpus, 2u);
  EXPECT_EQ(in.notes.size(), 3u);
  ASSERT_TRUE(in.vmcoreinfo);
  EXPECT_EQ(*in.vmcoreinfo, kVmcoreinfo);
  EXPECT_EQ(in.uts.release, "6.1.0-test");
  EXPECT_EQ(in.crash_time, 1795304727);
  EXPECT_EQ(in.phys_base, -320864256);
  EXPECT_FALSE(in.incomplete);
  EXPECT_TRUE(in.warnings.empty());
  ASSERT_EQ(in.vaddrs.size(), 2u);
  EXPECT_EQ(in.vaddrs[1].paddr, 0x10000u);
  EXPECT_EQ(in.vaddrs[1].size, 2 * kPage);
  EXPECT_EQ(in.vaddrs[1].vaddr, kDirectMap + 0x10000);

  EXPECT_EQ(s.present().count(), 6u);
  EXPECT_EQ(s.ram(), s.present());
  for (Pfn p : {0, 1, 2, 3, 16, 17}) {
    PageState st{};
    EXPECT_EQ(read(s, p, &st), page_fill(p)) << p;
    EXPECT_EQ(st, PageState::present);
  }
  for (Pfn p : {4, 15, 18, 1000000}) {
    std::vector<std::byte> out(kPage);
    auto st = s.read_page(p, out);
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, PageState::excluded) << p;
  }
  std::vector<std::byte> small(100);
  auto bad = s.read_page(0, small);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

TEST(ElfReader, PreadPathGivesSameBytes) {
  std::vector<std::unique_ptr<File>> files;
  files.push_back(std::make_unique<PreadOnlyFile>(basic64()));
  auto r = open_dump_files(std::move(files));
  ASSERT_TRUE(r) << r.error().message;
  for (Pfn p : {0, 3, 16, 17}) EXPECT_EQ(read(**r, p), page_fill(p));
}

TEST(ElfReader, Elf64BigEndianS390x) {
  auto r = open_bytes(basic64(true, 22));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().arch, Arch::s390x);
  EXPECT_EQ((*r)->info().endian, Endian::big);
  EXPECT_EQ((*r)->info().nr_cpus, 2u);
  EXPECT_EQ((*r)->info().uts.release, "6.1.0-test");
  EXPECT_NE((*r)->info().variant.find("ELF64 BE"), std::string::npos);
  for (Pfn p : {0, 2, 17}) EXPECT_EQ(read(**r, p), page_fill(p));
}

void check_elf32(bool big, uint16_t machine, Arch arch) {
  Image im(false, big);
  im.ehdr(machine, 3, 52);
  uint64_t n = 0x100;
  n += im.note(n, "CORE", 1, std::vector<std::byte>(144));
  n += im.note(n, "VMCOREINFO", 0, text_bytes("OSRELEASE=5.10-32\nPAGESIZE=4096\n"));
  im.phdr(52, 4, 0x100, 0, 0, n - 0x100, n - 0x100);
  im.phdr(52 + 32, 1, 0x1000, 0xc0000000, 0, 3 * kPage, 3 * kPage);
  im.phdr(52 + 64, 1, 0x4000, 0xc0000000 + 0x7000000, 0x7000000, kPage, kPage);
  im.put_bytes(0x1000, concat_pages(0, 3));
  im.put_bytes(0x4000, concat_pages(0x7000, 1));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  const DumpInfo& in = (*r)->info();
  EXPECT_EQ(in.arch, arch);
  EXPECT_EQ(in.endian, big ? Endian::big : Endian::little);
  EXPECT_NE(in.variant.find("ELF32"), std::string::npos);
  EXPECT_EQ(in.nr_cpus, 1u);
  EXPECT_EQ(in.max_pfn, 0x7001u);
  EXPECT_EQ((*r)->present().count(), 4u);
  for (Pfn p : {0, 1, 2, 0x7000}) EXPECT_EQ(read(**r, p), page_fill(p));
  ASSERT_EQ(in.vaddrs.size(), 2u);
  EXPECT_EQ(in.vaddrs[1].vaddr, 0xc7000000u);
}

TEST(ElfReader, Elf32LittleEndianI386) { check_elf32(false, 3, Arch::x86); }
TEST(ElfReader, Elf32BigEndianPpc) { check_elf32(true, 20, Arch::ppc); }

// --- segment shapes -------------------------------------------------------

// One PT_LOAD [0x10000, +5 pages) with 2 pages in the file and 3 of tail.
std::vector<std::byte> tail_image() {
  Image im(true, false);
  im.ehdr(62, 1, 64);
  im.phdr(64, 1, 0x1000, 0, 0x10000, 2 * kPage, 5 * kPage);
  im.put_bytes(0x1000, concat_pages(16, 2));
  return im.bytes();
}

TEST(ElfReader, FileszBelowMemszIsZeroByDefault) {
  auto r = open_bytes(tail_image());
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_EQ(s.present().count(), 5u);
  EXPECT_EQ(s.info().max_pfn, 21u);
  PageState st{};
  EXPECT_EQ(read(s, 17, &st), page_fill(17));
  EXPECT_EQ(st, PageState::present);
  auto z = read(s, 18, &st);
  EXPECT_TRUE(all_zero(z));
  EXPECT_EQ(st, PageState::zero);
  EXPECT_NE(s.info().variant.find("filtered"), std::string::npos) << s.info().variant;
}

TEST(ElfReader, FileszBelowMemszExcludedOnRequest) {
  OpenOptions o;
  o.elf_tail_is_zero = false;
  auto r = open_bytes(tail_image(), o);
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_EQ(s.present().count(), 2u);
  EXPECT_EQ(s.ram().count(), 5u);
  EXPECT_TRUE(s.ram().contains(20));
  EXPECT_FALSE(s.present().contains(18));
  std::vector<std::byte> out(kPage, std::byte{0x77});
  auto st = s.read_page(18, out);
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, PageState::excluded);
  EXPECT_EQ(out[0], std::byte{0x77});  // excluded: buffer untouched
}

TEST(ElfReader, PartialEdgePages) {
  Image im(true, false);
  im.ehdr(62, 4, 64);
  // [0x1000, 0x9fc00): page 0x9f is covered up to 0x400 short of its end.
  im.phdr(64, 1, 0x10000, 0, 0x1000, 0x9fc00 - 0x1000, 0x9fc00 - 0x1000);
  // Starts mid-page: page 0x100 is covered from 0x800 on.
  im.phdr(64 + 56, 1, 0xc0000, 0, 0x100800, 0x1800, 0x1800);
  // Two segments sharing page 0x200: [0x200000, 0x200800) and [0x200800, 0x201000).
  im.phdr(64 + 112, 1, 0xd0000, 0, 0x200000, 0x800, 0x800);
  im.phdr(64 + 168, 1, 0xe0000, 0, 0x200800, 0x800, 0x800);
  auto low = concat_pages(1, 0x9f);
  low.resize(0x9fc00 - 0x1000);
  im.put_bytes(0x10000, low);
  auto mid = concat_pages(0x100, 2);
  im.put_bytes(0xc0000, std::vector<std::byte>(mid.begin() + 0x800, mid.end()));
  auto shared = page_fill(0x200);
  im.put_bytes(0xd0000, std::vector<std::byte>(shared.begin(), shared.begin() + 0x800));
  im.put_bytes(0xe0000, std::vector<std::byte>(shared.begin() + 0x800, shared.end()));
  im.grow(0xf0000);
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_EQ(s.present().count(), 0x9fu + 2 + 1);
  EXPECT_FALSE(s.present().contains(0));
  EXPECT_FALSE(s.present().contains(0xa0));
  EXPECT_FALSE(s.present().contains(0xff));
  EXPECT_EQ(read(s, 0x9e), page_fill(0x9e));

  auto expect_9f = page_fill(0x9f);
  std::fill(expect_9f.begin() + 0xc00, expect_9f.end(), std::byte{0});
  PageState st{};
  EXPECT_EQ(read(s, 0x9f, &st), expect_9f);
  EXPECT_EQ(st, PageState::present);

  auto expect_100 = page_fill(0x100);
  std::fill(expect_100.begin(), expect_100.begin() + 0x800, std::byte{0});
  EXPECT_EQ(read(s, 0x100), expect_100);
  EXPECT_EQ(read(s, 0x101), page_fill(0x101));
  EXPECT_EQ(read(s, 0x200), page_fill(0x200));
  expect_read_pages_agree(s);
}

TEST(ElfReader, QemuStyleZeroVaddrOpens) {
  Image im(true, false);
  im.ehdr(62, 3, 64);
  uint64_t n = 0x200;
  n += im.note(n, "CORE", 1, prstatus());
  n += im.note(n, "QEMU", 0, std::vector<std::byte>(432, std::byte{1}));
  im.phdr(64, 4, 0x200, 0, 0, n - 0x200, n - 0x200);
  im.phdr(64 + 56, 1, n, 0, 0, 0xa0000, 0xa0000);  // data right after the notes, unaligned
  im.phdr(64 + 112, 1, n + 0xa0000, 0, 0xc0000, 2 * kPage, 2 * kPage);
  im.put_bytes(n, concat_pages(0, 0xa0));
  im.put_bytes(n + 0xa0000, concat_pages(0xc0, 2));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_NE(s.info().variant.find("QEMU"), std::string::npos) << s.info().variant;
  EXPECT_TRUE(s.info().vaddrs.empty());
  EXPECT_FALSE(s.info().vmcoreinfo);
  EXPECT_EQ(s.info().nr_cpus, 1u);
  EXPECT_EQ(s.present().count(), 0xa2u);
  EXPECT_EQ(read(s, 0), page_fill(0));
  EXPECT_EQ(read(s, 0x9f), page_fill(0x9f));
  EXPECT_EQ(read(s, 0xc1), page_fill(0xc1));
}

TEST(ElfReader, KernelTextSegmentOverlapsRam) {
  // As /proc/vmcore: the kernel-text PT_LOAD comes first and aliases RAM.
  // Give its copy other bytes to see which one is served: the first.
  Image im(true, false);
  im.ehdr(62, 2, 64);
  im.phdr(64, 1, 0x1000, 0xffffffff81000000, 0x3000, 2 * kPage, 2 * kPage);
  im.phdr(64 + 56, 1, 0x3000, kDirectMap, 0, 8 * kPage, 8 * kPage);
  im.put_bytes(0x1000, concat_pages(3, 2, kPage, 0x7e));
  im.put_bytes(0x3000, concat_pages(0, 8));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_EQ(s.present().count(), 8u);  // not 10
  EXPECT_TRUE(s.info().warnings.empty());
  EXPECT_EQ(read(s, 3), page_fill(3, kPage, 0x7e));
  EXPECT_EQ(read(s, 4), page_fill(4, kPage, 0x7e));
  EXPECT_EQ(read(s, 2), page_fill(2));
  EXPECT_EQ(read(s, 5), page_fill(5));
  ASSERT_EQ(s.info().vaddrs.size(), 2u);
  EXPECT_EQ(s.info().vaddrs[0].vaddr, 0xffffffff81000000u);
  EXPECT_EQ(s.info().vaddrs[0].paddr, 0x3000u);
}

TEST(ElfReader, PartialOverlapWarns) {
  Image im(true, false);
  im.ehdr(62, 2, 64);
  im.phdr(64, 1, 0x1000, 0, 0, 4 * kPage, 4 * kPage);
  im.phdr(64 + 56, 1, 0x5000, 0, 2 * kPage, 4 * kPage, 4 * kPage);
  im.put_bytes(0x1000, concat_pages(0, 4));
  im.put_bytes(0x5000, concat_pages(2, 4, kPage, 0x33));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->present().count(), 6u);
  EXPECT_EQ(read(**r, 3), page_fill(3));
  EXPECT_EQ(read(**r, 4), page_fill(4, kPage, 0x33));
  ASSERT_EQ((*r)->info().warnings.size(), 1u);
  EXPECT_NE((*r)->info().warnings[0].find("overlaps"), std::string::npos);
}

// --- PN_XNUM --------------------------------------------------------------

// 70000 one-page PT_LOADs at every other PFN, all pointing at one data page.
std::vector<std::byte> xnum_image(bool big, bool shdr_little, uint32_t count = 70000,
                                  bool is64 = true) {
  Image im(is64, big);
  const uint64_t eh = im.ehdr_size(), ph = im.phdr_size(), sh = is64 ? 64 : 40;
  const uint64_t shoff = eh + uint64_t{count} * ph;
  const uint64_t sh_info = shoff + (is64 ? 44 : 28);
  const uint64_t data = (shoff + sh + kPage - 1) / kPage * kPage;
  im.ehdr(big ? 22 : 62, 0xffff, eh);
  im.shdr_fields(shoff);
  for (uint64_t i = 0; i < count; ++i) {
    im.phdr(eh + i * ph, 1, data, 0, 2 * i * kPage, kPage, kPage);
  }
  if (shdr_little) {
    im.put_le(sh_info, count, 4);
  } else {
    im.put(sh_info, count, 4);
  }
  im.put_bytes(data, page_fill(0x1234));
  return im.bytes();
}

TEST(ElfReader, PnXnumManySegments) {
  auto r = open_bytes(xnum_image(false, false));
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  EXPECT_TRUE(s.info().warnings.empty());
  EXPECT_EQ(s.present().count(), 70000u);
  EXPECT_EQ(s.info().max_pfn, 2 * 69999u + 1);
  EXPECT_NE(s.info().variant.find("70000 PT_LOAD"), std::string::npos);
  for (Pfn p : {0, 2, 70000, 139998}) EXPECT_EQ(read(s, p), page_fill(0x1234)) << p;
  PageState st{};
  read(s, 139997, &st);
  EXPECT_EQ(st, PageState::excluded);
}

TEST(ElfReader, PnXnumLittleEndianShdrInBigEndianFile) {
  // QEMU on s390x wrote the section header little-endian.
  auto r = open_bytes(xnum_image(true, true));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->present().count(), 70000u);
  ASSERT_EQ((*r)->info().warnings.size(), 1u);
  EXPECT_NE((*r)->info().warnings[0].find("PN_XNUM"), std::string::npos);
  EXPECT_EQ((*r)->info().arch, Arch::s390x);
}

TEST(ElfReader, PnXnumElf32) {
  auto r = open_bytes(xnum_image(false, false, 70000, false));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->present().count(), 70000u);
  EXPECT_NE((*r)->info().variant.find("ELF32"), std::string::npos);
  EXPECT_EQ(read(**r, 139998), page_fill(0x1234));
}

TEST(ElfReader, PnXnumImplausibleCountIsError) {
  auto b = xnum_image(false, false, 70000);
  const uint64_t shoff = 64 + uint64_t{70000} * 56;
  b[shoff + 44] = std::byte{0xff};  // sh_info 0x111ff... in both byte orders too many
  b[shoff + 47] = std::byte{0x7f};
  auto r = open_bytes(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::corrupt);
  EXPECT_NE(r.error().message.find("PN_XNUM"), std::string::npos) << r.error().message;
}

// --- notes and metadata ---------------------------------------------------

TEST(ElfReader, NotesEraseinfoAndFlags) {
  Image im(true, false);
  im.ehdr(62, 2, 64, /*flags=*/1);
  uint64_t n = 0x100;
  n += im.note(n, "CORE", 1, prstatus());
  n += im.note(n, "CORE", 2, std::vector<std::byte>(512));  // NT_FPREGSET: not a CPU
  n += im.note(n, "QEMU", 1, std::vector<std::byte>(8));    // not CORE: not a CPU
  n += im.note(n, "VMCOREINFO", 0, text_bytes("OSRELEASE=x\nPAGESIZE=4096\n"));
  n += im.note(n, "ERASEINFO", 0, text_bytes("erase jiffies 8\n"));
  im.put_bytes(n, std::vector<std::byte>(12));  // the kernel's all-zero terminator, then padding
  im.phdr(64, 4, 0x100, 0, 0, n + 12 + 20 - 0x100, n + 12 + 20 - 0x100);
  im.phdr(64 + 56, 1, 0x2000, 0, 0, kPage, kPage);
  im.put_bytes(0x2000, page_fill(0));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  const DumpInfo& in = (*r)->info();
  EXPECT_EQ(in.nr_cpus, 1u);
  EXPECT_EQ(in.notes.size(), 4u);  // ERASEINFO moved to info.eraseinfo
  EXPECT_EQ(in.eraseinfo, "erase jiffies 8\n");
  EXPECT_TRUE(in.incomplete);
  EXPECT_FALSE(in.warnings.empty());
  EXPECT_EQ(in.notes[1].type, 2u);
  EXPECT_EQ(in.notes[1].desc.size(), 512u);
}

TEST(ElfReader, BadNoteIsError) {
  Image im(true, false);
  im.ehdr(62, 1, 64);
  im.note(0x100, "VMCOREINFO", 0, text_bytes("OSRELEASE=x\n"));
  im.put(0x104, 0x10000, 4);  // descsz far beyond the note area
  im.phdr(64, 4, 0x100, 0, 0, 0x30, 0x30);
  im.grow(0x200);
  auto r = open_bytes(im.bytes());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::corrupt);
  EXPECT_NE(r.error().message.find("0x100"), std::string::npos) << r.error().message;
}

TEST(ElfReader, UnknownMachineFallsBackToVmcoreinfo) {
  auto r = open_bytes(basic64(false, 0));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().arch, Arch::x86_64);
  ASSERT_EQ((*r)->info().warnings.size(), 1u);
  EXPECT_NE((*r)->info().warnings[0].find("e_machine"), std::string::npos);
  EXPECT_EQ((*r)->info().uts.machine, "x86_64");
}

TEST(ElfReader, PageSizeFromVmcoreinfo) {
  // arm64 with 64 KiB pages: PFNs count in 64 KiB units.
  Image im(true, false);
  im.ehdr(183, 2, 64);
  uint64_t n = 0x100 + im.note(0x100, "VMCOREINFO", 0, text_bytes("PAGESIZE=65536\n"));
  im.phdr(64, 4, 0x100, 0, 0, n - 0x100, n - 0x100);
  im.phdr(64 + 56, 1, 0x10000, 0, 0x40000000, 0x20000, 0x20000);
  im.put_bytes(0x10000, concat_pages(0x4000, 2, 0x10000));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().arch, Arch::arm64);
  EXPECT_EQ((*r)->info().page_size, 0x10000u);
  EXPECT_EQ((*r)->present().count(), 2u);
  EXPECT_EQ(read(**r, 0x4001), page_fill(0x4001, 0x10000));
  EXPECT_TRUE((*r)->info().warnings.empty());
}

TEST(ElfReader, Arm64WithoutPagesizeWarns) {
  Image im(true, false);
  im.ehdr(183, 1, 64);
  im.phdr(64, 1, 0x1000, 0, 0, kPage, kPage);
  im.put_bytes(0x1000, page_fill(0));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->info().page_size, 4096u);
  ASSERT_EQ((*r)->info().warnings.size(), 1u);
  EXPECT_NE((*r)->info().warnings[0].find("PAGESIZE"), std::string::npos);
}

// --- probing and hostile headers ------------------------------------------

Result<bool> probe(std::vector<std::byte> b) {
  auto f = memory_file("p", std::move(b));
  return find_format("elf")->probe(*f);
}

TEST(ElfReader, Probe) {
  auto good = probe(basic64());
  ASSERT_TRUE(good);
  EXPECT_TRUE(*good);
  auto kdump = probe(text_bytes("KDUMP   and more bytes than sixteen"));
  ASSERT_TRUE(kdump);
  EXPECT_FALSE(*kdump);
  auto tiny =
      probe(text_bytes("\x7f"
                       "EL"));
  ASSERT_TRUE(tiny);
  EXPECT_FALSE(*tiny);

  auto exec = basic64();
  exec[16] = std::byte{2};  // ET_EXEC: a vmlinux given by mistake
  auto e = probe(exec);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::unsupported);
  EXPECT_NE(e.error().message.find("not a core dump"), std::string::npos);

  auto cls = basic64();
  cls[4] = std::byte{3};
  auto c = probe(cls);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::corrupt);
  EXPECT_NE(c.error().message.find("offset 0x4"), std::string::npos) << c.error().message;

  auto magic_only =
      probe(text_bytes("\x7f"
                       "ELF\x02\x01"));
  ASSERT_FALSE(magic_only);
  EXPECT_EQ(magic_only.error().code, Errc::truncated);
}

TEST(ElfReader, ProgramHeaderTablePastEof) {
  auto b = basic64();
  b[56] = std::byte{0xfe};  // e_phnum 0xfffe
  b[57] = std::byte{0xff};
  auto p = probe(b);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::truncated);
  EXPECT_NE(p.error().message.find("program header table"), std::string::npos);
  EXPECT_NE(p.error().message.find("offset 0x40"), std::string::npos) << p.error().message;
}

TEST(ElfReader, HostileSegments) {
  struct Case {
    const char* what;
    uint64_t offset, paddr, filesz, memsz;
    const char* expect;
  };
  const Case cases[] = {
      {"filesz > memsz", 0x1000, 0, 2 * kPage, kPage, "p_filesz"},
      {"paddr overflow", 0x1000, ~uint64_t{0} - kPage, kPage, kPage, "physical"},
      {"beyond 52 bits", 0x1000, uint64_t{1} << 60, kPage, kPage, "physical"},
      {"file range overflow", ~uint64_t{0} - 10, 0, kPage, kPage, "overflows"},
      {"data far past EOF", uint64_t{1} << 40, 0, kPage, kPage, "past the end"},
  };
  for (const Case& c : cases) {
    Image im(true, false);
    im.ehdr(62, 2, 64);
    im.phdr(64, 1, 0x1000, 0, 0x100000, kPage, kPage);
    im.phdr(64 + 56, 1, c.offset, 0, c.paddr, c.filesz, c.memsz);
    im.put_bytes(0x1000, page_fill(0x100));
    auto r = open_bytes(im.bytes());
    ASSERT_FALSE(r) << c.what;
    EXPECT_EQ(r.error().code, Errc::corrupt) << c.what;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("program header 1"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("test.vmcore: offset 0x78"), std::string::npos)
        << r.error().message;
  }
}

TEST(ElfReader, ScatteredSegmentsRefusedBeforeAllocating) {
  // 60000 tail-only PT_LOADs, each in its own 128 MiB region: a 3 MiB file
  // that would need gigabytes of page map.
  const uint64_t count = 60000;
  Image im(true, false);
  im.ehdr(62, count, 64);
  for (uint64_t i = 0; i < count; ++i) {
    im.phdr(64 + i * 56, 1, 0, 0, i << 27, 0, kPage);
  }
  im.grow(64 + count * 56);
  auto r = open_bytes(im.bytes());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("page map"), std::string::npos) << r.error().message;
}

TEST(ElfReader, SeveralFilesRefused) {
  std::vector<std::unique_ptr<File>> files;
  files.push_back(memory_file("a", basic64()));
  files.push_back(memory_file("b", basic64()));
  auto r = open_dump_files(std::move(files));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unsupported);
}

// --- truncated copies and bit flips ----------------------------------------

// 512-byte pages: notes at 0x100, data from 0x200; LOAD A = PFN 0-1,
// LOAD B = PFN 8-10 with PFN 10 a p_memsz tail.
constexpr uint64_t kSmall = 512;
std::vector<std::byte> small_image(uint64_t* notes_end = nullptr) {
  Image im(true, false);
  im.ehdr(62, 3, 64);
  uint64_t n = 0x100;
  n += im.note(n, "CORE", 1, std::vector<std::byte>(16));
  n += im.note(n, "VMCOREINFO", 0, text_bytes("PAGESIZE=512\n"));
  EXPECT_LE(n, 0x200u);
  if (notes_end) *notes_end = n;
  im.phdr(64, 4, 0x100, 0, 0, n - 0x100, n - 0x100);
  im.phdr(64 + 56, 1, 0x200, 0, 0, 2 * kSmall, 2 * kSmall);
  im.phdr(64 + 112, 1, 0x600, 0, 8 * kSmall, 2 * kSmall, 3 * kSmall);
  im.put_bytes(0x200, concat_pages(0, 2, kSmall));
  im.put_bytes(0x600, concat_pages(8, 2, kSmall));
  return im.bytes();
}

TEST(ElfReader, EveryTruncatedPrefix) {
  uint64_t notes_end = 0;
  const auto full = small_image(&notes_end);
  ASSERT_EQ(full.size(), 0xa00u);
  auto whole = open_bytes(full);
  ASSERT_TRUE(whole) << whole.error().message;
  ASSERT_EQ((*whole)->present().count(), 5u);
  for (size_t len = 0; len <= full.size(); ++len) {
    SCOPED_TRACE(len);
    auto r = open_bytes(std::vector<std::byte>(full.begin(), full.begin() + len));
    if (len < notes_end) {  // inside the headers or the notes
      EXPECT_FALSE(r);
      continue;
    }
    ASSERT_TRUE(r) << r.error().message;
    const PageSource& s = **r;
    EXPECT_EQ(s.info().incomplete, len < full.size());
    EXPECT_EQ(s.ram().count(), 5u);
    if (len < full.size()) {
      ASSERT_TRUE(s.info().lost_from);
      EXPECT_FALSE(s.info().warnings.empty());
    }
    // Every page served must be whole and right; pages cut short are lost.
    uint64_t present = 0;
    for (Pfn p : {0, 1, 8, 9, 10}) {
      std::vector<std::byte> out(kSmall);
      auto st = s.read_page(p, out);
      ASSERT_TRUE(st) << st.error().message;
      if (*st == PageState::excluded) {
        EXPECT_GE(p, *s.info().lost_from);
        continue;
      }
      ++present;
      std::vector<std::byte> want(kSmall);
      ASSERT_TRUE((*whole)->read_page(p, want));
      EXPECT_EQ(out, want) << p;
    }
    const uint64_t data_pages = len <= 0x200 ? 0 : std::min<uint64_t>((len - 0x200) / kSmall, 4);
    EXPECT_EQ(present, data_pages + 1) << "tail page 10 is always there";
  }
}

TEST(ElfReader, BitFlipsInHeadersNeverCrash) {
  const auto full = small_image();
  size_t opened = 0;
  for (size_t byte = 0; byte < 0x200; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto b = full;
      b[byte] ^= std::byte(1u << bit);
      auto r = open_bytes(std::move(b));
      if (!r) {
        EXPECT_FALSE(r.error().message.empty());
        continue;
      }
      ++opened;
      const PageSource& s = **r;
      std::vector<std::byte> out(s.info().page_size);
      std::optional<Pfn> p = s.ram().next(0);
      for (int i = 0; i < 64 && p; ++i, p = s.ram().next(*p + 1)) {
        auto st = s.read_page(*p, out);
        if (!st) {
          EXPECT_FALSE(st.error().message.empty());
        }
      }
    }
  }
  EXPECT_GT(opened, 1000u);  // most flips hit fields that don't matter
}

TEST(ElfReader, ConcurrentReads) {
  Image im(true, false);
  im.ehdr(62, 1, 64);
  im.phdr(64, 1, 0x1000, 0, 0, 256 * kPage, 256 * kPage);
  im.put_bytes(0x1000, concat_pages(0, 256));
  auto r = open_bytes(im.bytes());
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::byte> out(kPage);
      for (int round = 0; round < 4; ++round) {
        for (Pfn p = static_cast<Pfn>(t); p < 256; p += 3) {
          auto st = s.read_page(p, out);
          if (!st || out != page_fill(p)) ++bad;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// --- cross-check against dumpgen (tests/support: a second, independent ELF writer)

void expect_matches_dumpgen(const dumpgen::DumpSpec& spec, bool tail_is_zero) {
  const std::vector<uint8_t> raw = dumpgen::generate(spec);
  std::vector<std::byte> b(raw.size());
  std::memcpy(b.data(), raw.data(), raw.size());
  OpenOptions o;
  o.elf_tail_is_zero = tail_is_zero;
  auto r = open_bytes(std::move(b), o);
  ASSERT_TRUE(r) << r.error().message;
  const PageSource& s = **r;
  const bool damaged = spec.incomplete_after_pfn || spec.truncate_bytes;
  EXPECT_EQ(s.info().incomplete, damaged);
  EXPECT_EQ(s.info().page_size, spec.page_size);
  EXPECT_EQ(s.info().nr_cpus, static_cast<uint32_t>(spec.nr_cpus));
  EXPECT_EQ(s.info().eraseinfo, spec.eraseinfo);
  uint64_t end = s.info().max_pfn + 2;
  for (const auto& p : spec.pages) end = std::max(end, p.pfn + 2);
  for (const auto& g : spec.segments) end = std::max(end, (g.paddr + g.size) / spec.page_size + 2);
  for (uint64_t p : spec.ram_only) end = std::max(end, p + 2);
  std::vector<std::byte> out(spec.page_size);
  for (Pfn pfn = 0; pfn < end; ++pfn) {
    SCOPED_TRACE(pfn);
    auto st = s.read_page(pfn, out);
    ASSERT_TRUE(st) << st.error().message;
    switch (dumpgen::page_status(spec, pfn)) {
      case dumpgen::PageStatus::absent:
        EXPECT_EQ(*st, PageState::excluded);
        EXPECT_FALSE(s.ram().contains(pfn));
        break;
      case dumpgen::PageStatus::excluded:  // a p_memsz tail
        EXPECT_TRUE(s.ram().contains(pfn));
        EXPECT_EQ(*st, tail_is_zero ? PageState::zero : PageState::excluded);
        if (tail_is_zero) {
          EXPECT_TRUE(all_zero(out));
        }
        break;
      case dumpgen::PageStatus::lost:
        EXPECT_EQ(*st, PageState::excluded);
        break;
      case dumpgen::PageStatus::present: {
        ASSERT_NE(*st, PageState::excluded);
        auto want = dumpgen::expected_page(spec, pfn);
        ASSERT_TRUE(want);
        ASSERT_EQ(want->size(), out.size());
        EXPECT_EQ(std::memcmp(want->data(), out.data(), out.size()), 0);
        break;
      }
    }
  }
  expect_read_pages_agree(s);
}

dumpgen::DumpSpec gen_spec(const std::string& arch) {
  dumpgen::DumpSpec spec;
  spec.arch = arch;
  spec.nr_cpus = 3;
  for (uint64_t p : {0, 1, 2, 5, 6, 40, 41, 42, 43}) spec.pages.push_back(dumpgen::page(p));
  spec.pages.push_back(dumpgen::page(3, dumpgen::PageKind::zero));
  spec.pages.push_back(dumpgen::page(44, dumpgen::PageKind::random));
  spec.ram_only = {7, 8, 9, 45};  // p_memsz tails after the runs ending at 6 and 44
  spec.segments.push_back({0x100000, 8 * 4096, dumpgen::Fill::pattern, 1});
  spec.eraseinfo = "erase modules 3\n";
  return spec;
}

TEST(ElfReader, AgreesWithDumpgen) {
  for (const char* arch : {"x86_64", "i686", "s390x", "ppc64", "aarch64", "arm"}) {
    for (bool tail_is_zero : {true, false}) {
      SCOPED_TRACE(std::string(arch) + (tail_is_zero ? " tail=zero" : " tail=excluded"));
      expect_matches_dumpgen(gen_spec(arch), tail_is_zero);
    }
  }
}

TEST(ElfReader, AgreesWithDumpgenVariants) {
  auto spec = gen_spec("x86_64");
  spec.elf.vaddr = dumpgen::Vaddr::zero;
  spec.elf.align_data = true;
  expect_matches_dumpgen(spec, true);

  spec = gen_spec("x86_64");
  spec.page_size = 65536;
  spec.arch = "aarch64";
  spec.segments = {{0x1000000, 4 * 65536, dumpgen::Fill::pattern, 1}};
  expect_matches_dumpgen(spec, true);

  spec = gen_spec("x86_64");
  spec.incomplete_after_pfn = 41;
  expect_matches_dumpgen(spec, true);

  for (uint64_t cut : {0x2000, 0x5000, 0x9800, 0x10000}) {
    spec = gen_spec("s390x");
    spec.truncate_bytes = cut;
    SCOPED_TRACE(cut);
    expect_matches_dumpgen(spec, false);
  }
}

TEST(ElfReader, AgreesWithDumpgenPnXnum) {
  dumpgen::DumpSpec spec;
  spec.page_size = 512;
  spec.segments.push_back({0, 70000 * 512, dumpgen::Fill::sparse_pattern, 7});
  spec.elf.max_segment_pages = 1;  // one PT_LOAD per page: 70000 of them
  expect_matches_dumpgen(spec, true);
}

}  // namespace
}  // namespace dumpfmt
