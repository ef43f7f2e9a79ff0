// Private: the entry points every format folder defines (reader in
// <fmt>_reader.cpp, writer in <fmt>_writer.cpp) and the registry entry that
// ties them together (<fmt>_format.cpp). format.cpp lists the entries in
// probe order. The entry points are declared through function types so their
// signatures are written once, as in dumpfmt::Format.
#pragma once

#include <memory>
#include <vector>

#include "dumpfmt/dump_writer.h"
#include "dumpfmt/file.h"
#include "dumpfmt/format.h"

namespace dumpfmt::detail {

using ProbeFn = Result<bool>(const File& f);
using OpenFn = Result<std::unique_ptr<PageSource>>(std::vector<std::unique_ptr<File>> files,
                                                   const OpenOptions& opts);
using CreateWriterFn = Result<std::unique_ptr<DumpWriter>>(OutputSink& out,
                                                           const WriteOptions& opts);

// kdump-compressed (docs/formats.md: makedumpfile's diskdump format, QEMU).
namespace kdump {
ProbeFn probe;
OpenFn open;
CreateWriterFn create_writer;
}  // namespace kdump

// ELF vmcore (docs/formats.md §1).
namespace elf {
ProbeFn probe;
OpenFn open;
CreateWriterFn create_writer;
}  // namespace elf

// s390 stand-alone dumps (docs/formats.md §6).
namespace s390 {
ProbeFn probe;
OpenFn open;
CreateWriterFn create_writer;
}  // namespace s390

// Fujitsu sadump (docs/formats.md §7).
namespace sadump {
ProbeFn probe;
OpenFn open;
CreateWriterFn create_writer;
}  // namespace sadump

extern const Format kKdumpFormat;
extern const Format kElfFormat;
extern const Format kS390Format;
extern const Format kSadumpFormat;

}  // namespace dumpfmt::detail
