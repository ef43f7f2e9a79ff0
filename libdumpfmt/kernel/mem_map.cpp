// Locating the struct page array from VMCOREINFO: mem_section (SPARSEMEM,
// EXTREME or not, VMEMMAP or not), vmemmap, or mem_map (FLATMEM). Layout facts
// from include/linux/mmzone.h; the section-map flag bits and the pointer
// fallback for SYMBOL(mem_section) follow makedumpfile's reading of them.
#include <algorithm>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "kernel/arch_impl.h"

namespace dumpfmt {

namespace {

// section_mem_map keeps flags in its low bits (SECTION_MARKED_PRESENT = bit 0,
// SECTION_HAS_MEM_MAP, SECTION_IS_ONLINE, SECTION_IS_EARLY, ...). The encoded
// mem_map pointer is at least 64-byte aligned, so the low 5 bits (the most
// makedumpfile clears, SECTION_MAP_LAST_BIT = 1 << 5) are flags.
constexpr uint64_t kSectionMarkedPresent = 1;
constexpr uint64_t kSectionMapMask = ~uint64_t{0x1f};

struct SparseParams {
  uint64_t section_size_bits = 0;
  uint64_t max_physmem_bits = 0;
  uint64_t mem_section_size = 0;  // SIZE(mem_section)
  uint64_t map_offset = 0;        // OFFSET(mem_section.section_mem_map)
  uint64_t pfn_section_shift = 0;
  uint64_t sections_per_root = 1;  // EXTREME: page_size / SIZE(mem_section)
  bool extreme = false;
};

void add_range(MemMap& mm, Pfn first, Pfn end, uint64_t vaddr) {
  if (first >= end) return;
  if (!mm.ranges.empty()) {
    MemMapRange& last = mm.ranges.back();
    if (last.end == first && last.vaddr + (first - last.first) * mm.page_struct_size == vaddr) {
      last.end = end;
      return;
    }
  }
  mm.ranges.push_back({first, end, vaddr});
}

// Decodes the sections of one mem_section array base (either SYMBOL(mem_section)
// itself or the pointer stored there). Returns how many sections had a valid
// mem_map; `mm` receives them.
Result<uint64_t> decode_sections(const KernelMemory& km, const SparseParams& p, uint64_t base,
                                 uint64_t nr_sections, Pfn max_pfn, MemMap& mm) {
  const uint64_t psize = mm.page_struct_size;
  const uint64_t word = km.word_size();
  uint64_t valid = 0;
  std::vector<std::byte> block;
  auto decode_block = [&](uint64_t first_nr, uint64_t count) -> Status {
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t nr = first_nr + i;
      const std::byte* s = block.data() + i * p.mem_section_size + p.map_offset;
      uint64_t map = word == 8 ? load<uint64_t>(s, km.endian()) : load<uint32_t>(s, km.endian());
      if (!(map & kSectionMarkedPresent)) continue;
      uint64_t coded = map & kSectionMapMask;
      Pfn first = nr << p.pfn_section_shift;
      // The kernel stores mem_map - first_pfn (pointer arithmetic in struct
      // pages); unsigned wrap-around gives back the real address.
      uint64_t vaddr = coded + first * psize;
      if (!km.vtop(vaddr)) continue;  // not a mapped kernel address: no usable mem_map
      Pfn end = std::min<Pfn>(first + (Pfn{1} << p.pfn_section_shift), max_pfn);
      add_range(mm, first, end, vaddr);
      ++valid;
    }
    return ok();
  };
  if (!p.extreme) {
    for (uint64_t nr = 0; nr < nr_sections;) {
      uint64_t count = std::min<uint64_t>(nr_sections - nr, 256);
      block.resize(count * p.mem_section_size);
      if (km.read_virt(base + nr * p.mem_section_size, block)) {
        DUMPFMT_TRY(decode_block(nr, count));
      }
      nr += count;
    }
    return valid;
  }
  uint64_t nr_roots = (nr_sections + p.sections_per_root - 1) / p.sections_per_root;
  std::vector<std::byte> roots(nr_roots * word);
  DUMPFMT_TRY(km.read_virt(base, roots));
  for (uint64_t r = 0; r < nr_roots; ++r) {
    uint64_t root = word == 8 ? load<uint64_t>(roots.data() + r * 8, km.endian())
                              : load<uint32_t>(roots.data() + r * 4, km.endian());
    if (root == 0) continue;
    uint64_t first_nr = r * p.sections_per_root;
    uint64_t count = std::min(p.sections_per_root, nr_sections - first_nr);
    block.resize(count * p.mem_section_size);
    if (!km.read_virt(root, block)) continue;  // an unreadable root: its sections have no map
    DUMPFMT_TRY(decode_block(first_nr, count));
  }
  return valid;
}

}  // namespace

