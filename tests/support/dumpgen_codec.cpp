// dumpgen: per-page compression for kdump files, calling zlib, LZO, snappy and zstd
// directly the way makedumpfile does (docs/formats.md §8).
#include <zlib.h>

#include <mutex>

#include "dumpgen_internal.h"

#ifdef DUMPGEN_HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#ifdef DUMPGEN_HAVE_SNAPPY
#include <snappy-c.h>
#endif
#ifdef DUMPGEN_HAVE_ZSTD
#include <zstd.h>
#endif

namespace dumpgen {

bool codec_available(Codec c) {
  switch (c) {
    case Codec::none:
    case Codec::zlib:
      return true;
#ifdef DUMPGEN_HAVE_LZO
    case Codec::lzo:
      return true;
#endif
#ifdef DUMPGEN_HAVE_SNAPPY
    case Codec::snappy:
      return true;
#endif
#ifdef DUMPGEN_HAVE_ZSTD
    case Codec::zstd:
      return true;
#endif
    default:
      return false;
  }
}

namespace detail {

std::vector<uint8_t> compress_page(Codec c, const std::vector<uint8_t>& page) {
  if (!codec_available(c)) fail(std::string("codec not built into dumpgen: ") + codec_name(c));
  std::vector<uint8_t> out;
  switch (c) {
    case Codec::none:
      return {};
    case Codec::zlib: {
      uLongf n = compressBound(page.size());
      out.resize(n);
      if (compress2(out.data(), &n, page.data(), page.size(), 1) != Z_OK) fail("compress2");
      out.resize(n);
      break;
    }
#ifdef DUMPGEN_HAVE_LZO
    case Codec::lzo: {
      static std::once_flag once;
      std::call_once(once, [] {
        if (lzo_init() != LZO_E_OK) fail("lzo_init");
      });
      std::vector<uint8_t> wrkmem(LZO1X_1_MEM_COMPRESS);
      lzo_uint n = page.size() + page.size() / 16 + 64 + 3;
      out.resize(n);
      if (lzo1x_1_compress(page.data(), page.size(), out.data(), &n, wrkmem.data()) != LZO_E_OK)
        fail("lzo1x_1_compress");
      out.resize(n);
      break;
    }
#endif
#ifdef DUMPGEN_HAVE_SNAPPY
    case Codec::snappy: {
      size_t n = snappy_max_compressed_length(page.size());
      out.resize(n);
      if (snappy_compress(reinterpret_cast<const char*>(page.data()), page.size(),
                          reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK)
        fail("snappy_compress");
      out.resize(n);
      break;
    }
#endif
#ifdef DUMPGEN_HAVE_ZSTD
    case Codec::zstd: {
      out.resize(ZSTD_compressBound(page.size()));
      size_t n = ZSTD_compress(out.data(), out.size(), page.data(), page.size(), 1);
      if (ZSTD_isError(n)) fail("ZSTD_compress");
      out.resize(n);
      break;
    }
#endif
    default:
      fail("codec not built");
  }
  if (out.size() >= page.size()) return {};  // not smaller: makedumpfile stores it raw
  return out;
}

}  // namespace detail
}  // namespace dumpgen
