// Test support: a sparse kernel virtual memory, a printk lockless ring buffer
// (kernel/printk/printk_ringbuffer.h) and a printk_log record buffer written
// into it byte by byte, with the text makedumpfile --dump-dmesg prints for
// them, written by hand.
// Used by printk_test (walker over fake memory) and dumpinfo_cli_test (the
// same ring inside a dump, also compared with makedumpfile).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/kernel/printk.h"

namespace printk_ring {

using namespace dumpfmt;

// Sparse kernel virtual memory in 4 KiB pages; a read touching a missing
// page is no_data, as from a dump without that page. No physical view.
class FakeMemory final : public KernelReader {
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
  /// The pages written so far, by virtual page number (va >> 12).
  const std::map<uint64_t, std::vector<std::byte>>& pages() const { return pages_; }

  Endian endian() const override { return e_; }
  uint32_t page_size() const override { return 4096; }
  uint32_t word_size() const override { return w_; }
  Status read_virt(uint64_t va, std::span<std::byte> out) const override {
    for (size_t i = 0; i < out.size(); ++i) {
      auto it = pages_.find((va + i) >> 12);
      if (it == pages_.end()) {
        return make_error(Errc::no_data, "address " + hex(va + i) + " not in the dump");
      }
      out[i] = it->second[(va + i) & 4095];
    }
    return ok();
  }
  Status read_phys(uint64_t, std::span<std::byte>) const override {
    return make_error(Errc::unsupported, "fake kernel memory has no physical addresses");
  }
  Result<uint64_t> vtop(uint64_t) const override {
    return make_error(Errc::unsupported, "fake kernel memory has no physical addresses");
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
inline void build_lockless(FakeMemory& m, const Lockless& l) {
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

// 32-bit ids wrapping around the 30-bit id mask: the tail just below the
// wrap, the head after it. `last_caller` goes into the last record's info.
inline void build_id_wrap(FakeMemory& m, const Lockless& l, uint32_t last_caller = 0) {
  const uint64_t mask = (uint64_t{1} << 30) - 1;
  l.header(m, 1, mask);
  l.block(m, 0, mask, "old");
  l.desc(m, mask, 2, 0, 12, 3, 1000);
  l.block(m, 16, 0, "zero");
  l.desc(m, 0, 2, 16, 24, 4, 2000);
  l.block(m, 32, 1, "one");
  l.desc(m, 1, 2, 32, 40, 3, 3000, last_caller);
}

inline const std::string kLocklessText =
    "[    0.000000] Linux version 1.0\n"
    "[    1.234567] line1\n"
    "               line2\n"
    "[100000.000005] a\\x01b\\x7fc\\xffffffc3\\xffffffa9d\te\r\n"
    "[    5.000000] wrapped message!\n";

// struct printk_log (3.11-5.9) / struct log (3.5-3.10): u64 ts_nsec, u16 len,
// u16 text_len, u16 dict_len, u8 facility, u8 flags:5 level:3 = 16 bytes, then
// (CONFIG_PRINTK_CALLER) u32 caller_id; text follows the header.
struct Records {
  std::string name = "printk_log";
  bool caller = false;
  uint64_t sym = kBase, buf = kBase + 0x1000;
  uint32_t len = 256;
  uint32_t hdr() const { return caller ? 24 : 16; }
  std::string vmcoreinfo() const {
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

// Four records from log_first_idx 64, a wrap marker, the last one at 0.
inline void build_records(FakeMemory& m, const Records& r) {
  uint32_t p = r.rec(m, 64, "first", 1000);
  p = r.rec(m, p, "second\nline", 2000000);
  p = r.rec(m, p, "third", 3000000000ULL);
  m.put_int<uint16_t>(r.buf + p + 8, 0);  // wrap marker: len 0
  const uint32_t next = r.rec(m, 0, "fourth", 4000000000ULL);
  r.header(m, 64, next);
}

inline const std::string kRecordsText =
    "[    0.000001] first\n"
    "[    0.002000] second\n"
    "               line\n"
    "[    3.000000] third\n"
    "[    4.000000] fourth\n";

}  // namespace printk_ring
