// lz4 pages: a raw LZ4 block (no frame). No kdump writer or reader uses lz4
// today; it is kept for formats that may, with the same exact-size contract.
#include <climits>
#include <cstdint>
#include <memory>
#include <string>

#include "codecs/codec_impl.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_LZ4
#include <lz4.h>
#endif

namespace dumpfmt::detail {

#if DUMPFMT_HAVE_LZ4
namespace {

class Lz4Codec final : public Codec {
 public:
  CodecId id() const override { return CodecId::lz4; }
  size_t max_compressed_size(size_t n) const override {
    return n > LZ4_MAX_INPUT_SIZE ? 0 : static_cast<size_t>(LZ4_compressBound(static_cast<int>(n)));
  }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), LZ4_MAX_INPUT_SIZE));
    // The _extState form of LZ4_compress_fast (same output) with the hash
    // table kept here instead of 16 KiB on the stack per call.
    if (!state_) state_ = std::make_unique<uint64_t[]>(state_units());
    int cap = static_cast<int>(std::min<size_t>(out.size(), INT_MAX));
    int n = LZ4_compress_fast_extState(state_.get(), reinterpret_cast<const char*>(in.data()),
                                       reinterpret_cast<char*>(out.data()),
                                       static_cast<int>(in.size()), cap, 1);
    if (n <= 0) return make_error(Errc::invalid_argument, "lz4: compression failed");
    return static_cast<size_t>(n);
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (in.size() > INT_MAX) return codec_corrupt(CodecId::lz4, "compressed page too large");
    if (out.size() > INT_MAX) {
      return make_error(Errc::invalid_argument,
                        "lz4: page of " + std::to_string(out.size()) + " bytes is too large");
    }
    char empty_out = 0;
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()),
                                out.empty() ? &empty_out : reinterpret_cast<char*>(out.data()),
                                static_cast<int>(in.size()), static_cast<int>(out.size()));
    // lz4 reports only "malformed, at input offset -n".
    if (n < 0) {
      return codec_corrupt(CodecId::lz4, "malformed block at input offset " +
                                             std::to_string(-static_cast<int64_t>(n) - 1) +
                                             " (LZ4_decompress_safe)");
    }
    if (static_cast<size_t>(n) != out.size()) {
      return codec_wrong_size(CodecId::lz4, static_cast<size_t>(n), out.size());
    }
    return ok();
  }

 private:
  static size_t state_units() {
    return (static_cast<size_t>(LZ4_sizeofState()) + sizeof(uint64_t) - 1) / sizeof(uint64_t);
  }
  // Allocated on first compress; uint64_t gives the alignment lz4 requires.
  std::unique_ptr<uint64_t[]> state_;
};

}  // namespace
#endif  // DUMPFMT_HAVE_LZ4

Result<CodecPtr> make_lz4_codec(int level) {
#if DUMPFMT_HAVE_LZ4
  DUMPFMT_TRY(check_no_level(CodecId::lz4, level));
  return CodecPtr(std::make_unique<Lz4Codec>());
#else
  (void)level;
  return codec_not_built(CodecId::lz4);
#endif
}

}  // namespace dumpfmt::detail
