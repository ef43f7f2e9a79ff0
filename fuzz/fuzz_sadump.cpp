// Fuzz target: the sadump reader alone (single partition and media backup: magic block size,
// MSB-first bitmaps, SMRAM CPU states, page reads).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dumpfmt::fuzz::open_as("sadump", data, size);
  return 0;
}
