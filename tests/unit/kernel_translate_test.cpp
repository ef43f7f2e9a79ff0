// Kernel virtual-to-physical translation over synthetic page tables: x86_64
// 4- and 5-level (4K, 2M, 1G pages, KASLR phys_base, SME bit) and arm64 for
// every granule with 48- and 52-bit VAs (LPA for 64K, LPA2 for 4K/16K). The
// tables are built here from the architecture manuals' descriptor formats.
#include <gtest/gtest.h>

#include "dumpfmt/kernel/kernel_memory.h"
#include "kernel_test_support.h"

using namespace dumpfmt;
using kernel_test::MemSource;

namespace {

// The value of a Result, or a failure and all-ones.
template <class T>
T V(const Result<T>& r) {
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return static_cast<T>(~T{0});
  }
  return *r;
}

// ---------------------------------------------------------------------------
// x86_64

struct X86Kernel {
  MemSource mem{Arch::x86_64, 4096};
  bool l5;
  int64_t phys_base;
  uint64_t sme;
  uint64_t top_pa;
  uint64_t next_table;

  X86Kernel(bool five_level, int64_t pb, uint64_t sme_mask = 0)
      : l5(five_level), phys_base(pb), sme(sme_mask) {
    // The top table sits in the kernel image at image offset 0x10000.
    top_pa = 0x10000 + static_cast<uint64_t>(phys_base);
    mem.page(top_pa / 4096);
    next_table = 0x40000000;  // tables are allocated from 1 GiB up
  }
  std::string vmcoreinfo() const {
    return strfmt(
        "OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=%llx\n"
        "NUMBER(phys_base)=%lld\nNUMBER(pgtable_l5_enabled)=%d\nNUMBER(sme_mask)=%llu\n",
        static_cast<unsigned long long>(kernel_test::kStartKernelMap + 0x10000),
        static_cast<long long>(phys_base), l5 ? 1 : 0, static_cast<unsigned long long>(sme));
  }
  // Maps `va` to `pa` with a leaf at `leaf_level` (4: 4K PTE, 3: 2M PMD, 2: 1G PUD).
  void map(uint64_t va, uint64_t pa, int leaf_level) {
    uint64_t table = top_pa;
    for (int level = l5 ? 0 : 1; level <= leaf_level; ++level) {
      unsigned shift = 12 + 9 * static_cast<unsigned>(4 - level);
      uint64_t slot = table + ((va >> shift) & 511) * 8;
      if (level == leaf_level) {
        uint64_t e = pa | 0x63 | sme;  // present, rw, accessed, dirty
        if (level < 4) e |= 0x80;      // PSE
        mem.write64(slot, e);
        return;
      }
      uint64_t e = mem.read64(slot);
      if (!(e & 1)) {
        uint64_t t = next_table;
        next_table += 4096;
        mem.page(t / 4096);
        e = t | 0x63 | sme;
        mem.write64(slot, e);
      }
      table = e & 0x000ffffffffff000ULL & ~sme;
    }
  }
};

class X86Translate : public ::testing::TestWithParam<bool> {};

