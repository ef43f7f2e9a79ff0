// zstd pages (kdump flag 0x20): one complete zstd frame per page (magic
// 0xFD2FB528, content size recorded), as makedumpfile's ZSTD_compressCCtx
// writes and ZSTD_decompress reads.
#include <cstdint>
#include <memory>
#include <string>

#include "codecs/codec_impl.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_ZSTD
#include <zstd.h>
#endif

namespace dumpfmt::detail {

#if DUMPFMT_HAVE_ZSTD
namespace {

// makedumpfile compresses pages at level 1.
constexpr int kDefaultLevel = 1;

class ZstdCodec final : public Codec {
 public:
  explicit ZstdCodec(int level) : level_(level) {}
  ~ZstdCodec() override {
    ZSTD_freeCCtx(cctx_);
    ZSTD_freeDCtx(dctx_);
  }
  ZstdCodec(const ZstdCodec&) = delete;
  ZstdCodec& operator=(const ZstdCodec&) = delete;

  CodecId id() const override { return CodecId::zstd; }
  size_t max_compressed_size(size_t n) const override { return ZSTD_compressBound(n); }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), ZSTD_MAX_INPUT_SIZE - 1));
    // Contexts are created on first use: a reader never needs a CCtx.
    if (cctx_ == nullptr) {
      cctx_ = ZSTD_createCCtx();
      if (cctx_ == nullptr) return make_error(Errc::io, "zstd: out of memory");
    }
    size_t n = ZSTD_compressCCtx(cctx_, out.data(), out.size(), in.data(), in.size(), level_);
    if (ZSTD_isError(n)) {
      return make_error(Errc::invalid_argument,
                        std::string("zstd: compression failed: ") + ZSTD_getErrorName(n));
    }
    return n;
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (dctx_ == nullptr) {
      dctx_ = ZSTD_createDCtx();
      if (dctx_ == nullptr) return make_error(Errc::io, "zstd: out of memory");
    }
    // Like ZSTD_decompress in kdump readers, this accepts concatenated frames
    // and rejects anything after the last one.
    size_t n = ZSTD_decompressDCtx(dctx_, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(n)) return codec_corrupt(CodecId::zstd, ZSTD_getErrorName(n));
    if (n != out.size()) return codec_wrong_size(CodecId::zstd, n, out.size());
    return ok();
  }

 private:
  int level_;
  ZSTD_CCtx* cctx_ = nullptr;
  ZSTD_DCtx* dctx_ = nullptr;
};

}  // namespace
#endif  // DUMPFMT_HAVE_ZSTD

Result<CodecPtr> make_zstd_codec(int level) {
#if DUMPFMT_HAVE_ZSTD
  // Negative levels are zstd's "fast" levels; 0 would mean zstd's own
  // default (3), so it maps to the kdump default instead.
  if (level == 0) level = kDefaultLevel;
  DUMPFMT_TRY(check_level_range(CodecId::zstd, level, ZSTD_minCLevel(), ZSTD_maxCLevel()));
  return CodecPtr(std::make_unique<ZstdCodec>(level));
#else
  (void)level;
  return codec_not_built(CodecId::zstd);
#endif
}

}  // namespace dumpfmt::detail
