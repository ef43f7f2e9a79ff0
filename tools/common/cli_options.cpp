// The options every writing tool shares, and their WriteJob (see cli_options.h).
#include "common/cli_options.h"

#include <cstdio>
#include <cstdlib>

#include "dumpfmt/bytes.h"
#include "dumpfmt/format.h"

namespace dumpfmt::cli {

void add_codec_options(CLI::App& app, CodecChoice& c, const std::string& output_kind) {
  app.add_flag("-c", c.zlib, output_kind + ", zlib pages (default)");
  app.add_flag("-l", c.lzo, output_kind + ", lzo pages");
  app.add_flag("-p", c.snappy, output_kind + ", snappy pages");
  app.add_flag("-z", c.zstd, output_kind + ", zstd pages");
  app.add_option("--codec", c.name, "page codec by name: none, zlib, lzo, snappy, zstd, lz4");
}

void add_io_option(CLI::App& app, std::string& io) {
  app.add_option("--io", io,
                 "input access: auto (mmap for /proc/vmcore, pread otherwise), mmap, pread")
      ->check(CLI::IsMember({"auto", "mmap", "pread"}));
}

void add_version_flag(CLI::App& app, const std::string& tool) {
  app.add_flag_callback(
      "-V,--version",
      [tool] {
        std::printf("%s\n", version_line(tool).c_str());
        std::exit(0);
      },
      "print version and built-in codecs");
}

std::string writable_formats() {
  std::string s;
  for (const auto& f : formats()) {
    if (!f.create_writer) continue;
    s += s.empty() ? "" : ", ";
    s += f.name;
  }
  return s;
}

void add_output_options(CLI::App& app, OutputChoice& c, unsigned extra, const OutputHelp& help) {
  add_codec_options(app, c.codec, help.output_kind);
  app.add_option("--level", c.level, help.level);
  app.add_flag("-E", c.elf, help.elf);
  if (extra & kFormatOption) {
    app.add_option("-f,--format", c.format,
                   help.format.empty() ? "output format: " + writable_formats() + " (default kdump)"
                                       : help.format);
  }
  app.add_flag("-F,--flatten", c.flattened, help.flattened);
  app.add_option("--num-threads", c.threads, help.threads);
  add_io_option(app, c.io);
  if (extra & kKeepGoingOption) {
    app.add_flag("--keep-going", c.keep_going,
                 "write unreadable pages as zeros, report them, exit 3 (default: stop)");
  }
  app.add_flag("-q,--quiet", c.quiet, help.quiet);
}

Result<ResolvedOutput> resolve_output(const OutputChoice& c, CodecId fallback,
                                      std::string_view tool) {
  DUMPFMT_TRY_ASSIGN(CodecId codec, resolve_codec(c.codec, fallback, tool));
  std::string format = c.format.empty() ? (c.elf ? "elf" : "kdump") : c.format;
  if (c.elf && format != "elf") {
    return make_error(Errc::invalid_argument, "-E conflicts with -f " + format);
  }
  if (const Format* f = find_format(format); !f || !f->create_writer) {
    return make_error(Errc::invalid_argument, "unknown output format '" + format + "'");
  }
  return ResolvedOutput{format, codec};
}

WriteJob write_job(const OutputChoice& c, const ResolvedOutput& r, const std::string& output,
                   std::function<void(const std::string&)> warn) {
  WriteJob job;
  job.output = output;
  job.format = r.format;
  job.flattened = c.flattened;
  job.write.codec = r.codec;
  job.write.level = c.level;
  job.write.warn = std::move(warn);
  job.pipeline.threads = c.threads;
  job.pipeline.level = c.level;
  job.pipeline.keep_going = c.keep_going;
  return job;
}

int report_failed_pages(std::string_view tool, const PipelineStats& stats, int ok_code) {
  if (!stats.failed_pages) return ok_code;
  print_warning(tool, strfmt("%llu page(s) could not be read and were written as zeros; "
                             "first: %s",
                             static_cast<unsigned long long>(stats.failed_pages),
                             stats.first_failure.c_str()));
  return kExitPartial;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  return std::nullopt;
}

std::optional<int> finish_command_line(CLI::App& app, const std::string& tool, int argc,
                                       char** argv) {
  add_version_flag(app, tool);
  return parse_command_line(app, argc, argv);
}

}  // namespace dumpfmt::cli
