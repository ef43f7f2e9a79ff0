// BTF: blobs built with libbpf's writer and by hand, member lookup through
// anonymous unions, bitfields, sizes, per-CPU variables; the kernel's BTF
// found through kallsyms in memory; a vmlinux's .BTF section; damaged input.
#include <gtest/gtest.h>

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "dumpfmt/kernel/btf.h"
#include "scrub_test_support.h"

using namespace dumpfmt;

namespace {

#if DUMPFMT_HAVE_LIBBPF

using scrub_test::sample_btf;

TEST(Btf, MembersThroughAnonymousUnionsAndBitfields) {
  auto raw = sample_btf();
  auto btf = Btf::parse(raw);
  ASSERT_TRUE(btf) << btf.error().message;
  EXPECT_EQ(btf->offset_of("inner", "x").value_or(~uint64_t{0}), 0u);
  EXPECT_EQ(btf->offset_of("inner", "l").value_or(~uint64_t{0}), 8u);
  EXPECT_EQ(btf->offset_of("inner", "c").value_or(~uint64_t{0}), 8u);
  EXPECT_EQ(btf->offset_of("outer", "in.c").value_or(~uint64_t{0}), 16u);
  EXPECT_EQ(btf->offset_of("outer", "arr").value_or(~uint64_t{0}), 40u);
  auto t = btf->find_struct("inner");
  ASSERT_TRUE(t);
  auto f2 = btf->member(*t, "f2");
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->bit_offset, 24u * 8 + 3);
  EXPECT_EQ(f2->bit_size, 5u);
  EXPECT_FALSE(btf->member(*t, "nope"));
  EXPECT_EQ(btf->member(*t, "nope").error().code, Errc::no_data);
  EXPECT_EQ(btf->size_of("outer").value_or(~uint64_t{0}), 80u);
  EXPECT_EQ(btf->size_of("counter_t").value_or(~uint64_t{0}), 4u);
  auto o = btf->find_struct("outer");
  ASSERT_TRUE(o);
  auto arr = btf->member(*o, "arr");
  ASSERT_TRUE(arr);
  Btf::Type at = btf->type(arr->type);
  EXPECT_EQ(at.kind, Btf::Kind::array);
  EXPECT_EQ(at.nelems, 4u);
  EXPECT_EQ(btf->size_of(arr->type).value_or(~uint64_t{0}), 32u);
  EXPECT_EQ(btf->type_name(arr->type), "long unsigned int[4]");
  auto p = btf->member(*o, "p");
  ASSERT_TRUE(p);
  EXPECT_EQ(btf->type_name(p->type), "struct inner *");
  auto cnt = btf->member(*o, "cnt");
  ASSERT_TRUE(cnt);
  EXPECT_EQ(btf->type(cnt->type).kind, Btf::Kind::typedef_);
  EXPECT_EQ(btf->type(btf->resolve(cnt->type)).name, "unsigned int");
  auto v = btf->variable("pcpu_outer");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, *o);
  EXPECT_FALSE(btf->variable("outer"));
  EXPECT_FALSE(btf->find_struct("counter_t"));
  EXPECT_TRUE(btf->find_type("counter_t"));
}

// A BTF blob assembled by hand (linux/btf.h layout): int, struct s { int a; int b; }.
std::vector<std::byte> hand_btf() {
  std::vector<uint32_t> types = {
      1, 0x01000000, 4, 0x01000020,                  // [1] INT "int" size 4, signed, 32 bits
      5, 0x04000002, 8, 7,          1, 0, 9, 1, 32,  // [2] STRUCT "s" size 8: a@0, b@32
  };
  std::string strs("\0int\0s\0a\0b\0", 11);
  std::vector<std::byte> out(24 + types.size() * 4 + strs.size());
  auto put16 = [&](size_t o, uint16_t v) { store(out.data() + o, v, Endian::little); };
  auto put32 = [&](size_t o, uint32_t v) { store(out.data() + o, v, Endian::little); };
  put16(0, 0xeb9f);
  out[2] = std::byte{1};
  put32(4, 24);
  put32(8, 0);
  put32(12, static_cast<uint32_t>(types.size() * 4));
  put32(16, static_cast<uint32_t>(types.size() * 4));
  put32(20, static_cast<uint32_t>(strs.size()));
  for (size_t i = 0; i < types.size(); ++i) put32(24 + 4 * i, types[i]);
  std::memcpy(out.data() + 24 + types.size() * 4, strs.data(), strs.size());
  return out;
}

TEST(Btf, HandAssembledBlob) {
  auto btf = Btf::parse(hand_btf());
  ASSERT_TRUE(btf) << btf.error().message;
  EXPECT_EQ(btf->offset_of("s", "b").value_or(~uint64_t{0}), 4u);
  EXPECT_EQ(btf->size_of("s").value_or(~uint64_t{0}), 8u);
  EXPECT_EQ(btf->type_count(), 3u);
}

