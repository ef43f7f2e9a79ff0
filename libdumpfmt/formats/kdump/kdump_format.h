// Private: the kdump-compressed format's entry points, wired into kKdumpFormat
// by kdump_format.cpp (reader in kdump_reader.cpp, writer in kdump_writer.cpp).
#pragma once

#include <memory>
#include <vector>

#include "dumpfmt/dump_writer.h"
#include "dumpfmt/file.h"
#include "dumpfmt/format.h"

namespace dumpfmt::detail::kdump {

Result<bool> probe(const File& f);
Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts);
Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts);

}  // namespace dumpfmt::detail::kdump
