// Fuzz target: parse_notes on an arbitrary note area (first byte picks the byte order), and
// the round trip parse -> serialize_notes -> parse must reproduce the same notes.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto e = (data[0] & 1) ? dumpfmt::Endian::big : dumpfmt::Endian::little;
  std::span<const std::byte> area(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  auto notes = dumpfmt::parse_notes(area, e, 0x1000, "fuzz-notes");
  if (!notes) return 0;
  (void)dumpfmt::find_vmcoreinfo(*notes);
  auto bytes = dumpfmt::serialize_notes(*notes, e);
  auto again = dumpfmt::parse_notes(bytes, e, 0, "fuzz-notes-again");
  if (!again || again->size() != notes->size()) std::abort();
  for (size_t i = 0; i < notes->size(); ++i) {
    const auto& a = (*notes)[i];
    const auto& b = (*again)[i];
    if (a.name != b.name || a.type != b.type || a.desc != b.desc) std::abort();
  }
  return 0;
}
