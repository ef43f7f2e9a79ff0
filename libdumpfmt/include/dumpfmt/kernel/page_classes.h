// Page classes decided from struct page (flags, mapping, _mapcount/page type,
// compound pages, buddy order) with VMCOREINFO's offsets and NUMBER(PG_*)
// values, with exactly makedumpfile's dump_level meaning (docs/formats.md §2.3).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/kernel/vmcoreinfo.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

enum class PageClass : uint8_t {
  kernel,         // none of the classes below: kept at every dump level
  zero,           // all-zero contents (decided from the data, never from struct page)
  cache,          // page cache without private data (LRU or swap cache, not anonymous)
  cache_private,  // page cache with PG_private (buffer heads, fs-private data)
  user,           // anonymous pages (incl. swap cache) and hugetlbfs pages
  free,           // free pages in the buddy allocator (and unaccepted memory)
  hwpoison,       // PG_hwpoison: reading them could machine-check
  offline,        // logically offline (balloon drivers, virtio-mem)
};
constexpr size_t kPageClassCount = 8;

/// "kernel", "zero", "cache", "private", "user", "free", "hwpoison", "offline".
std::string_view page_class_name(PageClass c);
/// Inverse of page_class_name(); also accepts "cache_private".
std::optional<PageClass> page_class_from_name(std::string_view name);

/// makedumpfile's dump_level bits (-d): what each level excludes.
enum DumpLevelBits : uint32_t {
  kDumpLevelZero = 1,
  kDumpLevelCache = 2,         // page cache without private data
  kDumpLevelCachePrivate = 4,  // page cache with or without private data
  kDumpLevelUser = 8,
  kDumpLevelFree = 16,
  kDumpLevelMax = 31,
};
/// The dump_level bit that excludes class `c` (0 for kernel, hwpoison and
/// offline, which no bit controls).
uint32_t dump_level_bit(PageClass c);
/// "zero,cache,private,user,free" → 31; error names an unknown class.
Result<uint32_t> dump_level_from_names(std::string_view comma_separated);

/// Pages per class.
struct PageClassCounts {
  std::array<uint64_t, kPageClassCount> pages{};
  uint64_t& operator[](PageClass c) { return pages[static_cast<size_t>(c)]; }
  uint64_t operator[](PageClass c) const { return pages[static_cast<size_t>(c)]; }
  uint64_t total() const;
};

/// The fields of one struct page the classification looks at (for
/// diagnostics and tests).
struct PageStruct {
  uint64_t flags = 0;
  uint64_t mapping = 0;
  uint64_t private_ = 0;       // page.private (buddy order of a free block head)
  uint64_t compound_head = 0;  // bit 0 set: a tail page
  uint32_t mapcount = 0;       // page._mapcount / page_type, raw 32 bits
  uint32_t refcount = 0;
};

struct ClassifyOptions {
  /// makedumpfile -d bits to look for; bit 1 (zero) is ignored here, zero
  /// pages are found from the data by the page pipeline. hwpoison and
  /// offline pages are reported whenever the struct pages are examined, as
  /// makedumpfile excludes them at every level that examines struct pages.
  uint32_t dump_level = kDumpLevelMax;
  /// Bytes of struct page array read per step; bounds memory use.
  size_t chunk_bytes = size_t{4} << 20;
  /// Called now and then with PFNs examined so far and in total.
  std::function<void(uint64_t done, uint64_t total)> progress;
  /// Run self_check() on the result. Off when the PFNs are classified in
  /// windows: the kernel's counters describe the whole machine, so only the
  /// sum of the windows' statistics can be checked against them.
  bool self_check = true;
};

struct ClassifyStats {
  PageClassCounts excluded;           // pages of `pfns` reported, by class
  uint64_t examined = 0;              // PFNs whose struct page was looked at
  uint64_t no_struct_page = 0;        // PFNs of `pfns` outside the struct page array
  uint64_t unreadable = 0;            // PFNs whose struct page could not be read (kept)
  std::string first_unreadable;       // why, for the first such chunk
  std::vector<std::string> warnings;  // self-check findings (implausible results)

