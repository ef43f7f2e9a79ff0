// VmcoreInfo's kernel knowledge on top of the core text model: the
// KERNEL_VERSION code of OSRELEASE.
#include "dumpfmt/kernel/vmcoreinfo.h"

#include <algorithm>

namespace dumpfmt {

std::optional<uint32_t> VmcoreInfo::kernel_version() const {
  auto rel = osrelease();
  if (!rel) return std::nullopt;
  // "6.1.0-56-cloud-amd64", "4.18.0-553.el8_10.x86_64", "6.12": up to three
  // dot-separated numbers, the rest ignored.
  uint32_t parts[3] = {0, 0, 0};
  std::string_view s = *rel;
  int n = 0;
  while (n < 3) {
    size_t i = 0;
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < 100000) {
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      ++i;
    }
    if (i == 0) break;
    parts[n++] = static_cast<uint32_t>(std::min<uint64_t>(v, 255));
    s.remove_prefix(i);
    if (s.empty() || s[0] != '.') break;
    s.remove_prefix(1);
  }
  if (n < 2) return std::nullopt;
  return kernel_version_code(parts[0], parts[1], parts[2]);
}

}  // namespace dumpfmt
