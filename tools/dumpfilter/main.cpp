// dumpfilter: shrink a crash dump to what a kernel developer needs by
// excluding page classes (zero, page cache, user, free pages) exactly as
// makedumpfile's -d does, from VMCOREINFO alone, and write it in any format.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "common/cli.h"
#include "common/cli_options.h"
#include "dumpfmt/format.h"
#include "dumpfmt/write.h"
#include "dumpfmt_filters/page_filter.h"

using namespace dumpfmt;

namespace {

constexpr const char* kTool = "dumpfilter";
constexpr uint64_t kDefaultBudget = uint64_t{64} << 20;  // a capture kernel's crashkernel share

struct Options {
  std::vector<std::string> paths;  // INPUT... OUTPUT
  int dump_level = -1;
  std::string exclude;
  cli::CodecChoice codec;
  bool elf = false;
  bool flattened = false;
  bool quiet = false;
  bool keep_going = false;
  bool dry_run = false;
  unsigned threads = 0;
  int level = 0;
  std::string budget;
  uint64_t cycle_pages = 0;
  std::string io = "auto";
};

// What the classification found, over the whole dump or summed over cycles.
struct Findings {
  ClassifyStats stats;
  std::vector<std::string> notes;
  uint64_t beyond_mem_map = 0;
  std::optional<Pfn> mem_map_end;
  bool classified = false;
  uint64_t zero_pages_removed = 0;
  uint64_t kept = 0;
  Pfn top = 0;             // one past the highest PFN kept or RAM
  uint64_t set_bytes = 0;  // the page sets' memory (the largest cycle's)