TEST_P(X86Translate, PagesOfEverySize) {
  X86Kernel k(GetParam(), -0x13200000LL + 0x20000000);  // image loaded at 0x0ce00000
  const uint64_t va4k = 0xff42365e40001000ULL, va2m = 0xff42365e5f200000ULL,
                 va1g = 0xff42366000000000ULL;
  k.map(va4k, 0x123000, 4);
  k.map(va4k + 0x1000, 0x777000, 4);  // the next virtual page is elsewhere physically
  k.map(va2m, 0x20400000, 3);
  k.map(va1g, 0x80000000, 2);
  k.mem.set_vmcoreinfo(k.vmcoreinfo());
  auto km = KernelMemory::create(k.mem);
  ASSERT_TRUE(km) << km.error().message;
  EXPECT_NE((*km)->translator().describe().find(GetParam() ? "5-level" : "4-level"),
            std::string::npos);

  auto t = (*km)->translator().translate(va4k + 0x10, **km);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->paddr, 0x123010u);
  EXPECT_EQ(t->contiguous, 0x1000u - 0x10);
  EXPECT_EQ(V((*km)->vtop(va2m + 0x12345)), 0x20412345u);
  t = (*km)->translator().translate(va2m + 0x12345, **km);
  EXPECT_EQ(t->contiguous, 0x200000u - 0x12345);
  EXPECT_EQ(V((*km)->vtop(va1g + 0x3456789)), 0x83456789u);

  // The kernel image needs no page tables: vaddr - __START_KERNEL_map + phys_base.
  EXPECT_EQ(V((*km)->vtop(0xffffffff81000000ULL)), 0x1000000u + 0x0ce00000u);

  // A read across two 4K pages that are apart physically. (KernelMemory
  // caches pages: a dump does not change, so everything is written first.)
  k.mem.write(0x123ffc, "abcd", 4);
  k.mem.write(0x777000, "efgh", 4);
  k.mem.write(0x778000 - 3, "xy", 3);  // "xy\0" right before the page end
  std::string s(8, '\0');
  ASSERT_TRUE((*km)->read_virt(va4k + 0xffc, std::span(reinterpret_cast<std::byte*>(s.data()), 8)));
  EXPECT_EQ(s, "abcdefgh");
  auto cs = (*km)->read_cstring(va4k + 0x1ffd, 64);
  ASSERT_TRUE(cs) << cs.error().message;
  EXPECT_EQ(*cs, "xy");
  k.mem.write64(0x20400008, 0x1122334455667788ULL);
  EXPECT_EQ(V((*km)->read_u64(va2m + 8)), 0x1122334455667788ULL);
  EXPECT_EQ(V((*km)->read_u32(va2m + 8)), 0x55667788u);
  EXPECT_EQ(V((*km)->read_u16(va2m + 8)), 0x7788u);
  EXPECT_EQ(V((*km)->read_u8(va2m + 8)), 0x88u);
  EXPECT_EQ(V((*km)->read_ulong(va2m + 8)), 0x1122334455667788ULL);
}

TEST_P(X86Translate, UnmappedAndExcludedAreNoData) {
  X86Kernel k(GetParam(), 0);
  k.map(0xff11000000000000ULL, 0x5000, 4);
  k.mem.set_vmcoreinfo(k.vmcoreinfo());
  auto km = KernelMemory::create(k.mem);
  ASSERT_TRUE(km);
  auto t = (*km)->vtop(0xff11000000200000ULL);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::no_data);
  EXPECT_NE(t.error().message.find("not present"), std::string::npos) << t.error().message;
  // Mapped, but the physical page is not in the dump.
  k.mem.drop(5);
  std::byte b[8];
  auto st = (*km)->read_virt(0xff11000000000000ULL, b);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::no_data);
  EXPECT_NE(st.error().message.find("0xff11000000000000"), std::string::npos) << st.error().message;
}

INSTANTIATE_TEST_SUITE_P(Levels, X86Translate, ::testing::Bool(),
                         [](const auto& i) { return i.param ? "five" : "four"; });

TEST(X86Translate, SmeMaskIsStripped) {
  const uint64_t sme = uint64_t{1} << 47;
  X86Kernel k(false, 0, sme);
  k.map(0xffff888000000000ULL, 0x9000, 4);
  k.mem.set_vmcoreinfo(k.vmcoreinfo());
  auto km = KernelMemory::create(k.mem);
  ASSERT_TRUE(km);
  EXPECT_EQ(V((*km)->vtop(0xffff888000000123ULL)), 0x9123u);
}

