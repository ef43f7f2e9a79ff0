// LZO1X block encoder (see lzo1x_encode.h). Written from the stream format as documented
// (the Linux kernel's Documentation/staging/lzo.rst); no LZO compressor's code was used.
//
// The format, as far as this encoder uses it. A block is a sequence of literal runs and
// matches (copies from the output already produced) ending with the marker 0x11 0x00 0x00.
// Every match instruction ends with two "S" bits giving how many literals (0-3) follow
// it; runs of 4 or more literals get an instruction of their own, which may only follow a
// match whose S bits are 0 or start the block. Lengths too long for an instruction's
// length field continue in extra bytes: the field is 0, then one 0 byte per 255 and a
// final non-zero byte.
//   first instruction   17 + L, then L literals (1 <= L <= 238)
//   literal run         N literals, 4 <= N: 0000LLLL with L = N - 3 (N <= 18), or L = 0
//                       and extra bytes for N - 18 (after a match with S = 0, or first)
//   M2                  LLLDDDSS HHHHHHHH: length L + 1 (3..8), distance (H << 3) + D + 1
//                       (1..2048); L >= 2
//   M3                  001LLLLL then LE16 (D << 2 | S): length L + 2 (3..33; or L = 0
//                       and extra bytes for length - 33), distance D + 1 (1..16384)
//   M4                  0001HLLL then LE16 (D << 2 | S): length L + 2 (3..9; or L = 0
//                       and extra bytes for length - 9), distance 16384 + (H << 14) + D
//                       (16385..49151); distance 16384 (0x11 0x00 0x00) ends the block
// The short matches after a literal run (M1, 0000DDSS) are never written.
//
// The parse is greedy, one hash probe per position: a match of at least 4 bytes at the
// position the table remembers for the same 5-byte hash, extended up to 8 bytes backwards
// over the pending literals and forwards 8 bytes at a time; right after a match, the
// next position is tried at once for a match that follows with no literals between.
// Stretches without matches are crossed in growing steps (one byte further per 16
// literals pending), so incompressible data costs little.
#include "codecs/lzo1x_encode.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dumpfmt::detail {
namespace {

constexpr size_t kMinMatch = 4;
constexpr size_t kM2MaxLen = 8;
constexpr size_t kM2MaxDist = 2048;
constexpr size_t kM3MaxLen = 33;  // in the instruction byte itself
constexpr size_t kM3MaxDist = 16384;
constexpr size_t kM4MaxLen = 9;  // in the instruction byte itself
constexpr size_t kM4MaxDist = 49151;
constexpr size_t kFirstRunMax = 238;
constexpr size_t kShortRunMax = 18;  // literal runs 4..18 fit in the instruction byte
constexpr int kSkipShift = 4;
// Blocks shorter than this are written as literals only.
constexpr size_t kMinMatchInput = 8;
constexpr int kSmallHashBits = 12;  // inputs up to kSmallInput
constexpr int kLargeHashBits = 14;
constexpr size_t kSmallInput = 8192;

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void copy16(uint8_t* d, const uint8_t* s) {
  uint64_t a = load64(s);
  uint64_t b = load64(s + 8);
  std::memcpy(d, &a, 8);
  std::memcpy(d + 8, &b, 8);
}

// Hash of the 5 bytes at p (reads 8). Five rather than four: on kernel data a 4-byte
// hash finds many more 4-byte matches that save little and cost a mispredicted branch
// or two each (measured: 30% slower, 1% smaller output on the corpus dump).
template <int kBits>
inline uint32_t hash_at(const uint8_t* p) {
  uint64_t v = load64(p);
  if constexpr (std::endian::native == std::endian::big)
    v >>= 24;
  else
    v <<= 24;
  return static_cast<uint32_t>((v * 0xcf1bbcdcb7a56463ull) >> (64 - kBits));
}

// Number of equal bytes at p and ref (ref < p), reading no further than end.
inline size_t count_equal(const uint8_t* p, const uint8_t* ref, const uint8_t* end) {
  const uint8_t* const start = p;
  while (end - p >= 8) {
    uint64_t x = load64(p) ^ load64(ref);
    if (x != 0) {
      int bits =
          std::endian::native == std::endian::little ? std::countr_zero(x) : std::countl_zero(x);
      return static_cast<size_t>(p - start) + static_cast<size_t>(bits >> 3);
    }
    p += 8;
    ref += 8;
  }
  while (p < end && *p == *ref) {
    ++p;
    ++ref;
  }
  return static_cast<size_t>(p - start);
}

// A length's extra bytes: one 0 per 255, then the remainder (v >= 1).
inline uint8_t* put_extra_length(uint8_t* op, size_t v) {
  size_t zeros = (v - 1) / 255;
  std::memset(op, 0, zeros);
  op += zeros;
  *op++ = static_cast<uint8_t>(v - zeros * 255);
  return op;
}

// Literals lit[0, len), len >= 1. `sbits` is the byte holding the previous match's S
// bits, null at the start of the block.
inline uint8_t* put_literals(uint8_t* op, uint8_t* sbits, const uint8_t* lit, size_t len,
                             const uint8_t* in_end) {
  if (sbits == nullptr) {
    if (len <= kFirstRunMax) {
      *op++ = static_cast<uint8_t>(17 + len);
    } else {
      *op++ = 0;
      op = put_extra_length(op, len - kShortRunMax);
    }
  } else if (len <= 3) {
    *sbits |= static_cast<uint8_t>(len);
  } else if (len <= kShortRunMax) {
    *op++ = static_cast<uint8_t>(len - 3);
  } else {
    *op++ = 0;
    op = put_extra_length(op, len - kShortRunMax);
  }
  if (static_cast<size_t>(in_end - lit) >= len + 16) {
    // 16 bytes at a time, up to 15 past the run: the block's worst case leaves more
    // room than that below lzo1x_encode_bound (see the header).
    uint8_t* d = op;
    uint8_t* const e = op + len;
    do {
      copy16(d, lit);
      d += 16;
      lit += 16;
    } while (d < e);
  } else {
    std::memcpy(op, lit, len);
  }
  return op + len;
}

// A match of len >= kMinMatch bytes at distance 1..kM4MaxDist; sets sbits to the byte
// that takes the S bits of the literals after it.
inline uint8_t* put_match(uint8_t* op, uint8_t*& sbits, size_t dist, size_t len) {
  if (len <= kM2MaxLen && dist <= kM2MaxDist) {
    size_t d = dist - 1;
    op[0] = static_cast<uint8_t>(((len - 1) << 5) | ((d & 7) << 2));
    op[1] = static_cast<uint8_t>(d >> 3);
    sbits = op;
    return op + 2;
  }
  size_t d;
  if (dist <= kM3MaxDist) {
    d = dist - 1;
    if (len <= kM3MaxLen) {
      *op++ = static_cast<uint8_t>(0x20 | (len - 2));
    } else {
      *op++ = 0x20;
      op = put_extra_length(op, len - kM3MaxLen);
    }
  } else {
    d = dist - 16384;
    uint8_t h = static_cast<uint8_t>((d >> 11) & 8);
    if (len <= kM4MaxLen) {
      *op++ = static_cast<uint8_t>(0x10 | h | (len - 2));
    } else {
      *op++ = static_cast<uint8_t>(0x10 | h);
      op = put_extra_length(op, len - kM4MaxLen);
    }
  }
  op[0] = static_cast<uint8_t>(d << 2);
  op[1] = static_cast<uint8_t>(d >> 6);
  sbits = op;
  return op + 2;
}

// kFar: the input is long enough for distances beyond what M4 can reach.
template <int kBits, bool kFar>
size_t encode_block(const uint8_t* const in, const size_t n, uint8_t* const out,
                    uint32_t* const table, const uint32_t base) {
  const uint8_t* const in_end = in + n;
  const uint8_t* anchor = in;
  uint8_t* op = out;
  uint8_t* sbits = nullptr;

  if (n >= kMinMatchInput) {
    const uint8_t* const ip_limit = in_end - 8;  // last place a match may start
    table[hash_at<kBits>(in)] = base;
    const uint8_t* ip = in + 1;
    const uint8_t* ref;
    for (;;) {
      // Find a match at ip or later.
      for (;;) {
        if (ip > ip_limit) goto finish;
        const uint32_t v = load32(ip);
        uint32_t& slot = table[hash_at<kBits>(ip)];
        const uint32_t pos = static_cast<uint32_t>(ip - in);
        const uint32_t cand = slot - base;  // wraps to >= pos when from an earlier block
        slot = base + pos;
        if (cand < pos && (!kFar || pos - cand <= kM4MaxDist) && load32(in + cand) == v) {
          ref = in + cand;
          break;
        }
        ip += 1 + (static_cast<size_t>(ip - anchor) >> kSkipShift);
      }
      if (ref - in >= 8) {
        // Up to 8 bytes backwards over the pending literals, in one compare.
        uint64_t x = load64(ip - 8) ^ load64(ref - 8);
        size_t back = x == 0 ? 8
                             : static_cast<size_t>((std::endian::native == std::endian::little
                                                        ? std::countl_zero(x)
                                                        : std::countr_zero(x)) >>
                                                   3);
        back = std::min(back, static_cast<size_t>(ip - anchor));
        ip -= back;
        ref -= back;
      } else {
        while (ip > anchor && ref > in && ip[-1] == ref[-1]) {
          --ip;
          --ref;
        }
      }
      if (ip > anchor)
        op = put_literals(op, sbits, anchor, static_cast<size_t>(ip - anchor), in_end);
      // Matches back to back, no literals between them.
      for (;;) {
        size_t len = kMinMatch + count_equal(ip + kMinMatch, ref + kMinMatch, in_end);
        op = put_match(op, sbits, static_cast<size_t>(ip - ref), len);
        ip += len;
        anchor = ip;
        if (ip > ip_limit) goto finish;
        table[hash_at<kBits>(ip - 2)] = base + static_cast<uint32_t>(ip - 2 - in);
        const uint32_t v = load32(ip);
        uint32_t& slot = table[hash_at<kBits>(ip)];
        const uint32_t pos = static_cast<uint32_t>(ip - in);
        const uint32_t cand = slot - base;
        slot = base + pos;
        if (!(cand < pos && (!kFar || pos - cand <= kM4MaxDist) && load32(in + cand) == v)) break;
        ref = in + cand;
      }
      ++ip;
    }
  }
finish:
  if (anchor < in_end) {
    op = put_literals(op, sbits, anchor, static_cast<size_t>(in_end - anchor), in_end);
  }
  op[0] = 0x11;
  op[1] = 0;
  op[2] = 0;
  return static_cast<size_t>(op + 3 - out);
}

}  // namespace

Lzo1xEncoder::Lzo1xEncoder() : table_(new uint32_t[size_t{1} << kLargeHashBits]()), base_(1) {}

Lzo1xEncoder::~Lzo1xEncoder() = default;

size_t Lzo1xEncoder::encode(const uint8_t* in, size_t n, uint8_t* out, size_t cap) {
  if (n > kMaxInput || cap < lzo1x_encode_bound(n)) return 0;
  // Positions of this block are base_ .. base_ + n - 1, all above every stored entry.
  if (n > UINT32_MAX - base_) {
    std::memset(table_.get(), 0, sizeof(uint32_t) << kLargeHashBits);
    base_ = 1;
  }
  const uint32_t base = base_;
  base_ += static_cast<uint32_t>(n);
  if (n <= kSmallInput) return encode_block<kSmallHashBits, false>(in, n, out, table_.get(), base);
  if (n <= kM4MaxDist + 1) {
    return encode_block<kLargeHashBits, false>(in, n, out, table_.get(), base);
  }
  return encode_block<kLargeHashBits, true>(in, n, out, table_.get(), base);
}

}  // namespace dumpfmt::detail
