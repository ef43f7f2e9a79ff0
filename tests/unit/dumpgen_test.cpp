// Tests of the dumpgen test-support generator against external truth: libelf parses its
// ELF output, kdump fields are checked at docs/formats.md's fixed offsets, pages are decompressed
// with the codec libraries themselves, flattened records are parsed by hand.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dumpgen.h"
#include "gtest/gtest.h"

#if __has_include(<lzo/lzo1x.h>)
#include <lzo/lzo1x.h>
#define HAVE_LZO_H 1
#endif
#if __has_include(<snappy-c.h>)
#include <snappy-c.h>
#define HAVE_SNAPPY_H 1
#endif
#if __has_include(<zstd.h>)
#include <zstd.h>
#define HAVE_ZSTD_H 1
#endif
#ifdef DUMPGEN_HAVE_LIBELF
#include <gelf.h>
#include <libelf.h>
#endif

namespace {

using Bytes = std::vector<uint8_t>;
using dumpgen::Codec;
using dumpgen::DumpSpec;
using dumpgen::Format;
using dumpgen::PageKind;
using dumpgen::PageStatus;

uint64_t rd(const Bytes& b, uint64_t off, int size, bool be = false) {
  EXPECT_LE(off + size, b.size()) << "read past end at " << off;
  if (off + size > b.size()) return 0;
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    uint64_t byte = b[off + i];
    v |= be ? byte << (8 * (size - 1 - i)) : byte << (8 * i);
  }
  return v;
}

Bytes slice(const Bytes& b, uint64_t off, uint64_t n) {
  if (off + n > b.size()) return {};
  return Bytes(b.begin() + off, b.begin() + off + n);
}

std::string hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

// --- page contents ---------------------------------------------------------------------

TEST(DumpgenPattern, KnownValues) {
  // Computed independently (Python, from the description in dumpgen.h).
  EXPECT_EQ(dumpgen::splitmix64(0), 0xe220a8397b1dcdafull);
  Bytes p = dumpgen::page_pattern(1, 1, 4096);
  ASSERT_EQ(p.size(), 4096u);
  EXPECT_EQ(hex(slice(p, 0, 16)), "091b7e9a4a267557091b7e9a4a267557");
  // Eight copies of each word: bytes 64.. start the next value.
  EXPECT_EQ(slice(p, 0, 8), slice(p, 56, 8));
  EXPECT_NE(slice(p, 0, 8), slice(p, 64, 8));
  Bytes r = dumpgen::page_random(1, 1, 4096);
  EXPECT_EQ(slice(r, 0, 8), slice(p, 0, 8));  // same base, word 0
  EXPECT_NE(slice(r, 8, 8), slice(p, 8, 8));
  EXPECT_NE(dumpgen::page_pattern(1, 2, 4096), p);
  EXPECT_NE(dumpgen::page_pattern(2, 1, 4096), p);
  EXPECT_EQ(dumpgen::page_pattern(1, 1, 100), slice(p, 0, 100));
}

// --- ELF ---------------------------------------------------------------------------------

#ifdef DUMPGEN_HAVE_LIBELF
struct ElfView {
  Bytes buf;
  Elf* elf = nullptr;
  explicit ElfView(Bytes b) : buf(std::move(b)) {
    elf_version(EV_CURRENT);
    elf = elf_memory(reinterpret_cast<char*>(buf.data()), buf.size());
  }
  ~ElfView() {
    if (elf) elf_end(elf);
  }
  std::vector<GElf_Phdr> phdrs() {
    size_t n = 0;
    EXPECT_EQ(elf_getphdrnum(elf, &n), 0) << elf_errmsg(-1);
    std::vector<GElf_Phdr> v(n);
    for (size_t i = 0; i < n; ++i)
      EXPECT_NE(gelf_getphdr(elf, static_cast<int>(i), &v[i]), nullptr);
    return v;
  }
  struct Note {
    std::string name;
    uint32_t type;
    Bytes desc;
  };
  std::vector<Note> notes(const GElf_Phdr& ph) {
    std::vector<Note> out;
    Elf_Data* d =
        elf_getdata_rawchunk(elf, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_NHDR);
    EXPECT_NE(d, nullptr) << elf_errmsg(-1);
    if (!d) return out;
    size_t off = 0, name_off = 0, desc_off = 0;
    GElf_Nhdr nh;
    while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
      const char* base = static_cast<const char*>(d->d_buf);
      Note n;
      n.name.assign(base + name_off, nh.n_namesz ? nh.n_namesz - 1 : 0);
      n.type = nh.n_type;
      n.desc.assign(base + desc_off, base + desc_off + nh.n_descsz);
      out.push_back(n);
    }
    return out;
  }
};