  /// Adds another walk's counts (of PFNs disjoint from this one's).
  void add(const ClassifyStats& o);
};

/// Decides page classes from the struct page array. Immutable after creation
/// and thread-safe; it holds references to the memory and VMCOREINFO it was
/// created from, which must outlive it.
class PageClassifier {
 public:
  /// Locates the struct page array and reads the offsets and PG_* numbers.
  /// Errors: invalid_argument naming the VMCOREINFO keys that are missing
  /// for even the basic classes (SIZE(page), OFFSET(page.flags), ...).
  static Result<PageClassifier> create(const KernelMemory& km);
  /// Same with a struct page array found (or built, in tests) elsewhere.
  static Result<PageClassifier> create(const KernelMemory& km, MemMap mem_map);
  /// Same over any kernel memory, with its VMCOREINFO.
  static Result<PageClassifier> create(const KernelReader& mem, const VmcoreInfo& vmi,
                                       MemMap mem_map);

  const MemMap& mem_map() const { return mem_map_; }
  /// The dump_level bits this VMCOREINFO supports (zero is always possible).
  uint32_t supported_dump_level() const;
  /// ok() if every bit of `dump_level` is supported, else an error saying
  /// which class needs which missing key.
  Status check(uint32_t dump_level) const;

  /// Examines the struct page of every PFN of `pfns` (normally the dump's
  /// RAM) in PFN order, reading the array in chunks, and calls
  /// emit(first, end, class) for each run of pages that dump_level excludes
  /// (hwpoison and offline included, see ClassifyOptions). A run may extend
  /// past `pfns` (a free block or compound page is reported whole, as
  /// makedumpfile clears it whole); runs come in ascending order and do not
  /// overlap. Follows makedumpfile's decision order: free, cache, private
  /// cache, user, hwpoison, offline. After the walk a self-check compares the
  /// result with the kernel's own counters (free pages per zone) and fills
  /// ClassifyStats::warnings when a class looks implausible.
  Result<ClassifyStats> classify(
      const PfnSet& pfns, const ClassifyOptions& opts,
      const std::function<void(Pfn first, Pfn end, PageClass c)>& emit) const;

  /// Convenience: the pages of `pfns` that dump_level keeps (pfns minus every
  /// reported run), with the statistics.
  Result<std::pair<PfnSet, ClassifyStats>> kept_pages(const PfnSet& pfns,
                                                      const ClassifyOptions& opts) const;

  /// The self-check classify() runs unless told not to: warnings for a
  /// class that looks implausible against the kernel's own counters, and
  /// for struct pages that could not be read.
  std::vector<std::string> self_check(const ClassifyStats& st, uint32_t dump_level) const;

  /// Reads and decodes the struct page of one PFN.
  Result<PageStruct> read_page_struct(Pfn pfn) const;
  /// The class of one page from its own struct page (and, for a compound
  /// head, the next one) with every class enabled; `order` receives how many
  /// pages (log2) the decision covers: a free block or compound page head
  /// speaks for 2^order pages. Tail pages and pages inside a free block are
  /// PageClass::kernel here; classify() skips them through their head.
  Result<PageClass> classify_pfn(Pfn pfn, unsigned* order = nullptr) const;

  /// The kernel's count of free pages (sum of NR_FREE_PAGES over the zones
  /// of online nodes), when VMCOREINFO allows reading it.
  Result<uint64_t> kernel_free_pages() const;

 private:
  struct Layout;  // offsets and PG_* values, resolved once
  PageClassifier(const KernelReader& mem, const VmcoreInfo& vmi, MemMap mm,
                 std::shared_ptr<const Layout> layout);

  const KernelReader* mem_;
  const VmcoreInfo* vmi_;
  MemMap mem_map_;
  std::shared_ptr<const Layout> layout_;
};

}  // namespace dumpfmt
