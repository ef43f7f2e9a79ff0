// KernelMemory: physical and kernel-virtual reads over a PageSource, with a
// small page cache for page tables, and the translator registry.
#include "dumpfmt/kernel/kernel_memory.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "dumpfmt/bytes.h"
#include "dumpfmt/enum_names.h"
#include "kernel/arch_impl.h"

namespace dumpfmt {

namespace detail {

Error missing_key(std::string_view key, std::string_view why) {
  return make_error(Errc::invalid_argument,
                    "VMCOREINFO has no " + std::string(key) + " (needed " + std::string(why) + ")");
}

Result<uint64_t> read_pte(const PhysicalMemory& mem, uint64_t paddr) {
  std::byte b[8];
  DUMPFMT_TRY(mem.read_phys(paddr, b));
  return load<uint64_t>(b, mem.endian());
}

}  // namespace detail

namespace {
constexpr size_t kCachedPages = 16;
}

Result<std::unique_ptr<AddressTranslator>> make_translator(Arch arch, const VmcoreInfo& vmi) {
  switch (arch) {
    case Arch::x86_64:
      return detail::make_x86_64_translator(vmi);
    case Arch::arm64:
      return detail::make_arm64_translator(vmi);
    default:
      return make_error(Errc::unsupported, "kernel address translation is not implemented for " +
                                               std::string(arch_name(arch)));
  }
}

KernelMemory::KernelMemory(const PageSource& src, VmcoreInfo vmi,
                           std::unique_ptr<AddressTranslator> t)
    : src_(src), vmi_(std::move(vmi)), translator_(std::move(t)) {
  endian_ = src.info().endian;
  page_size_ = src.info().page_size;
  word_size_ = arch_is_64bit(translator_->arch()) ? 8 : 4;
  kernel_version_ = vmi_.kernel_version().value_or(0);
  cache_.resize(kCachedPages);
}

KernelMemory::~KernelMemory() = default;

Result<std::unique_ptr<KernelMemory>> KernelMemory::create(const PageSource& src) {
  const auto& text = src.info().vmcoreinfo;
  if (!text || text->empty()) {
    return make_error(Errc::unsupported,
                      "the dump has no VMCOREINFO note, so kernel memory "
                      "cannot be interpreted");
  }
  return create(src, VmcoreInfo::parse(*text));
}

Result<std::unique_ptr<KernelMemory>> KernelMemory::create(const PageSource& src, VmcoreInfo vmi) {
  const DumpInfo& info = src.info();
  if (auto ps = vmi.page_size(); ps && *ps != info.page_size) {
    return make_error(Errc::corrupt,
                      strfmt("VMCOREINFO PAGESIZE=%u disagrees with the dump's page size %u", *ps,
                             info.page_size));
  }
  Arch arch = info.arch;
  if (arch == Arch::unknown) {
    return make_error(Errc::unsupported, "the dump does not say which architecture it is from");
  }
  DUMPFMT_TRY_ASSIGN(auto t, make_translator(arch, vmi));
  return std::unique_ptr<KernelMemory>(new KernelMemory(src, std::move(vmi), std::move(t)));
}

// Reads `out` from page `pfn` at offset `off` through the cache.
Status KernelMemory::read_page_cached(uint64_t pfn, uint64_t off, std::span<std::byte> out) const {
  std::lock_guard<std::mutex> lock(mu_);
  CachedPage* victim = &cache_[0];
  for (auto& c : cache_) {
    if (c.pfn == pfn) {
      c.stamp = ++clock_;
      std::memcpy(out.data(), c.data.data() + off, out.size());
      return ok();
    }
    if (c.stamp < victim->stamp) victim = &c;
  }
  victim->data.resize(page_size_);
  victim->pfn = ~uint64_t{0};
  auto st = src_.read_page(pfn, victim->data);
  if (!st) return std::move(st).error();
  if (*st == PageState::excluded) {
    return make_error(Errc::no_data, "physical page " + hex(pfn) + " is not in the dump");
  }
  victim->pfn = pfn;
  victim->stamp = ++clock_;
  std::memcpy(out.data(), victim->data.data() + off, out.size());
  return ok();
}

Status KernelMemory::read_phys(uint64_t paddr, std::span<std::byte> out) const {
  size_t done = 0;
  while (done < out.size()) {
    uint64_t a = paddr + done;
    if (a < paddr) return make_error(Errc::invalid_argument, "physical address range wraps");
    uint64_t pfn = a / page_size_;
    uint64_t off = a % page_size_;
    size_t n = static_cast<size_t>(std::min<uint64_t>(page_size_ - off, out.size() - done));
    auto dst = out.subspan(done, n);
    if (!src_.present().contains(pfn)) {
      return make_error(Errc::no_data, "physical address " + hex(a) + ": page " + hex(pfn) +
                                           " is not in the dump");
    }
    if (n == page_size_) {
      // Whole pages go straight to the caller (struct page arrays, bulk
      // reads), as many at a time as are present in a row.
      std::array<PageState, 64> states;
      size_t pages = std::min<size_t>(states.size(), (out.size() - done) / page_size_);
      for (size_t k = 1; k < pages; ++k) {
        if (!src_.present().contains(pfn + k)) {
          pages = k;
          break;
        }
      }
      n = pages * page_size_;
      dst = out.subspan(done, n);
      auto st = std::span(states).first(pages);
      DUMPFMT_TRY(src_.read_pages(pfn, dst, st));
      for (size_t k = 0; k < pages; ++k) {
        if (st[k] == PageState::excluded) {
          return make_error(Errc::no_data, "physical page " + hex(pfn + k) + " is not in the dump");
        }
      }
    } else {
      DUMPFMT_TRY(read_page_cached(pfn, off, dst));
    }
    done += n;
  }
  return ok();
}

Result<uint64_t> KernelMemory::vtop(uint64_t vaddr) const {
  DUMPFMT_TRY_ASSIGN(Translation t, translator_->translate(vaddr, *this));
  return t.paddr;
}

Status KernelMemory::read_virt(uint64_t vaddr, std::span<std::byte> out) const {
  size_t done = 0;
  while (done < out.size()) {
    uint64_t v = vaddr + done;
    DUMPFMT_TRY_ASSIGN(Translation t, translator_->translate(v, *this));
    size_t n = static_cast<size_t>(std::min<uint64_t>(t.contiguous, out.size() - done));
    if (n == 0) return make_error(Errc::corrupt, "translation of " + hex(v) + " maps no bytes");
    auto st = read_phys(t.paddr, out.subspan(done, n));
    if (!st) {
      return with_context(std::move(st).error(), "virtual address " + hex(v));
    }
    done += n;
  }
  return ok();
}

std::string_view memory_model_name(MemoryModel m) {
  static constexpr EnumName<MemoryModel> kNames[] = {
      {MemoryModel::flatmem, "FLATMEM"},
      {MemoryModel::sparsemem, "SPARSEMEM"},
      {MemoryModel::sparsemem_extreme, "SPARSEMEM_EXTREME"},
      {MemoryModel::vmemmap, "SPARSEMEM_VMEMMAP"}};
  return enum_name(m, kNames);
}

std::optional<uint64_t> MemMap::page_vaddr(Pfn pfn) const {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), pfn,
                             [](Pfn p, const MemMapRange& r) { return p < r.first; });
  if (it == ranges.begin()) return std::nullopt;
  --it;
  if (pfn >= it->end) return std::nullopt;
  return it->vaddr + (pfn - it->first) * page_struct_size;
}

}  // namespace dumpfmt
