// dumpsplit: split a crash dump into kdump-compressed parts in makedumpfile's
// --split layout (N parts, or as few as fit a size limit), written in
// parallel; and join a split set (ours or makedumpfile's) back into one dump.
#include "common/cli.h"
#include "common/cli_options.h"
#include "common/paths.h"
#include "common/warn_once.h"
#include "dumpfmt/format.h"
#include "dumpfmt/split_measure.h"
#include "dumpfmt/write_parts.h"
#include "report.h"

using namespace dumpfmt;
using dumpsplit::kTool;

namespace {

constexpr unsigned kMaxParts = 1000;  // each part holds a file open while the set is written

struct Options {
  std::vector<std::string> paths;
  unsigned parts = 0;  // -n
  std::string max_size;
  bool reassemble = false;
  std::string parallel = "parts";
  bool verbose = false;
  cli::OutputChoice out;
};

int fail(std::string_view message, int code = cli::kExitFailure) {
  cli::print_error(kTool, message);
  return code;
}
int fail(const Error& e, int code = cli::kExitFailure) { return fail(e.message, code); }
int usage(std::string_view message) { return fail(message, cli::kExitUsage); }

// Opens the input; an incomplete one (a set with a part cut short) is refused
// unless --keep-going, since what is made of it would silently miss pages.
Result<std::unique_ptr<PageSource>> open_input(const Options& o,
                                               const std::vector<std::string>& inputs) {
  // Reader warnings are printed as they arise (once, as open_options does).
  DUMPFMT_TRY_ASSIGN(auto src, open_dump(inputs, cli::open_options(kTool, o.out.io, o.out.quiet)));
  if (auto st = check_complete(src->info()); !st && !o.out.keep_going) {
    Error e = st.error();
    e.message += "; --keep-going writes the pages that remain";
    return e;
  }
  return src;
}

int split_dump(const Options& o) {
  const bool by_size = !o.max_size.empty();
  if (by_size == (o.parts != 0)) return usage("give either -n N or --max-size SIZE");
  if (o.out.elf || (!o.out.format.empty() && o.out.format != "kdump") || o.out.flattened) {
    return usage("split parts are kdump-compressed files; -E, -f and -F apply to --reassemble");
  }
  const auto limit = by_size ? cli::parse_size(o.max_size) : std::optional<uint64_t>(0);
  if (!limit || (by_size && *limit == 0)) {
    return usage("--max-size wants a size such as 100M, 4.7G or 1048576");
  }
  const size_t outputs = by_size ? 1 : o.parts;
  if (o.paths.size() < outputs + 1) {
    return usage(by_size ? "need INPUT... PREFIX (see --help)"
                         : strfmt("need INPUT... and %u part names (see --help)", o.parts));
  }
  auto out = cli::resolve_output(o.out, CodecId::zlib, kTool);
  if (!out) return fail(out.error(), cli::kExitUsage);

  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - static_cast<ptrdiff_t>(outputs));
  std::vector<std::string> names(o.paths.end() - static_cast<ptrdiff_t>(outputs), o.paths.end());
  if (!by_size) {
    if (auto st = cli::check_distinct(inputs, names); !st) return fail(st.error(), cli::kExitUsage);
  }
  auto src = open_input(o, inputs);
  if (!src) return fail(src.error());
  const PageSource& s = **src;
  const PfnSet& pages = s.present();
  const DumpInfo info = split::split_info(s);
  PartsJob pj;
  pj.base = cli::write_job(o.out, *out, "", cli::warn_once(kTool));
  pj.base.write.dump_level = split::split_dump_level(info);
  pj.parallelism = o.parallel == "pages" ? PartParallelism::pages : PartParallelism::parts;

  split::Ranges ranges;
  if (by_size) {
    auto r = cli::with_progress(
        kTool, "measuring compressed sizes", o.out.quiet, pj.base.pipeline,
        [&] { return split::plan_split_by_size(s, info, pages, pj.base, *limit); });
    if (!r) return fail(r.error());
    if (!r->plan) return fail(dumpsplit::size_refusal(o.max_size, *limit, *r));
    if (o.verbose) dumpsplit::print_plan(*limit, *r);
    ranges = r->plan->ranges;
    if (ranges.size() > kMaxParts) {
      return fail(strfmt("--max-size %s would need %zu parts, more than %u", o.max_size.c_str(),
                         ranges.size(), kMaxParts));
    }
    names.clear();
    for (size_t i = 0; i < ranges.size(); ++i) {
      names.push_back(o.paths.back() + "." + std::to_string(i + 1));
    }
    if (auto st = cli::check_distinct(inputs, names); !st) return fail(st.error(), cli::kExitUsage);
    pj.max_bytes = *limit;
  } else {
    ranges = split::plan_by_count(pages, info.max_pfn, o.parts);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    pj.parts.push_back({names[i], ranges[i].first, ranges[i].second});
  }

