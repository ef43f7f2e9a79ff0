// Measuring the parts of a split dump before writing them: writers that
// discard what they are given and remember its size (see
// dumpfmt/split_measure.h).
#include "dumpfmt/split_measure.h"

#include <algorithm>
#include <span>
#include <string>

#include "dumpfmt/bytes.h"
#include "dumpfmt/format.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt::split {

namespace {

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

// Records what each page will take in a part (the pipeline compresses it as
// it will when the parts are written; zero pages share the part's zero
// block), summed over aligned windows of PFNs, the places where a part may
// start.
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
  SizeProfile take() { return std::move(profile_); }

 private:
  CodecId codec_;
  Pfn window_;
  SizeProfile profile_;
};

}  // namespace

Result<uint64_t> part_overhead(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages,
                               const WriteJob& job) {
  const Format* fmt = find_format(job.format);
  if (!fmt || !fmt->create_writer) {
    return make_error(Errc::invalid_argument, "cannot write parts in format '" + job.format + "'");
  }
  MeasureSink sink;
  WriteOptions wo = job.write;
  wo.split_range = std::make_pair(Pfn{0}, Pfn{0});
  DUMPFMT_TRY_ASSIGN(auto w, fmt->create_writer(sink, wo));
  DUMPFMT_TRY(w->begin(info, ram, pages));
  DUMPFMT_TRY(w->finish());
  return sink.end();
}

Pfn profile_window(Pfn max_pfn) {
  const uint64_t windows = (max_pfn + kCutAlign - 1) / kCutAlign;
  return kCutAlign * std::max<uint64_t>(1, (windows + kMaxProfileBlocks - 1) / kMaxProfileBlocks);
}

Result<SizeProfile> size_profile(const PageSource& src, const PfnSet& pages, const WriteJob& job,
                                 Pfn window) {
  if (window == 0 || window % kCutAlign != 0) {
    return make_error(Errc::invalid_argument,
                      strfmt("size profile: a window of %s PFNs is not a multiple of %s",
                             hex(window).c_str(), hex(kCutAlign).c_str()));
  }
  ProfileWriter profiler(job.write.codec, window);
  DUMPFMT_TRY(run_pipeline(src, pages, profiler, job.pipeline));
  return profiler.take();
}

Result<SizeSplit> plan_split_by_size(const PageSource& src, const DumpInfo& info,
                                     const PfnSet& pages, const WriteJob& job, uint64_t limit) {
  DUMPFMT_TRY_ASSIGN(const uint64_t overhead, part_overhead(info, src.ram(), pages, job));
  if (limit <= overhead) {
    return SizeSplit{overhead, make_error(Errc::invalid_argument,
                                          strfmt("a part of at most %llu bytes has no room for "
                                                 "pages: every part repeats %llu bytes of "
                                                 "headers, bitmaps and descriptor table",
                                                 static_cast<unsigned long long>(limit),
                                                 static_cast<unsigned long long>(overhead)))};
  }
  DUMPFMT_TRY_ASSIGN(SizeProfile profile,
                     size_profile(src, pages, job, profile_window(info.max_pfn)));
  return SizeSplit{overhead, plan_by_size(profile, info.max_pfn, limit - overhead)};
}

}  // namespace dumpfmt::split
