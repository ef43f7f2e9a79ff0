// Fuzz target: the s390 reader alone (classic, s390_ext incl. zlib segments; register and
// VMCOREINFO recovery from lowcores; page reads).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dumpfmt::fuzz::open_as("s390", data, size);
  return 0;
}