  auto stats = cli::with_progress(kTool, "writing " + std::to_string(pj.parts.size()) + " parts",
                                  o.out.quiet, pj.base.pipeline,
                                  [&] { return write_parts(s, info, s.ram(), pages, pj); });
  if (!stats) return fail(stats.error());
  if (o.verbose || !o.out.quiet) dumpsplit::print_parts(pj, pages, *stats);
  if (by_size) dumpsplit::warn_stale_part(o.paths.back(), ranges.size());
  return dumpsplit::report(stats->pipeline, s.info());
}

int reassemble(const Options& o) {
  if (o.parts || !o.max_size.empty()) return usage("--reassemble takes no -n or --max-size");
  if (o.paths.size() < 2) return usage("need PART... OUTPUT (see --help)");
  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - 1);
  if (auto st = cli::check_distinct(inputs, {o.paths.back()}); !st) {
    return fail(st.error(), cli::kExitUsage);
  }
  // The format before opening the parts, the codec after (theirs is the default).
  cli::OutputChoice format_only = o.out;
  format_only.codec = {};
  auto f = cli::resolve_output(format_only, CodecId::none, kTool);
  if (!f) return fail(f.error(), cli::kExitUsage);
  auto src = open_input(o, inputs);
  if (!src) return fail(src.error());
  const PageSource& s = **src;
  const DumpInfo& in = s.info();
  if (auto st = check_whole_set(in, inputs); !st) return fail(st.error());
  // Keep the parts' codec unless told otherwise.
  CodecId fallback = CodecId::zlib;
  if (auto c = codec_from_name(in.compression); c && codec_built(*c)) fallback = *c;
  auto out = cli::resolve_output(o.out, fallback, kTool);
  if (!out) return fail(out.error(), cli::kExitUsage);

  DumpInfo info = in;
  info.split_range.reset();
  WriteJob job = cli::write_job(o.out, *out, o.paths.back(),
                                [](const std::string& m) { cli::print_warning(kTool, m); });
  job.write.dump_level = in.dump_level.value_or(0);
  auto stats = cli::with_progress(kTool, "writing " + job.format, o.out.quiet, job.pipeline,
                                  [&] { return write_dump(s, info, s.ram(), s.present(), job); });
  if (!stats) return fail(stats.error());
  return dumpsplit::report(*stats, in);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Split a kernel crash dump into kdump-compressed parts (makedumpfile --split layout), or\n"
      "join the parts of a split dump into one file.\n"
      "  dumpsplit -n N INPUT... PART1 ... PARTN\n"
      "  dumpsplit --max-size SIZE INPUT... PREFIX       (parts PREFIX.1, PREFIX.2, ...)\n"
      "  dumpsplit --reassemble PART... OUTPUT\n"
      "INPUT may be several files (the parts of a split dump) in any format dumpfmt reads.",
      kTool};
  app.get_formatter()->column_width(30);
  app.add_option("paths", o.paths, "INPUT... and PARTs, PREFIX or OUTPUT")->type_name("FILE");
  app.add_option("-n,--parts", o.parts, "split into N parts of about equal page counts")
      ->check(CLI::Range(1u, kMaxParts));
  app.add_option("--max-size", o.max_size,
                 "split into as few parts as fit SIZE bytes each (K, M, G suffixes), balanced")
      ->type_name("SIZE");
  app.add_flag("--reassemble", o.reassemble, "join the parts of a split dump into OUTPUT");
  cli::add_output_options(app, o.out, cli::kFormatOption | cli::kKeepGoingOption,
                          {.output_kind = "parts (or --reassemble output)",
                           .elf = "--reassemble: ELF vmcore output (same as -f elf)",
                           .format = "--reassemble: output format (default kdump)",
                           .flattened = "--reassemble: flattened output (for pipes)",
                           .threads = "compression threads in all (default: all CPUs)",
                           .quiet = "no progress or summary on stderr"});
  app.add_option("--parallel", o.parallel,
                 "how parts share the CPUs: parts (a pipeline per part, all at once; default) "
                 "or pages (one pipeline, parts filled in turn)")
      ->check(CLI::IsMember({"parts", "pages"}));
  app.add_flag("-v,--verbose", o.verbose, "print the plan of --max-size");
  app.footer(
      "Exit status: 0 success, 1 failure, 2 usage error, 3 done with unreadable pages.\n"
      "See dumpsplit(1).");
  if (auto rc = cli::finish_command_line(app, kTool, argc, argv)) return *rc;
  return o.reassemble ? reassemble(o) : split_dump(o);
}
