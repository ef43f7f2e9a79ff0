// Private to formats/kdump: what one file's headers say (main header, sub-header,
// where the bitmaps and descriptors lie, the PFN range a split part holds),
// shared by the reader and the split-set checks.
#pragma once

#include <string>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/file.h"
#include "formats/kdump/kdump_layout.h"

namespace dumpfmt::detail::kdump {

/// One file of a dump (the whole dump, or one part of a split set).
struct PartHeader {
  std::string signature;
  MainHeader hdr;
  std::vector<std::byte> raw_main;  // main header bytes, to compare split parts
  Word word = Word::w64;
  Endian endian = Endian::little;
  SubLayout sub_layout = SubLayout::w64;
  SubHeader sub;
  int32_t version = 0;  // as used for decoding (capped at 6)
  uint32_t block_size = 0;
  uint64_t max_mapnr = 0;
  uint64_t bitmap_off = 0;
  uint64_t bitmap_half = 0;  // bytes of each bitmap when there are two
  bool two_bitmaps = true;
  uint64_t desc_off = 0;
  bool split = false;
  Pfn start = 0;
  Pfn end = 0;
  std::vector<std::string> warnings;
};

/// Reads and checks one file's headers; the layout and byte order are found by
/// trial (docs/formats.md §3.2). Oddities that do not stop reading go to `warnings`.
Result<PartHeader> parse_part(const File& f);

}  // namespace dumpfmt::detail::kdump
