// Private to formats/kdump: the checks that files given together are the
// parts of one makedumpfile --split set (docs/formats.md §5).
#pragma once

#include <memory>
#include <vector>

#include "dumpfmt/file.h"
#include "formats/kdump/kdump_part_header.h"

namespace dumpfmt::detail::kdump {

/// Identical main headers (but for the incomplete flag), split set in each,
/// the same sub-header, notes and bitmaps, and ranges that tile [0, max_mapnr)
/// without overlap; `hdrs[i]` is the parse of `files[i]`.
Status check_split_set(const std::vector<std::unique_ptr<File>>& files,
                       const std::vector<PartHeader>& hdrs);

}  // namespace dumpfmt::detail::kdump
