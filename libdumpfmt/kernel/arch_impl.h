// Private contract between kernel_memory.cpp and the per-architecture
// translators (x86_64.cpp, arm64.cpp): one factory per architecture.
#pragma once

#include <memory>

#include "dumpfmt/kernel/kernel_memory.h"

namespace dumpfmt::detail {

Result<std::unique_ptr<AddressTranslator>> make_x86_64_translator(const VmcoreInfo& vmi);
Result<std::unique_ptr<AddressTranslator>> make_arm64_translator(const VmcoreInfo& vmi);

/// Reads one little/big-endian 64-bit page-table entry.
Result<uint64_t> read_pte(const PhysicalMemory& mem, uint64_t paddr);

/// "invalid_argument: VMCOREINFO has no NUMBER(phys_base) (needed for ...)".
Error missing_key(std::string_view key, std::string_view why);

}  // namespace dumpfmt::detail
