// dumpsplit: split a crash dump into kdump-compressed parts in makedumpfile's
// --split layout (N parts, or as few as fit a size limit), written in
// parallel; and join a split set (ours or makedumpfile's) back into one dump.
#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <mutex>
#include <set>

#include "common/cli.h"
#include "common/cli_options.h"
#include "dumpfmt/format.h"
#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt/write.h"
#include "plan.h"

using namespace dumpfmt;

namespace {

constexpr const char* kTool = "dumpsplit";
constexpr unsigned kMaxParts = 1000;  // each part holds a file open while the set is written
constexpr uint64_t kMaxProfileBlocks = uint64_t{1} << 22;  // 64 MiB of size profile at most

struct Options {
  std::vector<std::string> paths;
  unsigned parts = 0;  // -n
  std::string max_size;
  bool reassemble = false;
  cli::CodecChoice codec;
  int level = 0;
  bool elf = false;
  std::string format;
  bool flattened = false;
  std::string parallel = "parts";
  unsigned threads = 0;
  std::string io = "auto";
  bool keep_going = false;
  bool quiet = false;
  bool verbose = false;
};

// Discards what a writer writes, remembering how far it got.
class MeasureSink final : public OutputSink {
 public:
  const std::string& name() const override { return name_; }
  bool seekable() const override { return true; }
  Status write_at(uint64_t off, std::span<const std::byte> data) override {
    end_ = std::max(end_, off + data.size());
    return ok();
  }
  Status commit() override { return ok(); }
  uint64_t end() const { return end_; }

 private:
  std::string name_ = "<measure>";
  uint64_t end_ = 0;
};

// Pass 1 of --max-size: records what each page will take in a part (the
// pipeline compresses exactly as it will when the parts are written; zero
// pages share the part's zero block), summed over aligned windows of PFNs,
// the places where a part may start.
class ProfileWriter final : public DumpWriter {
 public:
  ProfileWriter(CodecId codec, Pfn window) : codec_(codec), window_(window) {}
  CodecId wanted_codec() const override { return codec_; }
  Status begin(const DumpInfo&, const PfnSet&, const PfnSet&) override { return ok(); }
  Status write_page(const EncodedPage& page) override {
    Pfn start = page.pfn / window_ * window_;
    if (profile_.start.empty() || profile_.start.back() != start) {
      profile_.start.push_back(start);
      profile_.bytes.push_back(0);
    }
    profile_.bytes.back() += page.zero ? 0 : page.data.size();
    return ok();
  }
  Status finish() override { return ok(); }
  split::SizeProfile take() { return std::move(profile_); }

