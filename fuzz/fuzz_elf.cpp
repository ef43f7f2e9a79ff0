// Fuzz target: the ELF vmcore reader alone (probe, open, page reads).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dumpfmt::fuzz::open_as("elf", data, size);
  return 0;
}
