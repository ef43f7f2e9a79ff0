// Private: entry points of the s390 stand-alone dump formats (docs/formats.md §6),
// tied together into detail::kS390Format by s390_format.cpp.
#pragma once

#include <memory>
#include <vector>

#include "dumpfmt/format.h"

namespace dumpfmt::detail::s390 {

Result<bool> probe(const File& f);
Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts);
Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts);

}  // namespace dumpfmt::detail::s390