TEST(DumpgenElf, Elf64ProgramHeadersAndNotes) {
  DumpSpec s;
  for (uint64_t p = 0; p < 16; ++p) s.pages.push_back(dumpgen::page(p));
  s.ram_only = {16, 17, 18};  // p_memsz tail of the first PT_LOAD
  for (uint64_t p = 100; p < 104; ++p) s.pages.push_back(dumpgen::page(p, PageKind::zero));
  s.nr_cpus = 3;
  s.eraseinfo = "erase jiffies size 8\n";
  ElfView v(dumpgen::generate(s));
  ASSERT_NE(v.elf, nullptr);
  GElf_Ehdr eh;
  ASSERT_NE(gelf_getehdr(v.elf, &eh), nullptr);
  EXPECT_EQ(gelf_getclass(v.elf), ELFCLASS64);
  EXPECT_EQ(eh.e_ident[EI_DATA], ELFDATA2LSB);
  EXPECT_EQ(eh.e_type, ET_CORE);
  EXPECT_EQ(eh.e_machine, EM_X86_64);
  EXPECT_EQ(eh.e_flags, 0u);
  auto ph = v.phdrs();
  ASSERT_EQ(ph.size(), 3u);
  EXPECT_EQ(ph[0].p_type, PT_NOTE);
  EXPECT_EQ(ph[1].p_type, PT_LOAD);
  EXPECT_EQ(ph[1].p_paddr, 0u);
  EXPECT_EQ(ph[1].p_vaddr, 0xffff888000000000ull);
  EXPECT_EQ(ph[1].p_filesz, 16u * 4096);
  EXPECT_EQ(ph[1].p_memsz, 19u * 4096);
  EXPECT_EQ(ph[1].p_flags, PF_R | PF_W | PF_X);
  EXPECT_EQ(ph[2].p_paddr, 100u * 4096);
  EXPECT_EQ(ph[2].p_filesz, 4u * 4096);
  EXPECT_EQ(ph[2].p_offset, ph[1].p_offset + ph[1].p_filesz);  // back to back
  EXPECT_EQ(ph[0].p_offset + ph[0].p_filesz, ph[1].p_offset);
  EXPECT_EQ(v.buf.size(), ph[2].p_offset + ph[2].p_filesz);
  for (uint64_t p = 0; p < 16; ++p)
    EXPECT_EQ(slice(v.buf, ph[1].p_offset + p * 4096, 4096), dumpgen::page_pattern(1, p, 4096));
  EXPECT_EQ(slice(v.buf, ph[2].p_offset, 4096), Bytes(4096, 0));

  auto notes = v.notes(ph[0]);
  ASSERT_EQ(notes.size(), 5u);
  for (int cpu = 0; cpu < 3; ++cpu) {
    EXPECT_EQ(notes[cpu].name, "CORE");
    EXPECT_EQ(notes[cpu].type, NT_PRSTATUS);
    ASSERT_EQ(notes[cpu].desc.size(), 336u);
    EXPECT_EQ(rd(notes[cpu].desc, 32, 4), static_cast<uint64_t>(cpu + 1));            // pr_pid
    EXPECT_EQ(rd(notes[cpu].desc, 112 + 16 * 8, 8), dumpgen::prstatus_reg(cpu, 16));  // rip
  }
  EXPECT_EQ(notes[3].name, "VMCOREINFO");
  EXPECT_EQ(std::string(notes[3].desc.begin(), notes[3].desc.end()),
            "OSRELEASE=6.1.0-dumpgen\nPAGESIZE=4096\nCRASHTIME=1700000000\n");
  EXPECT_EQ(notes[4].name, "ERASEINFO");
  EXPECT_EQ(std::string(notes[4].desc.begin(), notes[4].desc.end()), s.eraseinfo);

  EXPECT_EQ(dumpgen::page_status(s, 5), PageStatus::present);
  EXPECT_EQ(dumpgen::page_status(s, 17), PageStatus::excluded);
  EXPECT_EQ(dumpgen::page_status(s, 50), PageStatus::absent);
  EXPECT_EQ(dumpgen::expected_page(s, 101), Bytes(4096, 0));
  EXPECT_FALSE(dumpgen::expected_page(s, 17).has_value());
}

TEST(DumpgenElf, Elf32BigEndianAndVaddrChoices) {
  DumpSpec s;
  s.arch = "ppc";  // ELF32, big endian, EM_PPC
  s.elf.vaddr = dumpgen::Vaddr::phys;
  s.elf.align_data = true;
  for (uint64_t p = 10; p < 14; ++p) s.pages.push_back(dumpgen::page(p));
  ElfView v(dumpgen::generate(s));
  ASSERT_NE(v.elf, nullptr);
  GElf_Ehdr eh;
  ASSERT_NE(gelf_getehdr(v.elf, &eh), nullptr);
  EXPECT_EQ(gelf_getclass(v.elf), ELFCLASS32);
  EXPECT_EQ(eh.e_ident[EI_DATA], ELFDATA2MSB);
  EXPECT_EQ(eh.e_machine, EM_PPC);
  EXPECT_EQ(eh.e_phentsize, 32u);
  auto ph = v.phdrs();
  ASSERT_EQ(ph.size(), 2u);
  EXPECT_EQ(ph[1].p_paddr, 10u * 4096);
  EXPECT_EQ(ph[1].p_vaddr, 10u * 4096);
  EXPECT_EQ(ph[1].p_offset % 4096, 0u);
  auto notes = v.notes(ph[0]);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].desc.size(), 144u);                 // i386-like 32-bit prstatus
  EXPECT_EQ(rd(notes[0].desc, 24, 4, /*be=*/true), 1u);  // pr_pid, big endian
  EXPECT_EQ(slice(v.buf, ph[1].p_offset + 4096, 4096), dumpgen::page_pattern(1, 11, 4096));

  s.elf.vaddr = dumpgen::Vaddr::zero;
  ElfView z(dumpgen::generate(s));
  EXPECT_EQ(z.phdrs()[1].p_vaddr, 0u);
}

