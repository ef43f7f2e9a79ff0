// dumpscrub: remove private data from a crash dump before it is shared, from
// the dump alone: page classes as makedumpfile -d 31 plus the per-CPU free
// lists, kernel-held secrets (keys, TTY buffers, pipes, freed slab objects,
// RNG state) and makedumpfile-style erase rules resolved through the dump's
// own kallsyms and BTF. The plan is filters::plan_scrub (scrub_plan.h).
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/cli.h"
#include "common/cli_options.h"
#include "common/operands.h"
#include "dumpfmt/format.h"
#include "dumpfmt/write_dump.h"
#include "dumpfmt_filters/scrub_plan.h"
#include "report.h"

using namespace dumpfmt;

namespace {

constexpr const char* kTool = "dumpscrub";

struct Options {
  std::vector<std::string> paths;  // INPUT... OUTPUT
  std::string fill = "0x58";
  std::vector<std::string> rule_files, erase;
  std::string json;
  bool dry_run = false;
  filters::ScrubOptions scrub;  // profile, keep_layout, vmlinux, skip_unavailable
  cli::OutputChoice out;
};

// Prints the error and returns the exit code to use.
int fail(const Error& e, int rc = cli::kExitFailure) {
  cli::print_error(kTool, e);
  return rc;
}

std::optional<uint8_t> parse_fill(const std::string& s) {
  if (s.size() == 1 && !std::isdigit(static_cast<unsigned char>(s[0]))) {
    return static_cast<uint8_t>(s[0]);
  }
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (s.empty() || *end || v > 255) return std::nullopt;
  return static_cast<uint8_t>(v);
}

// The --rules files, then the --erase rules ("erase " may be left out).
Result<filters::RuleSet> user_rules(const Options& o) {
  filters::RuleSet rules;
  for (const auto& f : o.rule_files) {
    DUMPFMT_TRY_ASSIGN(std::string text, cli::read_text_file(f));
    DUMPFMT_TRY_ASSIGN(filters::RuleSet rs, filters::parse_rules(text, f));
    filters::append_rules(rules, std::move(rs));
  }
  for (const auto& e : o.erase) {
    std::string line = e.rfind("erase ", 0) == 0 ? e : "erase " + e;
    DUMPFMT_TRY_ASSIGN(filters::RuleSet rs, filters::parse_rules(line, "--erase"));
    filters::append_rules(rules, std::move(rs));
  }
  return rules;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Remove private data from a kernel crash dump so that it can be shared, using only the\n"
      "dump (VMCOREINFO, the kernel's kallsyms and BTF in its memory); see dumpscrub(1) for\n"
      "exactly what each profile removes. INPUT may be several files (a split dump).",
      kTool};
  app.get_formatter()->column_width(32);
  app.add_option("paths", o.paths, "INPUT... OUTPUT")->type_name("FILE");
  app.add_option("--profile", o.scrub.profile,
                 "share: drop user, page cache and free pages incl. per-CPU free lists; "
                 "upload: share + erase keys, TTY/console and pipe buffers, freed slab "
                 "objects, RNG state")
      ->check(CLI::IsMember({"share", "upload"}));
  app.add_flag("--keep-layout", o.scrub.keep_layout,
               "overwrite dropped pages with the fill byte instead of leaving them out");
  app.add_option("--fill", o.fill,
                 "fill byte for erased data: a number or one character "
                 "(default 0x58 'X', as makedumpfile)");
  app.add_option("--rules", o.rule_files, "erase rules file (makedumpfile.conf syntax; repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--erase", o.erase,
                 "one erase rule, e.g. '(struct task_struct)init_task.comm' "
                 "(repeatable)")
      ->type_name("RULE")
      ->allow_extra_args(false);
  app.add_option("--vmlinux", o.scrub.vmlinux,
                 "read types from this vmlinux's .BTF section instead "
                 "of the dump's memory")
      ->type_name("FILE");
  app.add_option("--json", o.json, "write the summary as JSON to FILE ('-': stdout)")
      ->type_name("FILE");
  app.add_flag("--skip-unavailable", o.scrub.skip_unavailable,
               "when a class cannot be scrubbed on this kernel, warn and go on (default: fail)");
  cli::OutputHelp help;
  help.level = "codec level (default: the fastest)";
  cli::add_output_options(app, o.out, cli::kFormatOption, help);
  app.add_flag("-n,--dry-run", o.dry_run, "find and report what would be removed; write nothing");
  app.footer(
      "Examples:\n"
      "  dumpscrub --profile upload vmcore vmcore.scrubbed\n"
      "  dumpscrub --profile share --keep-layout -E vmcore vmcore.elf\n"
      "  dumpscrub --erase 'init_task.comm' --erase 'base_crng size 32' vmcore out\n"
      "Exit status: 0 success, 1 failure, 2 usage error.\nSee dumpscrub(1).");
  if (auto rc = cli::finish_command_line(app, kTool, argc, argv)) return *rc;

