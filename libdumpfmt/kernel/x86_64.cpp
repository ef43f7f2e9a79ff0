// x86_64 kernel address translation: the kernel image by offset
// (__START_KERNEL_map + phys_base), everything else by walking the 4- or
// 5-level page tables from init_top_pgt (arch/x86/include/asm/pgtable_64_types.h).
#include <string>

#include "dumpfmt/bytes.h"
#include "kernel/arch_impl.h"

namespace dumpfmt::detail {

namespace {

constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;
constexpr uint64_t kDefaultImageSize = uint64_t{1} << 30;  // KERNEL_IMAGE_SIZE with KASLR
constexpr uint64_t kPresent = 1;
constexpr uint64_t kPageSizeBit = 1 << 7;              // _PAGE_PSE: 1 GiB / 2 MiB page
constexpr uint64_t kPhysMask = 0x000ffffffffff000ULL;  // bits 12..51

class X86_64Translator final : public AddressTranslator {
 public:
  X86_64Translator(uint64_t top_pgt_phys, int64_t phys_base, bool l5, uint64_t sme_mask,
                   uint64_t image_size)
      : top_(top_pgt_phys),
        phys_base_(phys_base),
        l5_(l5),
        sme_mask_(sme_mask),
        image_size_(image_size) {}

  Arch arch() const override { return Arch::x86_64; }

  std::string describe() const override {
    return strfmt("x86_64, %d-level paging, phys_base %s, top page table at %s", l5_ ? 5 : 4,
                  hex(static_cast<uint64_t>(phys_base_)).c_str(), hex(top_).c_str());
  }

  Result<Translation> translate(uint64_t vaddr, const PhysicalMemory& mem) const override {
    if (vaddr >= kStartKernelMap && vaddr - kStartKernelMap < image_size_) {
      // The kernel image is mapped linearly at __START_KERNEL_map; phys_base
      // carries the physical KASLR displacement.
      Translation t;
      t.paddr = vaddr - kStartKernelMap + static_cast<uint64_t>(phys_base_);
      t.contiguous = kStartKernelMap + image_size_ - vaddr;
      return t;
    }
    static constexpr const char* kNames[] = {"PGD", "P4D", "PUD", "PMD", "PTE"};
    const uint64_t mask = kPhysMask & ~sme_mask_;
    uint64_t table = top_;
    int first_level = l5_ ? 0 : 1;
    for (int level = first_level; level < 5; ++level) {
      unsigned shift = 12 + 9 * static_cast<unsigned>(4 - level);  // 48, 39, 30, 21, 12
      uint64_t index = (vaddr >> shift) & 511;
      DUMPFMT_TRY_ASSIGN(uint64_t e, read_pte(mem, table + index * 8));
      if (!(e & kPresent)) {
        return make_error(Errc::no_data, strfmt("virtual address %s: %s entry %s not present",
                                                hex(vaddr).c_str(), kNames[level], hex(e).c_str()));
      }
      uint64_t next = e & mask;
      // PUD and PMD entries may map a 1 GiB / 2 MiB page directly.
      if (level == 4 || ((level == 2 || level == 3) && (e & kPageSizeBit))) {
        uint64_t size = uint64_t{1} << shift;
        uint64_t off = vaddr & (size - 1);
        Translation t;
        t.paddr = (next & ~(size - 1)) + off;
        t.contiguous = size - off;
        return t;
      }
      table = next;
    }
    return make_error(Errc::corrupt, "x86_64 page walk fell through");  // not reached
  }

 private:
  uint64_t top_;
  int64_t phys_base_;
  bool l5_;
  uint64_t sme_mask_;
  uint64_t image_size_;
};

}  // namespace

Result<std::unique_ptr<AddressTranslator>> make_x86_64_translator(const VmcoreInfo& vmi) {
  // init_top_pgt since 4.13; older kernels name it init_level4_pgt.
  auto top = vmi.symbol("init_top_pgt");
  if (!top) top = vmi.symbol("init_level4_pgt");
  if (!top) {
    return missing_key("SYMBOL(init_top_pgt)", "to walk x86_64 kernel page tables");
  }
  auto phys_base = vmi.number("phys_base");
  if (!phys_base) return missing_key("NUMBER(phys_base)", "to translate x86_64 kernel addresses");
  bool l5 = vmi.number("pgtable_l5_enabled").value_or(0) != 0;
  uint64_t sme = static_cast<uint64_t>(vmi.number("sme_mask").value_or(0));
  uint64_t image = kDefaultImageSize;
  if (auto n = vmi.number("KERNEL_IMAGE_SIZE"); n && *n > 0 && *n <= int64_t{1} << 31) {
    image = static_cast<uint64_t>(*n);
  }
  if (*top < kStartKernelMap || *top - kStartKernelMap >= image) {
    return make_error(Errc::invalid_argument, "VMCOREINFO SYMBOL(init_top_pgt)=" + hex(*top) +
                                                  " is not a kernel image address");
  }
  uint64_t top_phys = *top - kStartKernelMap + static_cast<uint64_t>(*phys_base);
  return std::unique_ptr<AddressTranslator>(
      new X86_64Translator(top_phys, *phys_base, l5, sme, image));
}

}  // namespace dumpfmt::detail
