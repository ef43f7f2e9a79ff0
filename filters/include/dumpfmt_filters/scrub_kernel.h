// dumpscrub's view of the dumped kernel: memory reads through KernelReader
// (KernelMemory in the tool, a fake in tests), symbols from
// kallsyms, types from BTF, the struct page array; and the EraseSet that
// collects what to overwrite and rewrites pages in the pipeline.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/kernel/btf.h"
#include "dumpfmt/kernel/kallsyms.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/kernel/vmcoreinfo.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"

namespace dumpfmt::filters {

/// Everything the walkers need to know about the dumped kernel. Lookups are
/// cached; not thread-safe (the walkers run before the page pipeline).
class ScrubKernel {
 public:
  /// `btf` may be null: then every lookup that needs a type fails with
  /// not_built/unsupported and says so.
  ScrubKernel(const KernelReader& mem, const Kallsyms& syms, const Btf* btf, const VmcoreInfo& vmi,
              MemMap mem_map);

  const KernelReader& mem() const { return mem_; }
  const Kallsyms& syms() const { return syms_; }
  const Btf* btf() const { return btf_; }
  const VmcoreInfo& vmcoreinfo() const { return vmi_; }
  const MemMap& mem_map() const { return mem_map_; }
  uint32_t page_size() const { return mem_.page_size(); }

  /// The address of a kernel symbol: VMCOREINFO's SYMBOL() first, then the
  /// only kallsyms symbol of that name. Errors: no_data naming the symbol.
  Result<uint64_t> symbol(std::string_view name) const;

  // The walkers' short names for KernelReader's typed reads.
  Result<uint8_t> u8(uint64_t vaddr) const { return mem_.read_u8(vaddr); }
  Result<uint16_t> u16(uint64_t vaddr) const { return mem_.read_u16(vaddr); }
  Result<uint32_t> u32(uint64_t vaddr) const { return mem_.read_u32(vaddr); }
  Result<uint64_t> u64(uint64_t vaddr) const { return mem_.read_u64(vaddr); }
  Result<uint64_t> ptr(uint64_t vaddr) const { return u64(vaddr); }
  /// `n` pointers from vaddr (a C array of pointers), read in one go.
  Result<std::vector<uint64_t>> ptr_array(uint64_t vaddr, uint32_t n) const;
  Result<std::string> cstring(uint64_t vaddr, size_t max_len) const {
    return mem_.read_cstring(vaddr, max_len);
  }
  /// An unsigned bitfield or plain integer member (1-8 bytes) of the struct at `base`.
  Result<uint64_t> field(uint64_t base, const Btf::Member& m) const;

  /// BTF: byte offset of `member` ("a.b" allowed) in struct `type`; falls
  /// back to VMCOREINFO's OFFSET(type.member) without BTF.
  Result<uint64_t> offset(std::string_view type, std::string_view member) const;
  Result<Btf::Member> member(std::string_view type, std::string_view member) const;
  /// sizeof a named type (BTF, else VMCOREINFO SIZE()).
  Result<uint64_t> size(std::string_view type) const;
  /// Element count of an array member (BTF).
  Result<uint64_t> array_len(std::string_view type, std::string_view member) const;
  /// Fails unless BTF is there; `what` names the walker for the message.
  Status need_btf(std::string_view what) const;

  /// __per_cpu_offset[0 .. nr_cpu_ids): the address of a per-CPU variable
  /// or pointer P on CPU n is P + offsets[n].
  Result<std::vector<uint64_t>> percpu_offsets() const;

  /// Calls f(node) for every node of the circular list whose head is at
  /// `head` (the head itself excluded). Errors: corrupt after `limit` nodes
  /// (a cycle that never returns to the head), and what reading reports.
  Status walk_list(uint64_t head, uint64_t limit, const std::function<Status(uint64_t)>& f) const;
  /// Calls f(node) for every rb_node of the tree whose rb_root is at `root`,
  /// in order. Errors: corrupt beyond `limit` nodes or depth 256.
  Status walk_rbtree(uint64_t root, uint64_t limit, const std::function<Status(uint64_t)>& f) const;

  /// struct page address <-> PFN through the struct page array.
  std::optional<Pfn> page_to_pfn(uint64_t page_vaddr) const;
  std::optional<uint64_t> pfn_to_page(Pfn pfn) const;

 private:
  const KernelReader& mem_;
  const Kallsyms& syms_;
  const Btf* btf_;
  const VmcoreInfo& vmi_;
  MemMap mem_map_;
  std::vector<MemMapRange> by_vaddr_;
  mutable std::map<std::string, Result<uint64_t>, std::less<>> cache_;
  mutable std::optional<std::vector<uint64_t>> percpu_;
};

/// One line of the summary and of the eraseinfo text: what was erased (as
/// "erase WHAT size BYTES"), by which class or rule.
struct EraseItem {
  std::string cls;   // "key", "tty", "slab-free", "rule", ...
  std::string what;  // makedumpfile's <symbol_expr> form, e.g. "key(909599110).payload.data"
  uint64_t bytes = 0;
  uint64_t count = 0;  // ranges merged into this item
};

/// Physical byte ranges to overwrite, each tied to an EraseItem. Built
/// single-threaded; after finish(), apply() is thread-safe.
class EraseSet {
 public:
  explicit EraseSet(uint32_t page_size) : page_size_(page_size) {}

  /// Erases [vaddr, vaddr + len) of kernel virtual memory, translated page by
  /// page; ranges with the same (cls, what) are one item. `zero`: write
  /// zeros instead of the fill pattern (nullify). Errors from translation.
  Status add_virt(const KernelReader& mem, uint64_t vaddr, uint64_t len, std::string_view cls,
                  std::string_view what, bool zero = false);
  void add_phys(uint64_t paddr, uint64_t len, std::string_view cls, std::string_view what,
                bool zero = false);
  /// Sorts and merges the ranges; call once before apply().
  void finish();

  bool empty() const { return ranges_.empty(); }
  const std::vector<EraseItem>& items() const { return items_; }
  /// PFNs with at least one erased byte (after finish()).
  PfnSet pages() const;
  /// Overwrites the erased bytes of page `pfn`; returns how many bytes were overwritten.
  uint64_t apply(Pfn pfn, std::span<std::byte> page, std::byte fill) const;
  /// "erase WHAT size N\n" per item, in the order the items were first added.
  std::string eraseinfo() const;

 private:
  struct Range {
    uint64_t paddr = 0;
    uint64_t len = 0;
    bool zero = false;
  };
  uint32_t item_index(std::string_view cls, std::string_view what);

  uint32_t page_size_;
  std::vector<Range> ranges_;
  std::vector<EraseItem> items_;
  std::map<std::pair<std::string, std::string>, uint32_t> index_;
};

}  // namespace dumpfmt::filters
