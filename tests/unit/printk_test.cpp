// The kernel log walkers over synthetic memory: the lockless ring buffer (64-bit
// LE and 32-bit BE, wrapped blocks, skipped descriptors, truncation), printk_log
// and log records (wrap marker, cycles, bad indices), the plain ring, hostile
// sizes, and makedumpfile's text form written out by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "../dumpinfo/printk_ring_builder.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/printk.h"
#include "kernel_test_support.h"

using namespace dumpfmt;
using printk_ring::build_id_wrap;
using printk_ring::build_lockless;
using printk_ring::FakeMemory;
using printk_ring::kBase;
using printk_ring::kLocklessText;
using printk_ring::Lockless;
using printk_ring::Records;

namespace {

TEST(Printk, LocklessRing64) {
  FakeMemory m;
  Lockless l(8, kBase);
  build_lockless(m, l);
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout, PrintkLayout::lockless);
  ASSERT_EQ(d->records.size(), 4u);
  EXPECT_EQ(d->records[0].seq, 1003u);
  EXPECT_EQ(d->records[3].seq, 1009u);
  EXPECT_EQ(d->records[1].text, "line1\nline2");
  EXPECT_EQ(d->records[0].caller_id, 0u);
  EXPECT_TRUE(d->warnings.empty());
  EXPECT_EQ(format_dmesg(*d), kLocklessText);
}

TEST(Printk, LocklessRing32BigEndian) {
  FakeMemory m(Endian::big, 4);
  Lockless l(4, 0xc1000000);
  build_lockless(m, l);
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(format_dmesg(*d), kLocklessText);
}

TEST(Printk, LocklessIdsWrapAroundTheMask) {
  // 32-bit ids: the id space is 30 bits; tail just below the wrap, head after it.
  FakeMemory m(Endian::little, 4);
  Lockless l(4, 0xc1000000);
  build_id_wrap(m, l);
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(format_dmesg(*d), "[    0.000001] old\n[    0.000002] zero\n[    0.000003] one\n");
}

TEST(Printk, LocklessTextLenIsCutToTheBlock) {
  // text_len says 40 but the block holds 24 bytes after its id: the kernel's
  // reader (and makedumpfile) print what the block holds, padding included.
  FakeMemory m;
  Lockless l(8, kBase);
  l.header(m, 3, 3);
  l.block(m, 0, 3, "short text");
  l.desc(m, 3, 2, 0, 32, 40, 0);
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->records.size(), 1u);
  EXPECT_EQ(d->records[0].text, std::string("short text") + std::string(14, '\0'));
  EXPECT_EQ(format_dmesg(*d), "[    0.000000] short text" +
                                  std::string("\\x00\\x00\\x00\\x00\\x00\\x00\\x00") +
                                  "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\n");
}

TEST(Printk, LocklessHostileSizesAndPointers) {
  Lockless l(8, kBase);
  {
    FakeMemory m;
    l.header(m, 3, 3);
    m.put_int<uint32_t>(l.rb, 40);  // 2^40 descriptors
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::corrupt);
  }
  {
    FakeMemory m;
    l.header(m, 3, 3);
    m.put_int<uint32_t>(l.rb + l.o_text_ring(), 30);  // a 1 GiB text ring
    DmesgOptions o;
    o.max_ring_bytes = 1 << 20;
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m, o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::corrupt);
    EXPECT_NE(d.error().message.find("implausibly large"), std::string::npos);
  }
  {
    FakeMemory m;
    l.header(m, 3, 3);
    m.put_word(l.rb + l.w, 0xdead0000);  // descs point nowhere
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::no_data);
    EXPECT_NE(d.error().message.find("descriptor ring"), std::string::npos);
  }
  {
    // Tail far behind head: only the last 2^count_bits ids are read.
    FakeMemory m;
    l.header(m, 1000, 3);
    l.block(m, 0, 1000, "last");
    l.desc(m, 1000, 2, 0, 16, 4, 0);
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(format_dmesg(*d), "[    0.000000] last\n");
    ASSERT_EQ(d->warnings.size(), 1u);
  }
  {
    // A block whose lpos lies past the ring's end after the id word.
    FakeMemory m;
    l.header(m, 3, 3);
    l.desc(m, 3, 2, 508, 512 + 8, 100, 0);  // begin 508 > next 8: wraps to 0, text fits
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->records.size(), 1u);
    EXPECT_EQ(d->records[0].text, "");
  }
}

