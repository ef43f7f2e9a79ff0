// The kernel log walkers over synthetic memory: the lockless ring buffer (64-bit
// LE and 32-bit BE, wrapped blocks, skipped descriptors, truncation), printk_log
// and log records (wrap marker, cycles, bad indices), the plain ring, hostile
// sizes, and makedumpfile's text form written out by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/printk.h"
#include "kernel_test_support.h"

using namespace dumpfmt;

namespace {

// Sparse kernel virtual memory in 4 KiB pages; a read touching a missing
// page is no_data, as from a dump without that page.
class FakeMemory {
 public:
  explicit FakeMemory(Endian e = Endian::little, uint32_t word = 8) : e_(e), w_(word) {}
  void put(uint64_t va, const void* p, size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    for (size_t i = 0; i < n; ++i) byte(va + i) = b[i];
  }
  void put_str(uint64_t va, std::string_view s) { put(va, s.data(), s.size()); }
  template <class T>
  void put_int(uint64_t va, T v) {
    std::byte b[sizeof(T)];
    store(b, v, e_);
    put(va, b, sizeof b);
  }
  void put_word(uint64_t va, uint64_t v) {
    if (w_ == 8) {
      put_int<uint64_t>(va, v);
    } else {
      put_int<uint32_t>(va, static_cast<uint32_t>(v));
    }
  }
  void reserve(uint64_t va, size_t n) {
    for (size_t i = 0; i < n; ++i) byte(va + i);
  }
  KernelReader reader() const {
    KernelReader r;
    r.endian = e_;
    r.word_size = w_;
    r.read = [this](uint64_t va, std::span<std::byte> out) -> Status {
      for (size_t i = 0; i < out.size(); ++i) {
        auto it = pages_.find((va + i) >> 12);
        if (it == pages_.end()) {
          return make_error(Errc::no_data, "address " + hex(va + i) + " not in the dump");
        }
        out[i] = it->second[(va + i) & 4095];
      }
      return ok();
    };
    return r;
  }

 private:
  std::byte& byte(uint64_t va) {
    auto& p = pages_[va >> 12];
    if (p.empty()) p.resize(4096);
    return p[va & 4095];
  }
  Endian e_;
  uint32_t w_;
  std::map<uint64_t, std::vector<std::byte>> pages_;
};

// The lockless ring of kernel/printk/printk_ringbuffer.h, laid out for a
// word size as the compiler would (the 64-bit numbers are the 6.1 corpus
// kernel's), with the VMCOREINFO lines that describe it.
struct Lockless {
  uint32_t w;
  uint64_t prb_sym, rb, descs, infos, data;
  unsigned count_bits = 3, size_bits = 9;

