// The kernel log walkers (lockless ring buffer from kernel/printk/
// printk_ringbuffer.h, printk_log records, plain ring) and makedumpfile's
// --dump-dmesg text form. Every size and index read from the dump is checked
// against the buffer it points into.
#include "dumpfmt/kernel/printk.h"

#include <algorithm>

#include "dumpfmt/enum_names.h"

namespace dumpfmt {

namespace {

constexpr uint32_t kVersion3_5 = kernel_version_code(3, 5, 0);
constexpr uint32_t kVersion2_6_25 = kernel_version_code(2, 6, 25);

// Lockless descriptor states (kernel/printk/printk_ringbuffer.h).
constexpr uint64_t kDescCommitted = 1;
constexpr uint64_t kDescFinalized = 2;

// Collects the VMCOREINFO keys a layout needs, so one error names all that
// are missing.
class KeySet {
 public:
  explicit KeySet(const VmcoreInfo& vmi) : vmi_(vmi) {}
  uint64_t symbol(const char* n) { return get(vmi_.symbol(n), "SYMBOL", n); }
  uint64_t size(const char* n) { return get(vmi_.size(n), "SIZE", n); }
  uint64_t offset(const char* n) { return get(vmi_.offset(n), "OFFSET", n); }
  Status check(const char* layout) const {
    if (missing_.empty()) return ok();
    std::string keys;
    for (const auto& k : missing_) keys += (keys.empty() ? "" : ", ") + k;
    return make_error(Errc::unsupported,
                      strfmt("kernel log (%s): VMCOREINFO lacks %s", layout, keys.c_str()));
  }

 private:
  uint64_t get(std::optional<uint64_t> v, const char* kind, const char* n) {
    if (!v) missing_.push_back(strfmt("%s(%s)", kind, n));
    return v.value_or(0);
  }
  const VmcoreInfo& vmi_;
  std::vector<std::string> missing_;
};

Result<std::vector<std::byte>> read_block(const KernelReader& m, uint64_t vaddr, uint64_t n,
                                          const char* what, const DmesgOptions& o) {
  if (n > o.max_ring_bytes) {
    return make_error(Errc::corrupt,
                      strfmt("kernel log: %s of %llu bytes at %s is implausibly "
                             "large (limit %llu)",
                             what, static_cast<unsigned long long>(n), hex(vaddr).c_str(),
                             static_cast<unsigned long long>(o.max_ring_bytes)));
  }
  std::vector<std::byte> v(static_cast<size_t>(n));
  if (auto st = m.read_virt(vaddr, v); !st) {
    return with_context(std::move(st).error(),
                        strfmt("kernel log: reading %s at %s", what, hex(vaddr).c_str()));
  }
  return v;
}

// A field of 1, 2, 4 or (any other size) 8 bytes.
uint64_t load_sized(const std::byte* p, uint32_t size, Endian e) {
  switch (size) {
    case 1:
      return static_cast<uint64_t>(static_cast<uint8_t>(*p));
    case 2:
      return load<uint16_t>(p, e);
    case 4:
      return load<uint32_t>(p, e);
    default:
      return load<uint64_t>(p, e);
  }
}

Result<uint64_t> read_word(const KernelReader& m, uint64_t vaddr, uint32_t size, const char* what) {
  std::byte b[8];
  if (auto st = m.read_virt(vaddr, std::span(b, size)); !st) {
    return with_context(std::move(st).error(),
                        strfmt("kernel log: reading %s at %s", what, hex(vaddr).c_str()));
  }
  return load_sized(b, size, m.endian());
}

// Bounds-checked field access inside a buffer read from the dump.
class Fields {
 public:
  Fields(std::span<const std::byte> b, const KernelReader& m, const char* what)
      : b_(b), m_(m), what_(what) {}
  Result<uint64_t> get(uint64_t off, uint32_t size) const {
    if (off > b_.size() || size > b_.size() - off) {
      return make_error(Errc::corrupt,
                        strfmt("kernel log: field at offset %llu of %s lies outside its %zu bytes",
                               static_cast<unsigned long long>(off), what_, b_.size()));
    }
    return load_sized(b_.data() + off, size, m_.endian());
  }
  Result<uint64_t> word(uint64_t off) const { return get(off, m_.word_size()); }

