// CodecId::none: pages stored as they are. Lets callers treat "raw" like any
// other codec (the pipeline with --codec none, readers of flags == 0).
#include <cstdint>
#include <cstring>

#include "codecs/codec_impl.h"

namespace dumpfmt::detail {
namespace {

class NoneCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::none; }
  size_t max_compressed_size(size_t n) const override { return n; }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), SIZE_MAX));
    if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
    return in.size();
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (in.size() != out.size()) return codec_wrong_size(CodecId::none, in.size(), out.size());
    if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
    return ok();
  }
};

}  // namespace

Result<CodecPtr> make_none_codec(int level) {
  DUMPFMT_TRY(check_no_level(CodecId::none, level));
  return CodecPtr(std::make_unique<NoneCodec>());
}

}  // namespace dumpfmt::detail
