// An LZO1X block encoder of our own, made for kdump pages (4 KiB to 64 KiB, zero-heavy
// kernel data): a greedy single-probe LZ77 parse written in the LZO1X stream format, so
// that liblzo2's lzo1x_decompress_safe (makedumpfile, crash, libkdumpfile) and every other
// LZO1X decoder read it. Its blocks are not byte-identical to liblzo2's lzo1x_1_compress;
// they decode to the same bytes.
//
// Not used by LzoCodec yet, which still compresses with liblzo2's lzo1x_1: the bar for
// replacing it is 1.5x its single-thread speed at no more than 3% more output on the
// corpus dump's pages, and this encoder measured 1.2x-1.3x at 4.7% more
// (codec_bench corpus/lzo1x_*).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace dumpfmt::detail {

// The most a block of n input bytes can take: liblzo2's documented lzo1x_1 worst case,
// which makedumpfile sizes its buffers with. Our encoder's own worst case is smaller
// (about n + n/19 + 4); the rest is slack its word-wide copies may scribble into.
constexpr size_t lzo1x_encode_bound(size_t n) { return n + n / 16 + 64 + 3; }

class Lzo1xEncoder {
 public:
  // Inputs beyond this are refused (positions are 32-bit; pages are far smaller).
  static constexpr size_t kMaxInput = size_t{1} << 30;

  Lzo1xEncoder();
  ~Lzo1xEncoder();
  Lzo1xEncoder(const Lzo1xEncoder&) = delete;
  Lzo1xEncoder& operator=(const Lzo1xEncoder&) = delete;

  // Writes in[0, n) as one raw LZO1X block (no header; ends with the end-of-stream
  // marker 0x11 0x00 0x00) to out and returns its size. Returns 0, writing nothing, when
  // n > kMaxInput or cap < lzo1x_encode_bound(n). Never writes at or past out + cap.
  size_t encode(const uint8_t* in, size_t n, uint8_t* out, size_t cap);

 private:
  // Hash of 4 input bytes -> base_ + position. Entries below base_ are from earlier
  // blocks and count as empty, so the table is cleared only when base_ would wrap.
  std::unique_ptr<uint32_t[]> table_;
  uint32_t base_ = 0;
};

}  // namespace dumpfmt::detail
