// Fuzz target: makedumpfile's flattened format: open_flattened's record index, reads of the
// remapped file at record boundaries and across them, then the dump inside (if any).
#include <algorithm>

#include "dumpfmt/flattened.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto raw = dumpfmt::fuzz::input_file(data, size);
  if (!dumpfmt::is_flattened(*raw)) return 0;
  auto flat = dumpfmt::open_flattened(std::move(raw));
  if (!flat) return 0;
  const dumpfmt::File& f = **flat;
  // Read the remapped file in odd-sized pieces, bounded so a huge declared size stays cheap.
  std::vector<std::byte> buf(4099);
  uint64_t limit = std::min<uint64_t>(f.size(), 1u << 20);
  for (uint64_t off = 0; off < limit; off += buf.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), f.size() - off));
    (void)f.read_at(off, {buf.data(), n});
  }
  if (f.size() > 0) (void)f.read_at(f.size() - 1, {buf.data(), 1});
  (void)f.read_at(f.size(), {buf.data(), 1});  // past the end: an error, not a crash
  std::vector<std::unique_ptr<dumpfmt::File>> files;
  files.push_back(std::move(*flat));
  auto src = dumpfmt::open_dump_files(std::move(files), dumpfmt::fuzz::open_options());
  if (src) dumpfmt::fuzz::exercise(**src);
  return 0;
}