  Lockless(uint32_t word, uint64_t base)
      : w(word),
        prb_sym(base),
        rb(base + 0x100),
        descs(base + 0x1000),
        infos(base + 0x2000),
        data(base + 0x4000) {}
  uint64_t desc_size() const { return 3 * w; }
  uint64_t o_text_ring() const { return 6 * w; }  // after desc_ring (5 words + last_finalized)
  std::string vmcoreinfo() const {
    return strfmt(
        "OSRELEASE=6.1.0\nSYMBOL(prb)=%llx\nSIZE(printk_ringbuffer)=%u\n"
        "OFFSET(printk_ringbuffer.desc_ring)=0\nOFFSET(printk_ringbuffer.text_data_ring)=%u\n"
        "OFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=%u\n"
        "OFFSET(prb_desc_ring.infos)=%u\nOFFSET(prb_desc_ring.head_id)=%u\n"
        "OFFSET(prb_desc_ring.tail_id)=%u\nSIZE(prb_desc)=%u\nOFFSET(prb_desc.state_var)=0\n"
        "OFFSET(prb_desc.text_blk_lpos)=%u\nOFFSET(prb_data_blk_lpos.begin)=0\n"
        "OFFSET(prb_data_blk_lpos.next)=%u\nSIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\n"
        "OFFSET(printk_info.ts_nsec)=8\nOFFSET(printk_info.text_len)=16\n"
        "OFFSET(printk_info.caller_id)=20\nOFFSET(prb_data_ring.size_bits)=0\n"
        "OFFSET(prb_data_ring.data)=%u\nOFFSET(atomic_long_t.counter)=0\n",
        static_cast<unsigned long long>(prb_sym), 10 * w, 6 * w, w, 2 * w, 3 * w, 4 * w, 3 * w, w,
        w, w);
  }
  void header(FakeMemory& m, uint64_t head_id, uint64_t tail_id) const {
    m.put_word(prb_sym, rb);
    m.reserve(rb, 10 * w);
    m.put_int<uint32_t>(rb, count_bits);
    m.put_word(rb + w, descs);
    m.put_word(rb + 2 * w, infos);
    m.put_word(rb + 3 * w, head_id);
    m.put_word(rb + 4 * w, tail_id);
    m.put_int<uint32_t>(rb + o_text_ring(), size_bits);
    m.put_word(rb + o_text_ring() + w, data);
    m.reserve(descs, (uint64_t{1} << count_bits) * desc_size());
    m.reserve(infos, (uint64_t{1} << count_bits) * 88);
    m.reserve(data, uint64_t{1} << size_bits);
  }
  // A descriptor (state 0 reserved, 1 committed, 2 finalized, 3 reusable)
  // whose state word carries `sv_id`, and its info.
  void desc(FakeMemory& m, uint64_t id, uint64_t state, uint64_t begin, uint64_t next,
            uint16_t text_len, uint64_t ts, uint32_t caller = 0, int64_t sv_id = -1) const {
    const uint64_t idx = id % (uint64_t{1} << count_bits);
    const uint64_t sv = (state << (8 * w - 2)) | (sv_id < 0 ? id : static_cast<uint64_t>(sv_id));
    m.put_word(descs + idx * desc_size(), sv);
    m.put_word(descs + idx * desc_size() + w, begin);
    m.put_word(descs + idx * desc_size() + 2 * w, next);
    m.put_int<uint64_t>(infos + idx * 88, id + 1000);
    m.put_int<uint64_t>(infos + idx * 88 + 8, ts);
    m.put_int<uint16_t>(infos + idx * 88 + 16, text_len);
    m.put_int<uint32_t>(infos + idx * 88 + 20, caller);
  }
  // A text block at lpos `begin`: the id word, then the text.
  void block(FakeMemory& m, uint64_t begin, uint64_t id, std::string_view text) const {
    const uint64_t off = begin % (uint64_t{1} << size_bits);
    m.put_word(data + off, id);
    m.put_str(data + off + w, text);
  }
};

constexpr uint64_t kBase = 0xffffffff82000000ULL;

// Seven descriptors (ids 3..9): printed, multi-line, reserved (skipped),
// stale id (skipped), data-less (skipped), unprintable bytes, and a block
// that wrapped to the ring's start (the head, which is printed too).
void build_lockless(FakeMemory& m, const Lockless& l) {
  const uint32_t w = l.w;
  l.header(m, 9, 3);
  auto put = [&](uint64_t id, uint64_t state, uint64_t begin, std::string_view text, uint64_t ts,
                 int64_t sv_id = -1) {
    l.block(m, begin, id, text);
    const uint64_t next = (begin + w + text.size() + w - 1) / w * w;
    l.desc(m, id, state, begin, next, static_cast<uint16_t>(text.size()), ts, 0, sv_id);
  };
  put(3, 2, 200, "Linux version 1.0", 0);
  put(4, 1, 32, "line1\nline2", 1234567890);
  put(5, 0, 64, "reserved", 2000000000);
  put(6, 2, 96, "stale", 3000000000, 6 + 8);
  l.desc(m, 7, 2, 128, 128, 0, 4000000000);  // no text
  put(8, 2, 160,
      std::string_view("a\x01"
                       "b\x7f"
                       "c\xc3\xa9"
                       "d\te\r",
                       11),
      100000000005000ULL);
  // Wrapped: the block starts at lpos 512 + 480, its data at the ring's start.
  l.block(m, 0, 9, "");  // the id word at the ring's start
  m.put_str(l.data + w, "wrapped message!");
  l.desc(m, 9, 2, 512 + 480, 1024 + w + 16, 16, 5000000000ULL);
}

const std::string kLocklessText =
    "[    0.000000] Linux version 1.0\n"
    "[    1.234567] line1\n"
    "               line2\n"
    "[100000.000005] a\\x01b\\x7fc\\xffffffc3\\xffffffa9d\te\r\n"
    "[    5.000000] wrapped message!\n";

TEST(Printk, LocklessRing64) {
  FakeMemory m;
  Lockless l(8, kBase);
  build_lockless(m, l);
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
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
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(format_dmesg(*d), kLocklessText);
}

TEST(Printk, LocklessIdsWrapAroundTheMask) {
  // 32-bit ids: the id space is 30 bits; tail just below the wrap, head after it.
  FakeMemory m(Endian::little, 4);
  Lockless l(4, 0xc1000000);
  const uint64_t mask = (uint64_t{1} << 30) - 1;
  l.header(m, 1, mask);
  l.block(m, 0, mask, "old");
  l.desc(m, mask, 2, 0, 12, 3, 1000);
  l.block(m, 16, 0, "zero");
  l.desc(m, 0, 2, 16, 24, 4, 2000);
  l.block(m, 32, 1, "one");
  l.desc(m, 1, 2, 32, 40, 3, 3000);
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
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
  auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
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
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::corrupt);
  }
  {
    FakeMemory m;
    l.header(m, 3, 3);
    m.put_int<uint32_t>(l.rb + l.o_text_ring(), 30);  // a 1 GiB text ring
    DmesgOptions o;
    o.max_ring_bytes = 1 << 20;
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader(), o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::corrupt);
    EXPECT_NE(d.error().message.find("implausibly large"), std::string::npos);
  }
  {
    FakeMemory m;
    l.header(m, 3, 3);
    m.put_word(l.rb + l.w, 0xdead0000);  // descs point nowhere
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
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
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(format_dmesg(*d), "[    0.000000] last\n");
    ASSERT_EQ(d->warnings.size(), 1u);
  }
  {
    // A block whose lpos lies past the ring's end after the id word.
    FakeMemory m;
    l.header(m, 3, 3);
    l.desc(m, 3, 2, 508, 512 + 8, 100, 0);  // begin 508 > next 8: wraps to 0, text fits
    auto d = read_dmesg(VmcoreInfo::parse(l.vmcoreinfo()), m.reader());
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->records.size(), 1u);
    EXPECT_EQ(d->records[0].text, "");
  }
}

