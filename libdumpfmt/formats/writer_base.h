// What every format writer holds: its sink and options, where it is in the
// begin/write_page/finish sequence, and its two ways of reporting trouble
// (misuse of the writer interface, and notes for the user).
#pragma once

#include <string>
#include <utility>

#include "dumpfmt/dump_writer.h"

namespace dumpfmt::detail {

class WriterBase : public DumpWriter {
 public:
  /// Raw pages, unless the format stores compressed ones.
  CodecId wanted_codec() const override { return CodecId::none; }

 protected:
  /// `kind` names the writer in messages ("kdump writer").
  WriterBase(OutputSink& out, WriteOptions opts, const char* kind)
      : out_(out), opts_(std::move(opts)), kind_(kind) {}

  Error misuse(const std::string& msg) const {
    return make_error(Errc::invalid_argument, out_.name() + ": " + kind_ + ": " + msg);
  }
  void warn(const std::string& msg) const {
    if (opts_.warn) opts_.warn(out_.name() + ": " + msg);
  }

  OutputSink& out_;
  WriteOptions opts_;
  bool begun_ = false, finished_ = false;

 private:
  const char* kind_;
};

}  // namespace dumpfmt::detail
