// The write engine for one output, whole or a window at a time (see
// dumpfmt/write_dump.h).
#include "dumpfmt/write_dump.h"

#include <algorithm>

#include "dumpfmt/bytes.h"
#include "dumpfmt/format.h"
#include "dumpfmt/kernel/release_scan.h"
#include "dumpfmt/output.h"

namespace dumpfmt {

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
      job.write.warn(
          "the kdump header's utsname stays incomplete (libkdumpfile will not "
          "recognise the architecture by itself): " +
          st.error().message);
    }
  }
  return out;
}

namespace {

// Errors on a pipe or stdout say that what was written so far is incomplete
// (a file is simply not renamed into place).
Error incomplete(const OutputSink& sink, const WriteJob& job, Error e) {
  if (!sink.seekable() || job.output == "-") {
    e.message += " (the output written so far to " + sink.name() + " is incomplete)";
  }
  return e;
}

}  // namespace

Result<PipelineStats> write_dump(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                                 const PfnSet& pages, const WriteJob& job) {
  DUMPFMT_TRY_ASSIGN(OpenOutput out, open_output(job));
  auto fail = [&](Error e) { return incomplete(*out.sink, job, std::move(e)); };
  if (auto st = out.writer->begin(header_info(src, info, job), ram, pages); !st) {
    return fail(std::move(st).error());
  }
  auto stats = run_pipeline(src, pages, *out.writer, job.pipeline);
  if (!stats) return fail(std::move(stats).error());
  if (auto st = out.sink->commit(); !st) return fail(std::move(st).error());
  return stats;
}

Result<PipelineStats> write_dump_windowed(const PageSource& src, const DumpInfo& info, Pfn max_pfn,
                                          uint64_t page_count, uint64_t window_pfns,
                                          const WindowSource& next_window, const WriteJob& job) {
  if (window_pfns == 0 || window_pfns % 8) {
    return make_error(Errc::invalid_argument, "windows must be a positive multiple of 8 pages");
  }
  DUMPFMT_TRY_ASSIGN(OpenOutput out, open_output(job));
  auto fail = [&](Error e) { return incomplete(*out.sink, job, std::move(e)); };
  if (!out.writer->supports_windows()) {
    return make_error(Errc::unsupported, "the " + job.format +
                                             " format needs the whole page set at once and "
                                             "cannot be written in cycles");
  }
  max_pfn = std::max(max_pfn, info.max_pfn);
  if (auto st = out.writer->begin_windows(header_info(src, info, job), max_pfn, page_count); !st) {
    return fail(std::move(st).error());
  }
  PipelineStats total;
  PipelineOptions po = job.pipeline;
  po.finish_writer = false;
  // Progress counts the pages of the whole output, not of the window.
  if (job.pipeline.progress) {
    po.progress = [&](uint64_t done, uint64_t) {
      job.pipeline.progress(total.pages + done, page_count);
    };
  }
  for (Pfn first = 0; first < max_pfn;) {
    const Pfn last = max_pfn - first > window_pfns ? first + window_pfns : max_pfn;
    auto sets = next_window(first, last);
    if (!sets) return fail(std::move(sets).error());
    if (auto st = out.writer->begin_window(first, last, sets->ram, sets->pages); !st) {
      return fail(std::move(st).error());
    }
    auto stats = run_pipeline(src, sets->pages, *out.writer, po);
    if (!stats) return fail(std::move(stats).error());
    total.add(*stats);
    first = last;
  }
  if (auto st = out.writer->finish(); !st) return fail(std::move(st).error());
  if (auto st = out.sink->commit(); !st) return fail(std::move(st).error());
  return total;
}

}  // namespace dumpfmt
