// Our LZO1X encoder (libdumpfmt/codecs/lzo1x_encode.h) on arbitrary input: the block must
// fit lzo1x_encode_bound (in a buffer of exactly that size, so ASan sees any write past
// it) and liblzo2's lzo1x_decompress_safe must give back exactly the input. The first
// byte picks how often the input is encoded in a row through one encoder (stale table
// entries from the previous block must never be used).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../libdumpfmt/codecs/lzo1x_encode.h"
#include "dumpfmt/config.h"

#if DUMPFMT_HAVE_LZO
#include <lzo/lzo1x.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#if DUMPFMT_HAVE_LZO
  static const int init = lzo_init();
  if (init != LZO_E_OK) std::abort();
  static dumpfmt::detail::Lzo1xEncoder enc;
  int rounds = size > 0 ? 1 + (data[0] & 1) : 1;
  size_t bound = dumpfmt::detail::lzo1x_encode_bound(size);
  for (int r = 0; r < rounds; ++r) {
    std::unique_ptr<uint8_t[]> z(new uint8_t[bound]);
    size_t zn = enc.encode(data, size, z.get(), bound);
    if (zn < 3 || zn > bound) {
      std::fprintf(stderr, "lzo1x_encode: %zu bytes -> block of %zu\n", size, zn);
      std::abort();
    }
    std::unique_ptr<uint8_t[]> back(new uint8_t[size + 1]);
    lzo_uint back_len = size;
    int rc = lzo1x_decompress_safe(z.get(), zn, back.get(), &back_len, nullptr);
    if (rc != LZO_E_OK || back_len != size || (size != 0 && std::memcmp(back.get(), data, size))) {
      std::fprintf(stderr, "lzo1x_encode: %zu bytes did not round-trip (lzo rc %d, %zu bytes)\n",
                   size, rc, static_cast<size_t>(back_len));
      std::abort();
    }
  }
#else
  (void)data;
  (void)size;
#endif
  return 0;
}