 private:
  CodecId codec_;
  Pfn window_;
  split::SizeProfile profile_;
};

// Bytes every part takes besides its pages: header, notes, both full bitmaps,
// the descriptor table of the whole dump, the zero block, eraseinfo. Measured
// by writing an empty part, so it is whatever the writer lays out.
Result<uint64_t> part_overhead(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages,
                               WriteOptions wo) {
  MeasureSink sink;
  wo.split_range = std::make_pair(Pfn{0}, Pfn{0});
  DUMPFMT_TRY_ASSIGN(auto w, find_format("kdump")->create_writer(sink, wo));
  DUMPFMT_TRY(w->begin(info, ram, pages));
  DUMPFMT_TRY(w->finish());
  return sink.end();
}

// Every part's writer makes the same remarks about the dump: say each once.
std::function<void(const std::string&)> warn_once() {
  struct Seen {
    std::mutex mu;
    std::set<std::string> said;
  };
  auto seen = std::make_shared<Seen>();
  return [seen](const std::string& m) {
    std::lock_guard<std::mutex> lock(seen->mu);
    if (seen->said.insert(m).second) cli::print_warning(kTool, m);
  };
}

// Refuses a file named twice, or an output that is also an input.
Status check_distinct(const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs) {
  struct Seen {
    std::string path;
    dev_t dev;
    ino_t ino;
    bool output;
  };
  std::vector<Seen> seen;
  auto add = [&](const std::string& p, bool output) -> Status {
    struct stat st {};
    if (p == "-" || ::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (!output || p == "-") return ok();
      for (const Seen& s : seen) {
        if (s.output && s.path == p) {
          return make_error(Errc::invalid_argument, p + " is named twice as an output");
        }
      }
      seen.push_back({p, 0, 0, true});
      return ok();
    }
    for (const Seen& s : seen) {
      if (s.ino != st.st_ino || s.dev != st.st_dev || s.path.empty()) continue;
      if (!s.output && !output) {
        return make_error(Errc::invalid_argument,
                          strfmt("%s and %s are the same file: a part was given twice",
                                 s.path.c_str(), p.c_str()));
      }
      return make_error(Errc::invalid_argument,
                        strfmt(output && !s.output ? "%s is an input too; choose another output"
                                                   : "%s is named twice as an output",
                               p.c_str()));
    }
    seen.push_back({p, st.st_dev, st.st_ino, output});
    return ok();
  };
  for (const auto& p : inputs) DUMPFMT_TRY(add(p, false));
  for (const auto& p : outputs) DUMPFMT_TRY(add(p, true));
  return ok();
}

Result<std::unique_ptr<PageSource>> open_source(const Options& o,
                                                const std::vector<std::string>& inputs) {
  // Reader warnings are printed as they arise (once, as open_options does).
  return open_dump(inputs, cli::open_options(kTool, o.io, o.quiet));
}

// A set with a part cut short (or flagged incomplete by its writer) would
// give a dump silently missing pages: refused unless --keep-going.
Status check_complete(const Options& o, const DumpInfo& in) {
  if (!in.incomplete || o.keep_going) return ok();
  std::string why;
  for (const auto& w : in.warnings) {
    if (w.find(" lost ") == std::string::npos && w.find("incomplete") == std::string::npos) {
      continue;
    }
    why += (why.empty() ? "" : "; ") + w;
  }
  return make_error(
      Errc::truncated,
      strfmt(
          "the input is incomplete%s%s; --keep-going writes the pages that "
          "remain",
          in.lost_from ? (": pages from PFN " + hex(*in.lost_from) + " on are lost").c_str() : "",
          why.empty() ? "" : (" (" + why + ")").c_str()));
}

int report_failed_pages(const PipelineStats& s, const DumpInfo& in) {
  if (in.incomplete) {
    cli::print_warning(kTool, "the input was incomplete; its lost pages are not in the output");
  }
  if (!s.failed_pages) return in.incomplete ? cli::kExitPartial : cli::kExitOk;
  cli::print_warning(
      kTool, strfmt("%llu page(s) could not be read and were written as zeros; "
                    "first: %s",
                    static_cast<unsigned long long>(s.failed_pages), s.first_failure.c_str()));
  return cli::kExitPartial;
}

int fail(const Error& e, int code = cli::kExitFailure) {
  cli::print_error(kTool, e);
  return code;
}

// Measures every page's stored size (pass 1) and cuts the dump into the
// fewest parts that fit `limit`, balanced.
Result<split::Ranges> plan_max_size(const Options& o, const PageSource& src, const DumpInfo& info,
                                    const PfnSet& pages, const WriteJob& job, uint64_t limit) {
  DUMPFMT_TRY_ASSIGN(uint64_t overhead, part_overhead(info, src.ram(), pages, job.write));
  if (limit <= overhead) {
    return make_error(
        Errc::invalid_argument,
        strfmt("--max-size %s is too small: every part repeats the header, both page bitmaps "
               "and the descriptor table of the whole dump, %llu bytes (%s) here, before any "
               "page data",
               o.max_size.c_str(), static_cast<unsigned long long>(overhead),
               cli::human_bytes(overhead).c_str()));
  }
  // Windows as fine as the cut alignment allows, but at most
  // kMaxProfileBlocks of them over the address space.
  const uint64_t windows = (info.max_pfn + split::kCutAlign - 1) / split::kCutAlign;
  const Pfn window = split::kCutAlign *
                     std::max<uint64_t>(1, (windows + kMaxProfileBlocks - 1) / kMaxProfileBlocks);
  ProfileWriter profiler(job.write.codec, window);
  cli::Progress progress(kTool, "measuring compressed sizes", o.quiet);
  PipelineOptions po = job.pipeline;
  po.progress = [&](uint64_t d, uint64_t t) { progress.update(d, t); };
  DUMPFMT_TRY(run_pipeline(src, pages, profiler, po));
  progress.finish();
  auto plan = split::plan_by_size(profiler.take(), info.max_pfn, limit - overhead);
  if (!plan) {
    Error e = plan.error();
    e.message = strfmt(
        "--max-size %s is too small: %s (each part also repeats %llu bytes of "
        "headers, bitmaps and descriptor table)",
        o.max_size.c_str(), e.message.c_str(), static_cast<unsigned long long>(overhead));
    return e;
  }
  if (o.verbose) {
    std::string sizes;
    for (uint64_t b : plan->payload) sizes += (sizes.empty() ? "" : " + ") + std::to_string(b);
    std::fprintf(stderr,
                 "%s: %zu part(s) of at most %llu bytes: %llu bytes of headers each, "
                 "page data %s\n",
                 kTool, plan->ranges.size(), static_cast<unsigned long long>(limit),
                 static_cast<unsigned long long>(overhead), sizes.c_str());
  }
  return plan->ranges;
}

int split_dump(const Options& o) {
  const bool by_size = !o.max_size.empty();
  if (by_size == (o.parts != 0)) {
    return fail(make_error(Errc::invalid_argument, "give either -n N or --max-size SIZE"),
                cli::kExitUsage);
  }
  if (o.elf || (!o.format.empty() && o.format != "kdump") || o.flattened) {
    return fail(make_error(Errc::invalid_argument,
                           "split parts are kdump-compressed files; -E, -f and -F apply to "
                           "--reassemble"),
                cli::kExitUsage);
  }
  uint64_t limit = 0;
  if (by_size) {
    auto l = cli::parse_size(o.max_size);
    if (!l || *l == 0) {
      return fail(make_error(Errc::invalid_argument,
                             "--max-size wants a size such as 100M, 4.7G or 1048576"),
                  cli::kExitUsage);
    }
    limit = *l;
  }
  const size_t outputs = by_size ? 1 : o.parts;
  if (o.paths.size() < outputs + 1) {
    return fail(
        make_error(Errc::invalid_argument,
                   by_size ? "need INPUT... PREFIX (see --help)"
                           : strfmt("need INPUT... and %u part names (see --help)", o.parts)),
        cli::kExitUsage);
  }
  auto codec = cli::resolve_codec(o.codec, CodecId::zlib, kTool);
  if (!codec) return fail(codec.error(), cli::kExitUsage);

  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - static_cast<ptrdiff_t>(outputs));
  std::vector<std::string> names(o.paths.end() - static_cast<ptrdiff_t>(outputs), o.paths.end());
  if (!by_size) {
    if (auto st = check_distinct(inputs, names); !st) return fail(st.error(), cli::kExitUsage);
  }
  auto src = open_source(o, inputs);
  if (!src) return fail(src.error());
  const PageSource& s = **src;
  if (auto st = check_complete(o, s.info()); !st) return fail(st.error());
  const PfnSet& pages = s.present();
  // The parts must tile [0, max_mapnr) of the header the writer will lay out.
  DumpInfo info = s.info();
  info.max_pfn = std::max({info.max_pfn, pages.end_bound(), s.ram().end_bound()});
  info.split_range.reset();

