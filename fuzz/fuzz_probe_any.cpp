// Fuzz target: any bytes through open_dump_files (flattened unwrapping, every format's probe in
// registry order, open), then every present page read.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::unique_ptr<dumpfmt::File>> files;
  files.push_back(dumpfmt::fuzz::input_file(data, size));
  auto src = dumpfmt::open_dump_files(std::move(files), dumpfmt::fuzz::open_options());
  if (src) dumpfmt::fuzz::exercise(**src);
  return 0;
}
