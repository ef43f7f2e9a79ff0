// VMCOREINFO as the kernel model reads it: the core text model
// (dumpfmt/vmcoreinfo.h: KEY=VALUE lines, SYMBOL/SIZE/OFFSET/LENGTH/NUMBER
// and the plain keys) plus what needs kernel knowledge, the KERNEL_VERSION
// code of OSRELEASE.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "dumpfmt/vmcoreinfo.h"

namespace dumpfmt {

/// KERNEL_VERSION(a, b, c) as the kernel encodes it, for comparisons.
constexpr uint32_t kernel_version_code(uint32_t major, uint32_t minor, uint32_t patch) {
  return (major << 16) | (minor << 8) | (patch > 255 ? 255 : patch);
}

/// Parsed VMCOREINFO (see VmcoreinfoText for the syntax and its getters).
/// Immutable after parse(); safe to share between threads.
class VmcoreInfo : public VmcoreinfoText {
 public:
  VmcoreInfo() = default;
  explicit VmcoreInfo(VmcoreinfoText text) : VmcoreinfoText(std::move(text)) {}
  static VmcoreInfo parse(std::string_view text) { return VmcoreInfo(VmcoreinfoText::parse(text)); }

  /// OSRELEASE "6.1.0-56-cloud-amd64" → kernel_version_code(6, 1, 0).
  std::optional<uint32_t> kernel_version() const;
};

}  // namespace dumpfmt
