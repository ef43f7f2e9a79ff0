// Private: entry points of the sadump format (docs/formats.md §7),
// tied together into detail::kSadumpFormat by sadump_format.cpp.
#pragma once

#include <memory>
#include <vector>

#include "dumpfmt/format.h"

namespace dumpfmt::detail::sadump {

Result<bool> probe(const File& f);
Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts);
Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts);

}  // namespace dumpfmt::detail::sadump
