// Per-page codecs behind one interface. Every codec is always *recognised*;
// one compiled out reports Errc::not_built ("lzo: not built into this dumpfmt"),
// never "corrupt page".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dumpfmt/result.h"

namespace dumpfmt {

enum class CodecId : uint8_t { none, zlib, lzo, snappy, zstd, lz4 };

std::string_view codec_name(CodecId c);             // "zlib", "lzo", ...
std::optional<CodecId> codec_from_name(std::string_view n);
bool codec_built(CodecId c);
/// Codecs compiled into this build, for --version.
std::vector<CodecId> built_codecs();

/// A stateful, single-threaded codec instance: the pipeline makes one per
/// worker thread (zstd contexts, LZO work memory).
class Codec {
 public:
  virtual ~Codec() = default;
  virtual CodecId id() const = 0;
  /// Upper bound of compress() output for n input bytes.
  virtual size_t max_compressed_size(size_t n) const = 0;
  /// Compresses `in` into `out` (sized >= max_compressed_size) and returns the
  /// compressed size.
  virtual Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) = 0;
  /// Decompresses `in`, which must produce exactly out.size() bytes; a short or
  /// long result is Errc::corrupt.
  virtual Status decompress(std::span<const std::byte> in, std::span<std::byte> out) = 0;
};

/// A new codec instance; level 0 means the codec's kdump default (fastest).
Result<std::unique_ptr<Codec>> make_codec(CodecId id, int level = 0);

}  // namespace dumpfmt
