// snappy pages (kdump flag 0x04): a raw snappy block (varint length, then
// tagged elements), not the framing format; written and read with the C API
// of snappy-c.h as makedumpfile and crash do.
#include <cstdint>
#include <memory>
#include <string>

#include "codecs/codec_impl.h"
#include "dumpfmt/config.h"
#include "dumpfmt/enum_names.h"

#if DUMPFMT_HAVE_SNAPPY
#include <snappy-c.h>
#endif

namespace dumpfmt::detail {

#if DUMPFMT_HAVE_SNAPPY
namespace {

std::string_view snappy_error_text(snappy_status s) {
  static constexpr EnumName<snappy_status> kTexts[] = {
      {SNAPPY_OK, "ok"},
      {SNAPPY_INVALID_INPUT, "invalid input (snappy)"},
      {SNAPPY_BUFFER_TOO_SMALL, "buffer too small (snappy)"}};
  return enum_name(s, kTexts, "unknown error (snappy)");
}

class SnappyCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::snappy; }
  size_t max_compressed_size(size_t n) const override { return snappy_max_compressed_length(n); }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    // snappy's length prefix and its bound computation are 32-bit.
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), UINT32_MAX / 2));
    size_t out_len = out.size();
    snappy_status s = snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(),
                                      reinterpret_cast<char*>(out.data()), &out_len);
    if (s != SNAPPY_OK) {
      return make_error(Errc::invalid_argument,
                        std::string("snappy: compression failed: ").append(snappy_error_text(s)));
    }
    return out_len;
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    const char* src = reinterpret_cast<const char*>(in.data());
    // The block declares its length up front; checking it first gives a
    // precise message and keeps snappy_uncompress from a doomed attempt.
    size_t declared = 0;
    snappy_status s = snappy_uncompressed_length(src, in.size(), &declared);
    if (s != SNAPPY_OK) return codec_corrupt(CodecId::snappy, snappy_error_text(s));
    if (declared != out.size()) return codec_wrong_size(CodecId::snappy, declared, out.size());
    char empty_out = 0;
    size_t out_len = out.size();
    s = snappy_uncompress(src, in.size(),
                          out.empty() ? &empty_out : reinterpret_cast<char*>(out.data()), &out_len);
    if (s != SNAPPY_OK) return codec_corrupt(CodecId::snappy, snappy_error_text(s));
    if (out_len != out.size()) return codec_wrong_size(CodecId::snappy, out_len, out.size());
    return ok();
  }
};

}  // namespace
#endif  // DUMPFMT_HAVE_SNAPPY

Result<CodecPtr> make_snappy_codec(int level) {
#if DUMPFMT_HAVE_SNAPPY
  DUMPFMT_TRY(check_no_level(CodecId::snappy, level));
  return CodecPtr(std::make_unique<SnappyCodec>());
#else
  (void)level;
  return codec_not_built(CodecId::snappy);
#endif
}

}  // namespace dumpfmt::detail