TEST(Btf, DamagedBlobsAreCorrupt) {
  auto raw = hand_btf();
  auto bad_magic = raw;
  bad_magic[0] = std::byte{0};
  EXPECT_EQ(Btf::parse(bad_magic).error().code, Errc::corrupt);
  for (size_t n : {size_t{0}, size_t{10}, size_t{24}, raw.size() - 3}) {
    auto r = Btf::parse(std::span(raw).first(n));
    EXPECT_FALSE(r) << n;
  }
  auto bad_type = raw;
  store(bad_type.data() + 24 + 4 * 8, uint32_t{77}, Endian::little);  // member a: type 77
  // libbpf 1.1 accepts a dangling type id; every query on it must fail cleanly.
  auto b = Btf::parse(bad_type);
  if (b) {
    auto s = b->find_struct("s");
    ASSERT_TRUE(s);
    auto a = b->member(*s, "a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->type, 77u);
    EXPECT_FALSE(b->size_of(a->type));
    EXPECT_EQ(b->type(a->type).kind, Btf::Kind::other);
    EXPECT_FALSE(b->member(a->type, "x"));
    EXPECT_FALSE(b->type_name(a->type).empty());
  }
}

TEST(Btf, FromKernelMemoryThroughKallsyms) {
  scrub_test::FakeKernel k;
  auto raw = sample_btf();
  uint64_t at = k.alloc(raw.size());
  std::memcpy(k.at(at), raw.data(), raw.size());
  scrub_test::KallsymsImage img;
  img.syms = {{"_stext", 0xffffffff81000000ULL, 'T'},
              {"__start_BTF", at, 'R'},
              {"__stop_BTF", at + raw.size(), 'R'}};
  img.absolute_percpu = false;
  img.base = scrub_test::kBase;
  img.syms[0].addr = scrub_test::kBase + 0x100;
  auto ks = Kallsyms::read(VmcoreInfo::parse(img.write(k)), k);
  ASSERT_TRUE(ks) << ks.error().message;
  auto btf = Btf::from_kernel(*ks, k);
  ASSERT_TRUE(btf) << btf.error().message;
  EXPECT_EQ(btf->offset_of("outer", "cnt").value_or(~uint64_t{0}), 72u);
  // An implausible range and missing symbols.
  EXPECT_EQ(Btf::from_kernel(*ks, k, 16).error().code, Errc::corrupt);
  scrub_test::FakeKernel k2;
  scrub_test::KallsymsImage img2;
  img2.syms = {{"_stext", 0xffffffff81000000ULL, 'T'}};
  auto ks2 = Kallsyms::read(VmcoreInfo::parse(img2.write(k2)), k2);
  ASSERT_TRUE(ks2);
  EXPECT_EQ(Btf::from_kernel(*ks2, k2).error().code, Errc::unsupported);
}

// A minimal ELF64 file with sections: null, .BTF, .shstrtab.
std::string write_elf(const std::vector<std::byte>& btf, bool with_btf) {
  std::string shstr("\0.BTF\0.shstrtab\0.text\0", 23);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof eh;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 3;
  eh.e_shstrndx = 2;
  const uint64_t btf_off = sizeof eh, str_off = btf_off + btf.size();
  eh.e_shoff = (str_off + shstr.size() + 7) / 8 * 8;
  Elf64_Shdr sh[3]{};
  sh[1].sh_name = with_btf ? 1 : 16;  // ".BTF" or ".text"
  sh[1].sh_type = SHT_PROGBITS;
  sh[1].sh_offset = btf_off;
  sh[1].sh_size = btf.size();
  sh[1].sh_addralign = 1;
  sh[2].sh_name = 6;
  sh[2].sh_type = SHT_STRTAB;
  sh[2].sh_offset = str_off;
  sh[2].sh_size = shstr.size();
  sh[2].sh_addralign = 1;
  std::string path = testing::TempDir() + "btf_test_vmlinux_" + std::to_string(getpid()) +
                     (with_btf ? "" : "_nobtf");
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(&eh), sizeof eh);
  f.write(reinterpret_cast<const char*>(btf.data()), static_cast<std::streamsize>(btf.size()));
  f.write(shstr.data(), static_cast<std::streamsize>(shstr.size()));
  f.write("\0\0\0\0\0\0\0\0", static_cast<std::streamsize>(eh.e_shoff - str_off - shstr.size()));
  f.write(reinterpret_cast<const char*>(sh), sizeof sh);
  return path;
}

TEST(Btf, FromVmlinuxSection) {
  auto raw = sample_btf();
  std::string path = write_elf(raw, true);
  auto btf = Btf::from_vmlinux(path);
  ASSERT_TRUE(btf) << btf.error().message;
  EXPECT_EQ(btf->offset_of("outer", "arr").value_or(~uint64_t{0}), 40u);
  std::remove(path.c_str());
  std::string nobtf = write_elf(raw, false);
  auto r = Btf::from_vmlinux(nobtf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::no_data);
  std::remove(nobtf.c_str());
  EXPECT_EQ(Btf::from_vmlinux("/nonexistent/vmlinux").error().code, Errc::io);
  EXPECT_EQ(Btf::from_vmlinux("/proc/self/cmdline").error().code, Errc::unknown_format);
}

#else

TEST(Btf, NotBuilt) {
  EXPECT_FALSE(Btf::built());
  EXPECT_EQ(Btf::parse({}).error().code, Errc::not_built);
}

#endif

}  // namespace