TEST(DumpgenElf, PnXnum) {
  // 65535 PT_LOADs (+ PT_NOTE): e_phnum = PN_XNUM, the real count in section 0's sh_info.
  DumpSpec x;
  x.pages.push_back(dumpgen::page(0));
  for (uint64_t p = 1; p < 65535; ++p) x.ram_only.push_back(p);
  x.elf.max_segment_pages = 1;
  ElfView xv(dumpgen::generate(x));
  GElf_Ehdr eh;
  ASSERT_NE(gelf_getehdr(xv.elf, &eh), nullptr);
  EXPECT_EQ(eh.e_phnum, PN_XNUM);
  EXPECT_EQ(eh.e_shnum, 1u);
  EXPECT_EQ(eh.e_shoff, 64u + 56u * 65536);
  size_t n = 0;
  ASSERT_EQ(elf_getphdrnum(xv.elf, &n), 0);
  EXPECT_EQ(n, 65536u);
  GElf_Phdr last;
  ASSERT_NE(gelf_getphdr(xv.elf, 65535, &last), nullptr);
  EXPECT_EQ(last.p_paddr, 65534u * 4096);
  EXPECT_EQ(last.p_filesz, 0u);
  EXPECT_EQ(last.p_offset, 0u);
  EXPECT_EQ(last.p_memsz, 4096u);
}

TEST(DumpgenElf, SegmentLayoutExact) {
  DumpSpec s;
  for (uint64_t p = 0; p < 10; ++p) s.pages.push_back(dumpgen::page(p));
  s.elf.break_before = {3};
  s.elf.max_segment_pages = 4;
  ElfView v(dumpgen::generate(s));
  auto ph = v.phdrs();
  std::vector<std::pair<uint64_t, uint64_t>> got;
  for (size_t i = 1; i < ph.size(); ++i)
    got.emplace_back(ph[i].p_paddr / 4096, ph[i].p_memsz / 4096);
  std::vector<std::pair<uint64_t, uint64_t>> want = {{0, 3}, {3, 4}, {7, 3}};
  EXPECT_EQ(got, want);
}

TEST(DumpgenElf, Incomplete) {
  DumpSpec s;
  for (uint64_t p = 0; p < 8; ++p) s.pages.push_back(dumpgen::page(p));
  for (uint64_t p = 20; p < 24; ++p) s.pages.push_back(dumpgen::page(p));
  s.incomplete_after_pfn = 5;
  ElfView v(dumpgen::generate(s));
  GElf_Ehdr eh;
  ASSERT_NE(gelf_getehdr(v.elf, &eh), nullptr);
  EXPECT_EQ(eh.e_flags & 1u, 1u);
  auto ph = v.phdrs();
  ASSERT_EQ(ph.size(), 3u);
  EXPECT_EQ(ph[2].p_type, PT_NULL);  // header after the cut reads as zeros
  EXPECT_EQ(ph[2].p_paddr, 0u);
  EXPECT_EQ(v.buf.size(), ph[1].p_offset + 6 * 4096);
  EXPECT_EQ(dumpgen::page_status(s, 5), PageStatus::present);
  EXPECT_EQ(dumpgen::page_status(s, 6), PageStatus::lost);
  EXPECT_EQ(dumpgen::page_status(s, 21), PageStatus::lost);
}
#endif  // DUMPGEN_HAVE_LIBELF

TEST(DumpgenElf, TruncationMakesPagesLost) {
  DumpSpec s = dumpgen::simple_spec(Format::elf, 8);
  Bytes full = dumpgen::generate(s);
  s.truncate_bytes = full.size() - 4096 - 1;
  EXPECT_EQ(dumpgen::generate(s).size(), *s.truncate_bytes);
  EXPECT_EQ(dumpgen::page_status(s, 5), PageStatus::present);
  EXPECT_EQ(dumpgen::page_status(s, 6), PageStatus::lost);
  EXPECT_EQ(dumpgen::page_status(s, 7), PageStatus::lost);
}