 private:
  std::span<const std::byte> b_;
  const KernelReader& m_;
  const char* what_;
};

Result<Dmesg> read_lockless(const VmcoreInfo& vmi, const KernelReader& m, const DmesgOptions& o) {
  KeySet k(vmi);
  const uint64_t prb_sym = k.symbol("prb");
  const uint64_t rb_size = k.size("printk_ringbuffer");
  const uint64_t o_desc_ring = k.offset("printk_ringbuffer.desc_ring");
  const uint64_t o_text_ring = k.offset("printk_ringbuffer.text_data_ring");
  const uint64_t o_count_bits = k.offset("prb_desc_ring.count_bits");
  const uint64_t o_descs = k.offset("prb_desc_ring.descs");
  const uint64_t o_infos = k.offset("prb_desc_ring.infos");
  const uint64_t o_head = k.offset("prb_desc_ring.head_id");
  const uint64_t o_tail = k.offset("prb_desc_ring.tail_id");
  const uint64_t desc_size = k.size("prb_desc");
  const uint64_t o_state = k.offset("prb_desc.state_var");
  const uint64_t o_lpos = k.offset("prb_desc.text_blk_lpos");
  const uint64_t o_begin = k.offset("prb_data_blk_lpos.begin");
  const uint64_t o_next = k.offset("prb_data_blk_lpos.next");
  const uint64_t info_size = k.size("printk_info");
  const uint64_t o_seq = k.offset("printk_info.seq");
  const uint64_t o_ts = k.offset("printk_info.ts_nsec");
  const uint64_t o_text_len = k.offset("printk_info.text_len");
  const uint64_t o_size_bits = k.offset("prb_data_ring.size_bits");
  const uint64_t o_data = k.offset("prb_data_ring.data");
  const uint64_t o_counter = k.offset("atomic_long_t.counter");
  const std::optional<uint64_t> o_caller = vmi.offset("printk_info.caller_id");
  DUMPFMT_TRY(k.check("lockless ring buffer"));
  if (desc_size == 0 || info_size == 0) {
    return make_error(Errc::corrupt,
                      "kernel log: VMCOREINFO gives a zero SIZE(prb_desc) or "
                      "SIZE(printk_info)");
  }

  const uint32_t w = m.word_size();
  DUMPFMT_TRY_ASSIGN(uint64_t prb, read_word(m, prb_sym, w, "the prb pointer"));
  DUMPFMT_TRY_ASSIGN(auto rb_bytes, read_block(m, prb, rb_size, "struct printk_ringbuffer", o));
  Fields rb(rb_bytes, m, "struct printk_ringbuffer");
  DUMPFMT_TRY_ASSIGN(uint64_t count_bits, rb.get(o_desc_ring + o_count_bits, 4));
  DUMPFMT_TRY_ASSIGN(uint64_t descs_va, rb.word(o_desc_ring + o_descs));
  DUMPFMT_TRY_ASSIGN(uint64_t infos_va, rb.word(o_desc_ring + o_infos));
  DUMPFMT_TRY_ASSIGN(uint64_t head_id, rb.word(o_desc_ring + o_head + o_counter));
  DUMPFMT_TRY_ASSIGN(uint64_t tail_id, rb.word(o_desc_ring + o_tail + o_counter));
  DUMPFMT_TRY_ASSIGN(uint64_t size_bits, rb.get(o_text_ring + o_size_bits, 4));
  DUMPFMT_TRY_ASSIGN(uint64_t data_va, rb.word(o_text_ring + o_data));
  if (count_bits > 31 || size_bits > 31) {
    return make_error(Errc::corrupt, strfmt("kernel log: ring sizes 2^%llu descriptors / 2^%llu "
                                            "text bytes are implausible",
                                            static_cast<unsigned long long>(count_bits),
                                            static_cast<unsigned long long>(size_bits)));
  }
  const uint64_t count = uint64_t{1} << count_bits;
  const uint64_t text_size = uint64_t{1} << size_bits;
  uint64_t descs_bytes = 0, infos_bytes = 0;
  if (!checked_mul(count, desc_size, &descs_bytes) ||
      !checked_mul(count, info_size, &infos_bytes)) {
    return make_error(Errc::corrupt, "kernel log: descriptor ring size overflows");
  }
  DUMPFMT_TRY_ASSIGN(auto descs, read_block(m, descs_va, descs_bytes, "the descriptor ring", o));
  DUMPFMT_TRY_ASSIGN(auto infos, read_block(m, infos_va, infos_bytes, "the printk_info ring", o));
  DUMPFMT_TRY_ASSIGN(auto text, read_block(m, data_va, text_size, "the text data ring", o));
  Fields dsc(descs, m, "the descriptor ring");
  Fields inf(infos, m, "the printk_info ring");

  // A state word is the descriptor id in the low bits and the state in the
  // top two (DESC_SV_BITS = bits of unsigned long).
  const unsigned sv_bits = w * 8;
  const uint64_t word_mask = sv_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << sv_bits) - 1;
  const unsigned flags_shift = sv_bits - 2;
  const uint64_t id_mask = word_mask & ~(uint64_t{3} << flags_shift);

