// A small dump with page classes for the filter tests: a dumpgen ELF vmcore
// of a FLATMEM kernel whose struct pages mark some pages free and cached.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "dumpfmt/file.h"
#include "dumpfmt/format.h"
#include "dumpgen.h"
#include "kernel_test_support.h"

namespace filter_test {

/// A dumpgen ELF of 64 pages (every fourth, from PFN 1, all zero) with a
/// mem_map whose struct pages mark PFNs 16-23 free (order 3) and PFN 30 as
/// page cache; the mem_map pointer is at PFN 64, the array at PFN 65.
inline std::unique_ptr<dumpfmt::PageSource> dumpgen_with_classes() {
  using namespace dumpfmt;
  using namespace kernel_test;
  auto V = [](uint64_t pa) { return kStartKernelMap + pa; };
  dumpgen::DumpSpec spec;
  spec.format = dumpgen::Format::elf;
  for (uint64_t pfn = 0; pfn < 64; ++pfn) {
    dumpgen::PageSpec p;
    p.pfn = pfn;
    p.kind = pfn % 4 == 1 ? dumpgen::PageKind::zero : dumpgen::PageKind::pattern;
    spec.pages.push_back(p);
  }
  auto le64 = [](std::vector<uint8_t>& b, size_t off, uint64_t v) {
    for (int i = 0; i < 8; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  dumpgen::PageSpec ptr{64, dumpgen::PageKind::bytes, std::vector<uint8_t>(16), {}};
  le64(ptr.bytes, 0, V(65 * 4096));
  dumpgen::PageSpec arr{65, dumpgen::PageKind::bytes, std::vector<uint8_t>(64 * 64), {}};
  le64(arr.bytes, 16 * 64 + PageLayout::mapcount, static_cast<uint32_t>(kBuddy));
  le64(arr.bytes, 16 * 64 + PageLayout::priv, 3);
  le64(arr.bytes, 30 * 64 + PageLayout::flags, 1 << kPgLru);
  le64(arr.bytes, 30 * 64 + PageLayout::mapping, 0xffff888001234000ULL);
  spec.pages.push_back(ptr);
  spec.pages.push_back(arr);
  spec.vmcoreinfo = "OSRELEASE=6.1.0-dumpgen\nPAGESIZE=4096\nCRASHTIME=1700000000\n" +
                    strfmt(
                        "SYMBOL(init_top_pgt)=%llx\nNUMBER(phys_base)=0\n"
                        "SYMBOL(mem_map)=%llx\n",
                        static_cast<unsigned long long>(V(0x8000)),
                        static_cast<unsigned long long>(V(64 * 4096))) +
                    page_vmcoreinfo();
  auto bytes = dumpgen::generate(spec);
  std::vector<std::byte> data(bytes.size());
  std::memcpy(data.data(), bytes.data(), bytes.size());
  std::vector<std::unique_ptr<File>> files;
  files.push_back(memory_file("gen.elf", std::move(data)));
  auto src = open_dump_files(std::move(files));
  EXPECT_TRUE(src) << src.error().message;
  return src ? std::move(*src) : nullptr;
}

}  // namespace filter_test