TEST(X86Translate, MissingKeysAreNamed) {
  MemSource m(Arch::x86_64, 4096);
  m.set_vmcoreinfo("OSRELEASE=6.1.0\nNUMBER(phys_base)=0\n");
  auto km = KernelMemory::create(m);
  ASSERT_FALSE(km);
  EXPECT_NE(km.error().message.find("SYMBOL(init_top_pgt)"), std::string::npos);
  m.set_vmcoreinfo("SYMBOL(init_top_pgt)=ffffffff82000000\n");
  km = KernelMemory::create(m);
  ASSERT_FALSE(km);
  EXPECT_NE(km.error().message.find("NUMBER(phys_base)"), std::string::npos);
  m.set_vmcoreinfo("SYMBOL(init_top_pgt)=ffff888000000000\nNUMBER(phys_base)=0\n");
  EXPECT_FALSE(KernelMemory::create(m));  // not a kernel-image address
  m.mutable_info().vmcoreinfo.reset();
  km = KernelMemory::create(m);
  ASSERT_FALSE(km);
  EXPECT_EQ(km.error().code, Errc::unsupported);
  MemSource s390(Arch::s390x, 4096);
  s390.set_vmcoreinfo("OSRELEASE=6.1.0\n");
  km = KernelMemory::create(s390);
  ASSERT_FALSE(km);
  EXPECT_EQ(km.error().code, Errc::unsupported);
  MemSource mismatch(Arch::x86_64, 4096);
  mismatch.set_vmcoreinfo("PAGESIZE=8192\n");
  EXPECT_FALSE(KernelMemory::create(mismatch));
}

// A page-table loop (an entry pointing at its own table) must end: the walk
// has a fixed number of levels.
TEST(X86Translate, SelfReferencingTablesTerminate) {
  X86Kernel k(true, 0);
  for (int i = 0; i < 512; ++i) k.mem.write64(k.top_pa + 8u * i, k.top_pa | 0x63);
  k.mem.set_vmcoreinfo(k.vmcoreinfo());
  auto km = KernelMemory::create(k.mem);
  ASSERT_TRUE(km);
  auto t = (*km)->vtop(0xff00000000000000ULL);
  ASSERT_TRUE(t);  // the recursive entry maps the table itself
  EXPECT_EQ(*t, k.top_pa);
}

// ---------------------------------------------------------------------------
// arm64

struct Arm64Case {
  unsigned page_shift;
  unsigned va_bits;
  bool t1sz;         // give NUMBER(TCR_EL1_T1SZ) instead of NUMBER(VA_BITS)
  uint64_t pa_base;  // where tables and targets live (above 2^48 / 2^50 for 52-bit)
  const char* name;
};

class Arm64Tables {
 public:
  Arm64Tables(MemSource& mem, const Arm64Case& c) : mem_(mem), c_(c) {
    bpl_ = c.page_shift - 3;
    levels_ = (c.va_bits - c.page_shift + bpl_ - 1) / bpl_;
    lpa2_ = c.page_shift != 16 && c.va_bits == 52;
    next_ = c.pa_base;
    pgd_ = alloc();
  }
  uint64_t pgd() const { return pgd_; }
  unsigned levels() const { return levels_; }
  // Output-address field of a descriptor (Arm ARM, VMSAv8-64 descriptor formats).
  uint64_t oa(uint64_t pa) const {
    if (lpa2_) return (pa & ((uint64_t{1} << 50) - 1)) | (((pa >> 50) & 3) << 8);
    if (c_.page_shift == 16) return (pa & ((uint64_t{1} << 48) - 1)) | (((pa >> 48) & 0xf) << 12);
    return pa;
  }
  // Maps va → pa with the leaf at Arm level `leaf` (3: page, 2 or 1: block).
  void map(uint64_t va, uint64_t pa, int leaf) {
    uint64_t table = pgd_;
    int first = 4 - static_cast<int>(levels_);
    for (int level = first; level <= leaf; ++level) {
      unsigned shift = c_.page_shift + bpl_ * static_cast<unsigned>(3 - level);
      unsigned nbits = level == first ? c_.va_bits - shift : bpl_;
      uint64_t slot = table + ((va >> shift) & ((uint64_t{1} << nbits) - 1)) * 8;
      if (level == leaf) {
        // Attributes: AF (bit 10) and, without LPA2, SH = inner shareable
        // (bits 9:8 = 0b11), which LPA2 reuses for OA[51:50].
        uint64_t attrs = (uint64_t{1} << 10) | (lpa2_ ? 0 : (uint64_t{3} << 8));
        mem_.write64(slot, oa(pa) | attrs | (level == 3 ? 3 : 1));
        return;
      }
      uint64_t d = mem_.read64(slot);
      uint64_t next;
      if (!(d & 1)) {
        next = alloc();
        mem_.write64(slot, oa(next) | 3);
      } else {
        next = table_of(d);
      }
      table = next;
    }
  }