  Dmesg d;
  d.layout = PrintkLayout::lockless;
  head_id &= id_mask;
  tail_id &= id_mask;
  uint64_t span = (head_id - tail_id) & id_mask;
  if (span >= count) {
    d.warnings.push_back(
        strfmt("kernel log: tail id %s is more than the ring's %llu descriptors "
               "behind head id %s; reading the last %llu",
               hex(tail_id).c_str(), static_cast<unsigned long long>(count), hex(head_id).c_str(),
               static_cast<unsigned long long>(count)));
    span = count - 1;
    tail_id = (head_id - span) & id_mask;
  }
  uint64_t clamped = 0;
  // Live records own disjoint blocks, so together they hold at most the text
  // ring; descriptors sharing blocks in a damaged ring would otherwise copy
  // up to 64 KiB each, for every descriptor.
  uint64_t text_total = 0;
  for (uint64_t i = 0, id = tail_id; i <= span; ++i, id = (id + 1) & id_mask) {
    const uint64_t idx = id % count;
    const uint64_t dbase = idx * desc_size;
    DUMPFMT_TRY_ASSIGN(uint64_t sv, dsc.word(dbase + o_state + o_counter));
    const uint64_t state = (sv >> flags_shift) & 3;
    if ((sv & id_mask) != id || (state != kDescCommitted && state != kDescFinalized)) continue;
    DUMPFMT_TRY_ASSIGN(uint64_t begin, dsc.word(dbase + o_lpos + o_begin));
    DUMPFMT_TRY_ASSIGN(uint64_t next, dsc.word(dbase + o_lpos + o_next));
    begin %= text_size;
    next %= text_size;
    if (begin == next) continue;  // a record without text
    const uint64_t ibase = idx * info_size;
    DUMPFMT_TRY_ASSIGN(uint64_t text_len, inf.get(ibase + o_text_len, 2));
    if (begin > next) begin = 0;  // the block wrapped: its text is at the ring's start
    begin += w;                   // past the block's id word
    // Same truncation rule as the kernel's reader; the unsigned wrap of
    // next - begin (a damaged block) is caught by the bound below.
    if (((next - begin) & word_mask) < text_len) text_len = (next - begin) & word_mask;
    if (begin > text_size || text_len > text_size - begin) {
      ++clamped;
      text_len = begin > text_size ? 0 : text_size - begin;
    }
    if (text_len > text_size - text_total) {
      d.warnings.push_back(
          strfmt("kernel log: records from id %s on claim more text than the "
                 "%llu-byte text ring holds (overlapping blocks); not shown",
                 hex(id).c_str(), static_cast<unsigned long long>(text_size)));
      break;
    }
    text_total += text_len;
    LogRecord r;
    DUMPFMT_TRY_ASSIGN(r.seq, inf.get(ibase + o_seq, 8));
    DUMPFMT_TRY_ASSIGN(r.ts_nsec, inf.get(ibase + o_ts, 8));
    if (o_caller) {
      DUMPFMT_TRY_ASSIGN(uint64_t c, inf.get(ibase + *o_caller, 4));
      r.caller_id = static_cast<uint32_t>(c);
    }
    r.text.assign(reinterpret_cast<const char*>(text.data() + begin),
                  static_cast<size_t>(text_len));
    d.records.push_back(std::move(r));
  }
  if (clamped) {
    d.warnings.push_back(
        strfmt("kernel log: %llu record(s) point past the text ring; cut at its end",
               static_cast<unsigned long long>(clamped)));
  }
  return d;
}

// log_buf, log_buf_len: the buffer shared by the two older layouts.
Result<std::vector<std::byte>> read_log_buf(const VmcoreInfo& vmi, const KernelReader& m,
                                            const DmesgOptions& o) {
  const uint64_t log_buf_sym = *vmi.symbol("log_buf");
  const uint64_t log_buf_len_sym = *vmi.symbol("log_buf_len");
  DUMPFMT_TRY_ASSIGN(uint64_t log_buf, read_word(m, log_buf_sym, m.word_size(), "log_buf"));
  DUMPFMT_TRY_ASSIGN(uint64_t len, read_word(m, log_buf_len_sym, 4, "log_buf_len"));  // int
  if (len == 0 || len > 0x7fffffff) {
    return make_error(Errc::corrupt, strfmt("kernel log: log_buf_len %lld is implausible",
                                            static_cast<long long>(static_cast<int32_t>(len))));
  }
  return read_block(m, log_buf, len, "log_buf", o);
}

Result<Dmesg> read_records(const VmcoreInfo& vmi, const KernelReader& m, const DmesgOptions& o) {
  // The struct was renamed from "log" to "printk_log" in 3.11.
  const char* sname = vmi.size("printk_log") ? "printk_log" : "log";
  KeySet k(vmi);
  const uint64_t first_sym = k.symbol("log_first_idx");
  const uint64_t next_sym = k.symbol("log_next_idx");
  const std::string s(sname);
  const uint64_t rec_size = k.size(sname);
  const uint64_t o_ts = k.offset((s + ".ts_nsec").c_str());
  const uint64_t o_len = k.offset((s + ".len").c_str());
  const uint64_t o_text_len = k.offset((s + ".text_len").c_str());
  const std::optional<uint64_t> o_caller = vmi.offset(s + ".caller_id");
  DUMPFMT_TRY(k.check("printk_log records"));

  DUMPFMT_TRY_ASSIGN(uint64_t first, read_word(m, first_sym, 4, "log_first_idx"));
  DUMPFMT_TRY_ASSIGN(uint64_t next_idx, read_word(m, next_sym, 4, "log_next_idx"));
  DUMPFMT_TRY_ASSIGN(auto buf, read_log_buf(vmi, m, o));
  Fields f(buf, m, "log_buf");
  const uint64_t len = buf.size();
  if (rec_size == 0 || rec_size > len) {
    return make_error(Errc::corrupt, strfmt("kernel log: SIZE(%s)=%llu does not fit log_buf", sname,
                                            static_cast<unsigned long long>(rec_size)));
  }

  Dmesg d;
  d.layout = PrintkLayout::records;
  // Each step moves to a later record or wraps once, so more steps than the
  // buffer could hold records means the chain loops.
  const uint64_t max_steps = len / rec_size + 2;
  uint64_t ptr = first, steps = 0;
  // Records do not overlap, so their text fits in log_buf; a loop short of
  // max_steps would otherwise copy up to 64 KiB of text per step.
  uint64_t text_total = 0;
  auto bad_index = [&](uint64_t at, const char* why) {
    d.warnings.push_back(strfmt("kernel log: %s at log_buf index %s; the log is shown up to there",
                                why, hex(at).c_str()));
  };
  while (ptr != next_idx) {
    if (ptr > len - rec_size) {
      bad_index(ptr, "record header outside log_buf");
      break;
    }
    DUMPFMT_TRY_ASSIGN(uint64_t rec_len, f.get(ptr + o_len, 2));
    // A zero length marks the end of the used buffer: the record is at 0.
    const uint64_t rec = rec_len == 0 ? 0 : ptr;
    if (rec_len == 0) {
      DUMPFMT_TRY_ASSIGN(rec_len, f.get(o_len, 2));
    }
    LogRecord r;
    r.seq = steps;
    DUMPFMT_TRY_ASSIGN(r.ts_nsec, f.get(rec + o_ts, 8));
    DUMPFMT_TRY_ASSIGN(uint64_t text_len, f.get(rec + o_text_len, 2));
    if (o_caller) {
      DUMPFMT_TRY_ASSIGN(uint64_t c, f.get(rec + *o_caller, 4));
      r.caller_id = static_cast<uint32_t>(c);
    }
    const uint64_t text_at = rec + rec_size;
    text_len = std::min(text_len, len - text_at);
    if (text_len > len - text_total) {
      bad_index(ptr, "records overlapping (more text than log_buf holds)");
      break;
    }
    text_total += text_len;
    r.text.assign(reinterpret_cast<const char*>(buf.data() + text_at),
                  static_cast<size_t>(text_len));
    d.records.push_back(std::move(r));
    const uint64_t next = rec + rec_len;
    if (++steps > max_steps || rec_len == 0) {
      bad_index(ptr, "a cycle in the record chain");
      break;
    }
    if (next > len - rec_size) {  // the kernel always leaves room for a header
      bad_index(next, "next record outside log_buf");
      break;
    }
    ptr = next;
  }
  return d;
}

Result<Dmesg> read_plain(const VmcoreInfo& vmi, const KernelReader& m, const DmesgOptions& o) {
  KeySet k(vmi);
  const uint64_t end_sym = k.symbol("log_end");
  DUMPFMT_TRY(k.check("plain log_buf"));
  // log_end became `unsigned` (from `unsigned long`) in 2.6.25.
  const bool old = vmi.kernel_version().value_or(kVersion3_5) < kVersion2_6_25;
  DUMPFMT_TRY_ASSIGN(uint64_t log_end, read_word(m, end_sym, old ? m.word_size() : 4, "log_end"));
  DUMPFMT_TRY_ASSIGN(auto buf, read_log_buf(vmi, m, o));
  const uint64_t len = buf.size();
  Dmesg d;
  d.layout = PrintkLayout::plain;
  const char* p = reinterpret_cast<const char*>(buf.data());
  if (log_end < len) {
    d.plain.assign(p, static_cast<size_t>(log_end));
  } else {
    // The ring has wrapped: the oldest byte is at log_end (len is a power of 2).
    const uint64_t idx = log_end & (len - 1);
    const uint64_t cut = std::min(idx, len);
    d.plain.assign(p + cut, static_cast<size_t>(len - cut));
    d.plain.append(p, static_cast<size_t>(cut));
  }
  return d;
}

}  // namespace