  PartsJob pj;
  pj.base.format = "kdump";
  pj.base.write.codec = *codec;
  pj.base.write.level = o.level;
  // Our writer stores zero pages as one shared zero block, which is what
  // dump level bit 1 says; makedumpfile --reassemble keeps them shared only
  // when it is set (otherwise it copies a full zero page for each).
  pj.base.write.dump_level = info.dump_level.value_or(0) | kDumpLevelZero;
  pj.base.write.warn = warn_once();
  pj.base.pipeline.threads = o.threads;
  pj.base.pipeline.level = o.level;
  pj.base.pipeline.keep_going = o.keep_going;
  pj.parallelism = o.parallel == "pages" ? PartParallelism::pages : PartParallelism::parts;

  split::Ranges ranges;
  if (by_size) {
    auto r = plan_max_size(o, s, info, pages, pj.base, limit);
    if (!r) return fail(r.error());
    ranges = std::move(*r);
    if (ranges.size() > kMaxParts) {
      return fail(make_error(Errc::invalid_argument,
                             strfmt("--max-size %s would need %zu parts, more than %u",
                                    o.max_size.c_str(), ranges.size(), kMaxParts)));
    }
    names.clear();
    for (size_t i = 0; i < ranges.size(); ++i) {
      names.push_back(o.paths.back() + "." + std::to_string(i + 1));
    }
    if (auto st = check_distinct(inputs, names); !st) return fail(st.error(), cli::kExitUsage);
    pj.max_bytes = limit;
  } else {
    ranges = split::plan_by_count(pages, info.max_pfn, o.parts);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    pj.parts.push_back({names[i], ranges[i].first, ranges[i].second});
  }

  auto stats = cli::with_progress(kTool, "writing " + std::to_string(pj.parts.size()) + " parts",
                                  o.quiet, pj.base.pipeline,
                                  [&] { return write_parts(s, info, s.ram(), pages, pj); });
  if (!stats) return fail(stats.error());
  if (o.verbose || !o.quiet) {
    for (size_t i = 0; i < pj.parts.size(); ++i) {
      const auto& p = pj.parts[i];
      std::fprintf(stderr, "%s: %s: PFNs %s-%s, %llu pages, %llu bytes\n", kTool, p.path.c_str(),
                   hex(p.start).c_str(), hex(p.end).c_str(),
                   static_cast<unsigned long long>(pages.count_range(p.start, p.end)),
                   static_cast<unsigned long long>(stats->part_bytes[i]));
    }
  }
  if (by_size) {
    std::string stale = o.paths.back() + "." + std::to_string(ranges.size() + 1);
    struct stat st {};
    if (::stat(stale.c_str(), &st) == 0) {
      cli::print_warning(kTool, stale + " is left from an earlier run and is not part of this set");
    }
  }
  return report_failed_pages(stats->pipeline, s.info());
}