TEST(DumpgenElf, SparseFileMatchesInMemoryAndStaysSparse) {
  const std::string dir = testing::TempDir();
  // Small spec: the streaming writer and generate() give the same bytes.
  DumpSpec s;
  s.segments.push_back({0, 64 * 4096, dumpgen::Fill::sparse_pattern, 5});
  s.segments.push_back({1 << 20, 16 * 4096, dumpgen::Fill::zero, 1});
  s.pages.push_back(dumpgen::page(1000, PageKind::random));
  const std::string small = dir + "/dumpgen_small.elf";
  dumpgen::generate_to_file(s, small);
  Bytes mem = dumpgen::generate(s);
  Bytes disk(mem.size() + 1);
  int fd = ::open(small.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pread(fd, disk.data(), disk.size(), 0), static_cast<ssize_t>(mem.size()));
  ::close(fd);
  disk.resize(mem.size());
  EXPECT_EQ(disk, mem);
  EXPECT_EQ(dumpgen::page_content(s, 5), dumpgen::page_pattern(1, 5, 4096));
  EXPECT_EQ(dumpgen::page_content(s, 6), Bytes(4096, 0));
  std::filesystem::remove(small);

  // 256 GiB of address space, one pattern page every 64 MiB: a few MiB on disk.
  DumpSpec big;
  big.elf.align_data = true;
  big.segments.push_back({0, 256ull << 30, dumpgen::Fill::sparse_pattern, 16384});
  const std::string path = dir + "/dumpgen_sparse.elf";
  dumpgen::generate_to_file(big, path);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_GT(static_cast<uint64_t>(st.st_size), 256ull << 30);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 256ull << 20);
  fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  Bytes head(4096);
  ASSERT_EQ(::pread(fd, head.data(), head.size(), 0), 4096);
  const uint64_t data_off = rd(head, 64 + 56 + 8, 8);  // second phdr's p_offset
  EXPECT_EQ(data_off % 4096, 0u);
  EXPECT_EQ(rd(head, 64 + 56 + 32, 8), 256ull << 30);  // p_filesz
  Bytes page(4096);
  for (uint64_t pfn : {0ull, 16384ull, 16384ull * 1000, 16384ull * 1000 + 1}) {
    ASSERT_EQ(::pread(fd, page.data(), 4096, static_cast<off_t>(data_off + pfn * 4096)), 4096);
    EXPECT_EQ(page, *dumpgen::expected_page(big, pfn)) << pfn;
  }
  ::close(fd);
  std::filesystem::remove(path);
}

// --- kdump -------------------------------------------------------------------------------

struct KdumpView {
  const Bytes& b;
  bool be;
  bool is64;
  uint64_t f;  // offset of `status` (after the timeval)
  KdumpView(const Bytes& bytes, bool big, bool sixty_four)
      : b(bytes), be(big), is64(sixty_four), f(sixty_four ? 424 : 412) {}
  uint64_t u32(uint64_t off) const { return rd(b, off, 4, be); }
  uint64_t u64(uint64_t off) const { return rd(b, off, 8, be); }
  uint64_t status() const { return u32(f); }
  uint64_t block_size() const { return u32(f + 4); }
  uint64_t sub_hdr_size() const { return u32(f + 8); }
  uint64_t bitmap_blocks() const { return u32(f + 12); }
  uint64_t max_mapnr() const { return u32(f + 16); }
  uint64_t nr_cpus() const { return u32(f + 36); }
  uint64_t bitmap1() const { return (1 + sub_hdr_size()) * block_size(); }
  uint64_t bitmap2() const { return bitmap1() + bitmap_blocks() / 2 * block_size(); }
  uint64_t desc_table() const { return (1 + sub_hdr_size() + bitmap_blocks()) * block_size(); }
  bool bit(uint64_t bm, uint64_t pfn) const { return b[bm + (pfn >> 3)] >> (pfn & 7) & 1; }
};

Bytes decompress(uint32_t flags, const Bytes& in, size_t page_size) {
  Bytes out(page_size);
  switch (flags) {
    case 0x1: {
      uLongf n = page_size;
      if (uncompress(out.data(), &n, in.data(), in.size()) != Z_OK || n != page_size) return {};
      return out;
    }
#ifdef HAVE_LZO_H
    case 0x2: {
      lzo_uint n = page_size;
      if (lzo1x_decompress_safe(in.data(), in.size(), out.data(), &n, nullptr) != LZO_E_OK ||
          n != page_size)
        return {};
      return out;
    }
#endif
#ifdef HAVE_SNAPPY_H
    case 0x4: {
      size_t n = page_size;
      if (snappy_uncompress(reinterpret_cast<const char*>(in.data()), in.size(),
                            reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK ||
          n != page_size)
        return {};
      return out;
    }
#endif
#ifdef HAVE_ZSTD_H
    case 0x20: {
      size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n) || n != page_size) return {};
      return out;
    }
#endif
    default:
      return {};
  }
}

