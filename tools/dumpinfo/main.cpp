// dumpinfo: what a crash dump is before opening it in crash: format, kernel,
// machine, CPUs, memory and damage; optionally VMCOREINFO, the kernel log,
// pages per class and a full read check; as text or JSON.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>

#include "common/cli.h"
#include "common/cli_options.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/printk.h"
#include "identify.h"
#include "mem_usage.h"
#include "report.h"
#include "verify.h"

using namespace dumpfmt;
using namespace dumpfmt::dumpinfo;

namespace {

constexpr const char* kTool = "dumpinfo";

struct Options {
  std::vector<std::string> paths;
  bool json = false;
  bool info = false;
  bool vmcoreinfo = false;
  bool dmesg = false;
  bool caller_id = false;
  bool mem_usage = false;
  bool verify = false;
  bool scan = false;
  std::string scan_limit = "1G";
  bool all_ranges = false;
  bool quiet = false;
  unsigned threads = 0;
  std::string io = "auto";
};

void write_stdout(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

// The sections a run prints; text mode prints a heading only when it prints
// more than one, so a single section's output is exactly that section.
struct Printer {
  int sections = 0;
  int printed = 0;
  Json doc;
  void text(const char* heading, const std::string& body) {
    if (sections > 1) write_stdout(std::string(printed ? "\n" : "") + "== " + heading + " ==\n");
    write_stdout(body);
    ++printed;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Identify a kernel crash dump (ELF vmcore, kdump-compressed, flattened, split set, s390,\n"
      "sadump; also when compressed whole with gzip, zstd or lz4) and print what it holds.\n"
      "FILE may be several files: the parts of a split dump. '-' is stdin.",
      kTool};
  app.get_formatter()->column_width(30);
  app.add_option("paths", o.paths, "FILE...")->type_name("FILE");
  app.add_flag("--json", o.json, "JSON output (schema in dumpinfo(1)); includes identification");
  app.add_flag("-i,--info", o.info,
               "identification (the default when no other section is asked for)");
  app.add_flag("--vmcoreinfo", o.vmcoreinfo, "the raw VMCOREINFO text, byte for byte");
  app.add_flag("--dmesg", o.dmesg, "the kernel log, as makedumpfile --dump-dmesg writes it");
  app.add_flag("--caller-id", o.caller_id,
               "with --dmesg: prefix each line with its caller, as makedumpfile 1.7.5+ does");
  app.add_flag("--mem-usage", o.mem_usage, "pages per class, as makedumpfile --mem-usage");
  app.add_flag("--verify", o.verify, "read every page; exit status 0 only if the dump is sound");
  app.add_flag("--scan", o.scan,
               "scan memory for the kernel release even when VMCOREINFO names it");
  app.add_option("--scan-limit", o.scan_limit,
                 "memory examined by that scan, e.g. 4G, or 'all' (default 1G)")
      ->type_name("SIZE");
  app.add_flag("--all-ranges", o.all_ranges, "list every memory range (default: the first 16)");
  app.add_option("--num-threads", o.threads, "threads for --verify and --mem-usage (default: all)");
  cli::add_io_option(app, o.io);
  app.add_flag("-q,--quiet", o.quiet, "no progress on stderr");
  cli::add_version_flag(app, kTool);
  app.footer(
      "Exit status: 0 success (with --verify: the dump is sound), 1 failure (with --verify: the\n"
      "dump is damaged or cannot be opened), 2 usage error. See dumpinfo(1).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }
  if (o.paths.empty()) {
    cli::print_error(kTool, "need FILE (see --help)");
    return cli::kExitUsage;
  }
  uint64_t scan_limit = 0;
  if (o.scan_limit != "all") {
    auto v = cli::parse_size(o.scan_limit);
    if (!v || *v == 0) {
      cli::print_error(kTool, "--scan-limit wants a size such as 512M or 4G, or 'all'");
      return cli::kExitUsage;
    }
    scan_limit = *v;
  }
  if (o.caller_id && !o.dmesg) {
    cli::print_error(kTool, "--caller-id goes with --dmesg");
    return cli::kExitUsage;
  }
  const bool want_info = o.info || o.json || !(o.vmcoreinfo || o.dmesg || o.mem_usage || o.verify);
  Printer out;
  out.sections = want_info + o.vmcoreinfo + o.dmesg + o.mem_usage + o.verify;
  int rc = cli::kExitOk;
  auto fail = [&](const char* what, const Error& e) {
    cli::print_error(kTool, std::string(what) + ": " + e.message);
    if (o.json) out.doc[what] = Json{{"error", error_json(e)}};
    rc = cli::kExitFailure;
  };
  auto finish = [&] {
    if (o.json) write_stdout(out.doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    return rc;
  };

  OpenOptions oo = cli::open_options(kTool, o.io, o.quiet);
  std::optional<cli::Progress> unpack;
  auto opened = open_for_info(o.paths, oo, [&](uint64_t d, uint64_t t) {
    if (!unpack) unpack.emplace(kTool, "decompressing", o.quiet);
    unpack->update(d / 4096, t / 4096);
  });
  if (unpack) unpack->finish();
  if (!opened) {
    if (o.verify) {
      if (o.json) {
        out.doc["schema_version"] = kJsonSchemaVersion;
        out.doc["error"] = error_json(opened.error());
        out.doc["verify"] = verify_open_failure_json(opened.error());
      } else {
        out.text("verify", verify_open_failure_text(opened.error()));
      }
      rc = cli::kExitFailure;
      return finish();
    }
    cli::print_error(kTool, opened.error());
    if (o.json) {
      out.doc["schema_version"] = kJsonSchemaVersion;
      out.doc["error"] = error_json(opened.error());
      finish();
    }
    return cli::kExitFailure;
  }
  const PageSource& src = *opened->src;

  // The kernel model, when VMCOREINFO allows one (dmesg, mem-usage, utsname).
  std::unique_ptr<KernelMemory> km;
  std::optional<Error> km_error;
  if (auto k = KernelMemory::create(src)) {
    km = std::move(*k);
  } else {
    km_error = k.error();
  }

  if (want_info) {
    IdentifyOptions io;
    io.force_scan = o.scan;
    io.scan.max_bytes = scan_limit;
    std::optional<cli::Progress> sp;
    io.scan.progress = [&](uint64_t d, uint64_t t) {
      if (!sp) sp.emplace(kTool, "scanning memory for the kernel release", o.quiet);
      const uint64_t ps = src.info().page_size;
      sp->update(d / ps, t ? t / ps : src.present().count());
    };
    Identity id = identify(*opened, km.get(), io);
    if (sp) sp->finish();
    if (o.json) {
      out.doc = identity_json(id);
    } else {
      out.text("identification", identity_text(id, o.all_ranges ? 0 : 16));
    }
  }

  if (o.vmcoreinfo) {
    const auto& v = src.info().vmcoreinfo;
    if (!v) {
      fail("vmcoreinfo", make_error(Errc::no_data, "the dump carries no VMCOREINFO"));
    } else if (o.json) {
      out.doc["vmcoreinfo"] = *v;
    } else {
      out.text("vmcoreinfo", *v);
    }
  }

  if (o.dmesg) {
    DmesgFormat f;
    f.caller_id = o.caller_id;
    if (!km) {
      fail("dmesg", *km_error);
    } else if (auto d = read_dmesg(*km); !d) {
      fail("dmesg", d.error());
    } else {
      for (const auto& w : d->warnings) cli::print_warning(kTool, w);
      if (o.json) {
        out.doc["dmesg"] = dmesg_json(*d, f);
      } else {
        out.text("dmesg", format_dmesg(*d, f));
      }
    }
  }

  if (o.mem_usage) {
    std::optional<cli::Progress> mp;
    std::string phase;
    uint64_t last_done = ~uint64_t{0};
    auto u = mem_usage(src, km.get(), o.threads, [&](const char* what, uint64_t d, uint64_t t) {
      if (!mp || phase != what) {
        if (mp) mp->finish();
        phase = what;
        mp.emplace(kTool, what, o.quiet);
      } else if (d == t && last_done == d) {
        return;  // the final count once
      }
      last_done = d;
      mp->update(d, t);
    });
    if (mp) mp->finish();
    if (!u) {
      fail("mem_usage", u.error());
    } else {
      if (!u->classified) {
        cli::print_warning(kTool, "page classes unknown (" + u->not_classified_why +
                                      "): only zero pages are told apart");
      }
      for (const auto& w : u->warnings) cli::print_warning(kTool, w);
      if (o.json) {
        out.doc["mem_usage"] = mem_usage_json(*u);
      } else {
        out.text("mem-usage", format_mem_usage(*u));
      }
    }
  }

  if (o.verify) {
    VerifyOptions vo;
    vo.threads = o.threads;
    cli::Progress vp(kTool, "verifying", o.quiet);
    vo.progress = [&](uint64_t d, uint64_t t) { vp.update(d, t); };
    VerifyReport r = verify_pages(src, vo);
    vp.finish();
    if (!r.ok()) rc = cli::kExitFailure;
    // Where a cut-short file stops: the offset the lost data needed to reach.
    if (r.lost_from) {
      for (const auto& f : opened->files) {
        r.reader_warnings.push_back(strfmt("%s: the file ends at offset %s%s", f.path.c_str(),
                                           hex(f.size).c_str(),
                                           f.compression.empty() ? "" : " (compressed)"));
      }
    }
    if (o.json) {
      out.doc["verify"] = verify_json(r);
    } else {
      out.text("verify", verify_text(r));
    }
  }
  return finish();
}