TEST(Printk, MissingKeysAreNamed) {
  auto d = read_dmesg(VmcoreInfo::parse("SYMBOL(prb)=ffffffff81000000\nSIZE(prb_desc)=24\n"),
                      FakeMemory());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::unsupported);
  EXPECT_NE(d.error().message.find("OFFSET(printk_info.text_len)"), std::string::npos);
  EXPECT_NE(d.error().message.find("SIZE(printk_ringbuffer)"), std::string::npos);
  auto none = read_dmesg(VmcoreInfo::parse("OSRELEASE=6.1.0\n"), FakeMemory());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::unsupported);
  auto rec = read_dmesg(VmcoreInfo::parse("OSRELEASE=4.19.0\nSYMBOL(log_buf)=ffffffff81000000\n"
                                          "SYMBOL(log_buf_len)=ffffffff81000008\n"),
                        FakeMemory());
  ASSERT_FALSE(rec);
  EXPECT_NE(rec.error().message.find("SYMBOL(log_first_idx)"), std::string::npos);
}

TEST(Printk, RecordsWithWrapMarker) {
  for (const char* name : {"printk_log", "log"}) {
    SCOPED_TRACE(name);
    FakeMemory m;
    Records r;
    r.name = name;
    printk_ring::build_records(m, r);
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo()), m);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->layout, PrintkLayout::records);
    EXPECT_TRUE(d->warnings.empty());
    EXPECT_EQ(format_dmesg(*d), printk_ring::kRecordsText);
  }
}

TEST(Printk, RecordsCallerIdAndFormatting) {
  FakeMemory m;
  Records r;
  r.caller = true;
  uint32_t p = r.rec(m, 0, "from task", 1000, 123);
  p = r.rec(m, p, "from cpu\nnext", 2000, 0x80000001u);
  r.header(m, 0, p);
  auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo()), m);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(format_dmesg(*d),
            "[    0.000001] from task\n[    0.000002] from cpu\n"
            "               next\n");
  DmesgFormat f;
  f.caller_id = true;
  EXPECT_EQ(format_dmesg(*d, f),
            "[    0.000001] [    T123] from task\n"
            "[    0.000002] [      C1] from cpu\n"
            "                          next\n");
}

TEST(Printk, RecordsCycleAndBadIndex) {
  {
    // The wrapped-to record's length leads back to the first one: a loop.
    FakeMemory m;
    Records r;
    uint32_t p = r.rec(m, 64, "a", 1);
    p = r.rec(m, p, "b", 2);
    m.put_int<uint16_t>(r.buf + p + 8, 0);
    r.rec(m, 0, "c", 3, 0, 64);  // 0 + 64 = the first record again
    r.header(m, 64, 200);
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo()), m);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_FALSE(d->warnings.empty());
    EXPECT_NE(d->warnings[0].find("cycle"), std::string::npos);
    EXPECT_LE(d->records.size(), 256u / 16 + 3);
  }
  {
    FakeMemory m;
    Records r;
    r.rec(m, 64, "a", 1, 0, 60000);  // next record far outside the buffer
    r.header(m, 64, 100);
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo()), m);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(format_dmesg(*d), "[    0.000000] a\n");
    ASSERT_EQ(d->warnings.size(), 1u);
    EXPECT_NE(d->warnings[0].find("outside log_buf"), std::string::npos);
  }
  {
    FakeMemory m;
    Records r;
    r.header(m, 250, 0);  // first index leaves no room for a header
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo()), m);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->records.empty());
    EXPECT_EQ(d->warnings.size(), 1u);
  }
  {
    FakeMemory m;
    Records r;
    r.header(m, 0, 0);
    m.put_int<int32_t>(r.sym + 8, -5);  // log_buf_len
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo()), m);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::corrupt);
  }
}

