// dumpscrub's finders: the free pages makedumpfile cannot see (per-CPU free
// lists) and the kernel objects that hold secrets (key payloads, TTY and
// console buffers, pipe buffers, freed slab objects), each turning what it
// finds into EraseSet ranges. Layouts come from BTF; the walks follow Linux
// 6.1 (mm/page_alloc.c, mm/slub.c, security/keys/, drivers/tty/, fs/pipe.c).
//
// Each finder opens with a run of k.offset(type, member) lookups, which
// `duplicates` pairs by shape only: every run names other members, and each
// lookup already fails saying which member it could not find, so a shared
// table would not make them shorter or clearer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dumpfmt_filters/scrub_kernel.h"

namespace dumpfmt::filters {

/// What one finder did: objects found, bytes erased, and anything odd.
struct ClassReport {
  std::string cls;                 // "key", "tty", ...
  uint64_t objects = 0;            // objects whose secret part was erased
  uint64_t bytes = 0;              // bytes of those erasures
  std::vector<std::string> notes;  // skipped objects and why (at most a few)

  /// A skipped object: the first kMaxNotes are kept, enough to see what went
  /// wrong without a damaged dump filling the summary.
  static constexpr size_t kMaxNotes = 8;
  void note(std::string s) {
    if (notes.size() < kMaxNotes) notes.push_back(std::move(s));
  }
};

// ---- per-CPU free lists ----

struct PcpFreePages {
  PfnSet pages;               // every page of every block on a per-CPU list
  uint64_t lists = 0;         // lists walked (zones x CPUs x lists per CPU)
  uint64_t blocks = 0;        // list entries (a block of 2^order pages each)
  uint64_t kernel_count = 0;  // sum of per_cpu_pages.count (pages, per the kernel)
  uint64_t rejected = 0;      // entries not taken: struct page says "in use"
  std::vector<std::string> warnings;
};

/// Walks zone->per_cpu_pageset->lists[] of every zone of every online node
/// on every CPU. The order of a list follows from its index as 6.1's
/// order_to_pindex() lays them out: MIGRATE_PCPTYPES lists per order up to
/// PAGE_ALLOC_COSTLY_ORDER, then the THP list(s) of pageblock order; before
/// 5.14 (one list per migrate type) every entry is one page. A block is
/// taken only if its pages have a zero reference count. Needs BTF.
Result<PcpFreePages> find_pcp_free_pages(const ScrubKernel& k);

// ---- slab ----

/// Resolves pointers into SLUB objects (for key payloads and tests).
class SlabIndex {
 public:
  explicit SlabIndex(const ScrubKernel& k) : k_(k) {}
  struct Object {
    uint64_t start = 0;        // the object's address (what kmalloc returned)
    uint64_t object_size = 0;  // kmem_cache.object_size
    std::string cache;         // kmem_cache.name
  };
  /// The slab object containing `vaddr`, if `vaddr` points into a slab page.
  Result<std::optional<Object>> object_at(uint64_t vaddr) const;

  struct Cache {
    uint64_t addr = 0;
    std::string name;
    uint64_t size = 0, object_size = 0, offset = 0, red_left_pad = 0;
    std::optional<uint64_t> random;  // CONFIG_SLAB_FREELIST_HARDENED
    uint64_t cpu_slab = 0;
  };
  Result<const Cache*> cache(uint64_t kmem_cache_addr) const;

 private:
  const ScrubKernel& k_;
  mutable std::map<uint64_t, Cache> caches_;
};

/// Erases the free objects of every slab: each slab's own freelist (found
/// by scanning the struct page array for PG_slab heads) and each CPU's
/// kmem_cache_cpu.freelist. The free pointer word of each object is kept
/// (crash walks the freelists); the rest of object_size bytes is erased.
Result<ClassReport> erase_free_slab_objects(const ScrubKernel& k, EraseSet& out);

// ---- keys ----

/// Walks key_serial_tree (every struct key by serial) and erases each key's
/// payload: for "user"/"logon"-style payloads (struct user_key_payload) the
/// data bytes (datalen), for other types every slab object that
/// key.payload.data[0..3] points to; keyrings are skipped (their payload is
/// the index of their keys).
Result<ClassReport> erase_key_payloads(const ScrubKernel& k, EraseSet& out);

// ---- TTY, console, pipes ----

/// Erases what users typed or programs printed, as the kernel still holds
/// it: every tty_struct's flip buffers (tty_port.buf, in use and free list),
/// N_TTY's read_buf/echo_buf, tty.write_buf, each serial port's transmit
/// ring (uart_state.xmit), the VT screen buffers (vc_cons[].d->vc_screenbuf).
/// TTYs are found through tty_drivers[]->ttys[], the open files of every
/// task (ttys, /dev/console, ptys) and tty.link.
Result<ClassReport> erase_tty_buffers(const ScrubKernel& k, EraseSet& out);

/// Erases data in flight in pipes and FIFOs (pipe_buffer page ranges between
/// tail and head, and the spare tmp_page), found through every task's open
/// files. Pipe pages are kernel pages to makedumpfile, so -d 31 keeps them.
Result<ClassReport> erase_pipe_buffers(const ScrubKernel& k, EraseSet& out);

/// Every task (init_task.tasks) and its open files, deduplicated by
/// files_struct; calls f(file address, f_op, private_data). Shared by the
/// TTY and pipe finders.
Status for_each_open_file(
    const ScrubKernel& k,
    const std::function<Status(uint64_t file, uint64_t f_op, uint64_t private_data)>& f);

}  // namespace dumpfmt::filters
