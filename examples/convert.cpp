// The smallest program over libdumpfmt: convert any dump it reads into a
// kdump-compressed file with zstd pages, as `dumpconv -z IN OUT` does. The
// README shows it; tests/CMakeLists.txt builds and runs it, so it stays true.
#include <cstdio>

#include "dumpfmt/format.h"
#include "dumpfmt/write_dump.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT OUTPUT\n", argv[0]);
    return 2;
  }
  auto src = dumpfmt::open_dump({argv[1]}, {});
  if (!src) {
    std::fprintf(stderr, "%s\n", src.error().message.c_str());
    return 1;
  }
  dumpfmt::WriteJob job;
  job.output = argv[2];
  job.write.codec = dumpfmt::CodecId::zstd;
  auto stats = dumpfmt::write_dump(**src, (*src)->info(), (*src)->ram(), (*src)->present(), job);
  if (!stats) {
    std::fprintf(stderr, "%s\n", stats.error().message.c_str());
    return 1;
  }
  std::printf("%llu pages written\n", static_cast<unsigned long long>(stats->pages));
  return 0;
}
