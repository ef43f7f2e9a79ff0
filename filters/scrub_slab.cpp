// SLUB: which objects of a slab are free (the slab's freelist and each CPU's
// kmem_cache_cpu.freelist, pointers encoded as freelist_ptr() does with
// CONFIG_SLAB_FREELIST_HARDENED), and which object a pointer falls into.
#include <algorithm>
#include <bit>
#include <cstring>
#include <set>

#include "dumpfmt/bytes.h"
#include "dumpfmt_filters/scrub.h"

namespace dumpfmt::filters {

namespace {

constexpr uint64_t kMaxObjects = 1 << 15;  // slab.objects is 15 bits
constexpr uint64_t kMaxCaches = 1 << 16;
constexpr size_t kChunkPages = 4096;                   // struct pages read per step
constexpr uint64_t kMaxSlabBytes = uint64_t{4} << 20;  // an order-10 slab at most

// The struct page / struct slab fields the scan needs, resolved once.
struct SlabLayout {
  uint64_t psz = 0;
  uint64_t flags_off = 0, head_off = 0;
  int pg_slab = -1;
  uint64_t cache_off = 0, freelist_off = 0;
  Btf::Member objects;
};

Result<SlabLayout> slab_layout(const ScrubKernel& k) {
  DUMPFMT_TRY(k.need_btf("the slab walk"));
  SlabLayout l;
  l.psz = k.mem_map().page_struct_size;
  auto pg = k.vmcoreinfo().number("PG_slab");
  if (!pg || *pg < 0 || *pg > 63) {
    return make_error(Errc::unsupported,
                      "VMCOREINFO has no NUMBER(PG_slab): slab pages of this kernel (6.10+ "
                      "page types) cannot be recognised (not implemented)");
  }
  l.pg_slab = static_cast<int>(*pg);
  DUMPFMT_TRY_ASSIGN(l.flags_off, k.offset("page", "flags"));
  DUMPFMT_TRY_ASSIGN(l.head_off, k.offset("page", "compound_head"));
  DUMPFMT_TRY_ASSIGN(l.cache_off, k.offset("slab", "slab_cache"));
  DUMPFMT_TRY_ASSIGN(l.freelist_off, k.offset("slab", "freelist"));
  DUMPFMT_TRY_ASSIGN(l.objects, k.member("slab", "objects"));
  return l;
}

// An unsigned (bit)field of a struct held in memory.
uint64_t field_of(std::span<const std::byte> s, const Btf::Member& m, Endian e) {
  const uint64_t first = m.bit_offset / 8, shift = m.bit_offset % 8;
  const uint64_t nbits = m.bit_size ? m.bit_size : 32;
  uint64_t v = 0;
  const uint64_t nbytes = std::min<uint64_t>((shift + nbits + 7) / 8, 8);
  if (first + nbytes > s.size()) return 0;
  if (e == Endian::little) {
    for (uint64_t i = 0; i < nbytes; ++i) {
      v |= uint64_t{std::to_integer<uint8_t>(s[first + i])} << (8 * i);
    }
    v >>= shift;
  } else {
    for (uint64_t i = 0; i < nbytes; ++i) v = (v << 8) | std::to_integer<uint8_t>(s[first + i]);
    v >>= nbytes * 8 - shift - nbits;
  }
  return nbits >= 64 ? v : v & ((uint64_t{1} << nbits) - 1);
}

}  // namespace

Result<const SlabIndex::Cache*> SlabIndex::cache(uint64_t addr) const {
  if (auto it = caches_.find(addr); it != caches_.end()) return &it->second;
  if (caches_.size() >= kMaxCaches) return make_error(Errc::corrupt, "too many slab caches");
  Cache c;
  c.addr = addr;
  DUMPFMT_TRY_ASSIGN(uint64_t name_off, k_.offset("kmem_cache", "name"));
  DUMPFMT_TRY_ASSIGN(uint64_t size_off, k_.offset("kmem_cache", "size"));
  DUMPFMT_TRY_ASSIGN(uint64_t osize_off, k_.offset("kmem_cache", "object_size"));
  DUMPFMT_TRY_ASSIGN(uint64_t fp_off, k_.offset("kmem_cache", "offset"));
  DUMPFMT_TRY_ASSIGN(uint64_t cpu_off, k_.offset("kmem_cache", "cpu_slab"));
  DUMPFMT_TRY_ASSIGN(uint64_t name_ptr, k_.ptr(addr + name_off));
  auto name = k_.cstring(name_ptr, 64);
  c.name = name ? *name : "?";
  DUMPFMT_TRY_ASSIGN(uint32_t size, k_.u32(addr + size_off));
  DUMPFMT_TRY_ASSIGN(uint32_t osize, k_.u32(addr + osize_off));
  DUMPFMT_TRY_ASSIGN(uint32_t fp, k_.u32(addr + fp_off));
  DUMPFMT_TRY_ASSIGN(c.cpu_slab, k_.ptr(addr + cpu_off));
  if (auto o = k_.offset("kmem_cache", "red_left_pad")) {
    DUMPFMT_TRY_ASSIGN(uint32_t rlp, k_.u32(addr + *o));
    c.red_left_pad = rlp;
  }
  if (auto o = k_.offset("kmem_cache", "random")) {
    DUMPFMT_TRY_ASSIGN(uint64_t r, k_.u64(addr + *o));
    c.random = r;
  }
  if (size == 0 || osize == 0 || osize > size || fp + 8 > size || size > (64u << 20)) {
    return make_error(Errc::corrupt,
                      strfmt("kmem_cache at %s (%s): size %u, object_size %u, offset %u are not "
                             "plausible",
                             hex(addr).c_str(), c.name.c_str(), size, osize, fp));
  }
  c.size = size;
  c.object_size = osize;
  c.offset = fp;
  return &caches_.emplace(addr, std::move(c)).first->second;
}

Result<std::optional<SlabIndex::Object>> SlabIndex::object_at(uint64_t vaddr) const {
  DUMPFMT_TRY_ASSIGN(SlabLayout l, slab_layout(k_));
  const uint32_t ps = k_.page_size();
  auto paddr = k_.mem().vtop(vaddr);
  if (!paddr) return std::optional<Object>{};
  auto page = k_.pfn_to_page(*paddr / ps);
  if (!page) return std::optional<Object>{};
  DUMPFMT_TRY_ASSIGN(uint64_t head, k_.ptr(*page + l.head_off));
  uint64_t head_page = (head & 1) ? head - 1 : *page;
  auto head_pfn = k_.page_to_pfn(head_page);
  if (!head_pfn) return std::optional<Object>{};
  DUMPFMT_TRY_ASSIGN(uint64_t flags, k_.u64(head_page + l.flags_off));
  if (!((flags >> l.pg_slab) & 1)) return std::optional<Object>{};
  DUMPFMT_TRY_ASSIGN(uint64_t cache_addr, k_.ptr(head_page + l.cache_off));
  DUMPFMT_TRY_ASSIGN(const Cache* c, cache(cache_addr));
  const uint64_t slab_phys = *head_pfn * ps;
  const uint64_t rel = *paddr - slab_phys;
  if (rel < c->red_left_pad) return std::optional<Object>{};
  const uint64_t idx = (rel - c->red_left_pad) / c->size;
  Object o;
  o.start = vaddr - rel + c->red_left_pad + idx * c->size;
  o.object_size = c->object_size;
  o.cache = c->name;
  return std::optional<Object>(o);
}

namespace {

class FreeWalker {
 public:
  FreeWalker(const ScrubKernel& k, const SlabIndex& idx, EraseSet& out, ClassReport& rep)
      : k_(k), idx_(idx), out_(out), rep_(rep) {}

