// dumpfilter: shrink a crash dump to what a kernel developer needs by
// excluding page classes (zero, page cache, user, free pages) exactly as
// makedumpfile's -d does, from VMCOREINFO alone, and write it in any format.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "common/cli.h"
#include "common/cli_options.h"
#include "common/operands.h"
#include "dumpfmt/format.h"
#include "dumpfmt/write_dump.h"
#include "dumpfmt_filters/filter_plan.h"
#include "report.h"

using namespace dumpfmt;
using namespace dumpfmt::dumpfilter;

namespace {

struct Options {
  std::vector<std::string> paths;  // INPUT... OUTPUT
  int dump_level = -1;
  std::string exclude;
  cli::OutputChoice out;
  bool dry_run = false;
  std::string budget;
  uint64_t cycle_pages = 0;
};

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
  cli::OutputHelp help;
  help.elf = "ELF vmcore output";
  cli::add_output_options(app, o.out, cli::kKeepGoingOption, help);
  app.add_option("--memory-budget", o.budget,
                 "memory for buffers and page sets, e.g. 32M (default 64M, for a capture kernel)")
      ->type_name("SIZE");
  app.add_option("--cycle-pages", o.cycle_pages,
                 "classify and write kdump output in cycles of this many PFNs (default: cycles "
                 "only when the page sets would not fit in the memory budget)")
      ->type_name("PAGES")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 52));
  app.add_flag("-n,--dry-run", o.dry_run,
               "classify and print what would be excluded; write nothing (no OUTPUT)");
  // Accepted so that a kdump configuration written for makedumpfile
  // ("makedumpfile -l --message-level 7 -d 31") works unchanged.
  int message_level = 0;
  app.add_option("--message-level", message_level, "ignored (makedumpfile compatibility)")
      ->group("");
  app.footer(
      "Examples:\n"
      "  dumpfilter -d 31 -l /proc/vmcore /var/crash/vmcore     (kdump's usual core_collector)\n"
      "  dumpfilter -d 31 -F /proc/vmcore - | ssh host 'dumpconv -R vmcore'\n"
      "Exit status: 0 success, 1 failure, 2 usage error, 3 done with unreadable pages.\n"
      "See dumpfilter(1).");
  if (auto rc = cli::finish_command_line(app, kTool, argc, argv)) return *rc;

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
  auto ops = cli::input_output(kTool, o.paths, o.dry_run);
  if (!ops) return cli::kExitUsage;
  auto out = cli::resolve_output(o.out, CodecId::zlib, kTool);
  if (!out) {
    cli::print_error(kTool, out.error());
    return cli::kExitUsage;
  }
  filters::PlanOptions po;
  if (!o.budget.empty()) {
    auto b = cli::parse_size(o.budget);
    if (!b || *b < filters::kMinMemoryBudget) {
      cli::print_error(kTool, "--memory-budget wants a size of at least 4M, e.g. 32M");
      return cli::kExitUsage;
    }
    po.budget = *b;
  }

  OpenOptions oo = cli::open_options(kTool, o.out.io);
  auto src = cli::open_inputs(kTool, ops->inputs, oo);
  if (!src) return cli::kExitFailure;
  const PageSource& s = *src;
  const std::string& format = out->format;
  filters::FilterOptions fo;
  fo.dump_level = dl;
  fo.scan_zero_pages = format == "elf" || o.dry_run;
  fo.threads = o.out.threads;
  fo.chunk_bytes = filters::struct_page_chunk_bytes(po.budget);
  cli::Progress classify_progress(kTool, "filtering", o.out.quiet);
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
  po.cycle_pages = o.cycle_pages;
  po.format = format;
  po.dry_run = o.dry_run;
  po.end = filter.end();
  po.page_size = s.info().page_size;
  const filters::FilterPlan plan = filters::plan_filter(po);
  if (o.cycle_pages && !plan.windowed) {
    cli::print_error(kTool,
                     "--cycle-pages needs kdump output: ELF (-E) program headers are laid "
                     "out from the whole page set");
    return cli::kExitUsage;
  }

  auto classified = filters::classify_all(filter, plan);
  classify_progress.finish();
  classifying = false;
  if (!classified) {
    cli::print_error(kTool, classified.error());
    return classified.error().code == Errc::unsupported ? cli::kExitUsage : cli::kExitFailure;
  }
  const filters::Findings& found = *classified;
  print_findings(found, plan, dl, s.present().count(), o.out.quiet, o.dry_run);
  if (o.dry_run) return cli::kExitOk;

  WriteJob job = cli::write_job(o.out, *out, ops->output, oo.warn);
  job.write.dump_level = dl;
  job.pipeline.batch_pages = plan.batch_pages;
  const DumpInfo info = filters::filtered_info(s.info(), dl, found);
  auto stats = cli::with_progress(kTool, "writing " + format, o.out.quiet, job.pipeline, [&] {
    return filters::write_filtered(s, filter, plan, found, info, job);
  });
  if (!stats) {
    cli::print_error(kTool, stats.error());
    return cli::kExitFailure;
  }
  if (!o.out.quiet) print_written(*stats, found, format, dl);
  return cli::report_failed_pages(kTool, *stats);
}
