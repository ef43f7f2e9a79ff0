// The dumped kernel's memory as VMCOREINFO alone describes it (no vmlinux):
// physical and virtual reads over any PageSource, virtual-to-physical
// translation behind one per-architecture interface (x86_64, arm64), and the
// location of the struct page array (FLATMEM, SPARSEMEM, SPARSEMEM_VMEMMAP).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/kernel/vmcoreinfo.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

/// One successful translation: `paddr` is the physical address of the
/// virtual address asked for, and the next `contiguous` bytes (to the end of
/// the page or large page that maps it) follow it physically.
struct Translation {
  uint64_t paddr = 0;
  uint64_t contiguous = 0;
};

/// Kernel virtual-to-physical translation of one architecture. Implementations
/// are immutable after creation and thread-safe. New architectures (s390x,
/// ppc64, riscv64) plug in by adding a make_*_translator and a case in
/// make_translator().
class AddressTranslator {
 public:
  virtual ~AddressTranslator() = default;
  virtual Arch arch() const = 0;
  /// Translates a kernel virtual address, reading page tables from `mem`.
  /// Errors: no_data for an address that is not mapped (the message names the
  /// level: "PMD entry 0x... not present"); whatever `mem` reports otherwise.
  virtual Result<Translation> translate(uint64_t vaddr, const PhysicalMemory& mem) const = 0;
  /// One-line description for diagnostics ("x86_64, 5-level paging, phys_base 0x...").
  virtual std::string describe() const = 0;
};

/// Builds the translator for `arch` from VMCOREINFO:
///  x86_64: SYMBOL(init_top_pgt) (or init_level4_pgt), NUMBER(phys_base),
///          NUMBER(pgtable_l5_enabled), NUMBER(sme_mask); the kernel image
///          (0xffffffff80000000 + ...) translates without page tables.
///  arm64:  PAGESIZE (4K/16K/64K granule), NUMBER(VA_BITS) or
///          NUMBER(TCR_EL1_T1SZ) (48- or 52-bit VA, LPA/LPA2 output addresses),
///          NUMBER(kimage_voffset), SYMBOL(swapper_pg_dir).
/// Errors: unsupported for other architectures, invalid_argument naming the
/// missing or implausible key.
Result<std::unique_ptr<AddressTranslator>> make_translator(Arch arch, const VmcoreInfo& vmi);

/// How the kernel laid out its struct page array.
enum class MemoryModel : uint8_t {
  flatmem,            // SYMBOL(mem_map): one array from PFN 0
  sparsemem,          // mem_section[] of structs (SPARSEMEM without EXTREME)
  sparsemem_extreme,  // mem_section[] of pointers to blocks of structs (incl. VMEMMAP)
  vmemmap,            // SYMBOL(vmemmap) only: the struct page of p at vmemmap + p * SIZE(page)
};
std::string_view memory_model_name(MemoryModel m);

/// PFNs [first, end) have their struct pages at kernel virtual address
/// `vaddr` onwards, one every MemMap::page_struct_size bytes.
struct MemMapRange {
  Pfn first = 0;
  Pfn end = 0;
  uint64_t vaddr = 0;
};

/// The struct page array: ascending, non-overlapping ranges; ranges that are
/// virtually contiguous (vmemmap) are merged. PFNs outside every range have
/// no struct page (holes, sections without a mem_map).
struct MemMap {
  MemoryModel model = MemoryModel::sparsemem_extreme;
  uint32_t page_struct_size = 0;  // SIZE(page)
  std::vector<MemMapRange> ranges;
  /// Virtual address of the struct page of `pfn`, if it has one.
  std::optional<uint64_t> page_vaddr(Pfn pfn) const;
};

/// The dumped kernel's memory (KernelReader) over a dump. Created from a
/// PageSource with VMCOREINFO; the source must outlive it. Thread-safe.
class KernelMemory final : public KernelReader {
 public:
  /// Uses src.info().vmcoreinfo. Errors: unsupported when the dump has no
  /// VMCOREINFO or its architecture has no translator; invalid_argument when
  /// VMCOREINFO lacks what translation needs (the message names the key).
  static Result<std::unique_ptr<KernelMemory>> create(const PageSource& src);
  /// Same with VMCOREINFO given explicitly (tests, dumps with a broken note).
  static Result<std::unique_ptr<KernelMemory>> create(const PageSource& src, VmcoreInfo vmi);
  ~KernelMemory() override;

  const PageSource& source() const { return src_; }
  const VmcoreInfo& vmcoreinfo() const { return vmi_; }
  const AddressTranslator& translator() const { return *translator_; }
  Arch arch() const { return translator_->arch(); }
  Endian endian() const override { return endian_; }
  uint32_t page_size() const override { return page_size_; }
  uint32_t word_size() const override { return word_size_; }
  /// kernel_version_code() of OSRELEASE, 0 when it does not parse.
  uint32_t kernel_version() const { return kernel_version_; }

  Status read_phys(uint64_t paddr, std::span<std::byte> out) const override;
  Result<uint64_t> vtop(uint64_t vaddr) const override;
  /// Translates page by page (large pages once).
  Status read_virt(uint64_t vaddr, std::span<std::byte> out) const override;

  /// Finds the struct page array from VMCOREINFO: SYMBOL(mem_section) with
  /// LENGTH/SIZE(mem_section), OFFSET(mem_section.section_mem_map),
  /// NUMBER(SECTION_SIZE_BITS), NUMBER(MAX_PHYSMEM_BITS) (SPARSEMEM, with or
  /// without EXTREME and VMEMMAP), else SYMBOL(vmemmap), else SYMBOL(mem_map)
  /// (FLATMEM). Only PFNs below the end of the source's RAM are covered. Not
  /// cached: callers keep the result.
  Result<MemMap> find_mem_map() const;

 private:
  KernelMemory(const PageSource& src, VmcoreInfo vmi, std::unique_ptr<AddressTranslator> t);
  Status read_page_cached(uint64_t pfn, uint64_t off, std::span<std::byte> out) const;

  const PageSource& src_;
  VmcoreInfo vmi_;
  std::unique_ptr<AddressTranslator> translator_;
  Endian endian_ = Endian::little;
  uint32_t page_size_ = 4096;
  uint32_t word_size_ = 8;
  uint32_t kernel_version_ = 0;

  // A few recently read pages: page tables and small reads hit the same pages
  // again and again. Guarded by mu_; large reads bypass it.
  struct CachedPage {
    uint64_t pfn = ~uint64_t{0};
    uint64_t stamp = 0;
    std::vector<std::byte> data;
  };
  mutable std::mutex mu_;
  mutable std::vector<CachedPage> cache_;
  mutable uint64_t clock_ = 0;
};

}  // namespace dumpfmt