int reassemble(const Options& o) {
  if (o.parts || !o.max_size.empty()) {
    return fail(make_error(Errc::invalid_argument, "--reassemble takes no -n or --max-size"),
                cli::kExitUsage);
  }
  if (o.paths.size() < 2) {
    return fail(make_error(Errc::invalid_argument, "need PART... OUTPUT (see --help)"),
                cli::kExitUsage);
  }
  std::vector<std::string> inputs(o.paths.begin(), o.paths.end() - 1);
  if (auto st = check_distinct(inputs, {o.paths.back()}); !st) {
    return fail(st.error(), cli::kExitUsage);
  }
  std::string format = o.format.empty() ? (o.elf ? "elf" : "kdump") : o.format;
  if (o.elf && format != "elf") {
    return fail(make_error(Errc::invalid_argument, "-E conflicts with -f " + format),
                cli::kExitUsage);
  }
  if (const Format* f = find_format(format); !f || !f->create_writer) {
    return fail(make_error(Errc::invalid_argument, "unknown output format '" + format + "'"),
                cli::kExitUsage);
  }
  auto src = open_source(o, inputs);
  if (!src) return fail(src.error());
  const PageSource& s = **src;
  const DumpInfo& in = s.info();
  if (auto st = check_complete(o, in); !st) return fail(st.error());
  if (in.split_range) {
    // One file of a set: the reader opens it for inspection, but joining it
    // alone would silently drop the other parts' pages.
    const auto [a, b] = *in.split_range;
    if (a != 0 || b < in.max_pfn) {
      return fail(make_error(
          Errc::invalid_argument,
          strfmt("%s holds only PFNs %s-%s of %s: the other parts of the split "
                 "set are missing",
                 inputs[0].c_str(), hex(a).c_str(), hex(b).c_str(), hex(in.max_pfn).c_str())));
    }
  } else if (inputs.size() == 1) {
    return fail(make_error(Errc::invalid_argument,
                           inputs[0] + ": not a part of a split dump; give every part"));
  }
  // Keep the parts' codec unless told otherwise.
  CodecId fallback = CodecId::zlib;
  if (auto c = codec_from_name(in.compression); c && codec_built(*c)) fallback = *c;
  auto codec = cli::resolve_codec(o.codec, fallback, kTool);
  if (!codec) return fail(codec.error(), cli::kExitUsage);

  DumpInfo info = in;
  info.split_range.reset();
  WriteJob job;
  job.output = o.paths.back();
  job.format = format;
  job.flattened = o.flattened;
  job.write.codec = *codec;
  job.write.level = o.level;
  job.write.dump_level = in.dump_level.value_or(0);
  job.write.warn = [&](const std::string& m) { cli::print_warning(kTool, m); };
  job.pipeline.threads = o.threads;
  job.pipeline.level = o.level;
  job.pipeline.keep_going = o.keep_going;
  auto stats = cli::with_progress(kTool, "writing " + format, o.quiet, job.pipeline,
                                  [&] { return write_dump(s, info, s.ram(), s.present(), job); });
  if (!stats) return fail(stats.error());
  return report_failed_pages(*stats, in);
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
  cli::add_codec_options(app, o.codec, "parts (or --reassemble output)");
  app.add_option("--level", o.level, "codec level (default: the fastest, as makedumpfile)");
  app.add_flag("-E", o.elf, "--reassemble: ELF vmcore output (same as -f elf)");
  app.add_option("-f,--format", o.format, "--reassemble: output format (default kdump)");
  app.add_flag("-F,--flatten", o.flattened, "--reassemble: flattened output (for pipes)");
  app.add_option("--parallel", o.parallel,
                 "how parts share the CPUs: parts (a pipeline per part, all at once; default) "
                 "or pages (one pipeline, parts filled in turn)")
      ->check(CLI::IsMember({"parts", "pages"}));
  app.add_option("--num-threads", o.threads, "compression threads in all (default: all CPUs)");
  cli::add_io_option(app, o.io);
  app.add_flag("--keep-going", o.keep_going,
               "write unreadable pages as zeros, report them, exit 3 (default: stop)");
  app.add_flag("-q,--quiet", o.quiet, "no progress or summary on stderr");
  app.add_flag("-v,--verbose", o.verbose, "print the plan of --max-size");
  cli::add_version_flag(app, kTool);
  app.footer(
      "Exit status: 0 success, 1 failure, 2 usage error, 3 done with unreadable pages.\n"
      "See dumpsplit(1).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }
  return o.reassemble ? reassemble(o) : split_dump(o);
}
