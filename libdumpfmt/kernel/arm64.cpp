// arm64 kernel address translation: a walk of the TTBR1 tables from
// swapper_pg_dir for 4K/16K/64K granules and 48- or 52-bit VAs, with the
// 52-bit output-address encodings LPA (64K: OA[51:48] in bits 15:12) and LPA2
// (4K/16K: OA[51:50] in bits 9:8). Facts from the Arm ARM (VMSAv8-64
// descriptors) and arch/arm64/kernel/vmcore_info.c (VMCOREINFO keys).
#include <string>

#include "dumpfmt/bytes.h"
#include "kernel/arch_impl.h"

namespace dumpfmt::detail {

namespace {

class Arm64Translator final : public AddressTranslator {
 public:
  Arm64Translator(uint64_t pgd_phys, unsigned page_shift, unsigned va_bits)
      : pgd_(pgd_phys),
        page_shift_(page_shift),
        va_bits_(va_bits),
        bits_per_level_(page_shift - 3),
        levels_((va_bits - page_shift + bits_per_level_ - 1) / bits_per_level_),
        lpa2_(page_shift != 16 && va_bits == 52) {}

  Arch arch() const override { return Arch::arm64; }

  std::string describe() const override {
    return strfmt("arm64, %uK pages, %u-bit VA, %u levels%s, swapper_pg_dir at %s",
                  (1u << page_shift_) / 1024, va_bits_, levels_, lpa2_ ? " (LPA2)" : "",
                  hex(pgd_).c_str());
  }

  Result<Translation> translate(uint64_t vaddr, const PhysicalMemory& mem) const override {
    // TTBR1 covers the top of the address space: bits [63:va_bits] all ones.
    if (va_bits_ < 64 && (vaddr >> va_bits_) != (~uint64_t{0} >> va_bits_)) {
      return make_error(Errc::no_data,
                        "virtual address " + hex(vaddr) + " is not a kernel (TTBR1) address");
    }
    uint64_t table = pgd_;
    // Arm numbers the last level 3; a 5-level (LPA2, 4K) walk starts at -1.
    int first = 4 - static_cast<int>(levels_);
    for (int level = first; level <= 3; ++level) {
      unsigned shift = page_shift_ + bits_per_level_ * static_cast<unsigned>(3 - level);
      unsigned nbits = level == first ? va_bits_ - shift : bits_per_level_;
      uint64_t index = (vaddr >> shift) & ((uint64_t{1} << nbits) - 1);
      DUMPFMT_TRY_ASSIGN(uint64_t d, read_pte(mem, table + index * 8));
      if (!(d & 1)) {
        return make_error(Errc::no_data, strfmt("virtual address %s: level %d descriptor %s "
                                                "not valid",
                                                hex(vaddr).c_str(), level, hex(d).c_str()));
      }
      bool table_or_page = (d & 2) != 0;
      if (level == 3 || !table_or_page) {
        if (level == 3 && !table_or_page) {
          return make_error(Errc::corrupt, strfmt("virtual address %s: reserved level 3 "
                                                  "descriptor %s",
                                                  hex(vaddr).c_str(), hex(d).c_str()));
        }
        uint64_t size = uint64_t{1} << shift;
        uint64_t off = vaddr & (size - 1);
        Translation t;
        t.paddr = (output_address(d) & ~(size - 1)) + off;
        t.contiguous = size - off;
        return t;
      }
      table = output_address(d);
    }
    return make_error(Errc::corrupt, "arm64 page walk fell through");  // not reached
  }

 private:
  uint64_t output_address(uint64_t d) const {
    const uint64_t low_mask = ~((uint64_t{1} << page_shift_) - 1);
    if (lpa2_) {
      return (d & ((uint64_t{1} << 50) - 1) & low_mask) | (((d >> 8) & 3) << 50);
    }
    uint64_t a = d & ((uint64_t{1} << 48) - 1) & low_mask;
    // 64K granule: bits 15:12 hold OA[51:48] with LPA and are RES0 without.
    if (page_shift_ == 16) a |= ((d >> 12) & 0xf) << 48;
    return a;
  }

  uint64_t pgd_;
  unsigned page_shift_;
  unsigned va_bits_;
  unsigned bits_per_level_;
  unsigned levels_;
  bool lpa2_;
};

}  // namespace

Result<std::unique_ptr<AddressTranslator>> make_arm64_translator(const VmcoreInfo& vmi) {
  auto page_size = vmi.page_size();
  if (!page_size) return missing_key("PAGESIZE", "to know the arm64 translation granule");
  unsigned page_shift = 0;
  switch (*page_size) {
    case 4096:
      page_shift = 12;
      break;
    case 16384:
      page_shift = 14;
      break;
    case 65536:
      page_shift = 16;
      break;
    default:
      return make_error(
          Errc::invalid_argument,
          strfmt("VMCOREINFO PAGESIZE=%u is not an arm64 granule (4K, 16K, 64K)", *page_size));
  }
  // TCR_EL1.T1SZ gives the VA size in use (a 52-bit kernel falls back to 48
  // bits on hardware without LVA/LPA2); VA_BITS is the configured maximum.
  unsigned va_bits = 0;
  if (auto t1sz = vmi.number("TCR_EL1_T1SZ"); t1sz && *t1sz > 0 && *t1sz < 64) {
    va_bits = 64 - static_cast<unsigned>(*t1sz);
  } else if (auto vb = vmi.number("VA_BITS"); vb) {
    va_bits = static_cast<unsigned>(*vb);
  } else {
    return missing_key("NUMBER(VA_BITS)", "to walk arm64 kernel page tables");
  }
  if (va_bits < 36 || va_bits > 52 || va_bits <= page_shift) {
    return make_error(Errc::invalid_argument,
                      strfmt("arm64: implausible virtual address size of %u bits", va_bits));
  }
  auto voff = vmi.number("kimage_voffset");
  if (!voff) return missing_key("NUMBER(kimage_voffset)", "to locate arm64 swapper_pg_dir");
  auto pgd = vmi.symbol("swapper_pg_dir");
  if (!pgd) return missing_key("SYMBOL(swapper_pg_dir)", "to walk arm64 kernel page tables");
  uint64_t pgd_phys = *pgd - static_cast<uint64_t>(*voff);
  return std::unique_ptr<AddressTranslator>(new Arm64Translator(pgd_phys, page_shift, va_bits));
}

}  // namespace dumpfmt::detail
