// zlib-format pages (kdump flag 0x01): one complete zlib stream per page (RFC
// 1950 header, deflate, Adler-32), the bytes compress2()/uncompress() use.
// libdeflate does the work when built with it (several times faster on single
// pages); zlib's own deflate/inflate is the fallback and stays available.
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <string>

#include "codecs/codec_impl.h"
#include "dumpfmt/config.h"
#include "dumpfmt/enum_names.h"

#if DUMPFMT_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

namespace dumpfmt::detail {
namespace {

// makedumpfile writes pages with deflate level 1 and QEMU with Z_BEST_SPEED.
constexpr int kDefaultLevel = 1;

Error out_of_memory(const char* lib) {
  return make_error(Errc::io, std::string("zlib: ") + lib + ": out of memory");
}

Error compress_failed(const char* lib, std::string_view why) {
  std::string m = std::string("zlib: ") + lib + " compression failed: ";
  m += why;
  return make_error(Errc::invalid_argument, std::move(m));
}

#if DUMPFMT_HAVE_LIBDEFLATE

std::string_view libdeflate_error_text(libdeflate_result r) {
  static constexpr EnumName<libdeflate_result> kTexts[] = {
      {LIBDEFLATE_SUCCESS, "success"},
      {LIBDEFLATE_BAD_DATA, "bad data (libdeflate)"},
      {LIBDEFLATE_SHORT_OUTPUT, "short output (libdeflate)"},
      {LIBDEFLATE_INSUFFICIENT_SPACE, "output longer than the page (libdeflate)"}};
  return enum_name(r, kTexts, "unknown error (libdeflate)");
}

class LibdeflateZlibCodec final : public Codec {
 public:
  explicit LibdeflateZlibCodec(int level) : level_(level) {}
  ~LibdeflateZlibCodec() override {
    libdeflate_free_compressor(comp_);
    libdeflate_free_decompressor(decomp_);
  }
  LibdeflateZlibCodec(const LibdeflateZlibCodec&) = delete;
  LibdeflateZlibCodec& operator=(const LibdeflateZlibCodec&) = delete;

  CodecId id() const override { return CodecId::zlib; }

  // NULL: the bound across every compressor, so it holds before the lazily
  // allocated compressor exists.
  size_t max_compressed_size(size_t n) const override {
    return libdeflate_zlib_compress_bound(nullptr, n);
  }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), SIZE_MAX / 2));
    // A reader never compresses, so the compressor (the larger of the two)
    // is allocated on first use only.
    if (comp_ == nullptr) {
      comp_ = libdeflate_alloc_compressor(level_);
      if (comp_ == nullptr) return out_of_memory("libdeflate");
    }
    size_t n = libdeflate_zlib_compress(comp_, in.data(), in.size(), out.data(), out.size());
    if (n == 0) return compress_failed("libdeflate", "output does not fit the bound");
    return n;
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (decomp_ == nullptr) {
      decomp_ = libdeflate_alloc_decompressor();
      if (decomp_ == nullptr) return out_of_memory("libdeflate");
    }
    size_t used_in = 0;
    size_t produced = 0;
    libdeflate_result r = libdeflate_zlib_decompress_ex(decomp_, in.data(), in.size(), out.data(),
                                                        out.size(), &used_in, &produced);
    if (r != LIBDEFLATE_SUCCESS) return codec_corrupt(CodecId::zlib, libdeflate_error_text(r));
    if (produced != out.size()) return codec_wrong_size(CodecId::zlib, produced, out.size());
    if (used_in != in.size()) {
      return codec_corrupt(CodecId::zlib, std::to_string(in.size() - used_in) +
                                              " bytes of trailing data after the stream");
    }
    return ok();
  }

 private:
  int level_;
  libdeflate_compressor* comp_ = nullptr;
  libdeflate_decompressor* decomp_ = nullptr;
};

#endif  // DUMPFMT_HAVE_LIBDEFLATE

std::string zlib_error_text(const z_stream& s, int rc) {
  std::string m = s.msg != nullptr ? s.msg : zError(rc);
  return m + " (zlib)";
}

// zlib's deflate/inflate with streams kept per instance and reset per page:
// the same bytes as compress2()/uncompress() without their per-call
// allocation of the ~270 KiB deflate state.
class ZlibCodec final : public Codec {
 public:
  explicit ZlibCodec(int level) : level_(level) {}
  ~ZlibCodec() override {
    if (deflate_ready_) deflateEnd(&def_);
    if (inflate_ready_) inflateEnd(&inf_);
  }
  ZlibCodec(const ZlibCodec&) = delete;
  ZlibCodec& operator=(const ZlibCodec&) = delete;

