// dumpconv: convert a crash dump from any format dumpfmt reads to any format
// it writes, recompressing pages; flattened streams in and out.
#include <cstdio>

#include "common/cli.h"
#include "common/cli_options.h"
#include "common/operands.h"
#include "dumpfmt/flattened.h"
#include "dumpfmt/format.h"
#include "dumpfmt/write_dump.h"

using namespace dumpfmt;

namespace {

constexpr const char* kTool = "dumpconv";

struct Options {
  std::vector<std::string> paths;  // INPUT... OUTPUT
  std::string rearrange_out;       // -R OUTPUT
  cli::OutputChoice out;
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
  cli::OutputHelp help;
  help.threads = "compression threads (default: all CPUs)";
  help.quiet = "no progress on stderr";
  cli::add_output_options(app, o.out, cli::kFormatOption | cli::kKeepGoingOption, help);
  app.add_option("-R,--rearrange", o.rearrange_out,
                 "read a flattened stream from stdin and rearrange it into OUTPUT")
      ->type_name("OUTPUT");
  app.footer(
      "Exit status: 0 success, 1 failure, 2 usage error, 3 done with unreadable pages.\n"
      "See dumpconv(1).");
  if (auto rc = cli::finish_command_line(app, kTool, argc, argv)) return *rc;

  if (!o.rearrange_out.empty()) {
    if (!o.paths.empty()) {
      cli::print_error(kTool, "-R reads the flattened stream from stdin; give no other files");
      return cli::kExitUsage;
    }
    return rearrange(o);
  }
  auto ops = cli::input_output(kTool, o.paths);
  if (!ops) return cli::kExitUsage;
  auto out = cli::resolve_output(o.out, CodecId::zlib, kTool);
  if (!out) {
    cli::print_error(kTool, out.error());
    return cli::kExitUsage;
  }

  // Reader warnings are printed through oo.warn as they arise (info().warnings
  // keeps them too, for dumpinfo; printing both would say everything twice).
  OpenOptions oo = cli::open_options(kTool, o.out.io);
  auto src = cli::open_inputs(kTool, ops->inputs, oo);
  if (!src) return cli::kExitFailure;
  const PageSource& s = *src;

  WriteJob job = cli::write_job(o.out, *out, ops->output, oo.warn);
  job.write.dump_level = s.info().dump_level.value_or(0);
  auto stats = cli::with_progress(kTool, "writing " + job.format, o.out.quiet, job.pipeline, [&] {
    return write_dump(s, s.info(), s.ram(), s.present(), job);
  });
  if (!stats) {
    cli::print_error(kTool, stats.error());
    return cli::kExitFailure;
  }
  return cli::report_failed_pages(kTool, *stats);
}