// Reads every page via the bitmaps and descriptors (docs/formats.md §3.5/3.6) without dumpgen.
std::map<uint64_t, Bytes> read_all(const KdumpView& k, uint64_t start = 0, uint64_t idx0 = 0,
                                   uint64_t end = ~0ull) {
  std::map<uint64_t, Bytes> pages;
  uint64_t index = idx0;
  const uint64_t mapnr = k.max_mapnr();
  for (uint64_t pfn = start; pfn < std::min(mapnr, end); ++pfn) {
    if (!k.bit(k.bitmap2(), pfn)) continue;
    const uint64_t d = k.desc_table() + 24 * index++;
    const uint64_t off = k.u64(d), size = k.u32(d + 8), flags = k.u32(d + 12);
    EXPECT_EQ(k.u64(d + 16), 0u);  // page_flags
    Bytes stored = slice(k.b, off, size);
    if (flags == 0) {
      EXPECT_EQ(size, k.block_size());
      pages[pfn] = stored;
    } else {
      EXPECT_LT(size, k.block_size());
      pages[pfn] = decompress(static_cast<uint32_t>(flags), stored, k.block_size());
    }
  }
  return pages;
}

DumpSpec kdump_spec(Codec c) {
  DumpSpec s;
  s.format = Format::kdump;
  s.kdump.codec = c;
  for (uint64_t p = 0; p < 40; ++p) {
    PageKind kind = p % 7 == 0 ? PageKind::zero : p % 5 == 0 ? PageKind::random : PageKind::pattern;
    s.pages.push_back(dumpgen::page(p, kind));
  }
  s.ram_only = {40, 41};
  for (uint64_t p = 100; p < 110; ++p) s.pages.push_back(dumpgen::page(p));
  s.nr_cpus = 2;
  return s;
}

class DumpgenKdumpCodec : public testing::TestWithParam<Codec> {};

TEST_P(DumpgenKdumpCodec, HeaderFieldsAndPagesDecompress) {
  if (!dumpgen::codec_available(GetParam())) GTEST_SKIP() << "codec not built";
  DumpSpec s = kdump_spec(GetParam());
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, false, true);
  EXPECT_EQ(std::string(f.begin(), f.begin() + 8), "KDUMP   ");
  EXPECT_EQ(k.u32(8), 6u);                                                 // header_version
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&f[12])), "Linux");  // sysname
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&f[12 + 4 * 65])), "x86_64");
  EXPECT_EQ(k.u64(408), 1700000000u);  // timestamp.tv_sec
  EXPECT_EQ(k.status(), dumpgen::codec_flag(GetParam()));
  EXPECT_EQ(k.block_size(), 4096u);
  EXPECT_EQ(k.sub_hdr_size(), 1u);
  EXPECT_EQ(k.bitmap_blocks(), 2u);
  EXPECT_EQ(k.max_mapnr(), 110u);
  EXPECT_EQ(k.nr_cpus(), 2u);
  // Sub header (64-bit layout).
  const uint64_t sh = 4096;
  EXPECT_EQ(k.u32(sh + 8), 1u);   // dump_level: zero pages shared
  EXPECT_EQ(k.u32(sh + 12), 0u);  // split
  const uint64_t off_note = k.u64(sh + 48), size_note = k.u64(sh + 56);
  EXPECT_EQ(off_note, 4096u + 104);
  EXPECT_EQ(size_note, 2 * (12 + 8 + 336) + 12 + 12 + 60u);
  const uint64_t off_vmci = k.u64(sh + 32), size_vmci = k.u64(sh + 40);
  EXPECT_EQ(std::string(f.begin() + off_vmci, f.begin() + off_vmci + size_vmci),
            dumpgen::default_vmcoreinfo(s));
  EXPECT_EQ(std::string(f.begin() + off_vmci - 12, f.begin() + off_vmci - 2), "VMCOREINFO");
  EXPECT_EQ(k.u64(sh + 96), 110u);  // max_mapnr_64
  // Bitmaps.
  for (uint64_t p : {0ull, 39ull, 100ull, 109ull}) {
    EXPECT_TRUE(k.bit(k.bitmap1(), p)) << p;
    EXPECT_TRUE(k.bit(k.bitmap2(), p)) << p;
  }
  EXPECT_TRUE(k.bit(k.bitmap1(), 40));
  EXPECT_FALSE(k.bit(k.bitmap2(), 40));
  EXPECT_FALSE(k.bit(k.bitmap1(), 50));
  // Pages.
  auto pages = read_all(k);
  ASSERT_EQ(pages.size(), 50u);
  int compressed = 0, raw = 0;
  for (const dumpgen::PageInfo& pi : dumpgen::page_map(s)) {
    if (pi.status != PageStatus::present) continue;
    EXPECT_EQ(pages[pi.pfn], *dumpgen::expected_page(s, pi.pfn)) << pi.pfn;
    (pi.flags ? compressed : raw)++;
  }
  EXPECT_EQ(pages[1], dumpgen::page_pattern(1, 1, 4096));
  EXPECT_EQ(pages[5], dumpgen::page_random(1, 5, 4096));
  EXPECT_EQ(pages[14], Bytes(4096, 0));
  if (GetParam() == Codec::none) {
    EXPECT_EQ(compressed, 0);
  } else {
    EXPECT_EQ(compressed, 50 - 6 - 6);  // 6 zero pages (shared) and 6 random ones are raw
  }
  // Zero pages share the zero block at the start of the data area.
  const uint64_t data0 = k.desc_table() + 24 * 50;
  EXPECT_EQ(k.u64(k.desc_table() + 0), data0);              // pfn 0 is zero
  EXPECT_EQ(k.u64(k.desc_table() + 24 * 7), data0);         // pfn 7 too
  EXPECT_EQ(k.u64(k.desc_table() + 24 * 1), data0 + 4096);  // pfn 1 follows it
}

