// Round-trip matrix: dumps made by the independent generator (dumpgen) are
// read by libdumpfmt, written in every output format × codec, read back, and
// every page compared with what dumpgen says the source holds.
#include <gtest/gtest.h>

#include <cstring>

#include "dumpfmt/file.h"
#include "dumpfmt/flattened.h"
#include "dumpfmt/format.h"
#include "dumpfmt/pipeline.h"
#include "dumpgen.h"

using namespace dumpfmt;

namespace {

struct Source {
  std::string name;
  dumpgen::DumpSpec spec;
  int parts = 1;
};

dumpgen::DumpSpec base_spec(dumpgen::Format f) {
  dumpgen::DumpSpec s;
  s.format = f;
  s.nr_cpus = 2;
  s.seed = 7;
  // Pattern, random (incompressible), zero pages, a hole, and a far run.
  for (uint64_t p = 0; p < 300; ++p) {
    dumpgen::PageKind k = p % 11 == 0 ? dumpgen::PageKind::zero
                          : p % 5 == 0 ? dumpgen::PageKind::random
                                       : dumpgen::PageKind::pattern;
    s.pages.push_back(dumpgen::page(p, k));
  }
  for (uint64_t p = 1000; p < 1040; ++p) s.pages.push_back(dumpgen::page(p));
  for (uint64_t p = 70000; p < 70010; ++p) s.pages.push_back(dumpgen::page(p));
  return s;
}

std::vector<Source> sources() {
  std::vector<Source> v;
  v.push_back({"elf64", base_spec(dumpgen::Format::elf)});
  {
    Source s{"elf32_i386", base_spec(dumpgen::Format::elf)};
    s.spec.arch = "i686";
    v.push_back(s);
  }
  {
    Source s{"kdump_zlib", base_spec(dumpgen::Format::kdump)};
    s.spec.ram_only = {500, 501, 502};
    v.push_back(s);
  }
  {
    Source s{"kdump_lzo_flat", base_spec(dumpgen::Format::kdump)};
    s.spec.kdump.codec = dumpgen::Codec::lzo;
    s.spec.flat.enabled = true;
    s.spec.flat.shuffle = true;
    v.push_back(s);
  }
  {
    Source s{"kdump_v3_i386", base_spec(dumpgen::Format::kdump)};
    s.spec.arch = "i686";
    s.spec.kdump.header_version = 3;
    s.spec.kdump.codec = dumpgen::Codec::snappy;
    v.push_back(s);
  }
  {
    Source s{"kdump_zstd_split3", base_spec(dumpgen::Format::kdump)};
    s.spec.kdump.codec = dumpgen::Codec::zstd;
    s.parts = 3;
    v.push_back(s);
  }
  {
    Source s{"kdump_s390x_be", base_spec(dumpgen::Format::kdump)};
    s.spec.arch = "s390x";
    v.push_back(s);
  }
  return v;
}

struct Target {
  std::string format;
  CodecId codec;
};

std::vector<Target> targets() {
  return {{"kdump", CodecId::none}, {"kdump", CodecId::zlib}, {"kdump", CodecId::lzo},
          {"kdump", CodecId::snappy}, {"kdump", CodecId::zstd}, {"elf", CodecId::none}};
}

std::vector<std::unique_ptr<File>> files_of(const Source& s) {
  std::vector<std::unique_ptr<File>> files;
  auto to_file = [](const std::string& name, const std::vector<uint8_t>& b) {
    std::vector<std::byte> d(b.size());
    std::memcpy(d.data(), b.data(), b.size());
    return memory_file(name, std::move(d));
  };
  if (s.parts > 1) {
    auto parts = dumpgen::generate_split(s.spec, s.parts);
    for (size_t i = 0; i < parts.size(); ++i) files.push_back(to_file(s.name + "." + std::to_string(i + 1), parts[i]));
  } else {
    files.push_back(to_file(s.name, dumpgen::generate(s.spec)));
  }
  return files;
}

// Checks every PFN up to max_mapnr: present pages identical, absent ones absent.
void expect_same_pages(const PageSource& got, const dumpgen::Oracle& oracle, Pfn limit,
                       const std::string& what) {
  std::vector<std::byte> buf(got.info().page_size);
  uint64_t checked = 0;
  for (Pfn pfn = 0; pfn < limit; ++pfn) {
    auto want = oracle.expected(pfn);
    bool present = got.present().contains(pfn);
    ASSERT_EQ(present, want.has_value()) << what << ": pfn " << pfn;
    if (!present) continue;
    auto st = got.read_page(pfn, buf);
    ASSERT_TRUE(st.has_value()) << what << ": " << st.error().message;
    ASSERT_EQ(0, std::memcmp(buf.data(), want->data(), buf.size())) << what << ": pfn " << pfn;
    ++checked;
  }
  EXPECT_GT(checked, 300u) << what;
}

}  // namespace