std::string_view printk_layout_name(PrintkLayout l) {
  static constexpr EnumName<PrintkLayout> kNames[] = {{PrintkLayout::lockless, "lockless"},
                                                      {PrintkLayout::records, "records"},
                                                      {PrintkLayout::plain, "plain"}};
  return enum_name(l, kNames);
}

Result<Dmesg> read_dmesg(const VmcoreInfo& vmi, const KernelReader& mem, const DmesgOptions& opts) {
  if (mem.word_size() != 4 && mem.word_size() != 8) {
    return make_error(Errc::invalid_argument, "kernel log: word size must be 4 or 8");
  }
  if (vmi.symbol("prb")) return read_lockless(vmi, mem, opts);
  if (!vmi.symbol("log_buf") || !vmi.symbol("log_buf_len")) {
    return make_error(Errc::unsupported,
                      "kernel log: VMCOREINFO has neither SYMBOL(prb) (5.10 and later) nor "
                      "SYMBOL(log_buf) and SYMBOL(log_buf_len)");
  }
  const auto version = vmi.kernel_version();
  if (vmi.symbol("log_end") || (version && *version < kVersion3_5)) {
    return read_plain(vmi, mem, opts);
  }
  return read_records(vmi, mem, opts);
}

Result<Dmesg> read_dmesg(const KernelMemory& km, const DmesgOptions& opts) {
  return read_dmesg(km.vmcoreinfo(), km, opts);
}