std::string codec_param_name(const testing::TestParamInfo<Codec>& p) {
  return dumpgen::codec_name(p.param);
}

INSTANTIATE_TEST_SUITE_P(Codecs, DumpgenKdumpCodec,
                         testing::Values(Codec::none, Codec::zlib, Codec::lzo, Codec::snappy,
                                         Codec::zstd),
                         codec_param_name);

TEST(DumpgenKdump, PerPageCodecOverrideAndNoSharedZeroPage) {
  DumpSpec s = kdump_spec(Codec::zlib);
  s.kdump.shared_zero_page = false;
  s.pages[1].codec = Codec::zstd;
  s.pages[3].kind = PageKind::bytes;
  s.pages[3].bytes = {'h', 'e', 'l', 'l', 'o'};
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, false, true);
  EXPECT_EQ(k.u32(4096 + 8), 0u);  // dump_level
  EXPECT_EQ(k.u32(k.desc_table() + 24 * 1 + 12), 0x20u);
  EXPECT_EQ(k.u32(k.desc_table() + 24 * 2 + 12), 0x1u);
  EXPECT_EQ(k.u32(k.desc_table() + 24 * 0 + 12), 0x1u);  // zero page compressed on its own
  EXPECT_EQ(k.u64(k.desc_table()), k.desc_table() + 24 * 50);
  auto pages = read_all(k);
  for (auto& [pfn, data] : pages) EXPECT_EQ(data, dumpgen::page_content(s, pfn)) << pfn;
  Bytes hello(4096, 0);
  std::memcpy(hello.data(), "hello", 5);
  EXPECT_EQ(pages[3], hello);
}

TEST(DumpgenKdump, Header32BitBigEndianAndSubHeaderLayouts) {
  DumpSpec s = kdump_spec(Codec::zlib);
  s.arch = "mips";  // 32-bit big endian, padded sub header
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, true, false);
  EXPECT_EQ(k.u32(8), 6u);
  EXPECT_EQ(k.u32(404), 1700000000u);  // 32-bit timeval
  EXPECT_EQ(k.block_size(), 4096u);
  EXPECT_EQ(k.max_mapnr(), 110u);
  EXPECT_EQ(k.u64(4096 + 40), 4096u + 96);
  EXPECT_EQ(k.u64(4096 + 88), 110u);  // max_mapnr_64
  auto pages = read_all(k);
  EXPECT_EQ(pages.size(), 50u);
  EXPECT_EQ(pages[3], dumpgen::page_pattern(1, 3, 4096));

  s.arch = "i386";  // packed
  Bytes g = dumpgen::generate(s);
  KdumpView p(g, false, false);
  EXPECT_EQ(p.u64(4096 + 32), 4096u + 80);  // offset_note
  EXPECT_EQ(p.u64(4096 + 72), 110u);        // max_mapnr_64
  s.kdump.sub_header = dumpgen::SubHeaderLayout::padded32;
  Bytes h = dumpgen::generate(s);
  EXPECT_EQ(KdumpView(h, false, false).u64(4096 + 40), 4096u + 96);
}

TEST(DumpgenKdump, OlderHeaderVersions) {
  DumpSpec s = kdump_spec(Codec::zlib);
  s.kdump.header_version = 3;
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, false, true);
  const uint64_t off = k.u64(4096 + 32), size = k.u64(4096 + 40);
  EXPECT_EQ(off, 4096u + 104);  // the text itself, not a note
  EXPECT_EQ(std::string(f.begin() + off, f.begin() + off + size), dumpgen::default_vmcoreinfo(s));
  EXPECT_EQ(k.u64(4096 + 48), 0u);  // no offset_note in v3
  EXPECT_EQ(k.u64(4096 + 96), 0u);  // no max_mapnr_64
  s.kdump.header_version = 1;
  Bytes g = dumpgen::generate(s);
  EXPECT_EQ(KdumpView(g, false, true).u64(4096 + 32), 0u);
  EXPECT_EQ(read_all(KdumpView(g, false, true)).size(), 50u);
  s.kdump.header_version = 7;
  EXPECT_THROW(dumpgen::generate(s), std::invalid_argument);
}

