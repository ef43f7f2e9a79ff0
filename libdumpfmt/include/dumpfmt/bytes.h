// Byte-order helpers, checked arithmetic, and the bounds-checked ByteReader and
// ByteWriter every format parser and encoder goes through: a field that does
// not fit its buffer is an Error (reading) or a stop (writing), never UB.
// load()/store() on raw pointers are the primitives beneath them, for loops
// over buffers whose size is already checked.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dumpfmt/result.h"

namespace dumpfmt {

enum class Endian : uint8_t { little, big };

constexpr Endian host_endian() {
  return std::endian::native == std::endian::little ? Endian::little : Endian::big;
}

template <class T>
constexpr T byteswap(T v) {
  static_assert(std::is_integral_v<T>);
  if constexpr (sizeof(T) == 1) {
    return v;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  } else {
    return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
  }
}

/// Loads an integer of type T from possibly unaligned memory in byte order e.
template <class T>
inline T load(const void* p, Endian e) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return e == host_endian() ? v : byteswap(v);
}

/// Stores v at possibly unaligned memory in byte order e.
template <class T>
inline void store(void* p, T v, Endian e) {
  if (e != host_endian()) v = byteswap(v);
  std::memcpy(p, &v, sizeof v);
}

/// a + b, or nullopt-like failure on overflow.
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

/// printf-style formatting into std::string (GCC 12 has no std::format).
std::string strfmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// "0x1a2b" for offsets and PFNs in messages.
std::string hex(uint64_t v);

/// Bounds-checked cursor over a byte span. Reads past the end produce
/// Errc::truncated naming `what` and the absolute offset (base + position).
class ByteReader {
 public:
  ByteReader(std::span<const std::byte> data, Endian e, uint64_t base_offset = 0)
      : data_(data), endian_(e), base_(base_offset) {}

  size_t size() const { return data_.size(); }
  size_t pos() const { return pos_; }
  Endian endian() const { return endian_; }
  void set_endian(Endian e) { endian_ = e; }

  Status seek(size_t pos) {
    if (pos > data_.size()) return out_of_bounds(pos, 0);
    pos_ = pos;
    return ok();
  }
  Status skip(size_t n) { return seek_checked(n); }

  template <class T>
  Result<T> read() {
    if (data_.size() - pos_ < sizeof(T)) return out_of_bounds(pos_, sizeof(T));
    T v = load<T>(data_.data() + pos_, endian_);
    pos_ += sizeof(T);
    return v;
  }

  /// Reads a T at absolute position `at` without moving the cursor.
  template <class T>
  Result<T> peek(size_t at) const {
    if (at > data_.size() || data_.size() - at < sizeof(T)) return out_of_bounds(at, sizeof(T));
    return load<T>(data_.data() + at, endian_);
  }

  Result<std::span<const std::byte>> bytes(size_t n) {
    if (data_.size() - pos_ < n) return out_of_bounds(pos_, n);
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  /// Fixed-size char field, cut at the first NUL.
  Result<std::string> cstr(size_t n) {
    DUMPFMT_TRY_ASSIGN(auto s, bytes(n));
    const char* p = reinterpret_cast<const char*>(s.data());
    return std::string(p, strnlen(p, n));
  }

  // Fixed-layout decoding. A decoder reads each field at its offset without
  // a check of its own; a field that does not fit reads as zero (or empty)
  // and the first such miss is kept, so finish() turns a short buffer into
  // an error once, at the end.

  /// The T at absolute position `at`.
  template <class T>
  T field(size_t at) {
    if (!fits(at, sizeof(T))) return missed<T>(at, sizeof(T));
    return load<T>(data_.data() + at, endian_);
  }
  /// The `n` bytes at `at`.
  std::span<const std::byte> field_bytes(size_t at, size_t n) {
    if (!fits(at, n)) return missed<std::span<const std::byte>>(at, n);
    return data_.subspan(at, n);
  }
  template <size_t N>
  std::array<std::byte, N> field_array(size_t at) {
    std::array<std::byte, N> a{};
    std::span<const std::byte> s = field_bytes(at, N);
    if (!s.empty()) std::memcpy(a.data(), s.data(), N);
    return a;
  }
  /// `v`, or the error of the first field that did not fit.
  template <class V>
  Result<V> finish(V v) const {
    if (miss_) return out_of_bounds(miss_->first, miss_->second);
    return v;
  }
  Status finish() const {
    if (miss_) return out_of_bounds(miss_->first, miss_->second);
    return ok();
  }

 private:
  bool fits(size_t at, size_t n) const { return at <= data_.size() && data_.size() - at >= n; }
  template <class V>
  V missed(size_t at, size_t n) {
    if (!miss_) miss_.emplace(at, n);
    return V{};
  }
  Status seek_checked(size_t n) {
    if (data_.size() - pos_ < n) return out_of_bounds(pos_, n);
    pos_ += n;
    return ok();
  }
  Error out_of_bounds(size_t at, size_t n) const;

  std::span<const std::byte> data_;
  Endian endian_;
  uint64_t base_;
  size_t pos_ = 0;
  std::optional<std::pair<size_t, size_t>> miss_;  // first field() that did not fit
};

/// Fixed-layout encoding into a buffer the encoder sized itself. A field that
/// does not fit is a bug in the encoder, not bad input, so it stops the
/// program instead of writing past the buffer.
class ByteWriter {
 public:
  ByteWriter(std::span<std::byte> out, Endian e) : out_(out), endian_(e) {}

  template <class T>
  void put(size_t at, T v) {
    store<T>(checked(at, sizeof v), v, endian_);
  }
  void put_bytes(size_t at, std::span<const std::byte> b) {
    std::byte* p = checked(at, b.size());
    if (!b.empty()) std::memcpy(p, b.data(), b.size());
  }
  void zero(size_t at, size_t n) {
    std::byte* p = checked(at, n);
    if (n != 0) std::memset(p, 0, n);
  }

 private:
  std::byte* checked(size_t at, size_t n) const {
    if (at > out_.size() || out_.size() - at < n) __builtin_trap();
    return out_.data() + at;
  }

  std::span<std::byte> out_;
  Endian endian_;
};

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// True if every byte is zero; word-wide, no byte loop in the hot path.
bool is_zero(std::span<const std::byte> page);

}  // namespace dumpfmt
