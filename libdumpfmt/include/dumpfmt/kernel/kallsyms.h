// The dumped kernel's own symbol table (kallsyms), decoded from its memory
// with the addresses VMCOREINFO gives for the compressed tables
// (docs/formats.md §2.5, LINUX kernel/kallsyms.c, scripts/kallsyms.c): names and
// addresses of every kernel symbol without a vmlinux.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/kernel/vmcoreinfo.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

struct KernelSymbol {
  std::string name;
  uint64_t address = 0;
  char type = '?';  // nm's letter: T/t text, D/d data, B/b bss, R/r rodata, A absolute, ...
};

/// How kallsyms_offsets[] turn into addresses; which one a kernel uses is
/// decided by reproducing VMCOREINFO's SYMBOL(_stext).
enum class KallsymsEncoding : uint8_t {
  absolute_percpu,  // CONFIG_KALLSYMS_ABSOLUTE_PERCPU: >= 0 absolute, else base - 1 - off
  relative,         // base + (u32)off
  inferred_base,    // no relative base in VMCOREINFO: base chosen so that _stext matches
};
std::string_view kallsyms_encoding_name(KallsymsEncoding e);

struct KallsymsLimits {
  uint64_t max_symbols = 4u << 20;  // kallsyms_num_syms above this is corrupt
  uint64_t max_names_bytes = uint64_t{64} << 20;
};

class Kallsyms {
 public:
  /// Decodes the tables at SYMBOL(kallsyms_names), kallsyms_num_syms,
  /// kallsyms_token_table, kallsyms_token_index, kallsyms_offsets (and
  /// kallsyms_relative_base when given). Names use the 6.1+ two-byte length
  /// form when the first byte has bit 7 set. Errors: unsupported when
  /// VMCOREINFO lacks the keys (the message names them), corrupt when the
  /// tables do not decode or no encoding reproduces SYMBOL(_stext).
  static Result<Kallsyms> read(const VmcoreInfo& vmi, const KernelReader& mem,
                               const KallsymsLimits& lim = {});
  static Result<Kallsyms> read(const KernelMemory& km, const KallsymsLimits& lim = {});

  /// Every symbol in the kernel's order (ascending address for the core kernel).
  const std::vector<KernelSymbol>& symbols() const { return syms_; }
  KallsymsEncoding encoding() const { return encoding_; }

  /// Every symbol named `name` (static symbols may repeat).
  std::vector<const KernelSymbol*> find_all(std::string_view name) const;
  /// The only symbol named `name`; nullptr when there is none or several.
  const KernelSymbol* find(std::string_view name) const;
  /// The address of the only symbol named `name`.
  std::optional<uint64_t> address(std::string_view name) const;
  /// The symbol with the greatest address <= addr (nullptr below the first).
  const KernelSymbol* symbol_at(uint64_t addr) const;
  /// Bytes from `s` to the next higher symbol address (an upper bound of the
  /// object's size: alignment padding included); nullopt for the last one.
  std::optional<uint64_t> extent(const KernelSymbol& s) const;

 private:
  std::vector<KernelSymbol> syms_;
  std::vector<uint32_t> by_name_;  // indices sorted by (name, index)
  std::vector<uint32_t> by_addr_;  // indices sorted by (address, index)
  KallsymsEncoding encoding_ = KallsymsEncoding::relative;
};

}  // namespace dumpfmt
