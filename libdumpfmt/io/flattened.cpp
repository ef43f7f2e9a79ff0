// Reading makedumpfile's flattened format (docs/formats.md §4; makedumpfile.h
// makedumpfile_header / makedumpfile_data_header): a remapping File over the
// records, and streaming rearrangement from a pipe. Wrapper integers are big-endian.
#include "dumpfmt/flattened.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "dumpfmt/bytes.h"
#include "io/flattened_format.h"

namespace dumpfmt {

namespace {

using detail::flat::kRecordHeaderSize;

struct Segment {
  uint64_t dst;  // offset in the rearranged file
  uint64_t len;
  uint64_t src;  // offset of the payload in the flattened file
};

// Builds the rearranged map: later records win where they overlap.
class SegmentMap {
 public:
  void add(uint64_t dst, uint64_t len, uint64_t src) {
    const uint64_t end = dst + len;
    auto it = map_.lower_bound(dst);
    if (it != map_.begin()) {
      auto prev = std::prev(it);
      uint64_t pend = prev->first + prev->second.len;
      if (pend > dst) {
        if (pend > end) {  // the new record falls inside prev: keep its tail
          map_.emplace(end, Seg{pend - end, prev->second.src + (end - prev->first)});
        }
        prev->second.len = dst - prev->first;
      }
    }
    while (it != map_.end() && it->first < end) {
      uint64_t iend = it->first + it->second.len;
      if (iend > end) {
        Seg tail{iend - end, it->second.src + (end - it->first)};
        map_.erase(it);
        map_.emplace(end, tail);
        break;
      }
      it = map_.erase(it);
    }
    map_.emplace_hint(map_.lower_bound(dst), dst, Seg{len, src});
    size_ = std::max(size_, end);
  }

  std::vector<Segment> take() {
    std::vector<Segment> v;
    v.reserve(map_.size());
    for (const auto& [dst, s] : map_) {
      if (s.len) v.push_back(Segment{dst, s.len, s.src});
    }
    map_.clear();
    return v;
  }
  uint64_t size() const { return size_; }

 private:
  struct Seg {
    uint64_t len;
    uint64_t src;
  };
  std::map<uint64_t, Seg> map_;
  uint64_t size_ = 0;
};

class FlattenedFile final : public File {
 public:
  FlattenedFile(std::unique_ptr<File> raw, std::vector<Segment> segs, uint64_t size)
      : raw_(std::move(raw)), segs_(std::move(segs)), size_(size) {}

  const std::string& name() const override { return raw_->name(); }
  uint64_t size() const override { return size_; }
  // Data comes only from the stream's records: at most the stream's size.
  uint64_t stored_bytes() const override { return std::min(size_, raw_->size()); }

  Status read_at(uint64_t off, std::span<std::byte> out) const override {
    if (off > size_ || out.size() > size_ - off) {
      return file_error(Errc::truncated, *this, off,
                        strfmt("read of %zu bytes past the end of the rearranged flattened dump "
                               "(size %s)",
                               out.size(), hex(size_).c_str()));
    }
    size_t i = first_at_or_after(off);
    uint64_t pos = off;
    size_t done = 0;
    while (done < out.size()) {
      size_t want = out.size() - done;
      if (i < segs_.size() && segs_[i].dst <= pos) {
        const Segment& s = segs_[i];
        size_t n = static_cast<size_t>(std::min<uint64_t>(want, s.dst + s.len - pos));
        DUMPFMT_TRY(raw_->read_at(s.src + (pos - s.dst), out.subspan(done, n)));
        done += n;
        pos += n;
        ++i;
      } else {
        // A hole no record wrote: zeros, as after makedumpfile -R.
        uint64_t gap = i < segs_.size() ? segs_[i].dst - pos : want;
        size_t n = static_cast<size_t>(std::min<uint64_t>(want, gap));
        std::memset(out.data() + done, 0, n);
        done += n;
        pos += n;
      }
    }
    return ok();
  }