class RoundTrip : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {};

TEST_P(RoundTrip, PagesSurviveConversion) {
  auto [si, ti] = GetParam();
  Source src = sources()[si];
  Target tgt = targets()[ti];
  if (!codec_built(tgt.codec)) GTEST_SKIP() << "codec not built";
  const std::string what = src.name + " -> " + tgt.format + "/" + std::string(codec_name(tgt.codec));
  dumpgen::Oracle oracle(src.spec, src.parts);

  auto in = open_dump_files(files_of(src));
  ASSERT_TRUE(in.has_value()) << what << ": " << in.error().message;
  const PageSource& s = **in;
  Pfn limit = 70100;
  expect_same_pages(s, oracle, limit, what + " (source read)");

  MemorySink sink;
  WriteOptions wo;
  wo.codec = tgt.codec;
  auto w = find_format(tgt.format)->create_writer(sink, wo);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  ASSERT_TRUE((*w)->begin(s.info(), s.ram(), s.present()).has_value());
  PipelineOptions po;
  po.threads = 2;
  po.batch_pages = 64;
  auto stats = run_pipeline(s, s.present(), **w, po);
  ASSERT_TRUE(stats.has_value()) << what << ": " << stats.error().message;
  ASSERT_TRUE(sink.commit().has_value());

  std::vector<std::unique_ptr<File>> out;
  std::vector<std::byte> bytes(sink.bytes().begin(), sink.bytes().end());
  out.push_back(memory_file("out", std::move(bytes)));
  auto back = open_dump_files(std::move(out));
  ASSERT_TRUE(back.has_value()) << what << ": " << back.error().message;
  EXPECT_EQ((*back)->info().format, tgt.format);
  expect_same_pages(**back, oracle, limit, what);
  // Metadata carried over.
  EXPECT_EQ((*back)->info().vmcoreinfo, s.info().vmcoreinfo) << what;
  if (!s.info().notes.empty()) {
    EXPECT_EQ((*back)->info().nr_cpus, s.info().nr_cpus) << what;  // counted from NT_PRSTATUS
  }
  if (tgt.format == "kdump") {
    EXPECT_TRUE((*back)->ram() == s.ram()) << what << ": RAM bitmap not carried";
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, RoundTrip,
                         ::testing::Combine(::testing::Range<size_t>(0, 7),
                                            ::testing::Range<size_t>(0, 6)),
                         [](const auto& param_info) {
                           auto src = sources()[std::get<0>(param_info.param)];
                           auto tgt = targets()[std::get<1>(param_info.param)];
                           return src.name + "_to_" + tgt.format + "_" +
                                  std::string(codec_name(tgt.codec));
                         });

TEST(RoundTrip, FlattenedSinkRearrangesToTheSameFile) {
  Source src{"kdump", base_spec(dumpgen::Format::kdump)};
  auto in = open_dump_files(files_of(src));
  ASSERT_TRUE(in.has_value());
  const PageSource& s = **in;
  auto write = [&](OutputSink& sink) {
    WriteOptions wo;
    wo.codec = CodecId::zlib;
    auto w = find_format("kdump")->create_writer(sink, wo);
    ASSERT_TRUE(w.has_value());
    ASSERT_TRUE((*w)->begin(s.info(), s.ram(), s.present()).has_value());
    ASSERT_TRUE(run_pipeline(s, s.present(), **w, {}).has_value());
    ASSERT_TRUE(sink.commit().has_value());
  };
  MemorySink direct;
  write(direct);
  auto inner = std::make_unique<MemorySink>();
  MemorySink* inner_raw = inner.get();
  auto flat = make_flattened_sink(std::move(inner));
  write(*flat);
  std::vector<std::byte> fb(inner_raw->bytes().begin(), inner_raw->bytes().end());
  auto ff = open_flattened(memory_file("flat", std::move(fb)));
  ASSERT_TRUE(ff.has_value()) << ff.error().message;
  ASSERT_EQ((*ff)->size(), direct.bytes().size());
  std::vector<std::byte> re((*ff)->size());
  ASSERT_TRUE((*ff)->read_at(0, re).has_value());
  EXPECT_TRUE(std::equal(re.begin(), re.end(), direct.bytes().begin()));
}