std::string format_log_record(const LogRecord& r, const DmesgFormat& f) {
  // Seconds print through a signed conversion, as makedumpfile's "%5lld".
  std::string out = strfmt("[%5lld.%06llu] ", static_cast<long long>(r.ts_nsec / 1000000000),
                           static_cast<unsigned long long>(r.ts_nsec % 1000000000 / 1000));
  if (f.caller_id && r.caller_id) {
    const uint32_t c = *r.caller_id;
    std::string who = strfmt("%c%u", (c & 0x80000000u) ? 'C' : 'T', c & 0x7fffffffu);
    out += strfmt("[%8s] ", who.c_str());
  }
  const size_t indent = out.size();
  for (char ch : r.text) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '\n') {
      out += '\n';
      out.append(indent, ' ');
    } else if ((u >= 0x20 && u < 0x7f) || ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r') {
      out += ch;  // isprint() || isspace() in the C locale
    } else {
      // makedumpfile passes a signed char to "%02x": bytes above 0x7f are
      // sign-extended to eight hex digits.
      out += u >= 0x80 ? strfmt("\\xffffff%02x", u) : strfmt("\\x%02x", u);
    }
  }
  out += '\n';
  return out;
}

std::string format_dmesg(const Dmesg& d, const DmesgFormat& f) {
  if (d.layout == PrintkLayout::plain) return d.plain;
  std::string out;
  for (const auto& r : d.records) out += format_log_record(r, f);
  return out;
}

}  // namespace dumpfmt
