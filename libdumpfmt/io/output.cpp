// Output sinks: a regular file written under a temporary name and renamed on
// commit, a sequential stream (stdout, pipe, device) and memory.
#include "dumpfmt/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "dumpfmt/bytes.h"

namespace dumpfmt {

namespace {

constexpr size_t kBufferSize = 1u << 20;  // coalesces small sequential writes
// Write-behind window for regular files: each 8 MiB written is handed to the
// disk at once, and the one before it waited for, so dirty page cache stays
// at two windows (a capture kernel has little memory) and the fsync at commit
// finds little left to do.
constexpr uint64_t kWriteBehind = 8u << 20;

Error sink_error(const std::string& name, uint64_t off, const char* what) {
  return make_error(Errc::io, strfmt("%s: offset %s: %s: %s", name.c_str(), hex(off).c_str(), what,
                                     std::strerror(errno)));
}

Status write_all(int fd, const std::string& name, const std::byte* p, size_t n, uint64_t off,
                 bool positioned) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = positioned ? ::pwrite(fd, p + done, n - done, static_cast<off_t>(off + done))
                           : ::write(fd, p + done, n - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return sink_error(name, off + done, "write failed");
    }
    done += static_cast<size_t>(r);
  }
  return ok();
}

// Shared buffering: consecutive writes are gathered and flushed as one.
class BufferedFdSink : public OutputSink {
 public:
  BufferedFdSink(int fd, std::string name, bool seekable, bool close_fd)
      : fd_(fd), name_(std::move(name)), seekable_(seekable), close_fd_(close_fd) {
    buf_.reserve(kBufferSize);
  }
  ~BufferedFdSink() override {
    if (close_fd_ && fd_ >= 0) ::close(fd_);
  }
  const std::string& name() const override { return name_; }
  bool seekable() const override { return seekable_; }

  Status write_at(uint64_t off, std::span<const std::byte> data) override {
    if (off != buf_start_ + buf_.size()) {
      if (!seekable_) {
        uint64_t end = buf_start_ + buf_.size();
        if (off < end) {
          return make_error(Errc::invalid_argument,
                            strfmt("%s: offset %s: this output needs seeking back (to %s), which a "
                                   "pipe cannot do; write a file or use the flattened form (-F)",
                                   name_.c_str(), hex(end).c_str(), hex(off).c_str()));
        }
        // Forward gap on a stream: fill with zeros.
        static const std::byte kZeros[4096]{};
        while (end < off) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof kZeros, off - end));
          DUMPFMT_TRY(append(std::span<const std::byte>(kZeros, n)));
          end += n;
        }
      } else {
        DUMPFMT_TRY(flush());
        buf_start_ = off;
      }
    }
    return append(data);
  }

 protected:
  Status flush() {
    if (!buf_.empty()) {
      DUMPFMT_TRY(write_all(fd_, name_, buf_.data(), buf_.size(), buf_start_, seekable_));
      buf_start_ += buf_.size();
      buf_.clear();
      written(buf_start_);
    }
    return ok();
  }
  /// Called after bytes up to `end` reached the file.
  virtual void written(uint64_t end) { (void)end; }
  int fd_;
  std::string name_;

 private:
  Status append(std::span<const std::byte> data) {
    if (buf_.size() + data.size() > kBufferSize) DUMPFMT_TRY(flush());
    if (data.size() >= kBufferSize) {
      DUMPFMT_TRY(write_all(fd_, name_, data.data(), data.size(), buf_start_, seekable_));
      buf_start_ += data.size();
      written(buf_start_);
      return ok();
    }
    buf_.insert(buf_.end(), data.begin(), data.end());
    return ok();
  }

  bool seekable_;
  bool close_fd_;
  std::vector<std::byte> buf_;
  uint64_t buf_start_ = 0;
};