  std::span<const std::byte> view(uint64_t off, size_t n) const override {
    size_t i = first_at_or_after(off);
    if (i >= segs_.size() || segs_[i].dst > off) return {};
    const Segment& s = segs_[i];
    if (n > s.dst + s.len - off) return {};
    return raw_->view(s.src + (off - s.dst), n);
  }

 private:
  // Index of the segment containing `off`, else of the first one after it.
  size_t first_at_or_after(uint64_t off) const {
    auto it = std::upper_bound(segs_.begin(), segs_.end(), off,
                               [](uint64_t o, const Segment& s) { return o < s.dst; });
    if (it != segs_.begin()) {
      auto prev = std::prev(it);
      if (prev->dst + prev->len > off) return static_cast<size_t>(prev - segs_.begin());
    }
    return static_cast<size_t>(it - segs_.begin());
  }

  std::unique_ptr<File> raw_;
  std::vector<Segment> segs_;
  uint64_t size_;
};

// Sequential reads of record headers through a window, so indexing a
// pread-backed file does not cost one system call per record.
class HeaderScanner {
 public:
  explicit HeaderScanner(const File& f) : f_(f) {}

  Status read(uint64_t off, std::span<std::byte> out) {
    std::span<const std::byte> v = f_.view(off, out.size());
    if (!v.empty()) {
      std::memcpy(out.data(), v.data(), out.size());
      return ok();
    }
    if (off < win_off_ || off + out.size() > win_off_ + win_.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kWindow, f_.size() - off));
      win_.resize(n);
      DUMPFMT_TRY(f_.read_at(off, win_));
      win_off_ = off;
    }
    std::memcpy(out.data(), win_.data() + (off - win_off_), out.size());
    return ok();
  }

 private:
  static constexpr size_t kWindow = 64 * 1024;
  const File& f_;
  std::vector<std::byte> win_;
  uint64_t win_off_ = 0;
};

Status check_header(std::span<const std::byte> h, const std::string& name) {
  if (!detail::flat::has_signature(h)) {
    return make_error(Errc::corrupt, name +
                                         ": offset 0x0: not a flattened dump (no makedumpfile "
                                         "signature)");
  }
  DUMPFMT_TRY_ASSIGN(int64_t type, detail::flat::header_type(h));
  if (type != detail::flat::kTypeFlatHeader) {
    return make_error(Errc::unsupported,
                      strfmt("%s: offset 0x10: flattened header type %lld is not 1", name.c_str(),
                             static_cast<long long>(type)));
  }
  return ok();
}

// read() until `out` is full or EOF; returns the bytes read.
Result<size_t> read_full(int fd, std::span<std::byte> out, const std::string& name,
                         uint64_t stream_off) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t r = ::read(fd, out.data() + done, out.size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, strfmt("%s: offset %s: read failed: %s", name.c_str(),
                                         hex(stream_off + done).c_str(), std::strerror(errno)));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

}  // namespace

bool is_flattened(const File& f) {
  if (f.size() < 24) return false;
  std::array<std::byte, 24> h;
  if (!f.read_at(0, h)) return false;
  auto type = detail::flat::header_type(h);
  return detail::flat::has_signature(h) && type && *type == detail::flat::kTypeFlatHeader;
}

