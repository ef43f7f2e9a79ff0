// Private: constants of makedumpfile's flattened format (makedumpfile.h:
// makedumpfile_header, makedumpfile_data_header; docs/formats.md §4), shared by the
// flattened reader and the flattened sink.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "dumpfmt/bytes.h"
#include "dumpfmt/result.h"

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

/// The header block's type field, after the signature.
inline Result<int64_t> header_type(std::span<const std::byte> head) {
  return ByteReader(head, Endian::big).peek<int64_t>(16);
}

/// Where a record's payload goes in the rebuilt file and how long it is.
struct RecordHeader {
  int64_t offset = 0;
  int64_t size = 0;
  bool is_end() const { return offset == kEndMarker && size == kEndMarker; }
};

inline Result<RecordHeader> decode_record_header(std::span<const std::byte> raw) {
  ByteReader r(raw, Endian::big);
  RecordHeader h{r.field<int64_t>(0), r.field<int64_t>(8)};
  return r.finish(h);
}

inline void encode_record_header(const RecordHeader& h, std::span<std::byte> out) {
  ByteWriter w(out, Endian::big);
  w.put<int64_t>(0, h.offset);
  w.put<int64_t>(8, h.size);
}

}  // namespace dumpfmt::detail::flat