// A regular file: written as NAME.tmp-XXXXXX, renamed on commit, removed if
// never committed, so a failed run leaves no plausible-looking broken dump.
class TempFileSink : public BufferedFdSink {
 public:
  TempFileSink(int fd, std::string final_name, std::string tmp_name)
      : BufferedFdSink(fd, final_name, true, true), tmp_name_(std::move(tmp_name)) {}
  ~TempFileSink() override {
    if (!committed_) ::unlink(tmp_name_.c_str());
  }
  void written(uint64_t end) override {
    if (end < kicked_ + kWriteBehind) return;  // also when writing went back
    // Advisory: errors (a filesystem without it) only lose the early start.
    if (kicked_ > waited_) {
      ::sync_file_range(
          fd_, static_cast<off_t>(waited_), static_cast<off_t>(kicked_ - waited_),
          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      waited_ = kicked_;
    }
    ::sync_file_range(fd_, static_cast<off_t>(kicked_), static_cast<off_t>(end - kicked_),
                      SYNC_FILE_RANGE_WRITE);
    kicked_ = end;
  }
  Status commit() override {
    DUMPFMT_TRY(flush());
    if (::fsync(fd_) != 0 && errno != EINVAL) return sink_error(name_, 0, "fsync failed");
    if (::rename(tmp_name_.c_str(), name_.c_str()) != 0) {
      return make_error(Errc::io, strfmt("%s: cannot rename %s into place: %s", name_.c_str(),
                                         tmp_name_.c_str(), std::strerror(errno)));
    }
    committed_ = true;
    return ok();
  }

 private:
  std::string tmp_name_;
  bool committed_ = false;
  uint64_t kicked_ = 0;  // writeback started for [0, kicked_)
  uint64_t waited_ = 0;  // and finished for [0, waited_)
};

// stdout, a pipe, a FIFO or a device: written in place.
class InPlaceSink : public BufferedFdSink {
 public:
  using BufferedFdSink::BufferedFdSink;
  Status commit() override {
    DUMPFMT_TRY(flush());
    return ok();
  }
};

}  // namespace

Status MemorySink::write_at(uint64_t off, std::span<const std::byte> data) {
  uint64_t end = 0;
  if (!checked_add(off, data.size(), &end) || end > (uint64_t{1} << 40)) {
    return make_error(Errc::invalid_argument, name_ + ": memory sink offset out of range");
  }
  if (data_.size() < end) data_.resize(static_cast<size_t>(end));
  if (!data.empty()) std::memcpy(data_.data() + off, data.data(), data.size());
  return ok();
}

Result<std::unique_ptr<OutputSink>> create_output(const std::string& path,
                                                  const OutputOptions& opts) {
  std::unique_ptr<OutputSink> sink;
  if (path == "-") {
    struct stat st {};
    bool seekable = ::fstat(1, &st) == 0 && S_ISREG(st.st_mode) && ::lseek(1, 0, SEEK_CUR) == 0;
    if (!opts.flattened && ::isatty(1)) {
      return make_error(Errc::invalid_argument,
                        "refusing to write a binary dump to a terminal; redirect standard output");
    }
    sink = std::make_unique<InPlaceSink>(1, "<stdout>", seekable, false);
  } else {
    struct stat st {};
    bool exists = ::stat(path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return sink_error(path, 0, "cannot open");
      sink = std::make_unique<InPlaceSink>(fd, path, S_ISBLK(st.st_mode), true);
    } else {
      if (exists && !opts.overwrite) {
        return make_error(Errc::invalid_argument, path + ": exists (not overwriting)");
      }
      std::string tmp = path + ".tmp-XXXXXX";
      int fd = ::mkstemp(tmp.data());
      if (fd < 0) return sink_error(tmp, 0, "cannot create");
      ::fchmod(
          fd, 0644 & ~[] {
            mode_t m = ::umask(0);
            ::umask(m);
            return m;
          }());
      sink = std::make_unique<TempFileSink>(fd, path, tmp);
    }
  }
  if (opts.flattened) return make_flattened_sink(std::move(sink));
  return sink;
}

}  // namespace dumpfmt
