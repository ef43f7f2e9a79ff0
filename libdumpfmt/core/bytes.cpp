// Message formatting, ByteReader's out-of-bounds error and the zero-page test
// (bytes.h).
#include "dumpfmt/bytes.h"

#include <cstdarg>
#include <cstdio>

namespace dumpfmt {

std::string strfmt(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string s;
  if (n > 0) {
    s.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(s.data(), s.size(), fmt, ap2);
    s.resize(static_cast<size_t>(n));
  }
  va_end(ap2);
  return s;
}

std::string hex(uint64_t v) { return strfmt("0x%llx", static_cast<unsigned long long>(v)); }

Error ByteReader::out_of_bounds(size_t at, size_t n) const {
  return make_error(Errc::truncated, strfmt("offset %s: need %zu bytes, only %zu available",
                                            hex(base_ + at).c_str(), n,
                                            at <= data_.size() ? data_.size() - at : size_t{0}));
}

bool is_zero(std::span<const std::byte> page) {
  // OR 64 bytes at a time; the compiler vectorises this loop. Early exit per
  // block keeps non-zero pages (most of them) cheap.
  const std::byte* p = page.data();
  size_t n = page.size();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t w[8];
    std::memcpy(w, p + i, 64);
    if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0) return false;
  }
  for (; i < n; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}

}  // namespace dumpfmt