TEST(Printk, MissingKeysAreNamed) {
  auto d = read_dmesg(VmcoreInfo::parse("SYMBOL(prb)=ffffffff81000000\nSIZE(prb_desc)=24\n"),
                      FakeMemory().reader());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::unsupported);
  EXPECT_NE(d.error().message.find("OFFSET(printk_info.text_len)"), std::string::npos);
  EXPECT_NE(d.error().message.find("SIZE(printk_ringbuffer)"), std::string::npos);
  auto none = read_dmesg(VmcoreInfo::parse("OSRELEASE=6.1.0\n"), FakeMemory().reader());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::unsupported);
  auto rec = read_dmesg(VmcoreInfo::parse("OSRELEASE=4.19.0\nSYMBOL(log_buf)=ffffffff81000000\n"
                                          "SYMBOL(log_buf_len)=ffffffff81000008\n"),
                        FakeMemory().reader());
  ASSERT_FALSE(rec);
  EXPECT_NE(rec.error().message.find("SYMBOL(log_first_idx)"), std::string::npos);
}

// struct printk_log (3.11-5.9) / struct log (3.5-3.10): u64 ts_nsec, u16 len,
// u16 text_len, u16 dict_len, u8 facility, u8 flags:5 level:3 = 16 bytes, then
// (CONFIG_PRINTK_CALLER) u32 caller_id; text follows the header.
struct Records {
  std::string name = "printk_log";
  bool caller = false;
  uint64_t sym = kBase, buf = kBase + 0x1000;
  uint32_t len = 256;
  uint32_t hdr() const { return caller ? 24 : 16; }
  std::string vmcoreinfo(uint32_t first, uint32_t next) const {
    (void)first;
    (void)next;
    std::string s = strfmt(
        "OSRELEASE=4.19.0\nSYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\n"
        "SYMBOL(log_first_idx)=%llx\nSYMBOL(log_next_idx)=%llx\nSIZE(%s)=%u\n"
        "OFFSET(%s.ts_nsec)=0\nOFFSET(%s.len)=8\nOFFSET(%s.text_len)=10\n",
        static_cast<unsigned long long>(sym), static_cast<unsigned long long>(sym + 8),
        static_cast<unsigned long long>(sym + 16), static_cast<unsigned long long>(sym + 20),
        name.c_str(), hdr(), name.c_str(), name.c_str(), name.c_str());
    if (caller) s += "OFFSET(" + name + ".caller_id)=16\n";
    return s;
  }
  void header(FakeMemory& m, uint32_t first, uint32_t next) const {
    m.put_word(sym, buf);
    m.put_int<uint32_t>(sym + 8, len);
    m.put_int<uint32_t>(sym + 16, first);
    m.put_int<uint32_t>(sym + 20, next);
    m.reserve(buf, len);
  }
  // Returns the offset after the record.
  uint32_t rec(FakeMemory& m, uint32_t at, std::string_view text, uint64_t ts,
               uint32_t caller_id = 0, int reclen = -1) const {
    const uint32_t l = reclen >= 0 ? static_cast<uint32_t>(reclen)
                                   : (hdr() + static_cast<uint32_t>(text.size()) + 7) / 8 * 8;
    m.put_int<uint64_t>(buf + at, ts);
    m.put_int<uint16_t>(buf + at + 8, static_cast<uint16_t>(l));
    m.put_int<uint16_t>(buf + at + 10, static_cast<uint16_t>(text.size()));
    if (caller) m.put_int<uint32_t>(buf + at + 16, caller_id);
    m.put_str(buf + at + hdr(), text);
    return at + l;
  }
};

