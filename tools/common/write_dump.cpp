// write_dump: the shared output path of the tools (see write_dump.h).
#include "common/write_dump.h"

#include "common/cli.h"
#include "dumpfmt/bytes.h"
#include "dumpfmt/format.h"
#include "dumpfmt/kernel/release_scan.h"
#include "dumpfmt/output.h"

namespace dumpfmt::cli {

Result<OpenOutput> open_output(const WriteJob& job, const SinkWrapper& wrap) {
  const Format* fmt = find_format(job.format);
  if (!fmt) return make_error(Errc::invalid_argument, "unknown output format '" + job.format + "'");
  if (!fmt->create_writer) {
    return make_error(Errc::unsupported, "writing the " + job.format + " format is not supported");
  }
  OutputOptions oo;
  oo.flattened = job.flattened;
  DUMPFMT_TRY_ASSIGN(auto sink, create_output(job.output, oo));
  if (!sink->seekable() && !fmt->writes_sequentially) {
    return make_error(Errc::invalid_argument,
                      sink->name() + ": the " + job.format +
                          " format needs a seekable output; write to a file or use the flattened "
                          "form (-F) for a pipe");
  }
  if (wrap) sink = wrap(std::move(sink));
  DUMPFMT_TRY_ASSIGN(auto writer, fmt->create_writer(*sink, job.write));
  return OpenOutput{std::move(sink), std::move(writer)};
}

DumpInfo header_info(const PageSource& src, const DumpInfo& info, const WriteJob& job) {
  DumpInfo out = info;
  if (job.format == "kdump") {
    if (auto st = complete_utsname(src, out.uts); !st && job.write.warn) {
      job.write.warn("the kdump header's utsname stays incomplete (libkdumpfile will not "
                     "recognise the architecture by itself): " + st.error().message);
    }
  }
  return out;
}

Result<PipelineStats> write_dump(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                                 const PfnSet& pages, const WriteJob& job) {
  DUMPFMT_TRY_ASSIGN(OpenOutput out, open_output(job));
  OutputSink* sink = out.sink.get();
  DumpWriter* writer = out.writer.get();
  auto fail = [&](Error e) -> Error {
    if (!sink->seekable() || job.output == "-") {
      e.message += " (the output written so far to " + sink->name() + " is incomplete)";
    }
    return e;
  };
  if (auto st = writer->begin(header_info(src, info, job), ram, pages); !st) {
    return fail(std::move(st).error());
  }

  Progress progress(job.tool, "writing " + job.format, job.quiet);
  PipelineOptions po = job.pipeline;
  po.progress = [&](uint64_t done, uint64_t total) { progress.update(done, total); };
  auto stats = run_pipeline(src, pages, *writer, po);
  progress.finish();
  if (!stats) return fail(std::move(stats).error());
  if (auto st = sink->commit(); !st) return fail(std::move(st).error());
  return stats;
}

}  // namespace dumpfmt::cli
