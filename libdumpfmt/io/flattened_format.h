// Private: constants of makedumpfile's flattened format (makedumpfile.h:
// makedumpfile_header, makedumpfile_data_header; docs/formats.md §4), shared by the
// flattened reader and the flattened sink.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace dumpfmt::detail::flat {

inline constexpr char kSignature[16] = "makedumpfile";  // then NULs up to 16 bytes
inline constexpr int64_t kTypeFlatHeader = 1;
inline constexpr int64_t kVersionFlatHeader = 1;
inline constexpr size_t kRecordHeaderSize = 16;  // {s64 offset, s64 size}, big-endian
inline constexpr int64_t kEndMarker = -1;        // offset and size of the end record

inline bool has_signature(std::span<const std::byte> head) {
  return head.size() >= sizeof kSignature &&
         std::memcmp(head.data(), kSignature, sizeof kSignature) == 0;
}

}  // namespace dumpfmt::detail::flat