// A stream without its end marker is refused (Errc::truncated), as
// makedumpfile -R and libkdumpfile do: a cut transfer must not pass for a
// complete dump. Rearrange what there is with makedumpfile -R to salvage it.
Result<std::unique_ptr<File>> open_flattened(std::unique_ptr<File> raw) {
  const File& f = *raw;
  const uint64_t fsize = f.size();
  if (fsize < kFlatHeaderSize) {
    return file_error(Errc::truncated, f, 0,
                      strfmt("flattened dump of %llu bytes is shorter than its 4096-byte header",
                             static_cast<unsigned long long>(fsize)));
  }
  std::array<std::byte, 24> head;
  DUMPFMT_TRY(f.read_at(0, head));
  DUMPFMT_TRY(check_header(head, f.name()));

  HeaderScanner scan(f);
  SegmentMap map;
  uint64_t pos = kFlatHeaderSize;
  for (;;) {
    if (fsize - pos < kRecordHeaderSize) {
      return file_error(Errc::truncated, f, pos,
                        "flattened stream ends without its end marker (transfer cut short?)");
    }
    std::array<std::byte, kRecordHeaderSize> rh;
    DUMPFMT_TRY(scan.read(pos, rh));
    DUMPFMT_TRY_ASSIGN(const detail::flat::RecordHeader r, detail::flat::decode_record_header(rh));
    if (r.is_end()) break;
    const int64_t off = r.offset, size = r.size;
    if (off < 0 || size <= 0) {
      return file_error(Errc::corrupt, f, pos,
                        strfmt("flattened record with offset %lld and size %lld",
                               static_cast<long long>(off), static_cast<long long>(size)));
    }
    uint64_t payload = pos + kRecordHeaderSize;
    if (static_cast<uint64_t>(size) > fsize - payload) {
      return file_error(Errc::truncated, f, pos,
                        strfmt("flattened record of %lld bytes runs past the end of the file",
                               static_cast<long long>(size)));
    }
    // off and size are below 2^63, so off + size cannot wrap.
    map.add(static_cast<uint64_t>(off), static_cast<uint64_t>(size), payload);
    pos = payload + static_cast<uint64_t>(size);
  }
  uint64_t size = map.size();
  return std::unique_ptr<File>(std::make_unique<FlattenedFile>(std::move(raw), map.take(), size));
}

Status rearrange_flattened(int in_fd, const std::string& in_name, OutputSink& out) {
  constexpr size_t kCopyBuffer = size_t{1} << 20;
  std::vector<std::byte> buf(kFlatHeaderSize);
  DUMPFMT_TRY_ASSIGN(size_t got, read_full(in_fd, buf, in_name, 0));
  if (got < kFlatHeaderSize) {
    return make_error(Errc::truncated,
                      strfmt("%s: offset %s: stream ends inside the 4096-byte flattened header",
                             in_name.c_str(), hex(got).c_str()));
  }
  DUMPFMT_TRY(check_header(buf, in_name));
  buf.resize(kCopyBuffer);

  uint64_t pos = kFlatHeaderSize;
  for (;;) {
    std::array<std::byte, kRecordHeaderSize> rh;
    DUMPFMT_TRY_ASSIGN(got, read_full(in_fd, rh, in_name, pos));
    if (got < rh.size()) {
      return make_error(Errc::truncated,
                        strfmt("%s: offset %s: flattened stream ends without its end marker",
                               in_name.c_str(), hex(pos + got).c_str()));
    }
    DUMPFMT_TRY_ASSIGN(const detail::flat::RecordHeader r, detail::flat::decode_record_header(rh));
    if (r.is_end()) return ok();
    const int64_t off = r.offset, size = r.size;
    if (off < 0 || size <= 0) {
      return make_error(
          Errc::corrupt,
          strfmt("%s: offset %s: flattened record with offset %lld and size %lld", in_name.c_str(),
                 hex(pos).c_str(), static_cast<long long>(off), static_cast<long long>(size)));
    }
    pos += kRecordHeaderSize;
    // Large records go through the fixed buffer in pieces: memory stays bounded.
    uint64_t left = static_cast<uint64_t>(size);
    uint64_t dst = static_cast<uint64_t>(off);
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
      DUMPFMT_TRY_ASSIGN(got, read_full(in_fd, std::span(buf.data(), n), in_name, pos));
      if (got < n) {
        return make_error(
            Errc::truncated,
            strfmt("%s: offset %s: flattened stream ends inside a record of %lld "
                   "bytes",
                   in_name.c_str(), hex(pos + got).c_str(), static_cast<long long>(size)));
      }
      DUMPFMT_TRY(out.write_at(dst, std::span<const std::byte>(buf.data(), n)));
      dst += n;
      pos += n;
      left -= n;
    }
  }
}

}  // namespace dumpfmt
