// LZO pages (kdump flag 0x02): a raw LZO1X-1 block with no header, written by
// lzo1x_1_compress and read by lzo1x_decompress_safe (makedumpfile, crash).
#include <cstdint>
#include <memory>
#include <string>

#include "codecs/codec_impl.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_LZO
#include <lzo/lzo1x.h>
#endif

namespace dumpfmt::detail {

#if DUMPFMT_HAVE_LZO
namespace {

// lzo has no strerror of its own.
std::string lzo_error_text(int rc) {
  const char* what = "error";
  switch (rc) {
    case LZO_E_INPUT_OVERRUN:
      what = "input overrun (truncated block)";
      break;
    case LZO_E_OUTPUT_OVERRUN:
      what = "output overrun (longer than the page)";
      break;
    case LZO_E_LOOKBEHIND_OVERRUN:
      what = "lookbehind overrun";
      break;
    case LZO_E_EOF_NOT_FOUND:
      what = "end-of-stream marker not found";
      break;
    case LZO_E_INPUT_NOT_CONSUMED:
      what = "trailing data after the block";
      break;
    case LZO_E_OUT_OF_MEMORY:
      what = "out of memory";
      break;
    default:
      break;
  }
  return std::string(what) + " (lzo error " + std::to_string(rc) + ")";
}

// n + n/16 + 64 + 3: lzo1x_1's documented worst case, the bound makedumpfile
// sizes its buffer with.
constexpr size_t lzo_bound(size_t n) { return n + n / 16 + 64 + 3; }

// The shortest LZO1X block is the 3-byte end marker; lzo1x_decompress_safe
// reads its first byte before any input check.
constexpr size_t kMinBlock = 3;

class LzoCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::lzo; }
  size_t max_compressed_size(size_t n) const override { return lzo_bound(n); }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    // lzo1x_1_compress takes no output capacity: the bound check is all that
    // keeps it inside `out`.
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), (SIZE_MAX - 67) / 2));
    if (!wrkmem_) wrkmem_ = std::make_unique<lzo_align_t[]>(kWrkmemUnits);
    lzo_uint out_len = out.size();
    int rc = lzo1x_1_compress(reinterpret_cast<const lzo_bytep>(in.data()), in.size(),
                              reinterpret_cast<lzo_bytep>(out.data()), &out_len, wrkmem_.get());
    if (rc != LZO_E_OK) {
      return make_error(Errc::invalid_argument, "lzo: compression failed: " + lzo_error_text(rc));
    }
    return static_cast<size_t>(out_len);
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (in.size() < kMinBlock) {
      return codec_corrupt(CodecId::lzo, "block of " + std::to_string(in.size()) +
                                             " bytes is shorter than the end marker");
    }
    std::byte empty_out{};
    lzo_uint out_len = out.size();
    int rc = lzo1x_decompress_safe(
        reinterpret_cast<const lzo_bytep>(in.data()), in.size(),
        reinterpret_cast<lzo_bytep>(out.empty() ? &empty_out : out.data()), &out_len, nullptr);
    if (rc != LZO_E_OK) return codec_corrupt(CodecId::lzo, lzo_error_text(rc));
    if (out_len != out.size()) return codec_wrong_size(CodecId::lzo, out_len, out.size());
    return ok();
  }

 private:
  static constexpr size_t kWrkmemUnits =
      (LZO1X_1_MEM_COMPRESS + sizeof(lzo_align_t) - 1) / sizeof(lzo_align_t);
  // Allocated on first compress: readers never need the 128 KiB.
  std::unique_ptr<lzo_align_t[]> wrkmem_;
};

}  // namespace
#endif  // DUMPFMT_HAVE_LZO

Result<CodecPtr> make_lzo_codec(int level) {
#if DUMPFMT_HAVE_LZO
  DUMPFMT_TRY(check_no_level(CodecId::lzo, level));
  // lzo_init checks the library's ABI once; a function-local static makes
  // the first call thread-safe.
  static const int init_rc = lzo_init();
  if (init_rc != LZO_E_OK) {
    return make_error(Errc::io, "lzo: lzo_init failed: " + lzo_error_text(init_rc));
  }
  return CodecPtr(std::make_unique<LzoCodec>());
#else
  (void)level;
  return codec_not_built(CodecId::lzo);
#endif
}

}  // namespace dumpfmt::detail
