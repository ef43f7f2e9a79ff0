// Dumps compressed whole (vmcore.gz, vmcore.zst, vmcore.lz4): recognised by
// magic and decompressed once into an unlinked temporary file, because every
// dump format needs random access that a compressed stream cannot give cheaply.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dumpfmt/file.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

enum class WholeFileCompression : uint8_t { none, gzip, zstd, lz4 };

/// "none", "gzip", "zstd", "lz4".
std::string_view whole_file_compression_name(WholeFileCompression c);

/// Looks at the first bytes of `f`: gzip (1f 8b 08), zstd frame (28 b5 2f fd)
/// or lz4 frame (04 22 4d 18). No dump format starts with these bytes.
WholeFileCompression detect_whole_file_compression(const File& f);

struct DecompressOptions {
  /// Directory for the temporary file; empty: $TMPDIR, else /tmp.
  std::string tmpdir;
  /// Refuse to decompress more than this many bytes (0: no limit); a guard
  /// against decompression bombs where the input is untrusted (fuzzers).
  uint64_t max_output = 0;
  /// Called now and then with compressed bytes consumed so far and in total.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

/// Decompresses all of `compressed` (gzip members, zstd or lz4 frames; several
/// concatenated ones are read as one stream, like the command-line tools do)
/// into an unlinked temporary file and returns it as a File named
/// "<name> (decompressed)", so that offsets in later messages are understood
/// to be offsets in the decompressed data. Memory use is a few MiB whatever
/// the size; the temporary file needs as much disk as the decompressed dump
/// and disappears when the File is destroyed. Errors: truncated (the stream
/// ends early), corrupt (with the compressed offset), not_built, io
/// (including a full disk).
Result<std::unique_ptr<File>> open_decompressed(std::unique_ptr<File> compressed,
                                                const DecompressOptions& opts = {});

}  // namespace dumpfmt
