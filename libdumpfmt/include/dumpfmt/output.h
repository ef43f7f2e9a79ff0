// Output sinks: where writers put bytes. A regular file is written under a
// temporary name and renamed by commit(); a pipe accepts only sequential
// writes; a flattened sink turns positioned writes into makedumpfile's
// flattened records so any format can stream through a pipe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "dumpfmt/result.h"

namespace dumpfmt {

class OutputSink {
 public:
  /// Destroying a sink that was not committed removes its temporary file.
  virtual ~OutputSink() = default;
  virtual const std::string& name() const = 0;
  /// True when write_at accepts any offset; false for pipes (sequential only).
  virtual bool seekable() const = 0;
  /// Writes `data` at `off`. On a non-seekable sink `off` must not be below
  /// the current end (a gap is filled with zeros). Writes may be buffered.
  virtual Status write_at(uint64_t off, std::span<const std::byte> data) = 0;
  /// Flushes, and for files renames the temporary to the final name. Only a
  /// committed output is complete.
  virtual Status commit() = 0;
};

struct OutputOptions {
  bool flattened = false;  // wrap in makedumpfile's flattened stream format
  bool overwrite = true;   // replace an existing regular file
};

/// "-" is standard output. A regular-file path is written as PATH.tmp-XXXXXX
/// and renamed on commit; a block/character device or FIFO is written in place.
/// Without `flattened`, stdout/pipes accept only sequential writes.
Result<std::unique_ptr<OutputSink>> create_output(const std::string& path, const OutputOptions& opts = {});

/// A sink collecting bytes in memory (tests, fuzzers, benchmarks).
class MemorySink : public OutputSink {
 public:
  explicit MemorySink(std::string name = "<memory>") : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  bool seekable() const override { return true; }
  Status write_at(uint64_t off, std::span<const std::byte> data) override;
  Status commit() override {
    committed_ = true;
    return ok();
  }
  const std::string& bytes_as_string() const { return data_; }
  std::span<const std::byte> bytes() const {
    return {reinterpret_cast<const std::byte*>(data_.data()), data_.size()};
  }
  bool committed() const { return committed_; }

 private:
  std::string name_;
  std::string data_;
  bool committed_ = false;
};

/// Wraps a sink so each write_at becomes a flattened record (the wrapped
/// sink only sees sequential writes). commit() writes the end marker.
std::unique_ptr<OutputSink> make_flattened_sink(std::unique_ptr<OutputSink> inner);

}  // namespace dumpfmt
