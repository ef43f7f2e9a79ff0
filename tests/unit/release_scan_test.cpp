// The kernel-release scanner: struct new_utsname and banner recognition (and
// the look-alikes it must refuse), a utsname across a page boundary, the
// numbered copy preferred, the scan limit, dumps without VMCOREINFO opened
// from dumpgen's ELF and kdump files, and init_uts_ns through VMCOREINFO.
#include <gtest/gtest.h>

#include <cstring>

#include "dumpfmt/format.h"
#include "dumpfmt/kernel/release_scan.h"
#include "dumpgen.h"
#include "kernel_test_support.h"

using namespace dumpfmt;

namespace {

// A struct new_utsname as the kernel lays it out: six zero-filled char[65].
std::vector<uint8_t> utsname_bytes(const std::string& release, const std::string& version,
                                   const std::string& machine = "x86_64",
                                   const std::string& sysname = "Linux") {
  std::vector<uint8_t> b(390, 0);
  const std::string f[6] = {sysname, "host", release, version, machine, "(none)"};
  for (int i = 0; i < 6; ++i) std::memcpy(b.data() + 65 * i, f[i].data(), f[i].size());
  return b;
}

std::span<const std::byte> bytes_of(const std::vector<uint8_t>& v) {
  return {reinterpret_cast<const std::byte*>(v.data()), v.size()};
}

const std::string kRelease = "6.1.0-56-cloud-amd64";
const std::string kVersion = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)";
const std::string kBanner =
    "Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) "
    "(gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0) " +
    kVersion;

TEST(ReleaseScan, ParsesAKernelUtsname) {
  auto u = parse_new_utsname(bytes_of(utsname_bytes(kRelease, kVersion)));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->sysname, "Linux");
  EXPECT_EQ(u->nodename, "host");
  EXPECT_EQ(u->release, kRelease);
  EXPECT_EQ(u->version, kVersion);
  EXPECT_EQ(u->machine, "x86_64");
  EXPECT_EQ(u->domainname, "(none)");
}

TEST(ReleaseScan, RefusesLookAlikes) {
  // Each of these once matched a string table in the corpus kernel or is
  // otherwise not what the kernel writes.
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes("6.1.0", kVersion, "x86_64", "Linuz"))));
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes("07", kVersion))));  // no dot
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes(".1", kVersion))));
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes("6.x", kVersion))));
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes("6.1", "ikely"))));       // no '#'
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes("6.1", kVersion, ""))));  // no machine
  EXPECT_FALSE(parse_new_utsname(bytes_of(utsname_bytes("6.1", kVersion, "x 86"))));
  auto b = utsname_bytes(kRelease, kVersion);
  b[130 + kRelease.size() + 3] = 'x';  // junk behind the release's NUL
  EXPECT_FALSE(parse_new_utsname(bytes_of(b)));
  b = utsname_bytes(kRelease, kVersion);
  std::memset(b.data() + 65, 'n', 65);  // nodename without NUL
  EXPECT_FALSE(parse_new_utsname(bytes_of(b)));
  b = utsname_bytes(kRelease, kVersion);
  b[195 + 3] = 0x07;  // unprintable
  EXPECT_FALSE(parse_new_utsname(bytes_of(b)));
  b = utsname_bytes(kRelease, kVersion);
  std::memset(b.data() + 325, 'd', 65);  // domainname may fill its array
  EXPECT_TRUE(parse_new_utsname(bytes_of(b)));
  b.resize(389);
  EXPECT_FALSE(parse_new_utsname(bytes_of(b)));
}

TEST(ReleaseScan, Banner) {
  EXPECT_EQ(banner_release(kBanner), kRelease);
  EXPECT_EQ(banner_version(kBanner), kVersion);
  EXPECT_FALSE(banner_release("Linux version 6.1.0 (no hash)"));
  EXPECT_FALSE(banner_release("Linux version %s (%s@%s) (%s) %s"));
  EXPECT_FALSE(banner_release("Linux versions 6.1 #1"));
  EXPECT_FALSE(banner_release("Linux version  #1"));
}

// A dump whose memory holds `blobs` at the given physical addresses.
std::unique_ptr<PageSource> dump_with(
    dumpgen::Format format, const std::vector<std::pair<uint64_t, std::vector<uint8_t>>>& blobs,
    uint64_t pages, bool vmcoreinfo = false) {
  dumpgen::DumpSpec spec;
  spec.format = format;
  spec.with_vmcoreinfo = vmcoreinfo;
  std::map<uint64_t, std::vector<uint8_t>> content;
  for (const auto& [paddr, bytes] : blobs) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      auto& p = content[(paddr + i) / 4096];
      if (p.empty()) p.assign(4096, 0);
      p[(paddr + i) % 4096] = bytes[i];
    }
  }
  for (uint64_t pfn = 0; pfn < pages; ++pfn) {
    auto it = content.find(pfn);
    if (it == content.end()) {
      spec.pages.push_back(dumpgen::page(pfn, dumpgen::PageKind::random));
    } else {
      dumpgen::PageSpec p = dumpgen::page(pfn, dumpgen::PageKind::bytes);
      p.bytes = it->second;
      spec.pages.push_back(p);
    }
  }
  auto raw = dumpgen::generate(spec);
  std::vector<std::unique_ptr<File>> files;
  files.push_back(memory_file(
      "gen", std::vector<std::byte>(reinterpret_cast<std::byte*>(raw.data()),
                                    reinterpret_cast<std::byte*>(raw.data()) + raw.size())));
  auto src = open_dump_files(std::move(files));
  EXPECT_TRUE(src) << src.error().message;
  return src ? std::move(*src) : nullptr;
}

