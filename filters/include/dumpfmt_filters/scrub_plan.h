// dumpscrub's plan: everything between "the dump is open" and "write it".
// The kernel model (VMCOREINFO, kallsyms, BTF from the dump or a vmlinux, the
// struct page array), the pages a profile drops (makedumpfile's classes and
// the per-CPU free lists), the objects it erases in place (the finders, the
// built-in RNG rules, the user's rules), the output's eraseinfo and the page
// transform that applies it all while writing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt/pfn_set.h"
#include "dumpfmt/result.h"
#include "dumpfmt_filters/scrub.h"
#include "dumpfmt_filters/scrub_kernel.h"
#include "dumpfmt_filters/scrub_rules.h"

namespace dumpfmt::filters {

struct ScrubOptions {
  std::string profile;       // "share", "upload" or "" (user rules only)
  bool keep_layout = false;  // overwrite dropped pages with `fill` instead of leaving them out
  uint8_t fill = 0x58;       // makedumpfile's 'X'
  std::string vmlinux;       // read BTF from this file instead of the dump's memory
  bool skip_unavailable = false;
  std::string format = "kdump";  // the output format (see scrub_dump_level)
  unsigned threads = 0;          // for the page classification (0: all CPUs)
  RuleSet user_rules;
  /// Every warning, as it arises.
  std::function<void(const std::string&)> warn;
  /// Each step this kernel cannot do (no kallsyms, no struct page array, a
  /// structure a finder needs), with why. Without skip_unavailable the
  /// first one ends the plan: it fails with that step's error right after.
  std::function<void(const std::string& step, const Error& why)> unavailable;
  /// The page classification: its start, progress and end (a display
  /// shows just that step and ends its line before the plan warns again).
  std::function<void()> classify_begin;
  std::function<void(uint64_t done, uint64_t total)> classify_progress;
  std::function<void()> classify_end;
};

/// What the plan does and what it found: the data of dumpscrub's summary.
struct ScrubSummary {
  std::string profile;  // ScrubOptions' profile, keep_layout, fill
  bool keep_layout = false;
  uint8_t fill = 0x58;
  std::string btf_source;   // "dump", "vmlinux PATH", "" (none)
  PageClassCounts dropped;  // pages excluded (or filled) by class
  uint64_t pcp_free = 0;    // pages on per-CPU free lists dropped
  uint64_t pages_in = 0, pages_out = 0;
  std::vector<ClassReport> classes;
  std::vector<RuleReport> rules;
  std::vector<EraseItem> items;
};

/// What to write: hand info, ram and pages to write_dump with transform().
struct ScrubPlan {
  explicit ScrubPlan(uint32_t page_size) : erase(page_size) {}

  DumpInfo info;   // the source's, with our eraseinfo, dump level and max_pfn
  PfnSet ram;      // the RAM the output describes
  PfnSet pages;    // the pages to write
  PfnSet dropped;  // the pages the profile drops (filled under keep_layout)
  EraseSet erase;  // finished
  ScrubSummary summary;

  /// The pipeline's page transform; refers to this plan, which must outlive
  /// the write and stay where it is.
  std::function<Status(Pfn, std::span<std::byte>)> transform() const;
};

/// Builds the kernel model over `src` and plans the scrub. Errors: the
/// kernel memory cannot be set up, the vmlinux has no usable BTF, the
/// classification fails, the user's rules cannot be applied, and a step
/// reported to o.unavailable without o.skip_unavailable.
Result<ScrubPlan> plan_scrub(const PageSource& src, const ScrubOptions& o);

// ---- the plan's parts (plan_scrub uses them; tests call them alone) ----

/// The makedumpfile dump level of the profile: 0 without one; 31 for kdump
/// output; 30 (zero pages stay) under keep_layout and in other formats: in
/// ELF a left-out zero page is a hole, and makedumpfile --dump-dmesg fails
/// on a hole in the printk ring where it would read a zero page.
uint32_t scrub_dump_level(const ScrubOptions& o);

/// The kernel the steps read, and what it lacks: a step needs kallsyms and
/// the struct page array.
struct ScrubModel {
  const ScrubKernel& kernel;
  std::optional<Error> no_kallsyms;  // why kallsyms could not be read
  std::optional<Error> no_mem_map;   // why the struct page array was not found
  /// ok, or why step `what` cannot run.
  Status ready(const std::string& what) const;
};

/// The in-place erasures into `erase` (finished afterwards) and `summary`:
/// under profile upload the finders (key payloads, TTY and console buffers,
/// pipe buffers, freed slab objects) and the built-in RNG rules (at least
/// one must match), then the user's rules (which must be applicable).
Status plan_erasures(const ScrubModel& m, const ScrubOptions& o, EraseSet& erase,
                     ScrubSummary& summary);

/// The output's eraseinfo: the source's (`source`, ending in a newline),
/// then `erase`'s lines, then under keep_layout the filled pages as
/// "erase pages(PROFILE) size BYTES" when there are any.
std::string scrub_eraseinfo(std::string_view source, const EraseSet& erase, const ScrubOptions& o,
                            uint64_t dropped_bytes);

/// Under keep_layout a page of `dropped` becomes all `fill`; every other
/// page gets `erase` applied. Refers to `dropped` and `erase`.
std::function<Status(Pfn, std::span<std::byte>)> scrub_transform(const PfnSet& dropped,
                                                                 const EraseSet& erase,
                                                                 uint8_t fill, bool keep_layout);

}  // namespace dumpfmt::filters
