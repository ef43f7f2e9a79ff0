// Private: what the format readers share: a PageSource that keeps its dump
// model in members, and the parts of read_page every format needs.
#pragma once

#include <cstring>
#include <span>

#include "dumpfmt/bytes.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/file.h"
#include "dumpfmt/result.h"

namespace dumpfmt::detail {

/// A reader's source: open() fills the members, the accessors hand them out.
class SourceBase : public PageSource {
 public:
  const DumpInfo& info() const override { return info_; }
  const PfnSet& present() const override { return present_; }
  const PfnSet& ram() const override { return ram_; }

  DumpInfo info_;
  PfnSet present_, ram_;
};

/// Error unless the caller's buffer is one page of `page_size` bytes.
inline Status check_page_buffer(const File& f, size_t size, uint64_t page_size) {
  if (size == page_size) return ok();
  return make_error(Errc::invalid_argument,
                    strfmt("%s: read_page: buffer of %zu bytes, page size is %llu",
                           f.name().c_str(), size, static_cast<unsigned long long>(page_size)));
}

/// Fills `out` from `f` at `off`: copied from a view when the file maps the
/// whole range, read otherwise.
inline Status copy_from(const File& f, uint64_t off, std::span<std::byte> out) {
  std::span<const std::byte> v = f.view(off, out.size());
  if (v.size() != out.size()) return f.read_at(off, out);
  std::memcpy(out.data(), v.data(), out.size());
  return ok();
}

}  // namespace dumpfmt::detail
