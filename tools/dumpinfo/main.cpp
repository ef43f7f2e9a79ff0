// dumpinfo: what a crash dump is before opening it in crash: format, kernel,
// machine, CPUs, memory and damage; optionally VMCOREINFO, the kernel log,
// pages per class and a full read check; as text or JSON.
#include <CLI/CLI.hpp>

#include <optional>

#include "common/cli.h"
#include "common/cli_options.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "identify.h"
#include "sections.h"

using namespace dumpfmt;
using namespace dumpfmt::dumpinfo;

namespace {

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
  app.footer(
      "Exit status: 0 success (with --verify: the dump is sound), 1 failure (with --verify: the\n"
      "dump is damaged or cannot be opened), 2 usage error. See dumpinfo(1).");
  if (auto rc = cli::finish_command_line(app, kTool, argc, argv)) return *rc;
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
  Printer out(o.json, want_info + o.vmcoreinfo + o.dmesg + o.mem_usage + o.verify);

  OpenOptions oo = cli::open_options(kTool, o.io, o.quiet);
  std::optional<cli::Progress> unpack;
  auto opened = open_for_info(o.paths, oo, [&](uint64_t d, uint64_t t) {
    if (!unpack) unpack.emplace(kTool, "decompressing", o.quiet);
    unpack->update(d / 4096, t / 4096);
  });
  if (unpack) unpack->finish();
  if (!opened) return print_open_failure(out, opened.error(), o.verify);
  const PageSource& src = *opened->src;

  // The kernel model, when VMCOREINFO allows one (dmesg, mem-usage, utsname).
  auto km = KernelMemory::create(src);
  const KernelMemory* kernel = km ? km->get() : nullptr;
  if (want_info) {
    IdentifyOptions io;
    io.force_scan = o.scan;
    io.scan.max_bytes = scan_limit;
    identification_section(out, *opened, kernel, io, o.all_ranges ? 0 : 16, o.quiet);
  }
  if (o.vmcoreinfo) vmcoreinfo_section(out, src);
  if (o.dmesg) dmesg_section(out, km, o.caller_id);
  if (o.mem_usage) mem_usage_section(out, src, kernel, o.threads, o.quiet);
  if (o.verify) verify_section(out, *opened, o.threads, o.quiet);
  return out.finish();
}
