// The core VMCOREINFO text model (dumpfmt/vmcoreinfo.h): every getter, the
// value syntaxes the formats and the kernel model read, malformed lines and
// duplicate keys.
#include <gtest/gtest.h>

#include "dumpfmt/vmcoreinfo.h"

using namespace dumpfmt;

namespace {

constexpr const char* kText =
    "OSRELEASE=6.1.0-56-cloud-amd64\n"
    "BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235\n"
    "PAGESIZE=4096\n"
    "SYMBOL(init_uts_ns)=ffffffff9b7f9b60\n"
    "SYMBOL(swapper_pg_dir)=0xffffffff8a00a000\n"
    "SIZE(page)=64\n"
    "OFFSET(page._refcount)=52\n"
    "OFFSET(mem_section.section_mem_map)=0x0\n"
    "LENGTH(zone.free_area)=11\n"
    "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
    "NUMBER(phys_base)=-320864256\n"
    "NUMBER(VMALLOC_START)=0xffffc90000000000\n"
    "NUMBER(page_offset)=ffff888000000000\n"
    "KERNELOFFSET=18c00000\n"
    "CRASHTIME=1795304727\n";

TEST(VmcoreinfoText, EveryGetter) {
  const VmcoreinfoText v = VmcoreinfoText::parse(kText);
  EXPECT_TRUE(v.warnings().empty());
  EXPECT_EQ(v.text(), kText);
  EXPECT_EQ(v.entries().size(), 16u);
  EXPECT_FALSE(v.empty());
  EXPECT_EQ(v.osrelease(), "6.1.0-56-cloud-amd64");
  EXPECT_EQ(v.build_id(), "3b43fad5034874490492495d552c0af6a5fab235");
  EXPECT_EQ(v.page_size(), 4096u);
  EXPECT_EQ(v.symbol("init_uts_ns"), 0xffffffff9b7f9b60ULL);
  EXPECT_EQ(v.symbol("swapper_pg_dir"), 0xffffffff8a00a000ULL);
  EXPECT_EQ(v.size("page"), 64u);
  EXPECT_EQ(v.offset("page._refcount"), 52u);
  EXPECT_EQ(v.offset("mem_section.section_mem_map"), 0u);
  EXPECT_EQ(v.length("zone.free_area"), 11u);
  EXPECT_EQ(v.number("KERNEL_IMAGE_SIZE"), 1073741824);
  EXPECT_EQ(v.number("PAGE_BUDDY_MAPCOUNT_VALUE"), -129);
  EXPECT_EQ(v.number("phys_base"), -320864256);
  EXPECT_EQ(static_cast<uint64_t>(*v.number("VMALLOC_START")), 0xffffc90000000000ULL);
  EXPECT_EQ(static_cast<uint64_t>(*v.number("page_offset")), 0xffff888000000000ULL);
  EXPECT_EQ(v.kernel_offset(), 0x18c00000u);
  EXPECT_EQ(v.crash_time(), 1795304727);
  EXPECT_EQ(v.value("SYMBOL(init_uts_ns)"), "ffffffff9b7f9b60");
  EXPECT_EQ(v.integer("NUMBER(phys_base)", IntSyntax::c_literal), -320864256);
  EXPECT_EQ(v.integer("CRASHTIME", IntSyntax::decimal), 1795304727);
}

TEST(VmcoreinfoText, MissingKeysAndKinds) {
  const VmcoreinfoText v = VmcoreinfoText::parse(kText);
  EXPECT_FALSE(v.symbol("page"));  // SIZE(page) is not SYMBOL(page)
  EXPECT_FALSE(v.size("init_uts_ns"));
  EXPECT_FALSE(v.offset("page"));  // no prefix matching
  EXPECT_FALSE(v.length("page"));
  EXPECT_FALSE(v.number("init_uts_ns"));
  EXPECT_FALSE(v.value("OSREL"));
  EXPECT_FALSE(v.value("OSRELEASE="));
  EXPECT_FALSE(v.integer("NUMBER(nothing)", IntSyntax::decimal));
  const VmcoreinfoText none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.osrelease());
  EXPECT_FALSE(none.build_id());
  EXPECT_FALSE(none.page_size());
  EXPECT_FALSE(none.kernel_offset());
  EXPECT_FALSE(none.crash_time());
}

TEST(VmcoreinfoText, DuplicatesFirstWins) {
  VmcoreinfoText v = VmcoreinfoText::parse(
      "OSRELEASE=6.1.0\nNUMBER(x)=1\nSYMBOL(s)=10\nOSRELEASE=5.4.0\nNUMBER(x)=3\n"
      "SYMBOL(s)=20\nNUMBER(y)=zz\nNUMBER(y)=2\n");
  EXPECT_EQ(v.entries().size(), 8u);
  EXPECT_EQ(v.osrelease(), "6.1.0");
  EXPECT_EQ(v.number("x"), 1);
  EXPECT_EQ(v.symbol("s"), 0x10u);
  EXPECT_FALSE(v.number("y"));  // the first one does not parse; the second is not looked at
  EXPECT_EQ(v.warnings().size(), 1u);
  const VmcoreinfoText copy = v;
  v = VmcoreinfoText::parse("NUMBER(z)=9\n");
  EXPECT_EQ(copy.number("x"), 1);
  EXPECT_FALSE(copy.number("z"));
}