  // Erases the free objects of the slab whose head page is `pfn`: those on
  // each chain of `heads` (plain pointers to the first free object).
  Status process(Pfn pfn, uint64_t cache_addr, uint64_t objects, std::span<const uint64_t> heads) {
    DUMPFMT_TRY_ASSIGN(const SlabIndex::Cache* c, idx_.cache(cache_addr));
    if (objects == 0 || objects >= kMaxObjects) return ok();
    const uint32_t ps = k_.page_size();
    const uint64_t slab_phys = pfn * ps;
    const uint64_t bytes = c->red_left_pad + objects * c->size;
    if (bytes > kMaxSlabBytes) {
      rep_.note(strfmt("slab at PFN %s (%s): %llu objects of %llu bytes is not a slab",
                       hex(pfn).c_str(), c->name.c_str(), static_cast<unsigned long long>(objects),
                       static_cast<unsigned long long>(c->size)));
      return ok();
    }
    mem_.resize((bytes + ps - 1) / ps * ps);
    if (auto st = k_.mem().read_phys(slab_phys, mem_); !st) {
      rep_.note("slab at PFN " + hex(pfn) + " (" + c->name + "): " + st.error().message);
      return ok();
    }
    free_.assign(objects, false);
    for (uint64_t first : heads) walk(*c, slab_phys, objects, bytes, first);
    const std::string what = "kmem_cache(" + c->name + ").free_objects";
    const uint64_t os = c->object_size, fp = c->offset;
    for (uint64_t i = 0; i < objects; ++i) {
      if (!free_[i]) continue;
      const uint64_t start = slab_phys + c->red_left_pad + i * c->size;
      if (fp < os) {
        out_.add_phys(start, fp, "slab-free", what);
        if (os > fp + 8) out_.add_phys(start + fp + 8, os - fp - 8, "slab-free", what);
        rep_.bytes += os - std::min<uint64_t>(8, os - fp);
      } else {
        out_.add_phys(start, os, "slab-free", what);
        rep_.bytes += os;
      }
      rep_.objects++;
    }
    return ok();
  }
  uint64_t bad_chains() const { return bad_chains_; }