Result<MemMap> KernelMemory::find_mem_map() const {
  MemMap mm;
  auto psize = vmi_.size("page");
  if (!psize) return detail::missing_key("SIZE(page)", "to walk the struct page array");
  if (*psize == 0 || *psize > 4096) {
    return make_error(Errc::invalid_argument, strfmt("VMCOREINFO SIZE(page)=%llu is implausible",
                                                     static_cast<unsigned long long>(*psize)));
  }
  mm.page_struct_size = static_cast<uint32_t>(*psize);
  const Pfn max_pfn = src_.ram().end_bound();
  unsigned page_shift = static_cast<unsigned>(__builtin_ctz(page_size_));

  if (auto sym = vmi_.symbol("mem_section")) {
    SparseParams p;
    auto ssb = vmi_.number("SECTION_SIZE_BITS");
    auto mpb = vmi_.number("MAX_PHYSMEM_BITS");
    auto msz = vmi_.size("mem_section");
    auto moff = vmi_.offset("mem_section.section_mem_map");
    if (!ssb) return detail::missing_key("NUMBER(SECTION_SIZE_BITS)", "for SPARSEMEM");
    if (!mpb) return detail::missing_key("NUMBER(MAX_PHYSMEM_BITS)", "for SPARSEMEM");
    if (!msz) return detail::missing_key("SIZE(mem_section)", "for SPARSEMEM");
    if (!moff) return detail::missing_key("OFFSET(mem_section.section_mem_map)", "for SPARSEMEM");
    if (*ssb <= page_shift || *ssb > 40 || *mpb < *ssb || *mpb > 64 || *mpb - *ssb > 40 ||
        *msz == 0 || *msz > page_size_ || *moff + word_size_ > *msz) {
      return make_error(
          Errc::invalid_argument,
          "VMCOREINFO SPARSEMEM parameters are implausible (SECTION_SIZE_BITS, "
          "MAX_PHYSMEM_BITS, SIZE(mem_section), OFFSET(mem_section.section_mem_map))");
    }
    p.section_size_bits = static_cast<uint64_t>(*ssb);
    p.max_physmem_bits = static_cast<uint64_t>(*mpb);
    p.mem_section_size = *msz;
    p.map_offset = *moff;
    p.pfn_section_shift = p.section_size_bits - page_shift;
    const uint64_t nr_mem_sections = uint64_t{1} << (p.max_physmem_bits - p.section_size_bits);
    const uint64_t per_root_extreme = page_size_ / p.mem_section_size;
    // LENGTH(mem_section) is NR_SECTION_ROOTS: with EXTREME the number of
    // root pointers, without it the number of sections.
    auto len = vmi_.length("mem_section");
    p.extreme = !len || *len == (nr_mem_sections + per_root_extreme - 1) / per_root_extreme;
    p.sections_per_root = p.extreme ? per_root_extreme : 1;
    if (!p.extreme && *len != nr_mem_sections) {
      return make_error(Errc::invalid_argument,
                        strfmt("VMCOREINFO LENGTH(mem_section)=%llu matches neither SPARSEMEM "
                               "(%llu sections) nor SPARSEMEM_EXTREME",
                               static_cast<unsigned long long>(*len),
                               static_cast<unsigned long long>(nr_mem_sections)));
    }
    mm.model = p.extreme ? MemoryModel::sparsemem_extreme : MemoryModel::sparsemem;
    uint64_t pages_per_section = uint64_t{1} << p.pfn_section_shift;
    uint64_t nr_sections =
        std::min(nr_mem_sections, (max_pfn + pages_per_section - 1) / pages_per_section);
    DUMPFMT_TRY_ASSIGN(uint64_t valid, decode_sections(*this, p, *sym, nr_sections, max_pfn, mm));
    if (valid == 0 && p.extreme) {
      // With -x vmlinux makedumpfile sees the address of the pointer to the
      // root array; accept a VMCOREINFO written that way too.
      mm.ranges.clear();
      if (auto ptr = read_ulong(*sym)) {
        DUMPFMT_TRY_ASSIGN(valid, decode_sections(*this, p, *ptr, nr_sections, max_pfn, mm));
      }
    }
    if (valid == 0 && max_pfn > 0) {
      return make_error(Errc::corrupt,
                        "no memory section has a readable struct page array "
                        "(SYMBOL(mem_section)=" +
                            hex(*sym) + ")");
    }
    return mm;
  }
  if (auto vmemmap = vmi_.symbol("vmemmap")) {
    mm.model = MemoryModel::vmemmap;
    add_range(mm, 0, max_pfn, *vmemmap);
    return mm;
  }
  if (auto sym = vmi_.symbol("mem_map")) {
    mm.model = MemoryModel::flatmem;
    DUMPFMT_TRY_ASSIGN(uint64_t base, read_ulong(*sym));
    if (base == 0) return make_error(Errc::corrupt, "FLATMEM mem_map pointer is NULL");
    // makedumpfile's FLATMEM view: mem_map[0] is PFN 0.
    add_range(mm, 0, max_pfn, base);
    return mm;
  }
  return detail::missing_key("SYMBOL(mem_section), SYMBOL(vmemmap) or SYMBOL(mem_map)",
                             "to find the struct page array");
}

}  // namespace dumpfmt
