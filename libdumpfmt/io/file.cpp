// Input files: pread, mmap and memory implementations of File, and stdin
// spooling for non-seekable inputs.
#include "dumpfmt/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dumpfmt/bytes.h"
#include "io/fd_file.h"

namespace dumpfmt {

Error file_error(Errc c, const File& f, uint64_t off, const std::string& msg) {
  return make_error(c,
                    strfmt("%s: offset %s: %s", f.name().c_str(), hex(off).c_str(), msg.c_str()));
}

namespace {

using detail::FdFile;
using detail::past_end;

Error errno_error(const std::string& name, const char* what) {
  return make_error(Errc::io, strfmt("%s: %s: %s", name.c_str(), what, std::strerror(errno)));
}

bool in_bounds(uint64_t size, uint64_t off, uint64_t n) { return off <= size && n <= size - off; }

class MmapFile : public File {
 public:
  MmapFile(void* base, std::string name, uint64_t size)
      : base_(base), name_(std::move(name)), size_(size) {}
  ~MmapFile() override { ::munmap(base_, size_); }
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return size_; }
  Status read_at(uint64_t off, std::span<std::byte> out) const override {
    if (!in_bounds(size_, off, out.size())) return past_end(*this, off, out.size());
    std::memcpy(out.data(), static_cast<const std::byte*>(base_) + off, out.size());
    return ok();
  }
  std::span<const std::byte> view(uint64_t off, size_t n) const override {
    if (!in_bounds(size_, off, n)) return {};
    return {static_cast<const std::byte*>(base_) + off, n};
  }

 private:
  void* base_;
  std::string name_;
  uint64_t size_;
};

class MemoryFile : public File {
 public:
  MemoryFile(std::string name, std::vector<std::byte> owned, std::span<const std::byte> borrowed)
      : name_(std::move(name)),
        owned_(std::move(owned)),
        data_(owned_.empty() ? borrowed : owned_) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return data_.size(); }
  Status read_at(uint64_t off, std::span<std::byte> out) const override {
    if (!in_bounds(data_.size(), off, out.size())) return past_end(*this, off, out.size());
    if (!out.empty()) std::memcpy(out.data(), data_.data() + off, out.size());
    return ok();
  }
  std::span<const std::byte> view(uint64_t off, size_t n) const override {
    if (!in_bounds(data_.size(), off, n)) return {};
    return data_.subspan(static_cast<size_t>(off), n);
  }

 private:
  std::string name_;
  std::vector<std::byte> owned_;
  std::span<const std::byte> data_;
};

// Copies a non-seekable input into an unlinked temporary file so formats get
// random access; the data lives on disk, not in memory.
Result<int> spool(int in_fd, const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/dumpfmt-spool-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return errno_error(tmpl, "cannot create spool file for a non-seekable input");
  ::unlink(tmpl.c_str());
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t r = ::read(in_fd, buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      Error e = errno_error(name, "read");
      ::close(fd);
      return e;
    }
    if (r == 0) break;
    for (ssize_t w = 0; w < r;) {
      ssize_t n = ::write(fd, buf.data() + w, static_cast<size_t>(r - w));
      if (n < 0) {
        if (errno == EINTR) continue;
        Error e = errno_error(tmpl, "write to spool file");
        ::close(fd);
        return e;
      }
      w += n;
    }
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<File>> open_input(const std::string& path, IoMode mode) {
  bool is_stdin = path == "-";
  std::string name = is_stdin ? "<stdin>" : path;
  int fd = is_stdin ? ::dup(0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(name, "cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error e = errno_error(name, "cannot stat");
    ::close(fd);
    return e;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::invalid_argument, name + ": is a directory");
  }
  uint64_t size = 0;
  if (S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) {
      Error e = errno_error(name, "cannot size block device");
      ::close(fd);
      return e;
    }
    size = static_cast<uint64_t>(end);
  } else {
    // Pipe, socket, tty: spool to disk.
    auto spooled = spool(fd, name);
    ::close(fd);
    if (!spooled) return std::move(spooled).error();
    fd = *spooled;
    if (::fstat(fd, &st) != 0) {
      Error e = errno_error(name, "cannot stat spool file");
      ::close(fd);
      return e;
    }
    size = static_cast<uint64_t>(st.st_size);
  }

  // pread by default: mapped file pages count as resident memory and a file
  // truncated under a mapping raises SIGBUS. /proc/vmcore is the exception:
  // its read() path maps old memory page by page, and mapping it costs no
  // capture-kernel memory.
  const bool use_mmap =
      mode == IoMode::mmap || (mode == IoMode::automatic && path == "/proc/vmcore");
  if (use_mmap && size > 0) {
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (base != MAP_FAILED) {
      ::close(fd);
      return std::unique_ptr<File>(new MmapFile(base, name, size));
    }
    if (mode == IoMode::mmap) {
      Error e = errno_error(name, "mmap");
      ::close(fd);
      return e;
    }
  }
  return std::unique_ptr<File>(new FdFile(fd, name, size));
}

std::unique_ptr<File> memory_file(std::string name, std::vector<std::byte> data) {
  return std::make_unique<MemoryFile>(std::move(name), std::move(data),
                                      std::span<const std::byte>{});
}

std::unique_ptr<File> borrowed_memory_file(std::string name, std::span<const std::byte> data) {
  return std::make_unique<MemoryFile>(std::move(name), std::vector<std::byte>{}, data);
}

Result<std::vector<std::byte>> read_vector(const File& f, uint64_t off, uint64_t n) {
  if (!in_bounds(f.size(), off, n)) return past_end(f, off, static_cast<size_t>(n));
  if (n > f.stored_bytes()) {
    return file_error(Errc::corrupt, f, off,
                      strfmt("a read of %llu bytes, more than the file holds (%llu)",
                             static_cast<unsigned long long>(n),
                             static_cast<unsigned long long>(f.stored_bytes())));
  }
  std::vector<std::byte> v(static_cast<size_t>(n));
  DUMPFMT_TRY(f.read_at(off, v));
  return v;
}

}  // namespace dumpfmt
