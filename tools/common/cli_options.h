// Command-line options every dumpfmt tool spells the same way (CLI11), and
// their translation into the library's WriteJob: a tool adds the options it
// offers with one call, resolves them with one call and hands the job to the
// write engine (dumpfmt/write_dump.h).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "common/cli.h"
#include "dumpfmt/pipeline.h"
#include "dumpfmt/write_dump.h"

namespace dumpfmt::cli {

/// makedumpfile's codec letters and --codec NAME, into `c` (see resolve_codec).
void add_codec_options(CLI::App& app, CodecChoice& c, const std::string& output_kind);

/// --io auto|mmap|pread into `io` (see open_options).
void add_io_option(CLI::App& app, std::string& io);

/// -V/--version: prints version_line(tool) and exits 0.
void add_version_flag(CLI::App& app, const std::string& tool);

/// What the shared output options chose.
struct OutputChoice {
  CodecChoice codec;
  int level = 0;
  bool elf = false;        // -E
  std::string format;      // -f NAME (empty: kdump, or elf with -E)
  bool flattened = false;  // -F
  unsigned threads = 0;    // --num-threads
  bool keep_going = false;
  bool quiet = false;
  std::string io = "auto";
};

/// Which of the shared options a tool offers beyond the codec, -E, -F,
/// --level, --num-threads, --io and -q, which all writing tools have.
enum OutputOption : unsigned {
  kFormatOption = 1u << 0,     // -f,--format NAME
  kKeepGoingOption = 1u << 1,  // --keep-going
};

/// Help texts that differ between tools.
struct OutputHelp {
  std::string output_kind = "kdump-compressed output";  // for the codec letters
  std::string elf = "ELF vmcore output (same as -f elf)";
  std::string level = "codec level (default: the fastest, as makedumpfile)";
  std::string format;  // -f; empty: "output format: <writable formats> (default kdump)"
  std::string flattened = "write makedumpfile's flattened form (for pipes)";
  std::string threads = "compression threads (default: all CPUs available)";
  std::string quiet = "no progress or summary on stderr";
};

/// Adds -c -l -p -z --codec --level -E -F --num-threads --io -q and the
/// `extra` options into `c`.
void add_output_options(CLI::App& app, OutputChoice& c, unsigned extra,
                        const OutputHelp& help = {});

/// The writable formats' names, "elf, kdump, ...".
std::string writable_formats();

/// The format and codec the options chose: -E / -f NAME (an error when they
/// disagree or NAME cannot be written) and the codec (`fallback` when none
/// was chosen; see resolve_codec).
struct ResolvedOutput {
  std::string format;
  CodecId codec = CodecId::zlib;
};
Result<ResolvedOutput> resolve_output(const OutputChoice& c, CodecId fallback,
                                      std::string_view tool);

/// The write job the options describe, to `output`, with the writer's
/// warnings going to `warn`. The caller sets what only it knows (dump level,
/// transform, batch size).
WriteJob write_job(const OutputChoice& c, const ResolvedOutput& r, const std::string& output,
                   std::function<void(const std::string&)> warn);

/// Runs `write()` with a progress display of `what` fed by po.progress, and
/// ends the display before returning (so that what the tool prints next
/// starts on its own line).
template <class F>
auto with_progress(std::string_view tool, const std::string& what, bool quiet, PipelineOptions& po,
                   F&& write) -> decltype(write()) {
  Progress progress(tool, what, quiet);
  po.progress = [&](uint64_t done, uint64_t total) { progress.update(done, total); };
  auto result = write();
  po.progress = nullptr;
  progress.finish();
  return result;
}

/// The warning for pages written as zeros under --keep-going, and the exit
/// code: kExitPartial when there were any, `ok_code` otherwise.
int report_failed_pages(std::string_view tool, const PipelineStats& stats, int ok_code = kExitOk);

/// Parses the command line. Returns the exit code when the tool should stop
/// now (--help: 0, a usage error: kExitUsage), nothing when it should go on.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

/// The end of every tool's option setup: adds -V/--version (last in the
/// option list), then parse_command_line.
std::optional<int> finish_command_line(CLI::App& app, const std::string& tool, int argc,
                                       char** argv);

}  // namespace dumpfmt::cli
