// The write engine for the parts of a split dump, written at the same time
// (see dumpfmt/write_parts.h).
#include "dumpfmt/write_parts.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "dumpfmt/bytes.h"
#include "dumpfmt/page_scan.h"
#include "dumpfmt/pipeline.h"

namespace dumpfmt {

namespace {

constexpr size_t kMaxConcurrentParts = 16;  // beyond the CPU count; for parts on many disks
constexpr size_t kMinBatchPages = 64;

// Enforces the size limit as bytes are written (the guarantee does not rest
// on the caller's arithmetic) and remembers how large the part became.
class LimitedSink final : public OutputSink {
 public:
  LimitedSink(std::unique_ptr<OutputSink> inner, uint64_t limit)
      : inner_(std::move(inner)), limit_(limit) {}
  const std::string& name() const override { return inner_->name(); }
  bool seekable() const override { return inner_->seekable(); }
  Status write_at(uint64_t off, std::span<const std::byte> data) override {
    uint64_t end = 0;
    if (!checked_add(off, data.size(), &end) || (limit_ && end > limit_)) {
      return make_error(Errc::invalid_argument,
                        strfmt("%s: the part would grow past the size limit of %llu bytes "
                               "(write of %zu bytes at offset %s)",
                               name().c_str(), static_cast<unsigned long long>(limit_), data.size(),
                               hex(off).c_str()));
    }
    DUMPFMT_TRY(inner_->write_at(off, data));
    end_ = std::max(end_, end);
    return ok();
  }
  Status commit() override { return inner_->commit(); }
  uint64_t end() const { return end_; }

 private:
  std::unique_ptr<OutputSink> inner_;
  uint64_t limit_;
  uint64_t end_ = 0;
};

// One part: its sink and writer; `limited` is the sink's size-limit layer.
struct Part {
  OpenOutput out;
  LimitedSink* limited = nullptr;
};

// Stops a part when another part has failed, so a doomed set does not keep
// compressing.
class StoppableWriter final : public DumpWriter {
 public:
  StoppableWriter(DumpWriter& w, const std::atomic<bool>& stop) : w_(w), stop_(stop) {}
  CodecId wanted_codec() const override { return w_.wanted_codec(); }
  Status begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) override {
    return w_.begin(info, ram, pages);
  }
  Status write_page(const EncodedPage& page) override {
    if (stop_.load(std::memory_order_relaxed)) {
      return make_error(Errc::io, "stopped because another part failed");
    }
    return w_.write_page(page);
  }
  Status finish() override { return w_.finish(); }

 private:
  DumpWriter& w_;
  const std::atomic<bool>& stop_;
};

// Hands each page of one pipeline to the part whose range holds it; pages
// arrive in PFN order, so the parts are filled one after the other.
class FanOutWriter final : public DumpWriter {
 public:
  FanOutWriter(std::vector<Part>& parts, const std::vector<PartOutput>& ranges)
      : parts_(parts), ranges_(ranges) {}
  CodecId wanted_codec() const override { return parts_.front().out.writer->wanted_codec(); }
  Status begin(const DumpInfo&, const PfnSet&, const PfnSet&) override { return ok(); }
  Status write_page(const EncodedPage& page) override {
    while (cur_ + 1 < ranges_.size() && page.pfn >= ranges_[cur_].end) ++cur_;
    return parts_[cur_].out.writer->write_page(page);
  }
  Status finish() override {
    for (Part& p : parts_) DUMPFMT_TRY(p.out.writer->finish());
    return ok();
  }

 private:
  std::vector<Part>& parts_;
  const std::vector<PartOutput>& ranges_;
  size_t cur_ = 0;
};

}  // namespace