TEST(DumpgenKdump, EraseinfoAfterPageData) {
  DumpSpec s = kdump_spec(Codec::lzo);
  s.eraseinfo = "erase modules size 8\nerase jiffies nullify\n";
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, false, true);
  const uint64_t off = k.u64(4096 + 64), size = k.u64(4096 + 72);
  EXPECT_EQ(size, s.eraseinfo.size());
  EXPECT_EQ(off + size, f.size());
  EXPECT_EQ(std::string(f.begin() + off, f.end()), s.eraseinfo);
}

TEST(DumpgenKdump, IncompleteZeroesLaterDescriptors) {
  DumpSpec s = kdump_spec(Codec::zstd);
  s.incomplete_after_pfn = 20;
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, false, true);
  EXPECT_EQ(k.status(), 0x20u | 0x8u);
  // Descriptor 21 onward (pfns 21..39 and 100..109) are zero.
  for (uint64_t i = 21; i < 50; ++i) EXPECT_EQ(k.u64(k.desc_table() + 24 * i), 0u) << i;
  const uint64_t last = k.desc_table() + 24 * 20;
  EXPECT_EQ(f.size(), k.u64(last) + k.u32(last + 8));  // file ends after pfn 20's data
  EXPECT_EQ(dumpgen::page_status(s, 20), PageStatus::present);
  EXPECT_EQ(dumpgen::page_status(s, 21), PageStatus::lost);
  EXPECT_EQ(dumpgen::page_status(s, 40), PageStatus::excluded);
}

TEST(DumpgenKdump, TruncationStatusFollowsLayout) {
  DumpSpec s = kdump_spec(Codec::zlib);
  Bytes full = dumpgen::generate(s);
  KdumpView k(full, false, true);
  const uint64_t d30 = k.desc_table() + 24 * 30;
  s.truncate_bytes = k.u64(d30) + k.u32(d30 + 8) - 1;  // cut inside pfn 30's data
  EXPECT_EQ(dumpgen::generate(s).size(), *s.truncate_bytes);
  EXPECT_EQ(dumpgen::page_status(s, 29), PageStatus::present);
  EXPECT_EQ(dumpgen::page_status(s, 30), PageStatus::lost);
  EXPECT_EQ(dumpgen::page_status(s, 109), PageStatus::lost);
  dumpgen::Oracle oracle(s);
  for (uint64_t pfn = 0; pfn < 120; ++pfn) {
    EXPECT_EQ(oracle.status(pfn), dumpgen::page_status(s, pfn)) << pfn;
    EXPECT_EQ(oracle.expected(pfn), dumpgen::expected_page(s, pfn)) << pfn;
  }
  EXPECT_EQ(oracle.status(40), PageStatus::excluded);
  EXPECT_EQ(oracle.status(50), PageStatus::absent);
  EXPECT_EQ(oracle.status(500), PageStatus::absent);  // beyond max_mapnr
}

TEST(DumpgenKdump, SplitSet) {
  DumpSpec s = kdump_spec(Codec::zlib);
  auto parts = dumpgen::generate_split(s, 3);
  ASSERT_EQ(parts.size(), 3u);
  std::map<uint64_t, Bytes> all;
  uint64_t expect_start = 0, total_desc = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Bytes& f = parts[i];
    KdumpView k(f, false, true);
    // Main headers and bitmaps are identical in every part.
    EXPECT_EQ(slice(f, 0, 4096), slice(parts[0], 0, 4096));
    EXPECT_EQ(slice(f, k.bitmap1(), 2 * 4096), slice(parts[0], k.bitmap1(), 2 * 4096));
    EXPECT_EQ(k.u32(4096 + 12), 1u);  // split
    const uint64_t start = k.u64(4096 + 80), end = k.u64(4096 + 88);
    EXPECT_EQ(k.u64(4096 + 16), start);  // 32-bit-era copies
    EXPECT_EQ(k.u64(4096 + 24), end);
    EXPECT_EQ(start, expect_start);
    expect_start = end;
    auto pages = read_all(k, start, 0, end);
    // Page data starts after room for all 50 descriptors; its zero page comes first.
    EXPECT_EQ(k.u64(k.desc_table()) >= k.desc_table() + 24 * 50, true);
    total_desc += pages.size();
    all.insert(pages.begin(), pages.end());
  }
  EXPECT_EQ(expect_start, 110u);
  EXPECT_EQ(total_desc, 50u);
  for (auto& [pfn, data] : all) EXPECT_EQ(data, *dumpgen::expected_page(s, pfn, 3)) << pfn;
  EXPECT_THROW(dumpgen::generate_split(dumpgen::simple_spec(Format::elf, 4), 2),
               std::invalid_argument);
}

// --- flattened ---------------------------------------------------------------------------

