// Fuzz target: the kdump-compressed reader alone (probe, open, page reads incl. decompression).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dumpfmt::fuzz::open_as("kdump", data, size);
  return 0;
}