 private:
  uint64_t alloc() {
    uint64_t a = next_;
    next_ += uint64_t{1} << c_.page_shift;
    mem_.page(a >> c_.page_shift);
    return a;
  }
  uint64_t table_of(uint64_t d) const {
    uint64_t mask = ~((uint64_t{1} << c_.page_shift) - 1);
    if (lpa2_) return (d & ((uint64_t{1} << 50) - 1) & mask) | (((d >> 8) & 3) << 50);
    uint64_t a = d & ((uint64_t{1} << 48) - 1) & mask;
    if (c_.page_shift == 16) a |= ((d >> 12) & 0xf) << 48;
    return a;
  }
  MemSource& mem_;
  Arm64Case c_;
  unsigned bpl_, levels_;
  bool lpa2_;
  uint64_t next_, pgd_;
};

class Arm64Translate : public ::testing::TestWithParam<Arm64Case> {};

TEST_P(Arm64Translate, PagesAndBlocks) {
  const Arm64Case& c = GetParam();
  const uint64_t ps = uint64_t{1} << c.page_shift;
  MemSource mem(Arch::arm64, static_cast<uint32_t>(ps));
  Arm64Tables tables(mem, c);
  const uint64_t voff = 0xffff800000000000ULL - 0x40000000ULL;  // kimage_voffset
  const uint64_t top = ~uint64_t{0} << c.va_bits;               // start of TTBR1 space
  // Leaves: a page, the next virtual page mapped far away, a level-2 block
  // and (where the granule has them) a level-1 block.
  const uint64_t va_page = top + 0x12345 * ps;
  const uint64_t pa_page = c.pa_base + 0x10000 * ps;
  tables.map(va_page, pa_page, 3);
  tables.map(va_page + ps, c.pa_base + 0x777 * ps, 3);
  const unsigned l2_shift = c.page_shift + (c.page_shift - 3);
  const uint64_t l2 = uint64_t{1} << l2_shift;
  const uint64_t va_block = top + 64 * l2;
  const uint64_t pa_block = (c.pa_base + 512 * l2) & ~(l2 - 1);
  tables.map(va_block, pa_block, 2);
  uint64_t va_l1 = 0, pa_l1 = 0;
  if (c.page_shift == 12) {  // 1 GiB blocks at level 1 with the 4K granule
    va_l1 = top + (uint64_t{5} << 30);
    pa_l1 = (c.pa_base + (uint64_t{8} << 30)) & ~((uint64_t{1} << 30) - 1);
    tables.map(va_l1, pa_l1, 1);
  }
  std::string vi = strfmt(
      "OSRELEASE=6.9.0\nPAGESIZE=%llu\nNUMBER(kimage_voffset)=0x%llx\n"
      "SYMBOL(swapper_pg_dir)=%llx\n",
      static_cast<unsigned long long>(ps), static_cast<unsigned long long>(voff),
      static_cast<unsigned long long>(tables.pgd() + voff));
  vi += c.t1sz ? strfmt("NUMBER(TCR_EL1_T1SZ)=0x%x\nNUMBER(VA_BITS)=52\n", 64 - c.va_bits)
               : strfmt("NUMBER(VA_BITS)=%u\n", c.va_bits);
  mem.set_vmcoreinfo(vi);
  auto km = KernelMemory::create(mem);
  ASSERT_TRUE(km) << km.error().message;
  EXPECT_NE((*km)->translator().describe().find(strfmt("%u levels", tables.levels())),
            std::string::npos)
      << (*km)->translator().describe();

  auto t = (*km)->translator().translate(va_page + 0x28, **km);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->paddr, pa_page + 0x28);
  EXPECT_EQ(t->contiguous, ps - 0x28);
  t = (*km)->translator().translate(va_block + l2 / 2 + 3, **km);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->paddr, pa_block + l2 / 2 + 3);
  EXPECT_EQ(t->contiguous, l2 / 2 - 3);
  if (va_l1) {
    EXPECT_EQ(V((*km)->vtop(va_l1 + 0x1234567)), pa_l1 + 0x1234567);
  }

  mem.write(pa_page + ps - 2, "ab", 2);
  mem.write(c.pa_base + 0x777 * ps, "cd", 2);
  std::string s(4, '\0');
  ASSERT_TRUE(
      (*km)->read_virt(va_page + ps - 2, std::span(reinterpret_cast<std::byte*>(s.data()), 4)));
  EXPECT_EQ(s, "abcd");

  // Unmapped, and not a TTBR1 address at all.
  auto bad = (*km)->vtop(va_page + 2 * ps);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::no_data);
  bad = (*km)->vtop(0x0000400000000000ULL);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::no_data);
}

