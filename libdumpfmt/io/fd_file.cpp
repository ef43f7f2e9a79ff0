// The pread-based File (fd_file.h).
#include "io/fd_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dumpfmt/bytes.h"

namespace dumpfmt::detail {

Error past_end(const File& f, uint64_t off, size_t n, const char* contents) {
  return file_error(Errc::truncated, f, off,
                    strfmt("read of %zu bytes past the end of the %s (size %s)", n, contents,
                           hex(f.size()).c_str()));
}

FdFile::FdFile(int fd, std::string name, uint64_t size)
    : fd_(fd), name_(std::move(name)), size_(size) {}

FdFile::~FdFile() { ::close(fd_); }

Status FdFile::read_at(uint64_t off, std::span<std::byte> out) const {
  if (off > size_ || out.size() > size_ - off) return out_of_bounds(off, out.size());
  size_t done = 0;
  while (done < out.size()) {
    ssize_t r = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return file_error(Errc::io, *this, off + done, std::strerror(errno));
    }
    if (r == 0) return ended_early(off + done, out.size() - done);
    done += static_cast<size_t>(r);
  }
  return ok();
}

}  // namespace dumpfmt::detail