Result<PartStats> write_parts(const PageSource& src, const DumpInfo& info, const PfnSet& ram,
                              const PfnSet& pages, const PartsJob& job) {
  if (job.parts.empty()) return make_error(Errc::invalid_argument, "no parts to write");
  for (size_t i = 0; i < job.parts.size(); ++i) {
    const PartOutput& p = job.parts[i];
    if (p.start > p.end || (i > 0 && p.start != job.parts[i - 1].end)) {
      return make_error(Errc::invalid_argument,
                        strfmt("%s: PFN range %s-%s does not follow the previous part",
                               p.path.c_str(), hex(p.start).c_str(), hex(p.end).c_str()));
    }
  }

  const DumpInfo header = header_info(src, info, job.base);
  std::vector<Part> parts;
  for (const PartOutput& po : job.parts) {
    WriteJob wj = job.base;
    wj.output = po.path;
    wj.write.split_range = std::make_pair(po.start, po.end);
    Part part;
    auto wrap = [&](std::unique_ptr<OutputSink> inner) -> std::unique_ptr<OutputSink> {
      auto s = std::make_unique<LimitedSink>(std::move(inner), job.max_bytes);
      part.limited = s.get();
      return s;
    };
    DUMPFMT_TRY_ASSIGN(part.out, open_output(wj, wrap));
    DUMPFMT_TRY(part.out.writer->begin(header, ram, pages));
    parts.push_back(std::move(part));
  }

  const uint64_t total = pages.count();
  auto progress = [&](uint64_t done, uint64_t all) {
    if (job.base.pipeline.progress) job.base.pipeline.progress(done, all);
  };
  PartStats result;
  if (job.parallelism == PartParallelism::pages || parts.size() == 1) {
    FanOutWriter fan(parts, job.parts);
    PipelineOptions po = job.base.pipeline;
    po.progress = progress;
    DUMPFMT_TRY_ASSIGN(result.pipeline, run_pipeline(src, pages, fan, po));
  } else {
    const unsigned cpus = job.base.pipeline.threads ? job.base.pipeline.threads : available_cpus();
    const size_t n = parts.size();
    // Up to kMaxConcurrentParts parts (at least one per CPU) run at once, each
    // with its share of the CPUs; the rest wait for a free slot.
    const size_t slots = std::min<size_t>(n, std::max<size_t>(cpus, kMaxConcurrentParts));
    std::vector<Result<PipelineStats>> results(n, make_error(Errc::io, "not run"));
    std::vector<uint64_t> done(n, 0);
    std::mutex mu;
    std::atomic<bool> stop{false};
    parallel_for(n, static_cast<unsigned>(slots), [&](unsigned slot, size_t i) {
      PfnSet mine = pages;
      mine.erase_range(0, job.parts[i].start);
      mine.erase_range(job.parts[i].end, UINT64_MAX);
      PipelineOptions po = job.base.pipeline;
      po.threads =
          static_cast<unsigned>(std::max<size_t>(1, cpus / slots + (slot < cpus % slots ? 1 : 0)));
      // Keep the memory of all pipelines together near that of one.
      po.batch_pages = std::max<size_t>(kMinBatchPages, po.batch_pages / slots);
      po.progress = [&, i](uint64_t d, uint64_t) {
        std::lock_guard<std::mutex> lock(mu);
        done[i] = d;
        uint64_t sum = 0;
        for (uint64_t x : done) sum += x;
        progress(sum, total);
      };
      StoppableWriter w(*parts[i].out.writer, stop);
      results[i] = run_pipeline(src, mine, w, po);
      if (!results[i]) stop = true;
    });
    // Report the part that failed first, not one stopped because of it.
    const Error* first = nullptr;
    for (auto& r : results) {
      if (r) continue;
      if (!first || first->message.find("another part failed") != std::string::npos) {
        first = &r.error();
      }
    }
    if (first) return *first;
    for (auto& r : results) result.pipeline.add(*r);
  }
  for (Part& p : parts) DUMPFMT_TRY(p.out.sink->commit());
  for (Part& p : parts) result.part_bytes.push_back(p.limited->end());
  return result;
}

}  // namespace dumpfmt
