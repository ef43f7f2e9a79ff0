// dumpconv: convert a crash dump from any format dumpfmt reads to any format
// it writes, recompressing pages; flattened streams in and out.
#include <cstdio>

#include "common/cli.h"
#include "common/cli_options.h"
#include "common/write_dump.h"
#include "dumpfmt/flattened.h"
#include "dumpfmt/format.h"

using namespace dumpfmt;

namespace {

constexpr const char* kTool = "dumpconv";

struct Options {
  std::vector<std::string> paths;  // INPUT... OUTPUT
  std::string rearrange_out;       // -R OUTPUT
  std::string format;
  cli::CodecChoice codec;
  bool elf = false;
  bool flattened = false;
  bool quiet = false;
  bool keep_going = false;
  unsigned threads = 0;
  int level = 0;
  std::string io = "auto";
};

int rearrange(const Options& o) {
  auto sink = create_output(o.rearrange_out);
  if (!sink) {
    cli::print_error(kTool, sink.error());
    return cli::kExitFailure;
  }
  if (auto st = rearrange_flattened(0, "<stdin>", **sink); !st) {
    cli::print_error(kTool, st.error());
    return cli::kExitFailure;
  }
  if (auto st = (*sink)->commit(); !st) {
    cli::print_error(kTool, st.error());
    return cli::kExitFailure;
  }
  return cli::kExitOk;
}

// Resolves -c/-l/-p/-z/--codec and -E/-f into a format and codec, or an error.
Result<std::pair<std::string, CodecId>> resolve_output(const Options& o) {
  DUMPFMT_TRY_ASSIGN(CodecId codec, cli::resolve_codec(o.codec, CodecId::zlib, kTool));
  std::string format = o.format.empty() ? (o.elf ? "elf" : "kdump") : o.format;
  if (o.elf && format != "elf")
    return make_error(Errc::invalid_argument, "-E conflicts with -f " + format);
  if (const Format* f = find_format(format); !f || !f->create_writer) {
    return make_error(Errc::invalid_argument, "unknown output format '" + format + "'");
  }
  return std::make_pair(format, codec);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Convert a kernel crash dump between formats (ELF vmcore, kdump-compressed, flattened).\n"
      "INPUT may be several files (the parts of a split dump); '-' is stdin/stdout.\n"
      "Without options the output is kdump-compressed with zlib pages.",
      kTool};
  app.get_formatter()->column_width(30);
  app.add_option("paths", o.paths, "INPUT... OUTPUT")->type_name("FILE");
  cli::add_codec_options(app, o.codec, "kdump-compressed output");
  app.add_option("--level", o.level, "codec level (default: the fastest, as makedumpfile)");
  app.add_flag("-E", o.elf, "ELF vmcore output (same as -f elf)");
  std::string writable;
  for (const auto& f : formats()) {
    if (!f.create_writer) continue;
    writable += writable.empty() ? "" : ", ";
    writable += f.name;
  }
  app.add_option("-f,--format", o.format, "output format: " + writable + " (default kdump)");
  app.add_flag("-F,--flatten", o.flattened, "write makedumpfile's flattened form (for pipes)");
  app.add_option("-R,--rearrange", o.rearrange_out,
                 "read a flattened stream from stdin and rearrange it into OUTPUT")
      ->type_name("OUTPUT");
  app.add_option("--num-threads", o.threads, "compression threads (default: all CPUs)");
  cli::add_io_option(app, o.io);
  app.add_flag("--keep-going", o.keep_going,
               "write unreadable pages as zeros, report them, exit 3 (default: stop)");
  app.add_flag("-q,--quiet", o.quiet, "no progress on stderr");
  cli::add_version_flag(app, kTool);
  app.footer(
      "Exit status: 0 success, 1 failure, 2 usage error, 3 done with unreadable pages.\n"
      "See dumpconv(1).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }

  if (!o.rearrange_out.empty()) {
    if (!o.paths.empty()) {
      cli::print_error(kTool, "-R reads the flattened stream from stdin; give no other files");
      return cli::kExitUsage;
    }
    return rearrange(o);
  }
  if (o.paths.size() < 2) {
    cli::print_error(kTool, "need INPUT and OUTPUT (see --help)");
    return cli::kExitUsage;
  }
  auto out = resolve_output(o);
  if (!out) {
    cli::print_error(kTool, out.error());
    return cli::kExitUsage;
  }

  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - 1);
  OpenOptions oo = cli::open_options(kTool, o.io);
  auto src = open_dump(inputs, oo);
  if (!src) {
    cli::print_error(kTool, src.error());
    return cli::kExitFailure;
  }
  const PageSource& s = **src;
  // Readers report warnings through oo.warn as they open (also kept in
  // info().warnings for dumpinfo); printing both would say everything twice.

  cli::WriteJob job;
  job.tool = kTool;
  job.output = o.paths.back();
  job.format = out->first;
  job.flattened = o.flattened;
  job.quiet = o.quiet;
  job.write.codec = out->second;
  job.write.level = o.level;
  job.write.dump_level = s.info().dump_level.value_or(0);
  job.write.warn = oo.warn;
  job.pipeline.threads = o.threads;
  job.pipeline.level = o.level;
  job.pipeline.keep_going = o.keep_going;
  auto stats = cli::write_dump(s, s.info(), s.ram(), s.present(), job);
  if (!stats) {
    cli::print_error(kTool, stats.error());
    return cli::kExitFailure;
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