TEST(VmcoreinfoText, MalformedLines) {
  const VmcoreinfoText v = VmcoreinfoText::parse(
      "garbage without equals\n=novalue\nSYMBOL(x)=zz\nSIZE(y)=\nNUMBER(z)=12abz\n"
      "OFFSET(w)=-1\nPAGESIZE=4095\nCRASHTIME=-5\nOSRELEASE=\n\r\nLENGTH(q)=7\r\nKEY=a=b\n\n");
  EXPECT_FALSE(v.symbol("x"));
  EXPECT_FALSE(v.size("y"));
  EXPECT_FALSE(v.number("z"));
  EXPECT_FALSE(v.offset("w"));
  EXPECT_FALSE(v.page_size());   // not a power of two
  EXPECT_FALSE(v.crash_time());  // CRASHTIME is unsigned
  EXPECT_EQ(v.integer("CRASHTIME", IntSyntax::decimal), -5);
  EXPECT_EQ(v.osrelease(), "");      // present, empty
  EXPECT_EQ(v.length("q"), 7u);      // CRLF line endings tolerated
  EXPECT_EQ(v.value("KEY"), "a=b");  // the first '=' ends the key
  EXPECT_EQ(v.value("SYMBOL(x)"), "zz");
  // Two lines without KEY=VALUE, four typed values that do not parse.
  EXPECT_EQ(v.warnings().size(), 6u);
  EXPECT_NE(v.warnings()[0].find("line 1"), std::string::npos);
  EXPECT_EQ(v.entries().size(), 9u);
}

TEST(VmcoreinfoText, HexAndCounts) {
  EXPECT_EQ(parse_vmcoreinfo_hex("ffffffff81000000"), 0xffffffff81000000ULL);
  EXPECT_EQ(parse_vmcoreinfo_hex("0XAbC"), 0xabcu);
  EXPECT_FALSE(parse_vmcoreinfo_hex("1ffffffffffffffff"));  // more than 16 digits
  EXPECT_FALSE(parse_vmcoreinfo_hex(""));
  EXPECT_FALSE(parse_vmcoreinfo_hex("0x"));
  EXPECT_FALSE(parse_vmcoreinfo_hex("-1"));
  EXPECT_FALSE(parse_vmcoreinfo_hex(" 1"));
  EXPECT_EQ(parse_vmcoreinfo_count("010"), 10u);  // decimal, not octal
  EXPECT_EQ(parse_vmcoreinfo_count("0x40"), 64u);
  EXPECT_FALSE(parse_vmcoreinfo_count("-1"));
  EXPECT_FALSE(parse_vmcoreinfo_count("12k"));
}

TEST(VmcoreinfoText, IntegerSyntaxes) {
  auto mdf = [](std::string_view s) {
    return parse_vmcoreinfo_integer(s, IntSyntax::makedumpfile);
  };
  auto dec = [](std::string_view s) { return parse_vmcoreinfo_integer(s, IntSyntax::decimal); };
  auto c = [](std::string_view s) { return parse_vmcoreinfo_integer(s, IntSyntax::c_literal); };
  // makedumpfile: decimal, 0x bits, else hex; the negatives.
  EXPECT_EQ(mdf("-129"), -129);
  EXPECT_EQ(mdf("1f"), 0x1f);
  EXPECT_EQ(mdf("-1f"), -0x1f);
  EXPECT_EQ(mdf("010"), 10);
  EXPECT_EQ(mdf("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(static_cast<uint64_t>(*mdf("0x8000000000000000")), 0x8000000000000000ULL);
  EXPECT_EQ(mdf("-0"), 0);
  EXPECT_FALSE(mdf("-9223372036854775809"));
  EXPECT_FALSE(mdf("12xyz"));
  EXPECT_FALSE(mdf("+5"));
  EXPECT_FALSE(mdf(""));
  EXPECT_EQ(parse_vmcoreinfo_number("-129"), -129);
  // decimal: signs, nothing else.
  EXPECT_EQ(dec("1700000000"), 1700000000);
  EXPECT_EQ(dec("-5"), -5);
  EXPECT_EQ(dec("+5"), 5);
  EXPECT_EQ(dec("010"), 10);
  EXPECT_FALSE(dec("1f"));
  EXPECT_FALSE(dec("0x10"));
  EXPECT_FALSE(dec("123abc"));
  EXPECT_FALSE(dec("9223372036854775808"));
  EXPECT_FALSE(dec(""));
  EXPECT_FALSE(dec("-"));
  // c_literal (strtoll base 0): 0x hex with its bits, 0 octal, decimal.
  EXPECT_EQ(c("-2147483648"), -2147483648LL);
  EXPECT_EQ(c("0x1a000000"), 0x1a000000);
  EXPECT_EQ(c("-0x10"), -16);
  EXPECT_EQ(c("010"), 8);
  EXPECT_EQ(c("0"), 0);
  EXPECT_EQ(static_cast<uint64_t>(*c("0xffffffff80000000")), 0xffffffff80000000ULL);
  EXPECT_FALSE(c("08"));
  EXPECT_FALSE(c("1a"));
  EXPECT_FALSE(c("abc"));
  EXPECT_FALSE(c("0x"));
  EXPECT_FALSE(c("9223372036854775808"));
}

TEST(VmcoreinfoText, PlainKeys) {
  auto ps = [](const char* v) {
    return VmcoreinfoText::parse(std::string("PAGESIZE=") + v + "\n").page_size();
  };
  EXPECT_EQ(ps("65536"), 65536u);
  EXPECT_EQ(ps("0x1000"), 4096u);
  EXPECT_FALSE(ps("256"));      // below 512
  EXPECT_FALSE(ps("2097152"));  // above 1 MiB
  EXPECT_FALSE(ps("-4096"));
  EXPECT_FALSE(ps("4k"));
  const VmcoreinfoText v = VmcoreinfoText::parse("KERNELOFFSET=0x1000\nCRASHTIME=12abc\n");
  EXPECT_EQ(v.kernel_offset(), 0x1000u);
  EXPECT_FALSE(v.crash_time());
}

}  // namespace
