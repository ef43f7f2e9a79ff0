// Private to libdumpfmt/io: the pread-based File behind open_input (file.cpp)
// and behind the decompressed temporary file (compressed_file.cpp), which
// differ only in how a read past the end and an early end of file are told.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dumpfmt/file.h"

namespace dumpfmt::detail {

// Errc::truncated: "read of <n> bytes past the end of the <contents> (size <size>)".
Error past_end(const File& f, uint64_t off, size_t n, const char* contents = "file");

// Positioned reads on a descriptor it owns and closes.
class FdFile : public File {
 public:
  FdFile(int fd, std::string name, uint64_t size);
  ~FdFile() override;
  FdFile(const FdFile&) = delete;
  FdFile& operator=(const FdFile&) = delete;

  const std::string& name() const override { return name_; }
  uint64_t size() const override { return size_; }
  Status read_at(uint64_t off, std::span<std::byte> out) const final;

 protected:
  // A read of `n` bytes at `off` that size() does not cover.
  virtual Error out_of_bounds(uint64_t off, size_t n) const { return past_end(*this, off, n); }
  // pread met the end of the file at `off`, `n` bytes before the end of a
  // read size() covers (the file shrank after it was opened).
  virtual Error ended_early(uint64_t off, size_t n) const { return past_end(*this, off, n); }

 private:
  int fd_;
  std::string name_;
  uint64_t size_;
};

}  // namespace dumpfmt::detail
