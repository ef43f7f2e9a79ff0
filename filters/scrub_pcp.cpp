// Free pages on the per-CPU free lists (zone->per_cpu_pageset): freed pages
// the buddy allocator has not taken back, so struct page does not say "buddy"
// and makedumpfile -d 16 keeps them with their stale contents.
#include <algorithm>
#include <bit>
#include <set>

#include "dumpfmt/bytes.h"
#include "dumpfmt_filters/scrub.h"

namespace dumpfmt::filters {

namespace {

// MIGRATE_PCPTYPES and PAGE_ALLOC_COSTLY_ORDER of 5.14 and later.
constexpr uint64_t kPcpTypes = 3;
constexpr uint64_t kCostlyOrder = 3;
constexpr uint64_t kLowOrderLists = kPcpTypes * (kCostlyOrder + 1);
constexpr uint64_t kMaxListEntries = uint64_t{1} << 22;

// The order of the pages on list `pindex` of `nlists`, or nullopt for a
// layout we do not know.
std::optional<unsigned> list_order(uint64_t pindex, uint64_t nlists, unsigned thp_order) {
  if (nlists == kPcpTypes) return 0;  // before 5.14: one list per migrate type, order 0
  if (nlists < kLowOrderLists || nlists > kLowOrderLists + 2) return std::nullopt;
  if (pindex < kLowOrderLists) return static_cast<unsigned>(pindex / kPcpTypes);
  return thp_order;  // NR_PCP_THP: one list, or two (movable / other) in later kernels
}

struct NodeZones {
  std::vector<uint64_t> pgdats;
};

Result<NodeZones> online_nodes(const ScrubKernel& k) {
  NodeZones out;
  const auto& vmi = k.vmcoreinfo();
  auto node_data = k.symbol("node_data");
  if (!node_data) {
    // !NUMA: one node, contig_page_data.
    DUMPFMT_TRY_ASSIGN(uint64_t c, k.symbol("contig_page_data"));
    out.pgdats.push_back(c);
    return out;
  }
  uint64_t nr = vmi.length("node_data").value_or(1);
  if (nr == 0 || nr > 65536) return make_error(Errc::corrupt, "LENGTH(node_data) implausible");
  std::vector<bool> online(nr, false);
  if (auto map = k.symbol("node_online_map")) {
    uint64_t bytes =
        std::min<uint64_t>(vmi.size("nodemask_t").value_or((nr + 7) / 8), (nr + 7) / 8);
    std::vector<std::byte> raw(bytes);
    DUMPFMT_TRY(k.mem().read_virt(*map, raw));
    for (uint64_t i = 0; i < nr && i / 8 < bytes; ++i) {
      online[i] = (std::to_integer<unsigned>(raw[i / 8]) >> (i % 8)) & 1;
    }
  } else {
    online[0] = true;
  }
  for (uint64_t i = 0; i < nr; ++i) {
    if (!online[i]) continue;
    DUMPFMT_TRY_ASSIGN(uint64_t p, k.ptr(*node_data + 8 * i));
    if (p) out.pgdats.push_back(p);
  }
  return out;
}

}  // namespace

Result<PcpFreePages> find_pcp_free_pages(const ScrubKernel& k) {
  DUMPFMT_TRY(k.need_btf("the per-CPU free list walk"));
  PcpFreePages out;
  DUMPFMT_TRY_ASSIGN(uint64_t zones_off, k.offset("pglist_data", "node_zones"));
  DUMPFMT_TRY_ASSIGN(uint64_t nr_zones, k.array_len("pglist_data", "node_zones"));
  DUMPFMT_TRY_ASSIGN(uint64_t zone_size, k.size("zone"));
  DUMPFMT_TRY_ASSIGN(uint64_t pcp_off, k.offset("zone", "per_cpu_pageset"));
  DUMPFMT_TRY_ASSIGN(uint64_t lists_off, k.offset("per_cpu_pages", "lists"));
  DUMPFMT_TRY_ASSIGN(uint64_t nlists, k.array_len("per_cpu_pages", "lists"));
  DUMPFMT_TRY_ASSIGN(uint64_t count_off, k.offset("per_cpu_pages", "count"));
  // Pages sit on the lists by page.pcp_list (6.0+) or page.lru (same place).
  auto link = k.offset("page", "pcp_list");
  if (!link) link = k.offset("page", "lru");
  if (!link) return std::move(link).error();
  DUMPFMT_TRY_ASSIGN(uint64_t ref_off, k.offset("page", "_refcount"));
  DUMPFMT_TRY_ASSIGN(auto cpus, k.percpu_offsets());
  DUMPFMT_TRY_ASSIGN(NodeZones nodes, online_nodes(k));

  const uint32_t ps = k.page_size();
  const unsigned thp_order = static_cast<unsigned>(std::countr_zero(ps) - 3);
  const uint64_t psz = k.mem_map().page_struct_size;
  if (psz == 0) return make_error(Errc::invalid_argument, "no struct page array");
  for (uint64_t i = 0; i < nlists; ++i) {
    if (!list_order(i, nlists, thp_order)) {
      out.warnings.push_back(
          strfmt("per_cpu_pages has %llu lists, a layout this dumpscrub does "
                 "not know; per-CPU free pages are not dropped",
                 static_cast<unsigned long long>(nlists)));
      return out;
    }
  }

  std::set<uint64_t> seen_pcp;
  std::vector<std::byte> structs;
  for (uint64_t pgdat : nodes.pgdats) {
    for (uint64_t z = 0; z < nr_zones; ++z) {
      const uint64_t zone = pgdat + zones_off + z * zone_size;
      DUMPFMT_TRY_ASSIGN(uint64_t pcp_ptr, k.ptr(zone + pcp_off));
      if (pcp_ptr == 0) continue;
      for (uint64_t cpu_off : cpus) {
        const uint64_t pcp = pcp_ptr + cpu_off;
        if (!seen_pcp.insert(pcp).second) continue;  // boot_pageset shared by empty zones
        DUMPFMT_TRY_ASSIGN(uint32_t cnt, k.u32(pcp + count_off));
        out.kernel_count += cnt;
        for (uint64_t li = 0; li < nlists; ++li) {
          const unsigned order = *list_order(li, nlists, thp_order);
          const uint64_t head = pcp + lists_off + li * 16;
          out.lists++;
          auto st = k.walk_list(head, kMaxListEntries, [&](uint64_t node) -> Status {
            const uint64_t page = node - *link;
            auto pfn = k.page_to_pfn(page);
            if (!pfn) {
              out.rejected++;
              return ok();
            }
            out.blocks++;
            // Every page of the block must be unreferenced.
            const uint64_t n = uint64_t{1} << order;
            structs.resize(n * psz);
            DUMPFMT_TRY(k.mem().read_virt(page, structs));
            for (uint64_t j = 0; j < n; ++j) {
              if (load<uint32_t>(structs.data() + j * psz + ref_off, k.mem().endian()) != 0) {
                out.rejected++;
                return ok();
              }
            }
            out.pages.insert_range(*pfn, *pfn + n);
            return ok();
          });
          if (!st) {
            out.warnings.push_back("per-CPU list " + hex(head) + ": " + st.error().message);
          }
        }
      }
    }
  }
  if (out.pages.count() != out.kernel_count) {
    out.warnings.push_back(strfmt("per-CPU lists hold %llu pages, the kernel's counters say %llu",
                                  static_cast<unsigned long long>(out.pages.count()),
                                  static_cast<unsigned long long>(out.kernel_count)));
  }
  return out;
}

}  // namespace dumpfmt::filters
