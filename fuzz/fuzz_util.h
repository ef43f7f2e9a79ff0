// Shared by the fuzz targets: wrap the input as a File and walk a PageSource the way tools do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "dumpfmt/dump.h"
#include "dumpfmt/file.h"
#include "dumpfmt/format.h"

namespace dumpfmt::fuzz {

// Page reads per input: the first kRunHead pages and the last page of each present run, up to
// kMaxPageReads in all. Hostile headers may describe millions of pages, and a fuzzer input
// must finish in milliseconds; reading deeper into a run repeats the same code, while a run's
// edges (a segment's last page, the end of the file) are where the readers' bounds checks are.
constexpr uint64_t kMaxPageReads = 256;
constexpr uint64_t kRunHead = 16;

// open_dump_files' options for fuzz input: a gzip/zstd/lz4 bomb (a few KiB that decompress to
// gigabytes) must neither fill the disk nor take seconds.
inline OpenOptions open_options() {
  OpenOptions o;
  o.max_decompressed = 16u << 20;
  return o;
}

inline std::unique_ptr<File> input_file(const uint8_t* data, size_t size) {
  return borrowed_memory_file("fuzz-input", {reinterpret_cast<const std::byte*>(data), size});
}

// Reads metadata and a sample of the present pages; errors are fine, crashes are not.
// A page reported as present must never read back as excluded.
inline void exercise(const PageSource& src) {
  const DumpInfo& info = src.info();
  if (info.page_size == 0) std::abort();    // a reader must refuse such a header
  if (info.page_size > (1u << 20)) return;  // not ours to allocate for
  (void)src.ram().count();
  (void)src.present().count();
  std::vector<std::byte> page(info.page_size);
  uint64_t reads = 0;
  auto read = [&](Pfn pfn) {
    ++reads;
    auto st = src.read_page(pfn, page);
    if (st && *st == PageState::excluded) std::abort();
  };
  src.present().for_each_run([&](Pfn first, Pfn end) {
    for (Pfn pfn = first; pfn < end && pfn - first < kRunHead && reads < kMaxPageReads; ++pfn)
      read(pfn);
    if (end - first > kRunHead && reads < kMaxPageReads) read(end - 1);
  });
}

// Opens the input with one format's own probe and open, as open_dump would after probing.
inline void open_as(std::string_view format, const uint8_t* data, size_t size) {
  const Format* f = find_format(format);
  if (!f) std::abort();
  auto file = input_file(data, size);
  auto mine = f->probe(*file);
  if (!mine || !*mine) return;
  std::vector<std::unique_ptr<File>> files;
  files.push_back(std::move(file));
  auto src = f->open(std::move(files), OpenOptions{});
  if (src) exercise(**src);
}

}  // namespace dumpfmt::fuzz
