// ScrubKernel (symbol, type and struct page lookups for the scrub walkers)
// and the EraseSet of physical ranges.
#include "dumpfmt_filters/scrub_kernel.h"

#include <algorithm>
#include <cstring>

#include "dumpfmt/bytes.h"

namespace dumpfmt::filters {

namespace {

// NR_CPUS of any kernel we know is at most 8192; more is corruption.
constexpr uint32_t kMaxCpus = 8192;

}  // namespace

ScrubKernel::ScrubKernel(const KernelReader& mem, const Kallsyms& syms, const Btf* btf,
                         const VmcoreInfo& vmi, MemMap mem_map)
    : mem_(mem), syms_(syms), btf_(btf), vmi_(vmi), mem_map_(std::move(mem_map)) {
  by_vaddr_ = mem_map_.ranges;
  std::sort(by_vaddr_.begin(), by_vaddr_.end(),
            [](const MemMapRange& a, const MemMapRange& b) { return a.vaddr < b.vaddr; });
}

Result<uint64_t> ScrubKernel::symbol(std::string_view name) const {
  if (auto v = vmi_.symbol(name)) return *v;
  auto all = syms_.find_all(name);
  if (all.size() == 1) return all[0]->address;
  if (all.empty()) {
    return make_error(Errc::no_data, "kernel symbol '" + std::string(name) + "' not found");
  }
  return make_error(Errc::invalid_argument, strfmt("kernel symbol '%s' is ambiguous (%zu symbols "
                                                   "of that name)",
                                                   std::string(name).c_str(), all.size()));
}

Result<uint64_t> ScrubKernel::field(uint64_t base, const Btf::Member& m) const {
  uint64_t nbits = m.bit_size;
  if (nbits == 0) {
    if (!btf_) return make_error(Errc::unsupported, "field: no BTF");
    DUMPFMT_TRY_ASSIGN(uint64_t sz, btf_->size_of(m.type));
    if (sz == 0 || sz > 8) return make_error(Errc::invalid_argument, "field: not an integer");
    nbits = sz * 8;
  }
  const uint64_t first_byte = m.bit_offset / 8;
  const uint64_t shift = m.bit_offset % 8;
  const uint64_t nbytes = (shift + nbits + 7) / 8;
  if (nbytes > 8) return make_error(Errc::unsupported, "field: bitfield wider than 64 bits");
  std::byte b[8] = {};
  DUMPFMT_TRY(mem_.read_virt(base + first_byte, std::span<std::byte>(b, nbytes)));
  // BTF bit offsets count from the least significant bit on little-endian
  // targets, the most significant on big-endian ones.
  uint64_t v = 0;
  if (mem_.endian() == Endian::little) {
    for (uint64_t i = 0; i < nbytes; ++i) v |= uint64_t{std::to_integer<uint8_t>(b[i])} << (8 * i);
    v >>= shift;
  } else {
    for (uint64_t i = 0; i < nbytes; ++i) v = (v << 8) | std::to_integer<uint8_t>(b[i]);
    v >>= nbytes * 8 - shift - nbits;
  }
  return nbits == 64 ? v : v & ((uint64_t{1} << nbits) - 1);
}

Status ScrubKernel::need_btf(std::string_view what) const {
  if (btf_) return ok();
  return make_error(Btf::built() ? Errc::unsupported : Errc::not_built,
                    std::string(what) + " needs the kernel's BTF type information" +
                        (Btf::built() ? " (none found in the dump; try --vmlinux)"
                                      : " (this build has no libbpf)"));
}

Result<Btf::Member> ScrubKernel::member(std::string_view type, std::string_view member) const {
  DUMPFMT_TRY(need_btf("struct " + std::string(type) + "." + std::string(member)));
  DUMPFMT_TRY_ASSIGN(Btf::TypeId t, btf_->find_struct(type));
  return btf_->member_path(t, member);
}

Result<uint64_t> ScrubKernel::offset(std::string_view type, std::string_view member) const {
  std::string key = "o:" + std::string(type) + "." + std::string(member);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  Result<uint64_t> r = make_error(Errc::no_data, "");
  if (btf_) {
    auto m = this->member(type, member);
    r = m ? Result<uint64_t>(m->byte_offset()) : Result<uint64_t>(m.error());
  } else if (auto o = vmi_.offset(std::string(type) + "." + std::string(member))) {
    r = *o;
  } else {
    r = need_btf("offsetof(struct " + std::string(type) + ", " + std::string(member) + ")").error();
  }
  cache_.emplace(key, r);
  return r;
}

Result<uint64_t> ScrubKernel::size(std::string_view type) const {
  std::string key = "s:" + std::string(type);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  Result<uint64_t> r = make_error(Errc::no_data, "");
  if (btf_) {
    r = btf_->size_of(type);
  } else if (auto s = vmi_.size(type)) {
    r = *s;
  } else {
    r = need_btf("sizeof(" + std::string(type) + ")").error();
  }
  cache_.emplace(key, r);
  return r;
}

Result<uint64_t> ScrubKernel::array_len(std::string_view type, std::string_view member) const {
  DUMPFMT_TRY_ASSIGN(Btf::Member m, this->member(type, member));
  Btf::Type t = btf_->type(btf_->resolve(m.type));
  if (t.kind != Btf::Kind::array) {
    return make_error(Errc::invalid_argument,
                      std::string(type) + "." + std::string(member) + " is not an array");
  }
  return uint64_t{t.nelems};
}

Result<std::vector<uint64_t>> ScrubKernel::percpu_offsets() const {
  if (percpu_) return *percpu_;
  auto arr = symbol("__per_cpu_offset");
  if (!arr) {
    // A uniprocessor kernel: per-CPU variables are ordinary ones.
    percpu_ = std::vector<uint64_t>{0};
    return *percpu_;
  }
  DUMPFMT_TRY_ASSIGN(uint64_t ids_addr, symbol("nr_cpu_ids"));
  DUMPFMT_TRY_ASSIGN(uint32_t n, u32(ids_addr));
  if (n == 0 || n > kMaxCpus) {
    return make_error(Errc::corrupt, strfmt("nr_cpu_ids is %u", n));
  }
  DUMPFMT_TRY_ASSIGN(percpu_, ptr_array(*arr, n));
  return *percpu_;
}

Result<std::vector<uint64_t>> ScrubKernel::ptr_array(uint64_t vaddr, uint32_t n) const {
  // An empty array reads nothing (an empty span may carry no buffer at all).
  if (n == 0) return std::vector<uint64_t>{};
  std::vector<std::byte> raw(size_t{n} * 8);
  DUMPFMT_TRY(mem_.read_virt(vaddr, raw));
  std::vector<uint64_t> out(n);
  for (uint32_t i = 0; i < n; ++i)
    out[i] = load<uint64_t>(raw.data() + 8 * size_t{i}, mem_.endian());
  return out;
}

Status ScrubKernel::walk_list(uint64_t head, uint64_t limit,
                              const std::function<Status(uint64_t)>& f) const {
  DUMPFMT_TRY_ASSIGN(uint64_t node, ptr(head));  // list_head.next is the first word
  uint64_t n = 0;
  while (node != head) {
    if (node == 0) return make_error(Errc::corrupt, "list at " + hex(head) + ": NULL next pointer");
    if (++n > limit) {
      return make_error(Errc::corrupt,
                        strfmt("list at %s: more than %llu entries (a cycle?)", hex(head).c_str(),
                               static_cast<unsigned long long>(limit)));
    }
    DUMPFMT_TRY(f(node));
    DUMPFMT_TRY_ASSIGN(node, ptr(node));
  }
  return ok();
}

Status ScrubKernel::walk_rbtree(uint64_t root, uint64_t limit,
                                const std::function<Status(uint64_t)>& f) const {
  // struct rb_node { unsigned long __rb_parent_color; rb_node *rb_right, *rb_left; }
  constexpr uint64_t kRight = 8, kLeft = 16;
  constexpr size_t kMaxDepth = 256;
  std::vector<uint64_t> stack;
  DUMPFMT_TRY_ASSIGN(uint64_t node, ptr(root));
  uint64_t n = 0;
  while (node != 0 || !stack.empty()) {
    while (node != 0) {
      if (stack.size() >= kMaxDepth) {
        return make_error(Errc::corrupt, "rbtree at " + hex(root) + ": deeper than 256");
      }
      stack.push_back(node);
      DUMPFMT_TRY_ASSIGN(node, ptr(node + kLeft));
    }
    node = stack.back();
    stack.pop_back();
    if (++n > limit) {
      return make_error(Errc::corrupt,
                        strfmt("rbtree at %s: more than %llu nodes", hex(root).c_str(),
                               static_cast<unsigned long long>(limit)));
    }
    DUMPFMT_TRY(f(node));
    DUMPFMT_TRY_ASSIGN(node, ptr(node + kRight));
  }
  return ok();
}

std::optional<Pfn> ScrubKernel::page_to_pfn(uint64_t page_vaddr) const {
  const uint64_t sz = mem_map_.page_struct_size;
  if (sz == 0) return std::nullopt;
  auto it = std::upper_bound(by_vaddr_.begin(), by_vaddr_.end(), page_vaddr,
                             [](uint64_t v, const MemMapRange& r) { return v < r.vaddr; });
  if (it == by_vaddr_.begin()) return std::nullopt;
  const MemMapRange& r = *std::prev(it);
  const uint64_t d = page_vaddr - r.vaddr;
  if (d % sz != 0 || d / sz >= r.end - r.first) return std::nullopt;
  return r.first + d / sz;
}

std::optional<uint64_t> ScrubKernel::pfn_to_page(Pfn pfn) const { return mem_map_.page_vaddr(pfn); }

// ---- EraseSet ----

uint32_t EraseSet::item_index(std::string_view cls, std::string_view what) {
  auto key = std::make_pair(std::string(cls), std::string(what));
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  uint32_t i = static_cast<uint32_t>(items_.size());
  items_.push_back({key.first, key.second, 0, 0});
  index_.emplace(std::move(key), i);
  return i;
}

void EraseSet::add_phys(uint64_t paddr, uint64_t len, std::string_view cls, std::string_view what,
                        bool zero) {
  if (len == 0) return;
  EraseItem& it = items_[item_index(cls, what)];
  it.bytes += len;
  it.count++;
  ranges_.push_back({paddr, len, zero});
}

Status EraseSet::add_virt(const KernelReader& mem, uint64_t vaddr, uint64_t len,
                          std::string_view cls, std::string_view what, bool zero) {
  if (len == 0) return ok();
  if (vaddr + len < vaddr) {
    return make_error(Errc::invalid_argument, "erase range " + hex(vaddr) + " wraps");
  }
  // Translate everything first so that a failure leaves nothing half-added.
  std::vector<Range> pieces;
  uint64_t done = 0;
  while (done < len) {
    uint64_t v = vaddr + done;
    uint64_t n = std::min<uint64_t>(len - done, page_size_ - v % page_size_);
    DUMPFMT_TRY_ASSIGN(uint64_t p, mem.vtop(v));
    if (!pieces.empty() && pieces.back().paddr + pieces.back().len == p) {
      pieces.back().len += n;
    } else {
      pieces.push_back({p, n, zero});
    }
    done += n;
  }
  EraseItem& it = items_[item_index(cls, what)];
  it.bytes += len;
  it.count++;
  ranges_.insert(ranges_.end(), pieces.begin(), pieces.end());
  return ok();
}

void EraseSet::finish() {
  std::sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) {
    return a.paddr != b.paddr ? a.paddr < b.paddr : a.zero < b.zero;
  });
  // Merge overlapping ranges of one kind, then cut everything at page
  // boundaries so that apply() finds a page's ranges by one binary search.
  // Where a pattern and a zero range overlap, the later one in sorted order
  // wins byte by byte; either way the old bytes are gone.
  std::vector<Range> merged;
  for (const Range& r : ranges_) {
    if (!merged.empty() && merged.back().zero == r.zero &&
        r.paddr <= merged.back().paddr + merged.back().len) {
      merged.back().len =
          std::max(merged.back().paddr + merged.back().len, r.paddr + r.len) - merged.back().paddr;
    } else {
      merged.push_back(r);
    }
  }
  std::vector<Range> out;
  for (const Range& r : merged) {
    uint64_t a = r.paddr, end = r.paddr + r.len;
    while (a < end) {
      uint64_t b = std::min(end, (a / page_size_ + 1) * page_size_);
      out.push_back({a, b - a, r.zero});
      a = b;
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Range& a, const Range& b) { return a.paddr < b.paddr; });
  ranges_ = std::move(out);
}

PfnSet EraseSet::pages() const {
  PfnSet s;
  for (const Range& r : ranges_) s.insert(r.paddr / page_size_);
  return s;
}

uint64_t EraseSet::apply(Pfn pfn, std::span<std::byte> page, std::byte fill) const {
  const uint64_t lo = pfn * page_size_, hi = lo + page.size();
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), lo,
                             [](const Range& r, uint64_t a) { return r.paddr < a; });
  uint64_t changed = 0;
  for (; it != ranges_.end() && it->paddr < hi; ++it) {
    uint64_t b = std::min(it->paddr + it->len, hi);
    std::memset(page.data() + (it->paddr - lo),
                std::to_integer<int>(it->zero ? std::byte{0} : fill), b - it->paddr);
    changed += b - it->paddr;
  }
  return changed;
}

std::string EraseSet::eraseinfo() const {
  std::string s;
  for (const auto& it : items_) {
    s += "erase " + it.what + " size " + std::to_string(it.bytes) + "\n";
  }
  return s;
}

}  // namespace dumpfmt::filters
