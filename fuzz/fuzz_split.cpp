// Fuzz target: a set of 2 or 3 files (kdump split parts, sadump disk sets, s390 multi-volume
// dumps) through open_dump_files, then every present page read. The input is carved as
//   [0] part count - 2 (bit 0)   [1..] u32 LE length of each part but the last   [...] parts
// (a length past the end is cut to what is left; the last part is the rest).
#include <algorithm>
#include <string>

#include "dumpfmt/bytes.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t parts = 2 + (data[0] & 1);
  size_t pos = 1 + 4 * (parts - 1);
  if (size < pos) return 0;
  std::vector<std::unique_ptr<dumpfmt::File>> files;
  for (size_t i = 0; i < parts; ++i) {
    size_t len = size - pos;
    if (i + 1 < parts) {
      const auto* at = reinterpret_cast<const std::byte*>(data + 1 + 4 * i);
      len = std::min<size_t>(len, dumpfmt::load<uint32_t>(at, dumpfmt::Endian::little));
    }
    files.push_back(
        dumpfmt::borrowed_memory_file("fuzz-part" + std::to_string(i + 1),
                                      {reinterpret_cast<const std::byte*>(data + pos), len}));
    pos += len;
  }
  auto src = dumpfmt::open_dump_files(std::move(files), dumpfmt::fuzz::open_options());
  if (src) dumpfmt::fuzz::exercise(**src);
  return 0;
}
