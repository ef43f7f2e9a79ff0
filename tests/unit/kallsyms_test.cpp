// kallsyms decoding: tables written byte by byte in the kernel's layout
// (scrub_test_support.h), the three address encodings, two-byte name
// lengths, lookups, and damaged or missing tables.
#include <gtest/gtest.h>

#include "dumpfmt/kernel/kallsyms.h"
#include "scrub_test_support.h"

using namespace dumpfmt;
using scrub_test::FakeKernel;
using scrub_test::KallsymsImage;

namespace {

KallsymsImage sample() { return scrub_test::sample_kallsyms(); }

Result<Kallsyms> load(FakeKernel& k, const KallsymsImage& img, std::string extra = "") {
  std::string vmi = img.write(k) + extra;
  return Kallsyms::read(VmcoreInfo::parse(vmi), k);
}

TEST(Kallsyms, DecodesNamesTypesAndAbsolutePercpuAddresses) {
  FakeKernel k;
  auto img = sample();
  auto ks = load(k, img);
  ASSERT_TRUE(ks) << ks.error().message;
  EXPECT_EQ(ks->encoding(), KallsymsEncoding::absolute_percpu);
  ASSERT_EQ(ks->symbols().size(), img.syms.size());
  for (size_t i = 0; i < img.syms.size(); ++i) {
    EXPECT_EQ(ks->symbols()[i].name, img.syms[i].name);
    EXPECT_EQ(ks->symbols()[i].address, img.syms[i].addr) << img.syms[i].name;
    EXPECT_EQ(ks->symbols()[i].type, img.syms[i].type);
  }
  EXPECT_EQ(ks->address("crngs"), 0x2f3c0u);
  EXPECT_EQ(ks->address("tty_drivers"), 0xffffffff82000100ULL);
}

TEST(Kallsyms, RelativeEncoding) {
  FakeKernel k;
  auto img = sample();
  img.syms.erase(img.syms.begin() + 4);  // no per-CPU symbol without absolute per-CPU
  img.absolute_percpu = false;
  auto ks = load(k, img);
  ASSERT_TRUE(ks) << ks.error().message;
  EXPECT_EQ(ks->encoding(), KallsymsEncoding::relative);
  EXPECT_EQ(ks->address("start_kernel"), 0xffffffff81234560ULL);
}

TEST(Kallsyms, InfersTheBaseFromStextWithoutRelativeBase) {
  FakeKernel k;
  auto img = sample();
  img.syms.erase(img.syms.begin() + 4);
  img.absolute_percpu = false;
  img.export_relative_base = false;
  auto ks = load(k, img);
  ASSERT_TRUE(ks) << ks.error().message;
  EXPECT_EQ(ks->encoding(), KallsymsEncoding::inferred_base);
  EXPECT_EQ(ks->address("last_symbol"), 0xffffffff82000200ULL);
}

TEST(Kallsyms, WrongStextIsCorrupt) {
  FakeKernel k;
  auto img = sample();
  auto ks = load(k, img, "");
  ASSERT_TRUE(ks);
  FakeKernel k2;
  std::string vmi = img.write(k2);
  // VMCOREINFO's first SYMBOL(_stext) wins; put a wrong one before.
  auto bad = Kallsyms::read(VmcoreInfo::parse("SYMBOL(_stext)=ffffffff81000010\n" + vmi), k2);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::corrupt);
}

TEST(Kallsyms, TwoByteNameLength) {
  FakeKernel k;
  auto img = sample();
  std::string longname(300, 'x');  // 301 tokens with the type: needs the 6.1 two-byte form
  img.syms.push_back({longname, 0xffffffff82000300ULL, 'T'});
  img.syms.push_back({"after_long", 0xffffffff82000400ULL, 'T'});
  auto ks = load(k, img);
  ASSERT_TRUE(ks) << ks.error().message;
  EXPECT_EQ(ks->address(longname), 0xffffffff82000300ULL);
  EXPECT_EQ(ks->address("after_long"), 0xffffffff82000400ULL);
}

TEST(Kallsyms, LookupsAndExtents) {
  FakeKernel k;
  auto ks = load(k, sample());
  ASSERT_TRUE(ks);
  EXPECT_EQ(ks->find_all("name.0").size(), 2u);
  EXPECT_EQ(ks->find("name.0"), nullptr);  // ambiguous
  EXPECT_FALSE(ks->address("name.0"));
  EXPECT_FALSE(ks->address("nope"));
  const KernelSymbol* s = ks->symbol_at(0xffffffff82000105ULL);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "tty_drivers");
  EXPECT_EQ(ks->extent(*s), 0x20u);
  EXPECT_EQ(ks->symbol_at(0x10), nullptr);  // below the first (per-CPU 0x2f3c0)
  const KernelSymbol* last = ks->find("last_symbol");
  ASSERT_NE(last, nullptr);
  EXPECT_FALSE(ks->extent(*last));
}

TEST(Kallsyms, MissingKeysAreUnsupported) {
  FakeKernel k;
  std::string vmi = sample().write(k);
  for (const char* key : {"kallsyms_names", "kallsyms_num_syms", "kallsyms_token_table",
                          "kallsyms_token_index", "kallsyms_offsets"}) {
    std::string cut;
    for (size_t pos = 0; pos < vmi.size();) {
      size_t nl = vmi.find('\n', pos);
      std::string line = vmi.substr(pos, nl - pos + 1);
      if (line.find(std::string("SYMBOL(") + key + ")") == std::string::npos) cut += line;
      pos = nl + 1;
    }
    auto r = Kallsyms::read(VmcoreInfo::parse(cut), k);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, Errc::unsupported);
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
}

TEST(Kallsyms, HostileTables) {
  // Symbol count 0 and absurd.
  for (uint32_t n : {0u, 0x7fffffffu}) {
    FakeKernel k;
    std::string vmi = sample().write(k);
    auto v = VmcoreInfo::parse(vmi);
    k.w32(*v.symbol("kallsyms_num_syms"), n);
    auto r = Kallsyms::read(v, k);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt) << n;
  }
  // An unterminated last token.
  {
    FakeKernel k;
    auto v = VmcoreInfo::parse(sample().write(k));
    k.w16(*v.symbol("kallsyms_token_index") + 2 * 255, 0xff00);
    k.fill(*v.symbol("kallsyms_token_table") + 0xff00, 256, 'a');
    auto r = Kallsyms::read(v, k);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("not terminated"), std::string::npos) << r.error().message;
  }
  // Names that run off the end of memory: more symbols than names.
  {
    FakeKernel k(1 << 20);
    auto img = sample();
    auto v = VmcoreInfo::parse(img.write(k));
    k.w32(*v.symbol("kallsyms_num_syms"), 60000);
    auto r = Kallsyms::read(v, k);
    EXPECT_FALSE(r);
  }
  // A zero-length name.
  {
    FakeKernel k;
    auto v = VmcoreInfo::parse(sample().write(k));
    k.w8(*v.symbol("kallsyms_names"), 0);
    auto r = Kallsyms::read(v, k);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
  }
  // Unreadable tables: the read error comes through.
  {
    FakeKernel k;
    std::string vmi = sample().write(k);
    auto v = VmcoreInfo::parse(vmi + "");
    struct Failing : FakeKernel {
      Status read_virt(uint64_t, std::span<std::byte>) const override {
        return make_error(Errc::no_data, "page excluded");
      }
    } fails;
    auto r = Kallsyms::read(v, fails);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::no_data);
  }
}

}  // namespace
