// Private entry points of the ELF vmcore format (docs/formats.md §1), tied
// together into detail::kElfFormat by elf_format.cpp.
#pragma once

#include <memory>
#include <vector>

#include "dumpfmt/format.h"

namespace dumpfmt::detail::elf {

Result<bool> probe(const File& f);
Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts);
Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts);

}  // namespace dumpfmt::detail::elf
