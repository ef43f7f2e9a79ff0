// VMCOREINFO text parsing: KEY=VALUE lines (formats.md §2.1), typed getters.
#include "dumpfmt/vmcoreinfo.h"

#include <algorithm>
#include <charconv>

#include "dumpfmt/bytes.h"

namespace dumpfmt {

namespace {

std::optional<uint64_t> parse_unsigned(std::string_view s, int base) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool has_hex_prefix(std::string_view s) {
  return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// -v, when its magnitude fits.
std::optional<int64_t> negate(uint64_t v) {
  if (v > uint64_t{1} << 63) return std::nullopt;
  return static_cast<int64_t>(0 - v);
}

std::optional<int64_t> parse_makedumpfile(std::string_view s) {
  if (has_hex_prefix(s)) {
    auto v = parse_vmcoreinfo_hex(s);
    if (!v) return std::nullopt;
    return static_cast<int64_t>(*v);
  }
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto v = parse_unsigned(s, 10);
  if (!v) {
    // makedumpfile re-parses in base 16 when base 10 leaves characters.
    v = parse_unsigned(s, 16);
    if (!v) return std::nullopt;
  }
  if (neg) return negate(*v);
  return static_cast<int64_t>(*v);
}

// [+-]decimal, or with `c_prefixes` also 0x hex and 0 octal (strtoll base 0).
std::optional<int64_t> parse_signed(std::string_view s, bool c_prefixes) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (c_prefixes && has_hex_prefix(s)) {
    base = 16;
    s.remove_prefix(2);
  } else if (c_prefixes && s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  auto v = parse_unsigned(s, base);
  if (!v) return std::nullopt;
  if (neg) return negate(*v);
  // Hex keeps its bits (addresses); decimal and octal must fit the sign.
  if (base != 16 && *v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// "SYMBOL(" + name + ")"
std::string wrap(std::string_view kind, std::string_view name) {
  std::string k;
  k.reserve(kind.size() + name.size() + 2);
  k += kind;
  k += '(';
  k += name;
  k += ')';
  return k;
}

// The value of KIND(name) through `parse`; nullopt when the key is absent.
std::optional<uint64_t> wrapped_value(const VmcoreinfoText& t, std::string_view kind,
                                      std::string_view name,
                                      std::optional<uint64_t> (*parse)(std::string_view)) {
  auto v = t.value(wrap(kind, name));
  if (!v) return std::nullopt;
  return parse(*v);
}

}  // namespace

std::optional<uint64_t> parse_vmcoreinfo_hex(std::string_view s) {
  if (has_hex_prefix(s)) s.remove_prefix(2);
  if (s.size() > 16) return std::nullopt;
  return parse_unsigned(s, 16);
}

// SIZE/OFFSET/LENGTH are %lu; a 0x value is accepted like makedumpfile does.
std::optional<uint64_t> parse_vmcoreinfo_count(std::string_view s) {
  if (has_hex_prefix(s)) return parse_unsigned(s.substr(2), 16);
  return parse_unsigned(s, 10);
}

std::optional<int64_t> parse_vmcoreinfo_integer(std::string_view s, IntSyntax syntax) {
  switch (syntax) {
    case IntSyntax::makedumpfile:
      return parse_makedumpfile(s);
    case IntSyntax::decimal:
      return parse_signed(s, false);
    case IntSyntax::c_literal:
      return parse_signed(s, true);
  }
  return std::nullopt;
}

std::optional<int64_t> parse_vmcoreinfo_number(std::string_view s) { return parse_makedumpfile(s); }

VmcoreinfoText VmcoreinfoText::parse(std::string_view text) {
  VmcoreinfoText vi;
  vi.text_ = std::string(text);
  size_t pos = 0;
  size_t line_no = 0;
  std::string_view all(vi.text_);
  while (pos < all.size()) {
    size_t eol = all.find('\n', pos);
    if (eol == std::string_view::npos) eol = all.size();
    std::string_view line = all.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      vi.warnings_.push_back(strfmt("line %zu: no KEY=VALUE: '%.*s'", line_no,
                                    static_cast<int>(std::min<size_t>(line.size(), 80)),
                                    line.data()));
      continue;
    }
    vi.entries_.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  // Index sorted by key; stable sort keeps the first occurrence first, then
  // duplicates are dropped from the index.
  vi.index_.resize(vi.entries_.size());
  for (size_t i = 0; i < vi.index_.size(); ++i) vi.index_[i] = i;
  std::stable_sort(vi.index_.begin(), vi.index_.end(),
                   [&](size_t a, size_t b) { return vi.entries_[a].first < vi.entries_[b].first; });
  vi.index_.erase(
      std::unique(vi.index_.begin(), vi.index_.end(),
                  [&](size_t a, size_t b) { return vi.entries_[a].first == vi.entries_[b].first; }),
      vi.index_.end());

  // Typed values that will not parse are reported once here.
  for (size_t idx : vi.index_) {
    const auto& [k, v] = vi.entries_[idx];
    bool bad = false;
    if (k.starts_with("SYMBOL(")) {
      bad = !parse_vmcoreinfo_hex(v);
    } else if (k.starts_with("SIZE(") || k.starts_with("OFFSET(") || k.starts_with("LENGTH(")) {
      bad = !parse_vmcoreinfo_count(v);
    } else if (k.starts_with("NUMBER(")) {
      bad = !parse_vmcoreinfo_number(v);
    }
    if (bad) vi.warnings_.push_back(k + "=" + v + ": value does not parse; ignored");
  }
  return vi;
}

std::optional<std::string_view> VmcoreinfoText::value(std::string_view key) const {
  auto it = std::lower_bound(index_.begin(), index_.end(), key, [&](size_t i, std::string_view k) {
    return std::string_view(entries_[i].first) < k;
  });
  if (it == index_.end() || entries_[*it].first != key) return std::nullopt;
  return std::string_view(entries_[*it].second);
}

std::optional<int64_t> VmcoreinfoText::integer(std::string_view key, IntSyntax syntax) const {
  auto v = value(key);
  if (!v) return std::nullopt;
  return parse_vmcoreinfo_integer(*v, syntax);
}

std::optional<uint64_t> VmcoreinfoText::symbol(std::string_view name) const {
  return wrapped_value(*this, "SYMBOL", name, &parse_vmcoreinfo_hex);
}

std::optional<uint64_t> VmcoreinfoText::size(std::string_view name) const {
  return wrapped_value(*this, "SIZE", name, &parse_vmcoreinfo_count);
}

std::optional<uint64_t> VmcoreinfoText::offset(std::string_view name) const {
  return wrapped_value(*this, "OFFSET", name, &parse_vmcoreinfo_count);
}

std::optional<uint64_t> VmcoreinfoText::length(std::string_view name) const {
  return wrapped_value(*this, "LENGTH", name, &parse_vmcoreinfo_count);
}

std::optional<int64_t> VmcoreinfoText::number(std::string_view name) const {
  return integer(wrap("NUMBER", name), IntSyntax::makedumpfile);
}

std::optional<uint32_t> VmcoreinfoText::page_size() const {
  auto v = value("PAGESIZE");
  if (!v) return std::nullopt;
  auto n = parse_vmcoreinfo_count(*v);
  if (!n || *n < 512 || *n > (uint64_t{1} << 20) || (*n & (*n - 1)) != 0) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

std::optional<uint64_t> VmcoreinfoText::kernel_offset() const {
  auto v = value("KERNELOFFSET");
  if (!v) return std::nullopt;
  return parse_vmcoreinfo_hex(*v);
}

std::optional<int64_t> VmcoreinfoText::crash_time() const {
  auto v = value("CRASHTIME");
  if (!v) return std::nullopt;
  auto n = parse_unsigned(*v, 10);
  if (!n || *n > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(*n);
}

}  // namespace dumpfmt
