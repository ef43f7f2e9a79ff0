// Helpers shared by the s390 and sadump format tests: memory files, opening,
// page reads, conversion through a format writer, and the prefix/bit-flip
// robustness loops.
#pragma once

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dumpfmt/format.h"
#include "dumpfmt/output.h"
#include "dumpfmt/pipeline.h"
#include "dumpgen.h"
#include "gtest/gtest.h"

namespace s390_sadump_test {

using namespace dumpfmt;
using Bytes = std::vector<uint8_t>;

inline dumpgen::PageSpec pg(uint64_t pfn, dumpgen::PageKind kind = dumpgen::PageKind::pattern,
                            Bytes bytes = {}) {
  dumpgen::PageSpec p;
  p.pfn = pfn;
  p.kind = kind;
  p.bytes = std::move(bytes);
  return p;
}

inline std::unique_ptr<File> mem(const Bytes& b, const std::string& name) {
  std::vector<std::byte> v(b.size());
  if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
  return memory_file(name, std::move(v));
}

inline Result<std::unique_ptr<PageSource>> open_set(const std::vector<Bytes>& parts) {
  std::vector<std::unique_ptr<File>> files;
  for (size_t i = 0; i < parts.size(); ++i) files.push_back(mem(parts[i], "f" + std::to_string(i)));
  return open_dump_files(std::move(files));
}

inline Bytes read(const PageSource& s, Pfn pfn, PageState* state = nullptr) {
  std::vector<std::byte> buf(s.info().page_size);
  auto r = s.read_page(pfn, buf);
  EXPECT_TRUE(r) << "PFN " << pfn << ": " << (r ? "" : r.error().message);
  if (state && r) *state = *r;
  Bytes out(buf.size());
  std::memcpy(out.data(), buf.data(), buf.size());
  return out;
}

inline bool has(const std::vector<std::string>& msgs, const std::string& part) {
  for (const auto& m : msgs) {
    if (m.find(part) != std::string::npos) return true;
  }
  return false;
}

/// Writes `src` (all present pages) in `format`; the writer's warnings go to `warnings`.
inline Result<Bytes> convert(const PageSource& src, const std::string& format,
                             std::vector<std::string>* warnings = nullptr,
                             CodecId codec = CodecId::zlib) {
  MemorySink sink;
  WriteOptions wo;
  wo.codec = codec;
  wo.warn = [&](const std::string& m) {
    if (warnings) warnings->push_back(m);
  };
  const Format* f = find_format(format);
  if (!f) return make_error(Errc::invalid_argument, "no format " + format);
  DUMPFMT_TRY_ASSIGN(auto w, f->create_writer(sink, wo));
  DUMPFMT_TRY(w->begin(src.info(), src.ram(), src.present()));
  PipelineOptions po;
  po.threads = 2;
  DUMPFMT_TRY(run_pipeline(src, src.present(), *w, po));
  DUMPFMT_TRY(sink.commit());
  const auto& s = sink.bytes_as_string();
  return Bytes(s.begin(), s.end());
}

/// Opens every prefix (and, with flips, every single-byte corruption at the
/// offsets given) of file `which` of a set; each open must fail with an
/// Error or give a source whose present pages read without a crash. `check`
/// may add stronger expectations for a successful open.
inline void robustness(const std::vector<Bytes>& set, size_t which,
                       const std::vector<size_t>& lengths,
                       const std::function<void(const PageSource&)>& check = {}) {
  for (size_t len : lengths) {
    std::vector<Bytes> cut = set;
    cut[which].resize(std::min(len, cut[which].size()));
    auto r = open_set(cut);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    const PageSource& s = **r;
    std::vector<std::byte> buf(s.info().page_size);
    s.present().for_each_run([&](Pfn a, Pfn b) {
      for (Pfn p = a; p < b && p < a + 64; ++p) (void)s.read_page(p, buf);
    });
    if (check) check(s);
  }
}

}  // namespace s390_sadump_test