std::vector<uint8_t> banner_bytes(const std::string& line) {
  std::vector<uint8_t> b(line.begin(), line.end());
  b.push_back('\n');
  b.push_back(0);
  return b;
}

TEST(ReleaseScan, FindsBothAcrossPageBoundariesInElfAndKdump) {
  for (auto fmt : {dumpgen::Format::elf, dumpgen::Format::kdump}) {
    SCOPED_TRACE(fmt == dumpgen::Format::elf ? "elf" : "kdump");
    // The utsname starts 100 bytes before the end of PFN 40; the banner 30.
    auto src = dump_with(fmt,
                         {{41 * 4096 - 100, utsname_bytes(kRelease, kVersion)},
                          {61 * 4096 - 30, banner_bytes(kBanner)}},
                         80);
    ASSERT_TRUE(src);
    ASSERT_FALSE(src->info().vmcoreinfo);
    auto r = scan_kernel_release(*src);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->uts);
    EXPECT_EQ(r->uts->release, kRelease);
    EXPECT_EQ(r->uts_paddr, 41u * 4096 - 100);
    ASSERT_TRUE(r->banner);
    EXPECT_EQ(*r->banner, kBanner);
    EXPECT_EQ(r->banner_paddr, 61u * 4096 - 30);
    EXPECT_EQ(r->release(), kRelease);
    EXPECT_FALSE(r->complete);  // stopped once both were found
    EXPECT_LE(r->bytes_scanned, 63u * 4096);
  }
}

TEST(ReleaseScan, PrefersTheNumberedCopyAndHonoursTheLimit) {
  // An unnumbered copy first (as the 6.1 corpus kernel holds one), the live
  // numbered one later.
  auto src = dump_with(dumpgen::Format::elf,
                       {{5 * 4096, utsname_bytes(kRelease, "# SMP PREEMPT_DYNAMIC")},
                        {9 * 4096, banner_bytes(kBanner)},
                        {30 * 4096 + 8, utsname_bytes(kRelease, kVersion)}},
                       64);
  ASSERT_TRUE(src);
  auto r = scan_kernel_release(*src);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->uts);
  EXPECT_EQ(r->uts->version, kVersion);
  EXPECT_EQ(r->uts_paddr, 30u * 4096 + 8);

  ReleaseScanOptions o;
  o.max_bytes = 20 * 4096;
  auto limited = scan_kernel_release(*src, o);
  ASSERT_TRUE(limited);
  ASSERT_TRUE(limited->uts);
  EXPECT_EQ(limited->uts->version, "# SMP PREEMPT_DYNAMIC");  // the best within the limit
  EXPECT_EQ(limited->bytes_scanned, 20u * 4096);
  EXPECT_FALSE(limited->complete);
}

TEST(ReleaseScan, NothingFoundIsNoError) {
  auto src =
      dump_with(dumpgen::Format::kdump, {{4096, banner_bytes("Linux version 6.1 no hash")}}, 16);
  ASSERT_TRUE(src);
  auto r = scan_kernel_release(*src);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->release());
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->bytes_scanned, 16u * 4096);
}

TEST(ReleaseScan, BannerOnlyAndSkipsUnreadablePages) {
  kernel_test::MemSource src(Arch::x86_64, 4096);
  src.add_ram(0, 8);
  auto b = banner_bytes(kBanner);
  src.write(3 * 4096 + 17, b.data(), b.size());
  src.drop(2);  // a hole before it
  auto r = scan_kernel_release(src);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->uts);
  EXPECT_EQ(r->release(), kRelease);
  EXPECT_EQ(r->banner_paddr, 3u * 4096 + 17);
}

TEST(ReleaseScan, UtsnameAtInitUtsNs) {
  kernel_test::MemSource src(Arch::x86_64, 4096);
  src.add_ram(0, 0x3000);
  const uint64_t ns = kernel_test::kStartKernelMap + 0x2000100;
  auto u = utsname_bytes(kRelease, kVersion);
  // struct uts_namespace: a kref (4 bytes) then the name, as in 6.1.
  src.write(ns - kernel_test::kStartKernelMap + 4, u.data(), u.size());
  const std::string base = "SYMBOL(init_top_pgt)=ffffffff81000000\nNUMBER(phys_base)=0\n";
  src.set_vmcoreinfo(base + strfmt("SYMBOL(init_uts_ns)=%llx\nOFFSET(uts_namespace.name)=4\n",
                                   static_cast<unsigned long long>(ns)));
  auto km = KernelMemory::create(src);
  ASSERT_TRUE(km) << km.error().message;
  auto got = read_kernel_utsname(**km);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->version, kVersion);

  // Without OFFSET(uts_namespace.name): found by its sysname.
  src.set_vmcoreinfo(base +
                     strfmt("SYMBOL(init_uts_ns)=%llx\n", static_cast<unsigned long long>(ns)));
  km = KernelMemory::create(src);
  ASSERT_TRUE(km);
  got = read_kernel_utsname(**km);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->release, kRelease);

  // The offset pointing at garbage.
  src.set_vmcoreinfo(base + strfmt("SYMBOL(init_uts_ns)=%llx\nOFFSET(uts_namespace.name)=0\n",
                                   static_cast<unsigned long long>(ns)));
  km = KernelMemory::create(src);
  ASSERT_TRUE(km);
  got = read_kernel_utsname(**km);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::corrupt);

  src.set_vmcoreinfo(base);
  km = KernelMemory::create(src);
  ASSERT_TRUE(km);
  EXPECT_EQ(read_kernel_utsname(**km).error().code, Errc::unsupported);
}

}  // namespace