std::string plain_vmcoreinfo(const char* release, uint64_t sym) {
  return strfmt(
      "OSRELEASE=%s\nSYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\nSYMBOL(log_end)=%llx\n",
      release, static_cast<unsigned long long>(sym), static_cast<unsigned long long>(sym + 8),
      static_cast<unsigned long long>(sym + 16));
}

TEST(Printk, PlainRing) {
  const std::string text = "<6>Linux version 2.6.32 (x)\n<4>second line\n<6>the end: 64 bytes\n";
  ASSERT_EQ(text.size(), 64u);
  for (bool wrapped : {false, true}) {
    FakeMemory m;
    m.put_word(kBase, kBase + 0x1000);
    m.put_int<uint32_t>(kBase + 8, 64);
    m.put_int<uint32_t>(kBase + 16, wrapped ? 64 * 3 + 10 : 40);
    m.put_str(kBase + 0x1000, text);
    auto d = read_dmesg(VmcoreInfo::parse(plain_vmcoreinfo("2.6.32", kBase)), m);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->layout, PrintkLayout::plain);
    EXPECT_EQ(format_dmesg(*d),
              wrapped ? text.substr(10) + text.substr(0, 10) : text.substr(0, 40));
  }
  // Before 2.6.25 log_end is an unsigned long: on a big-endian 64-bit kernel
  // its value sits in the second 4 bytes.
  FakeMemory m(Endian::big, 8);
  m.put_word(kBase, kBase + 0x1000);
  m.put_int<uint32_t>(kBase + 8, 64);
  m.put_int<uint64_t>(kBase + 16, 12);
  m.put_str(kBase + 0x1000, text);
  auto d = read_dmesg(VmcoreInfo::parse(plain_vmcoreinfo("2.6.24", kBase)), m);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->plain, text.substr(0, 12));
}

TEST(Printk, TimestampAndEscapes) {
  LogRecord r;
  r.ts_nsec = 123456789012345ULL;  // 123456.789012345 s: wider than %5
  r.text = std::string("x\0y\x1b\x80\xff\v\f", 8);
  EXPECT_EQ(format_log_record(r), "[123456.789012] x\\x00y\\x1b\\xffffff80\\xffffffff\v\f\n");
  r.ts_nsec = 999;
  r.text = "\n";
  EXPECT_EQ(format_log_record(r), "[    0.000000] \n               \n");
  r.text = "";
  EXPECT_EQ(format_log_record(r), "[    0.000000] \n");
  r.ts_nsec = ~uint64_t{0};
  EXPECT_EQ(format_log_record(r), "[18446744073.709551] \n");
}

// Through KernelMemory: the ring in the x86_64 kernel image (translated
// without page tables) of an in-memory dump.
TEST(Printk, ThroughKernelMemory) {
  kernel_test::MemSource src(Arch::x86_64, 4096);
  const uint64_t base = kernel_test::kStartKernelMap + 0x2000000;
  FakeMemory m;
  Lockless l(8, base);
  build_lockless(m, l);
  // Copy the fake memory's pages into the dump at their physical addresses.
  for (uint64_t va = base; va < base + 0x5000; va += 4096) {
    std::vector<std::byte> page(4096);
    if (m.read_virt(va, page))
      src.write(va - kernel_test::kStartKernelMap, page.data(), page.size());
  }
  src.add_ram(0, 0x3000);
  src.set_vmcoreinfo(l.vmcoreinfo() +
                     "SYMBOL(init_top_pgt)=ffffffff81000000\nNUMBER(phys_base)=0\n");
  auto km = KernelMemory::create(src);
  ASSERT_TRUE(km) << km.error().message;
  auto d = read_dmesg(**km);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(format_dmesg(*d), kLocklessText);
  // A page of the text ring missing from the dump: no_data naming the ring.
  src.drop((l.data - kernel_test::kStartKernelMap) / 4096);
  auto km2 = KernelMemory::create(src);
  ASSERT_TRUE(km2) << km2.error().message;
  auto gone = read_dmesg(**km2);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::no_data);
  EXPECT_NE(gone.error().message.find("text data ring"), std::string::npos);
}

}  // namespace