  auto ops = cli::input_output(kTool, o.paths, o.dry_run);
  if (!ops) return cli::kExitUsage;
  if (o.scrub.profile.empty() && o.rule_files.empty() && o.erase.empty()) {
    cli::print_error(kTool, "nothing to do: give --profile, --rules or --erase");
    return cli::kExitUsage;
  }
  if (o.scrub.keep_layout && o.scrub.profile.empty()) {
    cli::print_error(kTool,
                     "--keep-layout needs a --profile (it says how dropped pages are "
                     "written)");
    return cli::kExitUsage;
  }
  auto fill = parse_fill(o.fill);
  if (!fill) {
    cli::print_error(kTool, "--fill wants a byte: 0-255, 0xNN or one character");
    return cli::kExitUsage;
  }
  auto out = cli::resolve_output(o.out, CodecId::zlib, kTool);
  if (!out) return fail(out.error(), cli::kExitUsage);
  // Rules are parsed before the dump is read: a typo fails fast.
  auto rules = user_rules(o);
  if (!rules) return fail(rules.error(), cli::kExitUsage);

  OpenOptions oo = cli::open_options(kTool, o.out.io, o.out.quiet);
  auto src = cli::open_inputs(kTool, ops->inputs, oo);
  if (!src) return cli::kExitFailure;
  const PageSource& s = *src;
  dumpscrub::Report rep;
  rep.input = ops->inputs.front();
  rep.output = ops->output;
  rep.format = out->format;
  auto warn = [&](const std::string& m) {
    rep.warnings.push_back(m);
    if (!o.out.quiet) cli::print_warning(kTool, m);
  };
  // The reader printed these as it found them (oo.warn); the report keeps them.
  rep.warnings = s.info().warnings;
  for (const auto& w : rules->warnings) warn(w);

  filters::ScrubOptions& so = o.scrub;
  so.fill = *fill;
  so.format = out->format;
  so.threads = o.out.threads;
  so.user_rules = std::move(*rules);
  so.warn = warn;
  // A class that cannot be scrubbed fails the run unless --skip-unavailable.
  bool stopped = false;
  so.unavailable = [&](const std::string& what, const Error& e) {
    if (o.scrub.skip_unavailable) return warn(what + " skipped: " + e.message);
    stopped = true;
    cli::print_error(kTool, what + ": " + e.message +
                                " (nothing written; --skip-unavailable writes the dump "
                                "without this step)");
  };
  std::optional<cli::Progress> progress;
  so.classify_begin = [&] { progress.emplace(kTool, "classifying pages", o.out.quiet); };
  so.classify_progress = [&](uint64_t d, uint64_t t) { progress->update(d, t); };
  so.classify_end = [&] { progress->finish(); };
  auto plan = filters::plan_scrub(s, so);
  if (!plan) return stopped ? cli::kExitFailure : fail(plan.error());
  rep.found = plan->summary;

  if (!o.dry_run) {
    WriteJob job = cli::write_job(o.out, *out, ops->output, oo.warn);
    job.write.dump_level = plan->info.dump_level.value_or(0);
    job.pipeline.transform = plan->transform();
    auto stats =
        cli::with_progress(kTool, "writing " + out->format, o.out.quiet, job.pipeline,
                           [&] { return write_dump(s, plan->info, plan->ram, plan->pages, job); });
    if (!stats) return fail(stats.error());
    rep.bytes_out = stats->bytes_out;
  }

  if (!o.out.quiet || o.dry_run) std::fputs(dumpscrub::summary_text(rep).c_str(), stderr);
  auto json = o.json.empty() ? ok() : dumpscrub::write_summary_json(rep, o.json);
  if (!json) return fail(json.error());
  return cli::kExitOk;
}