 private:
  void walk(const SlabIndex::Cache& c, uint64_t slab_phys, uint64_t objects, uint64_t bytes,
            uint64_t p) {
    for (uint64_t steps = 0; p != 0; ++steps) {
      // The direct-map offset, learnt from one pointer and checked against
      // every later one (slabs live in the direct map).
      uint64_t phys = p - dm_off_;
      if (!dm_known_ || phys < slab_phys || phys >= slab_phys + bytes) {
        auto t = k_.mem().vtop(p);
        if (!t) {
          rep_.note("freelist of " + c.name + " at " + hex(slab_phys) + ": " + t.error().message);
          bad_chains_++;
          return;
        }
        phys = *t;
        dm_off_ = p - phys;
        dm_known_ = true;
      }
      const uint64_t rel = phys - slab_phys;
      if (phys < slab_phys || rel < c.red_left_pad || (rel - c.red_left_pad) % c.size != 0 ||
          (rel - c.red_left_pad) / c.size >= objects || steps >= objects) {
        rep_.note("freelist of " + c.name + " in the slab at " + hex(slab_phys) +
                  " leaves the slab at " + hex(p) + "; the rest of that list is not erased");
        bad_chains_++;
        return;
      }
      const uint64_t i = (rel - c.red_left_pad) / c.size;
      if (free_[i]) return;  // the CPU and slab lists met, or a cycle
      free_[i] = true;
      const uint64_t fp_addr = p + c.offset;
      uint64_t raw = load<uint64_t>(mem_.data() + rel + c.offset, k_.mem().endian());
      p = c.random ? raw ^ *c.random ^ byteswap(fp_addr) : raw;
    }
  }