  CodecId id() const override { return CodecId::zlib; }
  size_t max_compressed_size(size_t n) const override { return compressBound(n); }

  Result<size_t> compress(std::span<const std::byte> in, std::span<std::byte> out) override {
    DUMPFMT_TRY(check_compress_args(*this, in.size(), out.size(), UINT_MAX / 2));
    if (!deflate_ready_) {
      def_ = z_stream{};
      int rc = deflateInit(&def_, level_);
      if (rc == Z_MEM_ERROR) return out_of_memory("zlib");
      if (rc != Z_OK) return compress_failed("zlib", zlib_error_text(def_, rc));
      deflate_ready_ = true;
    } else if (int rc = deflateReset(&def_); rc != Z_OK) {
      return compress_failed("zlib", zlib_error_text(def_, rc));
    }
    // zlib never writes through next_in; the cast is its C API's.
    def_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    def_.avail_in = static_cast<uInt>(in.size());
    def_.next_out = reinterpret_cast<Bytef*>(out.data());
    def_.avail_out = static_cast<uInt>(std::min<size_t>(out.size(), UINT_MAX));
    int rc = deflate(&def_, Z_FINISH);
    if (rc != Z_STREAM_END) return compress_failed("zlib", zlib_error_text(def_, rc));
    return static_cast<size_t>(def_.total_out);
  }

  Status decompress(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (out.size() > UINT_MAX) {
      return make_error(Errc::invalid_argument,
                        "zlib: page of " + std::to_string(out.size()) + " bytes is too large");
    }
    if (in.size() > UINT_MAX) return codec_corrupt(CodecId::zlib, "compressed page too large");
    if (!inflate_ready_) {
      inf_ = z_stream{};
      int rc = inflateInit(&inf_);
      if (rc == Z_MEM_ERROR) return out_of_memory("zlib");
      if (rc != Z_OK) return codec_corrupt(CodecId::zlib, zlib_error_text(inf_, rc));
      inflate_ready_ = true;
    } else if (int rc = inflateReset(&inf_); rc != Z_OK) {
      return codec_corrupt(CodecId::zlib, zlib_error_text(inf_, rc));
    }
    // inflate() refuses a null next_out even when nothing is to be written.
    std::byte empty_out{};
    inf_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    inf_.avail_in = static_cast<uInt>(in.size());
    inf_.next_out = reinterpret_cast<Bytef*>(out.empty() ? &empty_out : out.data());
    inf_.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&inf_, Z_FINISH);
    size_t produced = inf_.total_out;
    switch (rc) {
      case Z_STREAM_END:
        if (produced != out.size()) return codec_wrong_size(CodecId::zlib, produced, out.size());
        if (inf_.avail_in != 0) {
          return codec_corrupt(CodecId::zlib, std::to_string(inf_.avail_in) +
                                                  " bytes of trailing data after the stream");
        }
        return ok();
      case Z_BUF_ERROR:
        // Z_FINISH without Z_STREAM_END: the stream stops before its end, or
        // input is left over because the page is longer than `out`.
        if (inf_.avail_in == 0) {
          return codec_corrupt(CodecId::zlib,
                               "truncated stream after " + std::to_string(produced) + " bytes");
        }
        return codec_corrupt(CodecId::zlib,
                             "decompresses to more than " + std::to_string(out.size()) + " bytes");
      case Z_NEED_DICT:
        return codec_corrupt(CodecId::zlib, "stream needs a preset dictionary");
      case Z_MEM_ERROR:
        return out_of_memory("zlib");
      default:
        return codec_corrupt(CodecId::zlib, zlib_error_text(inf_, rc));
    }
  }

 private:
  int level_;
  z_stream def_{};
  z_stream inf_{};
  bool deflate_ready_ = false;
  bool inflate_ready_ = false;
};

}  // namespace

Result<CodecPtr> make_zlib_codec_via_zlib(int level) {
  if (level == 0) level = kDefaultLevel;
  DUMPFMT_TRY(check_level_range(CodecId::zlib, level, 1, 9));
  return CodecPtr(std::make_unique<ZlibCodec>(level));
}

Result<CodecPtr> make_zlib_codec(int level) {
#if DUMPFMT_HAVE_LIBDEFLATE
  if (level == 0) level = kDefaultLevel;
  DUMPFMT_TRY(check_level_range(CodecId::zlib, level, 1, 12));
  return CodecPtr(std::make_unique<LibdeflateZlibCodec>(level));
#else
  return make_zlib_codec_via_zlib(level);
#endif
}

}  // namespace dumpfmt::detail
