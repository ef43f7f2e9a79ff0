// Fuzz target: the VMCOREINFO text model (VmcoreinfoText, and VmcoreInfo on top) on random
// text. The input's first line is a key, the rest the text. Every entry must be the KEY=VALUE
// of one of its lines, value() must give a key's first occurrence, and each typed getter must
// agree with its value parser on the raw value.
#include <cstdlib>
#include <string>
#include <string_view>

#include "dumpfmt/kernel/vmcoreinfo.h"
#include "dumpfmt/vmcoreinfo.h"

namespace {

using namespace dumpfmt;

// Entries checked one by one (each check searches the text).
constexpr size_t kMaxChecked = 256;

// A line of `text` reads exactly `line`, with or without a \r before its \n.
bool has_line(std::string_view text, const std::string& line) {
  for (size_t pos = text.find(line); pos != std::string_view::npos;
       pos = text.find(line, pos + 1)) {
    if (pos != 0 && text[pos - 1] != '\n') continue;
    std::string_view rest = text.substr(pos + line.size());
    if (rest.empty() || rest[0] == '\n' || rest.starts_with("\r\n") || rest == "\r") return true;
  }
  return false;
}

// The name inside KIND(name) of `key`, if it has that form.
std::optional<std::string_view> inner(std::string_view key, std::string_view kind) {
  if (key.size() < kind.size() + 2 || !key.starts_with(kind) || key[kind.size()] != '(' ||
      key.back() != ')') {
    return std::nullopt;
  }
  return key.substr(kind.size() + 1, key.size() - kind.size() - 2);
}

void check_typed(const VmcoreinfoText& v, std::string_view key) {
  auto raw = v.value(key);
  if (!raw) return;
  if (auto n = inner(key, "SYMBOL"); n && v.symbol(*n) != parse_vmcoreinfo_hex(*raw)) std::abort();
  if (auto n = inner(key, "SIZE"); n && v.size(*n) != parse_vmcoreinfo_count(*raw)) std::abort();
  if (auto n = inner(key, "OFFSET"); n && v.offset(*n) != parse_vmcoreinfo_count(*raw)) {
    std::abort();
  }
  if (auto n = inner(key, "LENGTH"); n && v.length(*n) != parse_vmcoreinfo_count(*raw)) {
    std::abort();
  }
  if (auto n = inner(key, "NUMBER"); n && v.number(*n) != parse_vmcoreinfo_number(*raw)) {
    std::abort();
  }
  // A plain decimal reads the same in every syntax that has no prefixes to mistake it for.
  auto dec = v.integer(key, IntSyntax::decimal);
  if (dec && (*raw)[0] != '+' && v.integer(key, IntSyntax::makedumpfile) != dec) std::abort();
  if (dec && !raw->starts_with("0") && !raw->starts_with("-0") && !raw->starts_with("+0") &&
      v.integer(key, IntSyntax::c_literal) != dec) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string_view key = in.substr(0, nl);
  std::string_view text = in.substr(nl + 1);
  const VmcoreInfo v = VmcoreInfo::parse(text);
  if (v.text() != text) std::abort();

  // Every entry is one line's KEY=VALUE; value() finds a key's first entry.
  const auto& entries = v.entries();
  for (size_t i = 0; i < entries.size() && i < kMaxChecked; ++i) {
    const auto& [k, val] = entries[i];
    if (k.empty() || k.find_first_of("=\n") != std::string::npos) std::abort();
    if (val.find('\n') != std::string::npos) std::abort();
    if (!has_line(text, k + "=" + val)) std::abort();
    size_t first = 0;
    while (entries[first].first != k) ++first;
    if (v.value(k) != std::string_view(entries[first].second)) std::abort();
    check_typed(v, k);
  }
  auto found = v.value(key);
  bool listed = false;
  for (const auto& e : entries) {
    if (e.first == key) {
      if (found != std::string_view(e.second)) std::abort();
      listed = true;
      break;
    }
  }
  if (listed != found.has_value()) std::abort();
  check_typed(v, key);

  // The plain keys: each getter on its raw value.
  if (auto ps = v.page_size(); ps && (*ps < 512 || (*ps & (*ps - 1)) != 0)) std::abort();
  if (v.kernel_offset() && !v.value("KERNELOFFSET")) std::abort();
  if (auto t = v.crash_time(); t && (*t < 0 || v.integer("CRASHTIME", IntSyntax::decimal) != t)) {
    std::abort();
  }
  if (v.kernel_version() && !v.osrelease()) std::abort();
  (void)v.build_id();
  return 0;
}
