// Fuzz target: Kallsyms::read (token table, compressed names, offsets, the address encoding
// chosen by SYMBOL(_stext)) over a VMCOREINFO text and a kernel memory image from the input
// (kernel_input.h); then the lookups, and Btf::from_kernel when the table names the BTF.
#include <cstdlib>

#include "dumpfmt/kernel/btf.h"
#include "dumpfmt/kernel/kallsyms.h"
#include "kernel_input.h"

using namespace dumpfmt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::KernelInput::parse(data, size, fuzz::kKallsymsAlign);
  if (!in) return 0;
  const fuzz::InputMemory mem(*in);
  const VmcoreInfo vmi = VmcoreInfo::parse(in->vmcoreinfo);
  // Small caps: a hostile kallsyms_num_syms must be refused, not decoded for seconds.
  KallsymsLimits lim;
  lim.max_symbols = 1u << 16;
  lim.max_names_bytes = 1u << 20;
  auto k = Kallsyms::read(vmi, mem, lim);
  if (!k) return 0;

  // As many symbols as kallsyms_num_syms says, each with a name.
  const auto& syms = k->symbols();
  std::byte nb[4];
  if (!in->read(*vmi.symbol("kallsyms_num_syms"), nb)) std::abort();
  if (syms.size() != load<uint32_t>(nb, in->endian)) std::abort();
  // The encoding was chosen to put the first _stext where VMCOREINFO says.
  if (auto stext = vmi.symbol("_stext")) {
    for (const KernelSymbol& s : syms) {
      if (s.name != "_stext") continue;
      if (s.address != *stext) std::abort();
      break;
    }
  }
  // Lookups find every symbol by name and by address; extents are positive.
  for (size_t i = 0; i < syms.size() && i < 2048; ++i) {
    const KernelSymbol& s = syms[i];
    if (s.name.empty()) std::abort();
    bool found = false;
    for (const KernelSymbol* p : k->find_all(s.name)) found |= p == &s;
    if (!found) std::abort();
    const KernelSymbol* at = k->symbol_at(s.address);
    if (!at || at->address != s.address) std::abort();
    if (auto ext = k->extent(s); ext && *ext == 0) std::abort();
  }
  (void)k->address("_stext");
  auto btf = Btf::from_kernel(*k, mem, 1u << 20);
  if (btf) (void)btf->type_count();
  return 0;
}
