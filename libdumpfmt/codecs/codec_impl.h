// Private to libdumpfmt/codecs: the per-codec factories codec.cpp dispatches
// to, and the argument checks and error texts every codec shares.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "dumpfmt/codec.h"
#include "dumpfmt/result.h"

namespace dumpfmt::detail {

using CodecPtr = std::unique_ptr<Codec>;

// One factory per codec file. A codec compiled out still has its factory; it
// returns codec_not_built(), so dispatch never needs an #if.
Result<CodecPtr> make_none_codec(int level);
Result<CodecPtr> make_zlib_codec(int level);  // libdeflate when built with it, else zlib
Result<CodecPtr> make_lzo_codec(int level);
Result<CodecPtr> make_snappy_codec(int level);
Result<CodecPtr> make_zstd_codec(int level);
Result<CodecPtr> make_lz4_codec(int level);

// zlib-format pages through zlib itself even when libdeflate is the default,
// so benchmarks and tests can compare the two back ends byte for byte.
Result<CodecPtr> make_zlib_codec_via_zlib(int level);

// "<name>: not built into this dumpfmt" (Errc::not_built).
Error codec_not_built(CodecId c);

// "<name>: corrupt page: <what>" (Errc::corrupt).
Error codec_corrupt(CodecId c, std::string_view what);

// Errc::corrupt for a page that decoded to `got` bytes instead of `want`.
Error codec_wrong_size(CodecId c, size_t got, size_t want);

// Rejects a level on codecs that have none (lzo, snappy, lz4): 0 only.
Status check_no_level(CodecId c, int level);

// Rejects a level outside [lo, hi]; 0 (the kdump default) is checked by the caller.
Status check_level_range(CodecId c, int level, int lo, int hi);

// compress() preconditions: `out` holds max_compressed_size(in) bytes and the
// input fits the library's size type (`max_in`).
Status check_compress_args(const Codec& codec, size_t in_size, size_t out_size, size_t max_in);

}  // namespace dumpfmt::detail
