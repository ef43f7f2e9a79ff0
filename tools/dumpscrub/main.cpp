// dumpscrub: remove private data from a crash dump before it is shared, from
// the dump alone: page classes as makedumpfile -d 31 plus the per-CPU free
// lists, kernel-held secrets (keys, TTY buffers, pipes, freed slab objects,
// RNG state) and makedumpfile-style erase rules resolved through the dump's
// own kallsyms and BTF.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/cli.h"
#include "common/cli_options.h"
#include "dumpfmt/format.h"
#include "dumpfmt/kernel/btf.h"
#include "dumpfmt/kernel/kallsyms.h"
#include "dumpfmt/write.h"
#include "dumpfmt_filters/page_filter.h"
#include "dumpfmt_filters/scrub.h"
#include "dumpfmt_filters/scrub_rules.h"
#include "report.h"

using namespace dumpfmt;

namespace {

constexpr const char* kTool = "dumpscrub";

struct Options {
  std::vector<std::string> paths;  // INPUT... OUTPUT
  std::string profile;
  bool keep_layout = false;
  std::string fill = "0x58";
  std::vector<std::string> rule_files;
  std::vector<std::string> erase;
  std::string vmlinux;
  std::string json;
  bool skip_unavailable = false;
  std::string format;
  bool elf = false;
  cli::CodecChoice codec;
  bool flattened = false;
  unsigned threads = 0;
  int level = 0;
  bool quiet = false;
  bool dry_run = false;
  std::string io = "auto";
};

// Prints the error and returns the exit code to use.
int fail(const Error& e, int rc = cli::kExitFailure) {
  cli::print_error(kTool, e);
  return rc;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(Errc::io, path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f && !f.eof()) return make_error(Errc::io, path + ": read error");
  return ss.str();
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

// f() when `ready`, else ready's error.
template <class F>
auto when_ready(Status ready, F&& f) -> decltype(f()) {
  if (!ready) return std::move(ready).error();
  return f();
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
  app.add_option("--profile", o.profile,
                 "share: drop user, page cache and free pages incl. per-CPU free lists; "
                 "upload: share + erase keys, TTY/console and pipe buffers, freed slab "
                 "objects, RNG state")
      ->check(CLI::IsMember({"share", "upload"}));
  app.add_flag("--keep-layout", o.keep_layout,
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
  app.add_option("--vmlinux", o.vmlinux,
                 "read types from this vmlinux's .BTF section instead "
                 "of the dump's memory")
      ->type_name("FILE");
  app.add_option("--json", o.json, "write the summary as JSON to FILE ('-': stdout)")
      ->type_name("FILE");
  app.add_flag("--skip-unavailable", o.skip_unavailable,
               "when a class cannot be scrubbed on this kernel, warn and go on (default: fail)");
  app.add_flag("-E", o.elf, "ELF vmcore output (same as -f elf)");
  std::string writable;
  for (const auto& f : formats()) {
    if (!f.create_writer) continue;
    writable += writable.empty() ? "" : ", ";
    writable += f.name;
  }
  app.add_option("-f,--format", o.format, "output format: " + writable + " (default kdump)");
  cli::add_codec_options(app, o.codec, "kdump-compressed output");
  app.add_option("--level", o.level, "codec level (default: the fastest)");
  app.add_flag("-F,--flatten", o.flattened, "write makedumpfile's flattened form (for pipes)");
  app.add_option("--num-threads", o.threads, "compression threads (default: all CPUs available)");
  cli::add_io_option(app, o.io);
  app.add_flag("-n,--dry-run", o.dry_run, "find and report what would be removed; write nothing");
  app.add_flag("-q,--quiet", o.quiet, "no progress or summary on stderr");
  cli::add_version_flag(app, kTool);
  app.footer(
      "Examples:\n"
      "  dumpscrub --profile upload vmcore vmcore.scrubbed\n"
      "  dumpscrub --profile share --keep-layout -E vmcore vmcore.elf\n"
      "  dumpscrub --erase 'init_task.comm' --erase 'base_crng size 32' vmcore out\n"
      "Exit status: 0 success, 1 failure, 2 usage error.\nSee dumpscrub(1).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }

  const size_t need = o.dry_run ? 1 : 2;
  if (o.paths.size() < need) {
    cli::print_error(kTool,
                     o.dry_run ? "need INPUT (see --help)" : "need INPUT and OUTPUT (see --help)");
    return cli::kExitUsage;
  }
  if (o.profile.empty() && o.rule_files.empty() && o.erase.empty()) {
    cli::print_error(kTool, "nothing to do: give --profile, --rules or --erase");
    return cli::kExitUsage;
  }
  if (o.keep_layout && o.profile.empty()) {
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
  auto codec = cli::resolve_codec(o.codec, CodecId::zlib, kTool);
  if (!codec) return fail(codec.error(), cli::kExitUsage);
  const std::string format = o.format.empty() ? (o.elf ? "elf" : "kdump") : o.format;
  if (o.elf && format != "elf") {
    cli::print_error(kTool, "-E conflicts with -f " + format);
    return cli::kExitUsage;
  }
  if (const Format* f = find_format(format); !f || !f->create_writer) {
    cli::print_error(kTool, "unknown output format '" + format + "'");
    return cli::kExitUsage;
  }

  // Rules are parsed before the dump is read: a typo fails fast.
  filters::RuleSet user_rules;
  auto add_rules = [&](std::string_view text, std::string_view source) -> Status {
    DUMPFMT_TRY_ASSIGN(filters::RuleSet rs, filters::parse_rules(text, source));
    for (auto& r : rs.rules) user_rules.rules.push_back(std::move(r));
    for (auto& w : rs.warnings) user_rules.warnings.push_back(std::move(w));
    return ok();
  };
  for (const auto& f : o.rule_files) {
    auto text = read_text_file(f);
    if (!text) return fail(text.error(), cli::kExitUsage);
    if (auto st = add_rules(*text, f); !st) return fail(st.error(), cli::kExitUsage);
  }
  for (const auto& e : o.erase) {
    std::string line = e.rfind("erase ", 0) == 0 ? e : "erase " + e;
    if (auto st = add_rules(line, "--erase"); !st) return fail(st.error(), cli::kExitUsage);
  }

  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - (o.dry_run ? 0 : 1));
  OpenOptions oo = cli::open_options(kTool, o.io, o.quiet);
  auto src = open_dump(inputs, oo);
  if (!src) return fail(src.error());
  const PageSource& s = **src;
  dumpscrub::Report rep;
  rep.input = inputs.front();
  rep.output = o.dry_run ? "" : o.paths.back();
  rep.format = format;
  rep.profile = o.profile;
  rep.keep_layout = o.keep_layout;
  rep.fill = *fill;
  auto warn = [&](const std::string& m) {
    rep.warnings.push_back(m);
    if (!o.quiet) cli::print_warning(kTool, m);
  };
  // The reader printed these as it found them (oo.warn); the report keeps them.
  rep.warnings = s.info().warnings;
  for (const auto& w : user_rules.warnings) warn(w);
  // A class that cannot be scrubbed fails the run unless --skip-unavailable.
  auto unavailable = [&](const std::string& what, const Error& e) -> bool {
    if (!o.skip_unavailable) {
      cli::print_error(kTool, what + ": " + e.message +
                                  " (nothing written; --skip-unavailable writes the dump "
                                  "without this step)");
      return true;
    }
    warn(what + " skipped: " + e.message);
    return false;
  };

  // The kernel model: VMCOREINFO, kallsyms, BTF, struct pages.
  auto km = KernelMemory::create(s);
  if (!km) return fail(with_context(km.error(), "kernel memory"));
  auto syms = Kallsyms::read(**km);
  std::optional<Btf> btf;
  if (syms) {
    auto b = o.vmlinux.empty() ? Btf::from_kernel(*syms, **km) : Btf::from_vmlinux(o.vmlinux);
    if (b) {
      btf.emplace(std::move(*b));
      rep.btf_source = o.vmlinux.empty() ? "dump" : "vmlinux " + o.vmlinux;
    } else if (!o.vmlinux.empty()) {
      return fail(b.error());
    } else {
      warn("no BTF type information: " + b.error().message);
    }
  } else {
    warn("no kallsyms: " + syms.error().message);
  }
  auto mm = (*km)->find_mem_map();
  if (!mm) warn("struct page array not found: " + mm.error().message);
  Kallsyms no_syms;
  filters::ScrubKernel kernel(**km, syms ? *syms : no_syms, btf ? &*btf : nullptr,
                              (*km)->vmcoreinfo(), mm ? *mm : MemMap{});
  auto kernel_ready = [&](const std::string& what) -> Status {
    if (!syms)
      return make_error(syms.error().code, what + ": no kallsyms: " + syms.error().message);
    if (!mm) return make_error(mm.error().code, what + ": " + mm.error().message);
    return ok();
  };

  // Pages: classes as makedumpfile -d 31 and the per-CPU free lists. Zero
  // pages stay (level 30) with --keep-layout, and in ELF output: there a
  // left-out zero page is a hole, and makedumpfile --dump-dmesg fails on a
  // hole in the printk ring where it would read a zero page.
  filters::FilterOptions fo;
  fo.dump_level = o.profile.empty()                      ? 0u
                  : (o.keep_layout || format != "kdump") ? 30u
                                                         : uint32_t{kDumpLevelMax};
  fo.threads = o.threads;
  cli::Progress classify_progress(kTool, "classifying pages", o.quiet);
  fo.progress = [&](const char*, uint64_t d, uint64_t t) { classify_progress.update(d, t); };
  auto filtered = filters::filter_pages(s, fo);
  classify_progress.finish();
  if (!filtered) return fail(filtered.error());
  auto& fr = *filtered;
  for (const auto& w : fr.stats.warnings) warn(w);
  rep.dropped = fr.stats.excluded;
  PfnSet all = s.present();
  if (fr.mem_map_end) all.erase_range(*fr.mem_map_end, all.end_bound() + 1);
  PfnSet dropped = all;
  dropped.subtract(fr.kept);
  if (!o.profile.empty()) {
    auto pcp = when_ready(kernel_ready("per-CPU free lists"),
                          [&] { return filters::find_pcp_free_pages(kernel); });
    if (!pcp) {
      if (unavailable("per-CPU free pages", pcp.error())) return cli::kExitFailure;
    } else {
      for (const auto& w : pcp->warnings) warn(w);
      PfnSet newly = pcp->pages;
      newly.intersect(fr.kept);
      rep.pcp_free = newly.count();
      dropped.add(newly);
    }
  }
  PfnSet pages = o.keep_layout ? all : fr.kept;
  if (!o.keep_layout) pages.subtract(dropped);

  // In-place erasure: the upload classes, then the rules.
  filters::EraseSet erase(s.info().page_size);
  if (o.profile == "upload") {
    using Finder =
        Result<filters::ClassReport> (*)(const filters::ScrubKernel&, filters::EraseSet&);
    const std::pair<const char*, Finder> finders[] = {
        {"key payloads", filters::erase_key_payloads},
        {"TTY and console buffers", filters::erase_tty_buffers},
        {"pipe buffers", filters::erase_pipe_buffers},
        {"freed slab objects", filters::erase_free_slab_objects},
    };
    // A named pair, not a structured binding: clang before 16 cannot capture one.
    for (const auto& finder : finders) {
      const auto& what = finder.first;
      auto r = when_ready(kernel_ready(what), [&] { return finder.second(kernel, erase); });
      if (!r) {
        if (unavailable(what, r.error())) return cli::kExitFailure;
        continue;
      }
      for (const auto& n : r->notes) warn(r->cls + ": " + n);
      rep.classes.push_back(std::move(*r));
    }
    auto rng = filters::parse_rules(filters::builtin_rng_rules(), "built-in");
    if (!rng) return fail(rng.error());
    filters::ApplyRulesOptions ao;
    ao.skip_missing = true;
    ao.cls = "rng";
    auto rr = when_ready(kernel_ready("RNG state"),
                         [&] { return filters::apply_rules(kernel, *rng, erase, ao); });
    if (!rr) {
      if (unavailable("RNG state", rr.error())) return cli::kExitFailure;
    } else {
      filters::ClassReport c;
      c.cls = "rng";
      for (auto& x : *rr) {
        c.objects += x.objects;
        c.bytes += x.bytes;
        rep.rules.push_back(std::move(x));
      }
      if (c.objects == 0) {
        if (unavailable("RNG state",
                        make_error(Errc::unsupported, "no RNG rule matched this kernel"))) {
          return cli::kExitFailure;
        }
      }
      rep.classes.push_back(std::move(c));
    }
  }
  if (!user_rules.rules.empty()) {
    if (auto st = kernel_ready("erase rules"); !st) return fail(st.error());
    auto rr = filters::apply_rules(kernel, user_rules, erase);
    if (!rr) return fail(rr.error());
    for (auto& x : *rr) rep.rules.push_back(std::move(x));
  }
  erase.finish();
  rep.items = erase.items();

  // eraseinfo: what the source had, then ours.
  DumpInfo info = s.info();
  std::string eraseinfo = info.eraseinfo;
  if (!eraseinfo.empty() && eraseinfo.back() != '\n') eraseinfo += '\n';
  eraseinfo += erase.eraseinfo();
  if (o.keep_layout && !dropped.empty()) {
    eraseinfo += strfmt("erase pages(%s) size %llu\n", o.profile.c_str(),
                        static_cast<unsigned long long>(dropped.count() * info.page_size));
  }
  info.eraseinfo = eraseinfo;
  if (!o.profile.empty()) info.dump_level = fo.dump_level;
  if (fr.mem_map_end && info.max_pfn > *fr.mem_map_end) info.max_pfn = *fr.mem_map_end;
  rep.pages_in = s.present().count();
  rep.pages_out = pages.count();

  if (!o.dry_run) {
    WriteJob job;
    job.output = o.paths.back();
    job.format = format;
    job.flattened = o.flattened;
    job.write.codec = *codec;
    job.write.level = o.level;
    job.write.dump_level = info.dump_level.value_or(0);
    job.write.warn = oo.warn;
    job.pipeline.threads = o.threads;
    job.pipeline.level = o.level;
    const std::byte fb{*fill};
    const bool keep = o.keep_layout;
    job.pipeline.transform = [&, fb, keep](Pfn pfn, std::span<std::byte> page) -> Status {
      if (keep && dropped.contains(pfn)) {
        std::memset(page.data(), std::to_integer<int>(fb), page.size());
        return ok();
      }
      erase.apply(pfn, page, fb);
      return ok();
    };
    auto stats = cli::with_progress(kTool, "writing " + format, o.quiet, job.pipeline,
                                    [&] { return write_dump(s, info, fr.ram, pages, job); });
    if (!stats) return fail(stats.error());
    rep.bytes_out = stats->bytes_out;
  }

  if (!o.quiet || o.dry_run) std::fputs(dumpscrub::summary_text(rep).c_str(), stderr);
  if (!o.json.empty()) {
    std::string text = dumpscrub::summary_json(rep).dump(2) + "\n";
    if (o.json == "-") {
      std::fputs(text.c_str(), stdout);
    } else {
      std::ofstream f(o.json, std::ios::binary | std::ios::trunc);
      f << text;
      if (!f) {
        cli::print_error(kTool, o.json + ": cannot write the JSON summary");
        return cli::kExitFailure;
      }
    }
  }
  return cli::kExitOk;
}
