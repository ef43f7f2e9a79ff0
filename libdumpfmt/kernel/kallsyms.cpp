// kallsyms decoding: the token-compressed names, the offsets table and the
// choice of address encoding (LINUX kernel/kallsyms.c kallsyms_expand_symbol
// and kallsyms_sym_address; the two-byte name length of 6.1's big-symbol work).
#include "dumpfmt/kernel/kallsyms.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "dumpfmt/enum_names.h"

namespace dumpfmt {

std::string_view kallsyms_encoding_name(KallsymsEncoding e) {
  static constexpr EnumName<KallsymsEncoding> kNames[] = {
      {KallsymsEncoding::absolute_percpu, "absolute-percpu"},
      {KallsymsEncoding::relative, "relative"},
      {KallsymsEncoding::inferred_base, "inferred-base"}};
  return enum_name(e, kNames);
}

namespace {

constexpr size_t kNamesChunk = 256 << 10;
// Type letter and name decoded from one entry: the kernel's names are below
// KSYM_NAME_LEN (512 since 6.1, 128 before); twice that leaves room. Without
// a cap, 32767 tokens of up to 64 KiB each expand one entry to 2 GiB.
constexpr size_t kMaxExpandedName = 1024;

Status with_ctx(Status s, std::string_view what) {
  if (s) return s;
  return with_context(std::move(s).error(), what);
}

// Sequential reader over a kernel virtual range of unknown length.
class StreamReader {
 public:
  StreamReader(const KernelReader& mem, uint64_t start, uint64_t limit)
      : mem_(mem), pos_(start), limit_(limit) {}

  Result<uint8_t> next() {
    if (off_ == buf_.size()) DUMPFMT_TRY(refill());
    return static_cast<uint8_t>(buf_[off_++]);
  }
  uint64_t consumed() const { return consumed_ + off_; }

 private:
  Status refill() {
    consumed_ += buf_.size();
    if (consumed_ >= limit_) {
      return make_error(Errc::corrupt, "kallsyms_names: longer than " + hex(limit_) + " bytes");
    }
    // Chunks end at page boundaries so that a short table at the end of a
    // mapping is still readable up to its last page.
    uint64_t n = kNamesChunk - ((pos_ + consumed_) % kNamesChunk);
    n = std::min<uint64_t>(n, limit_ - consumed_);
    buf_.resize(n);
    DUMPFMT_TRY(mem_.read_virt(pos_ + consumed_, buf_));
    off_ = 0;
    return ok();
  }