INSTANTIATE_TEST_SUITE_P(
    Granules, Arm64Translate,
    ::testing::Values(Arm64Case{12, 48, false, 0x40000000, "4K_48"},
                      Arm64Case{12, 39, false, 0x40000000, "4K_39"},
                      Arm64Case{12, 52, false, uint64_t{3} << 50, "4K_52_LPA2"},
                      Arm64Case{12, 48, true, 0x80000000, "4K_48_T1SZ"},
                      Arm64Case{14, 48, false, 0x40000000, "16K_48"},
                      Arm64Case{14, 47, false, 0x40000000, "16K_47"},
                      Arm64Case{14, 52, true, uint64_t{2} << 50, "16K_52_LPA2"},
                      Arm64Case{16, 48, false, 0x40000000, "64K_48"},
                      Arm64Case{16, 42, false, 0x40000000, "64K_42"},
                      Arm64Case{16, 52, false, uint64_t{0xa} << 48, "64K_52_LPA"}),
    [](const auto& i) { return std::string(i.param.name); });

TEST(Arm64Translate, ReservedDescriptorAndMissingKeys) {
  Arm64Case c{12, 48, false, 0x40000000, "x"};
  MemSource mem(Arch::arm64, 4096);
  Arm64Tables tables(mem, c);
  const uint64_t va = ~uint64_t{0} << 48;
  tables.map(va, 0x50000000, 3);
  // Turn the level-3 page descriptor into the reserved encoding (bits 1:0 = 01).
  uint64_t voff = 0xffff7fffc0000000ULL;
  mem.set_vmcoreinfo(strfmt(
      "PAGESIZE=4096\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0x%llx\n"
      "SYMBOL(swapper_pg_dir)=%llx\n",
      static_cast<unsigned long long>(voff), static_cast<unsigned long long>(tables.pgd() + voff)));
  auto km = KernelMemory::create(mem);
  ASSERT_TRUE(km) << km.error().message;
  // Find the level-3 table: it is the last one allocated.
  uint64_t l3 = 0x40000000 + 3 * 4096;
  uint64_t d = mem.read64(l3);
  ASSERT_EQ(d & 3, 3u);
  mem.write64(l3, d & ~uint64_t{2});
  auto t = (*km)->vtop(va);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::corrupt);

  for (const char* text :
       {"NUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0\nSYMBOL(swapper_pg_dir)=0\n",
        "PAGESIZE=8192\nNUMBER(VA_BITS)=48\n", "PAGESIZE=4096\nNUMBER(kimage_voffset)=0\n",
        "PAGESIZE=4096\nNUMBER(VA_BITS)=48\nSYMBOL(swapper_pg_dir)=0\n",
        "PAGESIZE=4096\nNUMBER(VA_BITS)=60\nNUMBER(kimage_voffset)=0\n"
        "SYMBOL(swapper_pg_dir)=0\n"}) {
    MemSource m(Arch::arm64, 4096);
    m.set_vmcoreinfo(text);
    auto r = KernelMemory::create(m);
    EXPECT_FALSE(r) << text;
  }
}

}  // namespace
