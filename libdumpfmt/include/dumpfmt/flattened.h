// makedumpfile's flattened format (-F / -R): a 4096-byte header, then records
// {offset, size, payload} with big-endian integers, ended by (-1, -1).
#pragma once

#include <cstdint>
#include <memory>

#include "dumpfmt/file.h"
#include "dumpfmt/output.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

constexpr uint64_t kFlatHeaderSize = 4096;

/// True if `f` starts with the flattened signature and type 1.
bool is_flattened(const File& f);

/// A File presenting the rearranged contents of a flattened file; records are
/// indexed once at open (later records win where they overlap).
Result<std::unique_ptr<File>> open_flattened(std::unique_ptr<File> raw);

/// Rearranges a flattened stream read sequentially from `in_fd` (a pipe is
/// fine) into `out`, without buffering the stream. `in_name` is used in errors.
Status rearrange_flattened(int in_fd, const std::string& in_name, OutputSink& out);

}  // namespace dumpfmt
