// VMCOREINFO parsing: every line kind, value bases, odd and hostile lines.
#include <gtest/gtest.h>

#include "dumpfmt/kernel/vmcoreinfo.h"

using namespace dumpfmt;

namespace {

// Lines from the corpus dump (Debian 6.1, x86_64), plus arm64-style hex NUMBERs.
constexpr const char* kText =
    "OSRELEASE=6.1.0-56-cloud-amd64\n"
    "BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235\n"
    "PAGESIZE=4096\n"
    "SYMBOL(init_uts_ns)=ffffffff9b7f9b60\n"
    "OFFSET(uts_namespace.name)=0\n"
    "SYMBOL(mem_section)=ff42365e5fb7d000\n"
    "LENGTH(mem_section)=131072\n"
    "SIZE(mem_section)=16\n"
    "SIZE(page)=64\n"
    "OFFSET(page._refcount)=52\n"
    "NUMBER(PG_head_mask)=65536\n"
    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
    "NUMBER(phys_base)=-320864256\n"
    "NUMBER(VMALLOC_START)=0xffffc90000000000\n"
    "NUMBER(kimage_voffset)=0xffff800008000000\n"
    "KERNELOFFSET=18c00000\n"
    "CRASHTIME=1795304727\n";

TEST(VmcoreInfo, EveryLineKind) {
  VmcoreInfo v = VmcoreInfo::parse(kText);
  EXPECT_TRUE(v.warnings().empty());
  EXPECT_EQ(v.entries().size(), 17u);
  EXPECT_EQ(v.osrelease(), "6.1.0-56-cloud-amd64");
  EXPECT_EQ(v.build_id(), "3b43fad5034874490492495d552c0af6a5fab235");
  EXPECT_EQ(v.page_size(), 4096u);
  EXPECT_EQ(v.symbol("init_uts_ns"), 0xffffffff9b7f9b60ULL);
  EXPECT_EQ(v.symbol("mem_section"), 0xff42365e5fb7d000ULL);
  EXPECT_EQ(v.offset("uts_namespace.name"), 0u);
  EXPECT_EQ(v.length("mem_section"), 131072u);
  EXPECT_EQ(v.size("mem_section"), 16u);
  EXPECT_EQ(v.size("page"), 64u);
  EXPECT_EQ(v.offset("page._refcount"), 52u);
  EXPECT_EQ(v.number("PG_head_mask"), 65536);
  EXPECT_EQ(v.number("PAGE_BUDDY_MAPCOUNT_VALUE"), -129);
  EXPECT_EQ(v.number("phys_base"), -320864256);
  EXPECT_EQ(static_cast<uint64_t>(*v.number("VMALLOC_START")), 0xffffc90000000000ULL);
  EXPECT_EQ(static_cast<uint64_t>(*v.number("kimage_voffset")), 0xffff800008000000ULL);
  EXPECT_EQ(v.kernel_offset(), 0x18c00000u);
  EXPECT_EQ(v.crash_time(), 1795304727);
  EXPECT_EQ(v.kernel_version(), kernel_version_code(6, 1, 0));
  EXPECT_EQ(v.value("SYMBOL(init_uts_ns)"), "ffffffff9b7f9b60");
  EXPECT_EQ(v.text(), kText);
}

TEST(VmcoreInfo, AbsentKeysAndKindsDoNotMix) {
  VmcoreInfo v = VmcoreInfo::parse(kText);
  EXPECT_FALSE(v.symbol("page"));  // SIZE(page) is not SYMBOL(page)
  EXPECT_FALSE(v.size("init_uts_ns"));
  EXPECT_FALSE(v.number("mem_section"));
  EXPECT_FALSE(v.offset("page"));  // no prefix matching
  EXPECT_FALSE(v.value("OSRELEASE="));
  EXPECT_FALSE(VmcoreInfo().osrelease());
  EXPECT_TRUE(VmcoreInfo().empty());
}

TEST(VmcoreInfo, FirstOccurrenceWinsAndCopiesStayValid) {
  VmcoreInfo v = VmcoreInfo::parse("NUMBER(x)=1\nNUMBER(y)=2\nNUMBER(x)=3\n");
  EXPECT_EQ(v.number("x"), 1);
  EXPECT_EQ(v.entries().size(), 3u);
  VmcoreInfo copy = v;
  v = VmcoreInfo::parse("NUMBER(z)=9\n");
  EXPECT_EQ(copy.number("x"), 1);
  EXPECT_EQ(copy.number("y"), 2);
  EXPECT_FALSE(copy.number("z"));
}

TEST(VmcoreInfo, ValueBases) {
  // SYMBOL is hex without 0x (with 0x accepted); SIZE/OFFSET/LENGTH decimal or
  // 0x; NUMBER signed decimal, 0x hex, or hex when decimal leaves junk.
  VmcoreInfo v = VmcoreInfo::parse(
      "SYMBOL(a)=0xffff\nSYMBOL(b)=10\nSIZE(c)=0x40\nOFFSET(d)=010\nNUMBER(e)=1f\n"
      "NUMBER(f)=-9223372036854775808\nNUMBER(g)=0x8000000000000000\n");
  EXPECT_EQ(v.symbol("a"), 0xffffu);
  EXPECT_EQ(v.symbol("b"), 0x10u);
  EXPECT_EQ(v.size("c"), 64u);
  EXPECT_EQ(v.offset("d"), 10u);  // decimal, not octal
  EXPECT_EQ(v.number("e"), 0x1f);
  EXPECT_EQ(v.number("f"), INT64_MIN);
  EXPECT_EQ(static_cast<uint64_t>(*v.number("g")), 0x8000000000000000ULL);
  EXPECT_EQ(parse_vmcoreinfo_number("-0"), 0);
  EXPECT_FALSE(parse_vmcoreinfo_number("-9223372036854775809"));
  EXPECT_FALSE(parse_vmcoreinfo_hex("1ffffffffffffffff"));
  EXPECT_FALSE(parse_vmcoreinfo_hex(""));
  EXPECT_FALSE(parse_vmcoreinfo_hex("0x"));
}

TEST(VmcoreInfo, OddLinesAreWarningsNotErrors) {
  VmcoreInfo v = VmcoreInfo::parse(
      "garbage without equals\n=novalue\nSYMBOL(x)=zz\nSIZE(y)=\nNUMBER(z)=12abz\n"
      "OFFSET(w)=-1\nPAGESIZE=4095\nCRASHTIME=-5\nOSRELEASE=\n\r\nLENGTH(q)=7\r\n\n");
  EXPECT_FALSE(v.symbol("x"));
  EXPECT_FALSE(v.size("y"));
  EXPECT_FALSE(v.number("z"));
  EXPECT_FALSE(v.offset("w"));
  EXPECT_FALSE(v.page_size());  // not a power of two
  EXPECT_FALSE(v.crash_time());
  EXPECT_FALSE(v.kernel_version());
  EXPECT_EQ(v.length("q"), 7u);  // CRLF line endings tolerated
  EXPECT_GE(v.warnings().size(), 6u);
  EXPECT_EQ(v.value("SYMBOL(x)"), "zz");  // the raw text stays available
}

TEST(VmcoreInfo, KernelVersions) {
  auto ver = [](const char* rel) {
    return VmcoreInfo::parse(std::string("OSRELEASE=") + rel + "\n").kernel_version();
  };
  EXPECT_EQ(ver("4.18.0-553.el8_10.x86_64"), kernel_version_code(4, 18, 0));
  EXPECT_EQ(ver("6.12"), kernel_version_code(6, 12, 0));
  EXPECT_EQ(ver("5.10.300"), kernel_version_code(5, 10, 255));  // KERNEL_VERSION caps the patch
  EXPECT_EQ(ver("3.10.0-1160.el7.x86_64"), kernel_version_code(3, 10, 0));
  EXPECT_FALSE(ver("linux"));
  EXPECT_FALSE(ver("6"));
}

TEST(VmcoreInfo, HostileText) {
  // NULs, a huge line, binary junk: parse must not crash or loop.
  std::string junk(100000, 'A');
  junk += "=\x01\x02\n";
  junk += std::string("SYMBOL(\0x)=1\n", 13);
  for (int i = 0; i < 256; ++i) junk += static_cast<char>(i);
  VmcoreInfo v = VmcoreInfo::parse(junk);
  EXPECT_EQ(v.text().size(), junk.size());
  EXPECT_FALSE(v.page_size());
}

}  // namespace
