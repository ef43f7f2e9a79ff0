// Test support for the kernel model: an in-memory PageSource (physical pages
// by PFN) and a synthetic x86_64 kernel whose image, struct page array and
// page-allocator structures are written byte by byte, independently of the
// code under test, from the 6.1 layout seen in the corpus VMCOREINFO.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/dump.h"

namespace kernel_test {

using dumpfmt::Pfn;

class MemSource : public dumpfmt::PageSource {
 public:
  MemSource(dumpfmt::Arch arch, uint32_t page_size, dumpfmt::Endian e = dumpfmt::Endian::little) {
    info_.arch = arch;
    info_.page_size = page_size;
    info_.endian = e;
    info_.format = "memory";
  }
  const dumpfmt::DumpInfo& info() const override { return info_; }
  const dumpfmt::PfnSet& present() const override { return present_; }
  dumpfmt::Result<dumpfmt::PageState> read_page(Pfn pfn, std::span<std::byte> out) const override {
    auto it = pages_.find(pfn);
    if (it == pages_.end()) {
      if (!present_.contains(pfn)) {
        return dumpfmt::make_error(dumpfmt::Errc::no_data, "no page " + dumpfmt::hex(pfn));
      }
      std::memset(out.data(), 0, out.size());
      return dumpfmt::PageState::zero;
    }
    std::memcpy(out.data(), it->second.data(), out.size());
    return dumpfmt::PageState::present;
  }

  void set_vmcoreinfo(const std::string& t) { info_.vmcoreinfo = t; }
  dumpfmt::DumpInfo& mutable_info() { return info_; }
  /// Marks [first, end) as RAM carried by the dump (zero until written).
  void add_ram(Pfn first, Pfn end) { present_.insert_range(first, end); }
  void drop(Pfn pfn) {
    present_.erase(pfn);
    pages_.erase(pfn);
  }

  std::vector<std::byte>& page(Pfn pfn) {
    auto& p = pages_[pfn];
    if (p.empty()) p.resize(info_.page_size);
    present_.insert(pfn);
    return p;
  }
  void write(uint64_t paddr, const void* data, size_t n) {
    const auto* b = static_cast<const std::byte*>(data);
    while (n) {
      uint64_t pfn = paddr / info_.page_size, off = paddr % info_.page_size;
      size_t k = std::min<size_t>(n, info_.page_size - off);
      std::memcpy(page(pfn).data() + off, b, k);
      paddr += k;
      b += k;
      n -= k;
    }
  }
  void write64(uint64_t paddr, uint64_t v) {
    std::byte b[8];
    dumpfmt::store(b, v, info_.endian);
    write(paddr, b, 8);
  }
  void write32(uint64_t paddr, uint32_t v) {
    std::byte b[4];
    dumpfmt::store(b, v, info_.endian);
    write(paddr, b, 4);
  }
  void write8(uint64_t paddr, uint8_t v) { write(paddr, &v, 1); }
  uint64_t read64(uint64_t paddr) {
    std::byte b[8];
    for (int i = 0; i < 8; ++i) {
      uint64_t a = paddr + static_cast<uint64_t>(i);
      b[i] = page(a / info_.page_size)[a % info_.page_size];
    }
    return dumpfmt::load<uint64_t>(b, info_.endian);
  }

 private:
  dumpfmt::DumpInfo info_;
  dumpfmt::PfnSet present_;
  std::map<Pfn, std::vector<std::byte>> pages_;
};

// The x86_64 kernel image lives at __START_KERNEL_map + (paddr - phys_base).
constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;

// struct page of Linux 6.1 x86_64 (corpus VMCOREINFO): 64 bytes.
struct PageLayout {
  static constexpr uint64_t size = 64, flags = 0, compound_head = 8, compound_dtor = 16,
                            compound_order = 17, mapping = 24, priv = 40, mapcount = 48,
                            refcount = 52;
};
constexpr int kPgLru = 4, kPgSlab = 9, kPgSwapcache = 10, kPgPrivate = 13, kPgSwapbacked = 19,
              kPgHwpoison = 23;
constexpr uint64_t kPgHeadMask = 1 << 16;
constexpr int32_t kBuddy = -129, kOffline = -257;

/// VMCOREINFO lines of the 6.1 struct page layout and PG_* numbers.
inline std::string page_vmcoreinfo() {
  return "SIZE(page)=64\n"
         "OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
         "OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
         "OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
         "OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
         "NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
         "NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_head_mask)=65536\n"
         "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
         "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";
}

}  // namespace kernel_test