  void add(const filters::FilterResult& fr) {
    stats.add(fr.stats);
    if (notes.empty()) notes = fr.notes;
    beyond_mem_map += fr.beyond_mem_map;
    mem_map_end = fr.mem_map_end;
    classified = classified || fr.classified;
    zero_pages_removed += fr.zero_pages_removed;
    kept += fr.kept.count();
    top = std::max({top, fr.kept.end_bound(), fr.ram.end_bound()});
    set_bytes = std::max<uint64_t>(set_bytes, fr.kept.memory_bytes() + fr.ram.memory_bytes());
  }
};

std::string class_summary(const PageClassCounts& c) {
  std::string s;
  for (PageClass k : {PageClass::cache, PageClass::cache_private, PageClass::user, PageClass::free,
                      PageClass::hwpoison, PageClass::offline}) {
    if (!s.empty()) s += ", ";
    s += strfmt("%s %llu", std::string(page_class_name(k)).c_str(),
                static_cast<unsigned long long>(c[k]));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Exclude page classes from a kernel crash dump, as makedumpfile -d does, using only the\n"
      "dump's VMCOREINFO; write kdump-compressed (default), ELF (-E) or flattened (-F) output.\n"
      "INPUT may be several files (the parts of a split dump); '-' is stdin/stdout.",
      kTool};
  app.get_formatter()->column_width(32);
  app.add_option("paths", o.paths, "INPUT... OUTPUT")->type_name("FILE");
  app.add_option("-d,--dump-level", o.dump_level,
                 "makedumpfile dump level 0-31: sum of 1 zero, 2 cache, 4 cache with private "
                 "data (and all cache), 8 user, 16 free pages (default 31)")
      ->check(CLI::Range(0, 31));
  app.add_option("--exclude", o.exclude,
                 "classes to exclude by name, comma-separated: zero, cache, private, user, free "
                 "(added to -d)")
      ->type_name("LIST");
  cli::add_codec_options(app, o.codec, "kdump-compressed output");
  app.add_option("--level", o.level, "codec level (default: the fastest, as makedumpfile)");
  app.add_flag("-E", o.elf, "ELF vmcore output");
  app.add_flag("-F,--flatten", o.flattened, "write makedumpfile's flattened form (for pipes)");
  app.add_option("--num-threads", o.threads, "compression threads (default: all CPUs available)");
  app.add_option("--memory-budget", o.budget,
                 "memory for buffers and page sets, e.g. 32M (default 64M, for a capture kernel)")
      ->type_name("SIZE");
  app.add_option("--cycle-pages", o.cycle_pages,
                 "classify and write kdump output in cycles of this many PFNs (default: cycles "
                 "only when the page sets would not fit in the memory budget)")
      ->type_name("PAGES")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 52));
  cli::add_io_option(app, o.io);
  app.add_flag("--keep-going", o.keep_going,
               "write unreadable pages as zeros, report them, exit 3 (default: stop)");
  app.add_flag("-n,--dry-run", o.dry_run,
               "classify and print what would be excluded; write nothing (no OUTPUT)");
  app.add_flag("-q,--quiet", o.quiet, "no progress or summary on stderr");
  // Accepted so that a kdump configuration written for makedumpfile
  // ("makedumpfile -l --message-level 7 -d 31") works unchanged.
  int message_level = 0;
  app.add_option("--message-level", message_level, "ignored (makedumpfile compatibility)")
      ->group("");
  cli::add_version_flag(app, kTool);
  app.footer(
      "Examples:\n"
      "  dumpfilter -d 31 -l /proc/vmcore /var/crash/vmcore     (kdump's usual core_collector)\n"
      "  dumpfilter -d 31 -F /proc/vmcore - | ssh host 'dumpconv -R vmcore'\n"
      "Exit status: 0 success, 1 failure, 2 usage error, 3 done with unreadable pages.\n"
      "See dumpfilter(1).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }

  uint32_t dl = o.dump_level < 0 ? (o.exclude.empty() ? uint32_t{kDumpLevelMax} : 0u)
                                 : static_cast<uint32_t>(o.dump_level);
  if (!o.exclude.empty()) {
    auto bits = dump_level_from_names(o.exclude);
    if (!bits) {
      cli::print_error(kTool, bits.error());
      return cli::kExitUsage;
    }
    dl |= *bits;
  }
  const size_t need = o.dry_run ? 1 : 2;
  if (o.paths.size() < need) {
    cli::print_error(kTool,
                     o.dry_run ? "need INPUT (see --help)" : "need INPUT and OUTPUT (see --help)");
    return cli::kExitUsage;
  }
  auto codec = cli::resolve_codec(o.codec, CodecId::zlib, kTool);
  if (!codec) {
    cli::print_error(kTool, codec.error());
    return cli::kExitUsage;
  }
  uint64_t budget = kDefaultBudget;
  if (!o.budget.empty()) {
    auto b = cli::parse_size(o.budget);
    if (!b || *b < (uint64_t{4} << 20)) {
      cli::print_error(kTool, "--memory-budget wants a size of at least 4M, e.g. 32M");
      return cli::kExitUsage;
    }
    budget = *b;
  }

  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - (o.dry_run ? 0 : 1));
  OpenOptions oo = cli::open_options(kTool, o.io);
  auto src = open_dump(inputs, oo);
  if (!src) {
    cli::print_error(kTool, src.error());
    return cli::kExitFailure;
  }
  const PageSource& s = **src;
  // The budget is shared out: the struct page reads get a sixteenth, the
  // pipeline's two batch buffers (raw page + compressed page per slot) a
  // quarter; the rest is for the page sets and the reader.
  const std::string format = o.elf ? "elf" : "kdump";
  filters::FilterOptions fo;
  fo.dump_level = dl;
  fo.scan_zero_pages = format == "elf" || o.dry_run;
  fo.threads = o.threads;
  fo.chunk_bytes = static_cast<size_t>(std::clamp<uint64_t>(budget / 16, 64 << 10, 1 << 20));
  cli::Progress classify_progress(kTool, "filtering", o.quiet);
  bool classifying = true;  // the second pass over the cycles shows the writing progress only
  fo.progress = [&](const char*, uint64_t d, uint64_t t) {
    if (classifying) classify_progress.update(d, t);
  };
  auto wf = filters::WindowFilter::create(s, fo);
  if (!wf) {
    cli::print_error(kTool, wf.error());
    return wf.error().code == Errc::unsupported ? cli::kExitUsage : cli::kExitFailure;
  }
  filters::WindowFilter& filter = **wf;

  // Cycles: the page sets cost up to a bit per PFN each, and four are alive
  // at once (kept, RAM, the classifier's and the writer's copies), so half
  // the budget holds the sets of `budget` PFNs. A bigger machine is classified
  // and written in cycles of that many PFNs, as makedumpfile does, at the
  // cost of classifying twice (once to count the pages, once to write them).
  uint64_t cycle = o.cycle_pages ? (o.cycle_pages + 63) / 64 * 64
                                 : std::max(PfnSet::kChunkPfns,
                                            budget / PfnSet::kChunkPfns * PfnSet::kChunkPfns);
  const bool cycles = (format == "kdump" || o.dry_run) && filter.end() > cycle;
  if (o.cycle_pages && format != "kdump" && !o.dry_run) {
    cli::print_error(kTool,
                     "--cycle-pages needs kdump output: ELF (-E) program headers are laid "
                     "out from the whole page set");
    return cli::kExitUsage;
  }
  if (!cycles) cycle = std::max<uint64_t>(filter.end(), 1);

  Findings found;
  std::optional<filters::FilterResult> whole;  // without cycles: the one result, kept for writing
  // At least one window, so that an empty dump still gets its (empty) result.
  Pfn first = 0;
  do {
    const Pfn last = filter.end() - first > cycle ? first + cycle : filter.end();
    auto fr = filter.window(first, last);
    if (!fr) {
      classify_progress.finish();
      cli::print_error(kTool, fr.error());
      return fr.error().code == Errc::unsupported ? cli::kExitUsage : cli::kExitFailure;
    }
    found.add(*fr);
    if (!cycles) whole = std::move(*fr);
    first = last;
  } while (first < filter.end());
  classify_progress.finish();
  classifying = false;
  for (const auto& w : filter.self_check(found.stats)) found.stats.warnings.push_back(w);

  for (const auto& w : found.stats.warnings) cli::print_warning(kTool, w);
  if (!o.quiet) {
    for (const auto& n : found.notes) {
      cli::print_warning(kTool, "kernel page metadata not used: " + n);
    }
    if (found.beyond_mem_map) {
      std::fprintf(stderr,
                   "%s: %llu pages at or above PFN %s have no struct page (not memory the "
                   "kernel managed) and are left out, as makedumpfile does\n",
                   kTool, static_cast<unsigned long long>(found.beyond_mem_map),
                   hex(*found.mem_map_end).c_str());
    }
    if (cycles) {
      std::fprintf(stderr, "%s: classified in %llu cycles of %llu pages\n", kTool,
                   static_cast<unsigned long long>((filter.end() + cycle - 1) / cycle),
                   static_cast<unsigned long long>(cycle));
    }
  }
  // Without cycles (ELF output) the page sets can outgrow the budget (at
  // most a bit per page of the dumped machine): say so when they take more
  // than half of it.
  if (found.set_bytes > budget / 2) {
    cli::print_warning(
        kTool, strfmt("the page sets take %s, more than half the memory budget of "
                      "%s",
                      cli::human_bytes(found.set_bytes).c_str(), cli::human_bytes(budget).c_str()));
  }
  const uint64_t present = s.present().count();
  if (!o.quiet || o.dry_run) {
    std::fprintf(stderr, "%s: dump level %u: %llu of %llu pages excluded by class (%s)%s\n", kTool,
                 dl, static_cast<unsigned long long>(found.stats.excluded.total()),
                 static_cast<unsigned long long>(present),
                 class_summary(found.stats.excluded).c_str(),
                 found.classified ? "" : " [no struct pages examined]");
  }
  if (o.dry_run) {
    std::fprintf(stderr, "%s: zero pages: %llu; pages kept: %llu\n", kTool,
                 static_cast<unsigned long long>(found.zero_pages_removed),
                 static_cast<unsigned long long>(found.kept));
    return cli::kExitOk;
  }

  DumpInfo info = s.info();
  info.dump_level = dl;
  if (found.mem_map_end && info.max_pfn > *found.mem_map_end) info.max_pfn = *found.mem_map_end;
  WriteJob job;
  job.output = o.paths.back();
  job.format = format;
  job.flattened = o.flattened;
  job.write.codec = *codec;
  job.write.level = o.level;
  job.write.dump_level = dl;
  job.write.warn = oo.warn;
  job.pipeline.threads = o.threads;
  job.pipeline.level = o.level;
  job.pipeline.keep_going = o.keep_going;
  // Batches beyond 256 pages buy no speed (workers move on to the next batch
  // while one is written), so a large budget is not spent on them.
  const uint64_t slot = uint64_t{s.info().page_size} * 2 + 1024;
  job.pipeline.batch_pages =
      static_cast<size_t>(std::clamp<uint64_t>(budget / 4 / (2 * slot), 16, 256));
  // With cycles the second pass classifies each window again as it is written.
  auto next_window = [&](Pfn a, Pfn b) -> Result<WindowSets> {
    DUMPFMT_TRY_ASSIGN(filters::FilterResult fr, filter.window(a, b));
    return WindowSets{std::move(fr.ram), std::move(fr.kept)};
  };
  if (cycles) filter.restart();
  auto stats = cli::with_progress(kTool, "writing " + format, o.quiet, job.pipeline, [&] {
    return cycles ? write_dump_windowed(s, info, found.top, found.kept, cycle, next_window, job)
                  : write_dump(s, info, whole->ram, whole->kept, job);
  });
  if (!stats) {
    cli::print_error(kTool, stats.error());
    return cli::kExitFailure;
  }
  if (!o.quiet) {
    uint64_t zero = format == "elf" ? found.zero_pages_removed : stats->zero_pages;
    std::fprintf(stderr, "%s: wrote %llu pages (%s of page data), %llu zero pages %s\n", kTool,
                 static_cast<unsigned long long>(stats->pages - (format == "elf" ? 0 : zero)),
                 cli::human_bytes(stats->bytes_out).c_str(), static_cast<unsigned long long>(zero),
                 format == "elf" ? ((dl & kDumpLevelZero) ? "left out" : "kept")
                                 : "stored as one shared zero page");
  }
  if (stats->failed_pages) {
    cli::print_warning(kTool, strfmt("%llu page(s) could not be read and were written as zeros; "
                                     "first: %s",
                                     static_cast<unsigned long long>(stats->failed_pages),
                                     stats->first_failure.c_str()));
    return cli::kExitPartial;
  }
  return cli::kExitOk;
}