TEST(Printk, RecordsWithWrapMarker) {
  for (const char* name : {"printk_log", "log"}) {
    SCOPED_TRACE(name);
    FakeMemory m;
    Records r;
    r.name = name;
    uint32_t p = r.rec(m, 64, "first", 1000);
    p = r.rec(m, p, "second\nline", 2000000);
    p = r.rec(m, p, "third", 3000000000ULL);
    m.put_int<uint16_t>(r.buf + p + 8, 0);  // wrap marker: len 0
    const uint32_t next = r.rec(m, 0, "fourth", 4000000000ULL);
    r.header(m, 64, next);
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo(64, next)), m.reader());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->layout, PrintkLayout::records);
    EXPECT_TRUE(d->warnings.empty());
    EXPECT_EQ(format_dmesg(*d),
              "[    0.000001] first\n"
              "[    0.002000] second\n"
              "               line\n"
              "[    3.000000] third\n"
              "[    4.000000] fourth\n");
  }
}

TEST(Printk, RecordsCallerIdAndFormatting) {
  FakeMemory m;
  Records r;
  r.caller = true;
  uint32_t p = r.rec(m, 0, "from task", 1000, 123);
  p = r.rec(m, p, "from cpu\nnext", 2000, 0x80000001u);
  r.header(m, 0, p);
  auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo(0, p)), m.reader());
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
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo(64, 200)), m.reader());
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
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo(64, 100)), m.reader());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(format_dmesg(*d), "[    0.000000] a\n");
    ASSERT_EQ(d->warnings.size(), 1u);
    EXPECT_NE(d->warnings[0].find("outside log_buf"), std::string::npos);
  }
  {
    FakeMemory m;
    Records r;
    r.header(m, 250, 0);  // first index leaves no room for a header
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo(250, 0)), m.reader());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->records.empty());
    EXPECT_EQ(d->warnings.size(), 1u);
  }
  {
    FakeMemory m;
    Records r;
    r.header(m, 0, 0);
    m.put_int<int32_t>(r.sym + 8, -5);  // log_buf_len
    auto d = read_dmesg(VmcoreInfo::parse(r.vmcoreinfo(0, 0)), m.reader());
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
    auto d = read_dmesg(VmcoreInfo::parse(plain_vmcoreinfo("2.6.32", kBase)), m.reader());
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
  auto d = read_dmesg(VmcoreInfo::parse(plain_vmcoreinfo("2.6.24", kBase)), m.reader());
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
  auto rd = m.reader();
  for (uint64_t va = base; va < base + 0x5000; va += 4096) {
    std::vector<std::byte> page(4096);
    if (rd.read(va, page)) src.write(va - kernel_test::kStartKernelMap, page.data(), page.size());
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