  const ScrubKernel& k_;
  const SlabIndex& idx_;
  EraseSet& out_;
  ClassReport& rep_;
  std::vector<std::byte> mem_;
  std::vector<bool> free_;
  uint64_t dm_off_ = 0;
  bool dm_known_ = false;
  uint64_t bad_chains_ = 0;
};

}  // namespace

Result<ClassReport> erase_free_slab_objects(const ScrubKernel& k, EraseSet& out) {
  ClassReport rep;
  rep.cls = "slab-free";
  DUMPFMT_TRY_ASSIGN(SlabLayout l, slab_layout(k));
  SlabIndex idx(k);
  FreeWalker w(k, idx, out, rep);
  const Endian e = k.mem().endian();

  // 1. Each CPU's freelist of its current slab, for every cache.
  std::map<Pfn, std::vector<uint64_t>> cpu_heads;
  DUMPFMT_TRY_ASSIGN(uint64_t caches_head, k.symbol("slab_caches"));
  DUMPFMT_TRY_ASSIGN(uint64_t list_off, k.offset("kmem_cache", "list"));
  DUMPFMT_TRY_ASSIGN(uint64_t c_free, k.offset("kmem_cache_cpu", "freelist"));
  DUMPFMT_TRY_ASSIGN(uint64_t c_slab, k.offset("kmem_cache_cpu", "slab"));
  DUMPFMT_TRY_ASSIGN(auto cpus, k.percpu_offsets());
  DUMPFMT_TRY(k.walk_list(caches_head, kMaxCaches, [&](uint64_t node) -> Status {
    auto c = idx.cache(node - list_off);
    if (!c) {
      rep.note(c.error().message);
      return ok();
    }
    for (uint64_t cpu_off : cpus) {
      const uint64_t cc = (*c)->cpu_slab + cpu_off;
      auto slab = k.ptr(cc + c_slab);
      auto fl = k.ptr(cc + c_free);
      if (!slab || !fl || *slab == 0 || *fl == 0) continue;
      if (auto pfn = k.page_to_pfn(*slab)) cpu_heads[*pfn].push_back(*fl);
    }
    return ok();
  }));

  // 2. Every slab, from the struct page array: its own freelist and the
  // CPU freelists of step 1.
  std::vector<std::byte> buf;
  std::vector<uint64_t> heads;
  for (const MemMapRange& r : k.mem_map().ranges) {
    for (Pfn first = r.first; first < r.end; first += kChunkPages) {
      const uint64_t n = std::min<uint64_t>(kChunkPages, r.end - first);
      buf.resize(n * l.psz);
      if (auto st = k.mem().read_virt(r.vaddr + (first - r.first) * l.psz, buf); !st) {
        rep.note("struct pages of PFN " + hex(first) + ": " + st.error().message);
        continue;
      }
      for (uint64_t i = 0; i < n; ++i) {
        std::span<const std::byte> sp(buf.data() + i * l.psz, l.psz);
        uint64_t flags = load<uint64_t>(sp.data() + l.flags_off, e);
        if (!((flags >> l.pg_slab) & 1)) continue;
        if (load<uint64_t>(sp.data() + l.head_off, e) & 1) continue;  // a tail page
        uint64_t cache = load<uint64_t>(sp.data() + l.cache_off, e);
        if (cache == 0) continue;
        heads.clear();
        heads.push_back(load<uint64_t>(sp.data() + l.freelist_off, e));
        if (auto it = cpu_heads.find(first + i); it != cpu_heads.end()) {
          heads.insert(heads.end(), it->second.begin(), it->second.end());
        }
        if (auto st = w.process(first + i, cache, field_of(sp, l.objects, e), heads); !st) {
          rep.note("slab at PFN " + hex(first + i) + ": " + st.error().message);
        }
      }
    }
  }
  if (w.bad_chains()) {
    rep.notes.push_back(
        strfmt("%llu freelists left their slab (damaged or changing at the "
               "crash); their remaining objects were not erased",
               static_cast<unsigned long long>(w.bad_chains())));
  }
  return rep;
}

}  // namespace dumpfmt::filters