// Reassembles a flattened file (docs/formats.md §4) the way makedumpfile -R does.
Bytes reassemble(const Bytes& flat, size_t* records = nullptr) {
  EXPECT_EQ(std::string(flat.begin(), flat.begin() + 12), "makedumpfile");
  EXPECT_EQ(rd(flat, 16, 8, true), 1u);
  EXPECT_EQ(rd(flat, 24, 8, true), 1u);
  Bytes out;
  uint64_t pos = 4096;
  size_t n = 0;
  for (;;) {
    uint64_t off = rd(flat, pos, 8, true), size = rd(flat, pos + 8, 8, true);
    pos += 16;
    if (off == ~0ull) {
      EXPECT_EQ(size, ~0ull);
      break;
    }
    if (out.size() < off + size) out.resize(off + size, 0);
    std::memcpy(out.data() + off, flat.data() + pos, size);
    pos += size;
    ++n;
    if (pos > flat.size()) {
      ADD_FAILURE() << "record past end";
      break;
    }
  }
  EXPECT_EQ(pos, flat.size());
  if (records) *records = n;
  return out;
}

TEST(DumpgenFlat, RecordsReassembleToPlainFile) {
  for (Format fmt : {Format::kdump, Format::elf}) {
    DumpSpec s = kdump_spec(Codec::zlib);
    s.format = fmt;
    s.eraseinfo = "erase x size 1\n";
    Bytes plain = dumpgen::generate(s);
    s.flat.enabled = true;
    size_t n1 = 0, n2 = 0;
    EXPECT_EQ(reassemble(dumpgen::generate(s), &n1), plain);
    s.flat.record_size = 0;  // one record per write
    EXPECT_EQ(reassemble(dumpgen::generate(s), &n2), plain);
    EXPECT_GT(n2, n1);
    s.flat.shuffle = true;
    s.flat.record_size = 4096;
    EXPECT_EQ(reassemble(dumpgen::generate(s)), plain);
    s.flat.garbage_overlap = true;
    EXPECT_EQ(reassemble(dumpgen::generate(s)), plain);
  }
}

TEST(DumpgenFlat, KdumpSubHeaderRewrittenLikeMakedumpfile) {
  DumpSpec s = kdump_spec(Codec::zlib);
  s.eraseinfo = "erase x size 1\n";
  s.flat.enabled = true;
  Bytes flat = dumpgen::generate(s);
  // The sub header at 4096 appears twice: first with eraseinfo 0, last with its location.
  std::vector<uint64_t> erase_offsets;
  uint64_t pos = 4096;
  while (rd(flat, pos, 8, true) != ~0ull) {
    uint64_t off = rd(flat, pos, 8, true), size = rd(flat, pos + 8, 8, true);
    if (off <= 4096 + 64 && off + size >= 4096 + 72)
      erase_offsets.push_back(rd(flat, pos + 16 + (4096 + 64 - off), 8));
    pos += 16 + size;
  }
  ASSERT_EQ(erase_offsets.size(), 2u);
  EXPECT_EQ(erase_offsets[0], 0u);
  EXPECT_NE(erase_offsets[1], 0u);
}

// --- spec validation ---------------------------------------------------------------------

TEST(DumpgenSpec, RejectsBadSpecs) {
  DumpSpec s = dumpgen::simple_spec(Format::kdump, 4);
  s.ram_only = {2};  // described twice
  EXPECT_THROW(dumpgen::generate(s), std::invalid_argument);
  s = dumpgen::simple_spec(Format::elf, 4);
  s.page_size = 3000;
  EXPECT_THROW(dumpgen::generate(s), std::invalid_argument);
  s = dumpgen::simple_spec(Format::elf, 4);
  s.arch = "vax";
  EXPECT_THROW(dumpgen::generate(s), std::invalid_argument);
  s.e_machine = 75;
  s.endian = dumpgen::Endian::little;
  s.word_bits = 32;
  EXPECT_NO_THROW(dumpgen::generate(s));
  s = dumpgen::simple_spec(Format::elf, 4);
  s.word_bits = 32;
  s.segments.push_back({8ull << 30, 4096, dumpgen::Fill::pattern, 1});  // above 4 GiB
  EXPECT_THROW(dumpgen::generate(s), std::invalid_argument);
  s = dumpgen::simple_spec(Format::kdump, 4);
  s.max_mapnr = 2;
  EXPECT_THROW(dumpgen::generate(s), std::invalid_argument);
}

TEST(DumpgenSpec, LargePagesAndCodecNames) {
  DumpSpec s = dumpgen::simple_spec(Format::kdump, 8, Codec::zstd);
  s.page_size = 65536;
  if (!dumpgen::codec_available(Codec::zstd)) GTEST_SKIP();
  Bytes f = dumpgen::generate(s);
  KdumpView k(f, false, true);
  EXPECT_EQ(k.block_size(), 65536u);
  auto pages = read_all(k);
  ASSERT_EQ(pages.size(), 8u);
  EXPECT_EQ(pages[7], dumpgen::page_pattern(1, 7, 65536));
  EXPECT_EQ(dumpgen::codec_from_name("snappy"), Codec::snappy);
  EXPECT_FALSE(dumpgen::codec_from_name("lz5").has_value());
}

}  // namespace