  const KernelReader& mem_;
  uint64_t pos_;
  uint64_t limit_;
  std::vector<std::byte> buf_;
  size_t off_ = 0;
  uint64_t consumed_ = 0;
};

Error missing(std::string_view key) {
  return make_error(Errc::unsupported,
                    "VMCOREINFO has no " + std::string(key) +
                        " (kallsyms needs SYMBOL(kallsyms_names), kallsyms_num_syms, "
                        "kallsyms_token_table, kallsyms_token_index and kallsyms_offsets)");
}

Result<std::vector<std::string>> read_tokens(const KernelReader& mem, uint64_t table,
                                             uint64_t index) {
  const Endian e = mem.endian();
  std::array<std::byte, 512> idx_raw{};
  DUMPFMT_TRY(with_ctx(mem.read_virt(index, idx_raw), "kallsyms_token_index"));
  std::array<uint16_t, 256> idx{};
  uint16_t max_idx = 0;
  for (size_t i = 0; i < 256; ++i) {
    idx[i] = load<uint16_t>(idx_raw.data() + 2 * i, e);
    max_idx = std::max(max_idx, idx[i]);
  }
  // A token is at most a few dozen bytes; 256 more than the last start covers it.
  std::vector<std::byte> tab(size_t{max_idx} + 256);
  DUMPFMT_TRY(mem.read_virt(table, tab));
  std::vector<std::string> tokens(256);
  for (size_t i = 0; i < 256; ++i) {
    const char* p = reinterpret_cast<const char*>(tab.data()) + idx[i];
    size_t avail = tab.size() - idx[i];
    size_t n = strnlen(p, avail);
    if (n == avail) {
      return make_error(Errc::corrupt, strfmt("kallsyms_token_table: token %zu at %s is not "
                                              "terminated",
                                              i, hex(table + idx[i]).c_str()));
    }
    tokens[i].assign(p, n);
  }
  return tokens;
}

}  // namespace

Result<Kallsyms> Kallsyms::read(const KernelMemory& km, const KallsymsLimits& lim) {
  return read(km.vmcoreinfo(), km, lim);
}

Result<Kallsyms> Kallsyms::read(const VmcoreInfo& vmi, const KernelReader& mem,
                                const KallsymsLimits& lim) {
  const Endian e = mem.endian();
  auto names = vmi.symbol("kallsyms_names");
  auto num = vmi.symbol("kallsyms_num_syms");
  auto ttab = vmi.symbol("kallsyms_token_table");
  auto tidx = vmi.symbol("kallsyms_token_index");
  auto offs = vmi.symbol("kallsyms_offsets");
  if (!names) return missing("SYMBOL(kallsyms_names)");
  if (!num) return missing("SYMBOL(kallsyms_num_syms)");
  if (!ttab) return missing("SYMBOL(kallsyms_token_table)");
  if (!tidx) return missing("SYMBOL(kallsyms_token_index)");
  if (!offs) return missing("SYMBOL(kallsyms_offsets)");

  std::array<std::byte, 4> nb{};
  DUMPFMT_TRY(with_ctx(mem.read_virt(*num, nb), "kallsyms_num_syms"));
  const uint32_t n = load<uint32_t>(nb.data(), e);
  if (n == 0 || n > lim.max_symbols) {
    return make_error(Errc::corrupt,
                      strfmt("kallsyms_num_syms at %s is %u, not a plausible symbol count",
                             hex(*num).c_str(), n));
  }
  DUMPFMT_TRY_ASSIGN(auto tokens, read_tokens(mem, *ttab, *tidx));

  std::vector<std::byte> off_raw(size_t{n} * 4);
  DUMPFMT_TRY(with_ctx(mem.read_virt(*offs, off_raw), "kallsyms_offsets"));

  Kallsyms k;
  k.syms_.resize(n);
  StreamReader sr(mem, *names, lim.max_names_bytes);
  std::string expanded;
  for (uint32_t i = 0; i < n; ++i) {
    DUMPFMT_TRY_ASSIGN(uint32_t len, sr.next());
    if (len & 0x80) {
      DUMPFMT_TRY_ASSIGN(uint8_t hi, sr.next());
      len = (len & 0x7f) | (uint32_t{hi} << 7);
    }
    if (len == 0) {
      return make_error(Errc::corrupt, strfmt("kallsyms_names: symbol %u has an empty name at %s",
                                              i, hex(*names + sr.consumed() - 1).c_str()));
    }
    expanded.clear();
    for (uint32_t j = 0; j < len; ++j) {
      DUMPFMT_TRY_ASSIGN(uint8_t b, sr.next());
      expanded += tokens[b];
      if (expanded.size() > kMaxExpandedName) {
        return make_error(Errc::corrupt,
                          strfmt("kallsyms_names: symbol %u decodes to more than %zu bytes", i,
                                 kMaxExpandedName));
      }
    }
    if (expanded.size() < 2) {
      return make_error(
          Errc::corrupt,
          strfmt("kallsyms_names: symbol %u decodes to \"%s\", too short", i, expanded.c_str()));
    }
    k.syms_[i].type = expanded[0];
    k.syms_[i].name = expanded.substr(1);
  }

  std::vector<int32_t> off(n);
  for (uint32_t i = 0; i < n; ++i) {
    off[i] = static_cast<int32_t>(load<uint32_t>(off_raw.data() + 4 * size_t{i}, e));
  }
  std::optional<uint64_t> base;
  if (auto rb = vmi.symbol("kallsyms_relative_base")) {
    std::array<std::byte, 8> b{};
    DUMPFMT_TRY(with_ctx(mem.read_virt(*rb, b), "kallsyms_relative_base"));
    base = load<uint64_t>(b.data(), e);
  }
  auto addr_of = [&](KallsymsEncoding enc, uint64_t b, int32_t o) -> uint64_t {
    switch (enc) {
      case KallsymsEncoding::absolute_percpu:
        return o >= 0 ? static_cast<uint64_t>(o) : b - 1 - static_cast<uint64_t>(int64_t{o});
      case KallsymsEncoding::relative:
      case KallsymsEncoding::inferred_base:
        return b + static_cast<uint32_t>(o);
    }
    return 0;
  };

  // The encoding is the one that reproduces VMCOREINFO's _stext.
  auto stext = vmi.symbol("_stext");
  std::optional<uint32_t> stext_idx;
  for (uint32_t i = 0; i < n; ++i) {
    if (k.syms_[i].name == "_stext") {
      stext_idx = i;
      break;
    }
  }
  std::optional<KallsymsEncoding> chosen;
  uint64_t chosen_base = base.value_or(0);
  if (base) {
    for (auto enc : {KallsymsEncoding::absolute_percpu, KallsymsEncoding::relative}) {
      if (!stext || !stext_idx) {
        // Nothing to check against: negative offsets only make sense with
        // absolute per-CPU symbols.
        bool any_neg = std::any_of(off.begin(), off.end(), [](int32_t o) { return o < 0; });
        chosen = any_neg ? KallsymsEncoding::absolute_percpu : KallsymsEncoding::relative;
        break;
      }
      if (addr_of(enc, *base, off[*stext_idx]) == *stext) {
        chosen = enc;
        break;
      }
    }
  }
  // Without a relative base (kernels that dropped it) the base is the one
  // that puts _stext where VMCOREINFO says; with one, a mismatch is damage.
  if (!chosen && !base && stext && stext_idx) {
    chosen = KallsymsEncoding::inferred_base;
    chosen_base = *stext - static_cast<uint32_t>(off[*stext_idx]);
  }
  if (!chosen) {
    return make_error(Errc::corrupt, stext_idx
                                         ? "kallsyms: no address encoding reproduces SYMBOL(_stext)"
                                         : "kallsyms: no symbol _stext in the table to check the "
                                           "address encoding against");
  }
  k.encoding_ = *chosen;
  for (uint32_t i = 0; i < n; ++i) k.syms_[i].address = addr_of(*chosen, chosen_base, off[i]);

  k.by_name_.resize(n);
  k.by_addr_.resize(n);
  for (uint32_t i = 0; i < n; ++i) k.by_name_[i] = k.by_addr_[i] = i;
  std::sort(k.by_name_.begin(), k.by_name_.end(), [&](uint32_t a, uint32_t b) {
    int c = k.syms_[a].name.compare(k.syms_[b].name);
    return c != 0 ? c < 0 : a < b;
  });
  std::sort(k.by_addr_.begin(), k.by_addr_.end(), [&](uint32_t a, uint32_t b) {
    return k.syms_[a].address != k.syms_[b].address ? k.syms_[a].address < k.syms_[b].address
                                                    : a < b;
  });
  return k;
}

std::vector<const KernelSymbol*> Kallsyms::find_all(std::string_view name) const {
  auto lo = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](uint32_t i, std::string_view n) { return syms_[i].name < n; });
  std::vector<const KernelSymbol*> out;
  for (auto it = lo; it != by_name_.end() && syms_[*it].name == name; ++it) {
    out.push_back(&syms_[*it]);
  }
  return out;
}

const KernelSymbol* Kallsyms::find(std::string_view name) const {
  auto all = find_all(name);
  return all.size() == 1 ? all[0] : nullptr;
}

std::optional<uint64_t> Kallsyms::address(std::string_view name) const {
  if (const auto* s = find(name)) return s->address;
  return std::nullopt;
}

const KernelSymbol* Kallsyms::symbol_at(uint64_t addr) const {
  auto it = std::upper_bound(by_addr_.begin(), by_addr_.end(), addr,
                             [&](uint64_t a, uint32_t i) { return a < syms_[i].address; });
  if (it == by_addr_.begin()) return nullptr;
  return &syms_[*std::prev(it)];
}

std::optional<uint64_t> Kallsyms::extent(const KernelSymbol& s) const {
  auto it = std::upper_bound(by_addr_.begin(), by_addr_.end(), s.address,
                             [&](uint64_t a, uint32_t i) { return a < syms_[i].address; });
  if (it == by_addr_.end()) return std::nullopt;
  return syms_[*it].address - s.address;
}

}  // namespace dumpfmt
