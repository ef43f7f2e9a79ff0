// dumpfilter: shrink a crash dump to what a kernel developer needs by
// excluding page classes (zero, page cache, user, free pages) exactly as
// makedumpfile's -d does, from VMCOREINFO alone, and write it in any format.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/cli.h"
#include "common/cli_options.h"
#include "common/write_dump.h"
#include "dumpfmt/format.h"
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
  std::string io = "auto";
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
                 "memory for buffers, e.g. 32M (default 64M, for a capture kernel)")
      ->type_name("SIZE");
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
  fo.progress = [&](const char*, uint64_t d, uint64_t t) { classify_progress.update(d, t); };
  auto filtered = filters::filter_pages(s, fo);
  classify_progress.finish();
  if (!filtered) {
    cli::print_error(kTool, filtered.error());
    return filtered.error().code == Errc::unsupported ? cli::kExitUsage : cli::kExitFailure;
  }
  const auto& fr = *filtered;
  for (const auto& w : fr.stats.warnings) cli::print_warning(kTool, w);
  if (!o.quiet) {
    for (const auto& n : fr.notes) {
      cli::print_warning(kTool, "kernel page metadata not used: " + n);
    }
    if (fr.beyond_mem_map) {
      std::fprintf(stderr,
                   "%s: %llu pages at or above PFN %s have no struct page (not memory the "
                   "kernel managed) and are left out, as makedumpfile does\n",
                   kTool, static_cast<unsigned long long>(fr.beyond_mem_map),
                   hex(*fr.mem_map_end).c_str());
    }
  }
  // The page sets are the one part of dumpfilter's memory the budget cannot
  // bound (at most a bit per page of the dumped machine): say so when they
  // take more than half of it.
  const uint64_t set_bytes = fr.kept.memory_bytes() + fr.ram.memory_bytes();
  if (set_bytes > budget / 2) {
    cli::print_warning(
        kTool, strfmt("the page sets take %s, more than half the memory budget of "
                      "%s",
                      cli::human_bytes(set_bytes).c_str(), cli::human_bytes(budget).c_str()));
  }
  const uint64_t present = s.present().count();
  if (!o.quiet || o.dry_run) {
    std::fprintf(stderr, "%s: dump level %u: %llu of %llu pages excluded by class (%s)%s\n", kTool,
                 dl, static_cast<unsigned long long>(fr.stats.excluded.total()),
                 static_cast<unsigned long long>(present), class_summary(fr.stats.excluded).c_str(),
                 fr.classified ? "" : " [no struct pages examined]");
  }
  if (o.dry_run) {
    std::fprintf(stderr, "%s: zero pages: %llu; pages kept: %llu\n", kTool,
                 static_cast<unsigned long long>(fr.zero_pages_removed),
                 static_cast<unsigned long long>(fr.kept.count()));
    return cli::kExitOk;
  }

  DumpInfo info = s.info();
  info.dump_level = dl;
  if (fr.mem_map_end && info.max_pfn > *fr.mem_map_end) info.max_pfn = *fr.mem_map_end;
  cli::WriteJob job;
  job.tool = kTool;
  job.output = o.paths.back();
  job.format = format;
  job.flattened = o.flattened;
  job.quiet = o.quiet;
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
  auto stats = cli::write_dump(s, info, fr.ram, fr.kept, job);
  if (!stats) {
    cli::print_error(kTool, stats.error());
    return cli::kExitFailure;
  }
  if (!o.quiet) {
    uint64_t zero = format == "elf" ? fr.zero_pages_removed : stats->zero_pages;
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
