// Writing makedumpfile's flattened format (docs/formats.md §4): positioned writes
// become {offset, size} records on a sequential sink, so any format can stream
// through a pipe. Wrapper integers are big-endian.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/flattened.h"
#include "dumpfmt/output.h"
#include "io/flattened_format.h"

namespace dumpfmt {

namespace {

using detail::flat::kRecordHeaderSize;

// Contiguous writes are merged into records of up to this size: per-page
// writes would otherwise cost 16 bytes of record header each.
constexpr size_t kMaxCoalesced = size_t{1} << 20;

class FlattenedSink final : public OutputSink {
 public:
  explicit FlattenedSink(std::unique_ptr<OutputSink> inner) : inner_(std::move(inner)) {}

  const std::string& name() const override { return inner_->name(); }
  bool seekable() const override { return true; }

  Status write_at(uint64_t off, std::span<const std::byte> data) override {
    if (data.empty()) return ok();
    if (off > static_cast<uint64_t>(INT64_MAX) || data.size() > INT64_MAX - off) {
      return make_error(Errc::invalid_argument, name() + ": offset " + hex(off) +
                                                    " is beyond what a flattened record holds");
    }
    if (!pending_.empty() && off == pending_off_ + pending_.size() &&
        pending_.size() + data.size() <= kMaxCoalesced) {
      pending_.insert(pending_.end(), data.begin(), data.end());
      return ok();
    }
    DUMPFMT_TRY(flush_pending());
    if (data.size() >= kMaxCoalesced) return emit(off, data);
    pending_off_ = off;
    pending_.assign(data.begin(), data.end());
    return ok();
  }

  Status commit() override {
    DUMPFMT_TRY(flush_pending());
    DUMPFMT_TRY(write_header());
    std::array<std::byte, kRecordHeaderSize> end;
    end.fill(std::byte{0xff});  // offset = size = -1
    DUMPFMT_TRY(append(end));
    return inner_->commit();
  }

 private:
  Status write_header() {
    if (header_done_) return ok();
    std::vector<std::byte> h(kFlatHeaderSize);
    ByteWriter w(h, Endian::big);
    w.put_bytes(0, std::as_bytes(std::span(detail::flat::kSignature)));
    w.put<int64_t>(16, detail::flat::kTypeFlatHeader);
    w.put<int64_t>(24, detail::flat::kVersionFlatHeader);
    header_done_ = true;
    return append(h);
  }

  Status emit(uint64_t off, std::span<const std::byte> data) {
    DUMPFMT_TRY(write_header());
    std::array<std::byte, kRecordHeaderSize> rh;
    detail::flat::encode_record_header(
        {static_cast<int64_t>(off), static_cast<int64_t>(data.size())}, rh);
    DUMPFMT_TRY(append(rh));
    return append(data);
  }

  Status flush_pending() {
    if (pending_.empty()) return ok();
    DUMPFMT_TRY(emit(pending_off_, pending_));
    pending_.clear();
    return ok();
  }

  Status append(std::span<const std::byte> data) {
    DUMPFMT_TRY(inner_->write_at(inner_pos_, data));
    inner_pos_ += data.size();
    return ok();
  }

  std::unique_ptr<OutputSink> inner_;
  uint64_t inner_pos_ = 0;
  bool header_done_ = false;
  std::vector<std::byte> pending_;
  uint64_t pending_off_ = 0;
};

}  // namespace

std::unique_ptr<OutputSink> make_flattened_sink(std::unique_ptr<OutputSink> inner) {
  return std::make_unique<FlattenedSink>(std::move(inner));
}

}  // namespace dumpfmt
