// write_parts (dumpfmt/write_parts.h): both parallel modes write the same bytes, the
// size limit is enforced by the sink (the part is named, nothing is kept),
// and a failing part leaves no part behind.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dumpfmt/format.h"
#include "dumpfmt/write_parts.h"
#include "dumpgen.h"
#include "gtest/gtest.h"

namespace {

using namespace dumpfmt;

class WriteParts : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dumpsplit_parts_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    dumpgen::DumpSpec spec = dumpgen::simple_spec(dumpgen::Format::elf, 600);
    for (size_t i = 0; i < spec.pages.size(); i += 7) spec.pages[i].kind = dumpgen::PageKind::zero;
    for (size_t i = 3; i < spec.pages.size(); i += 5) {
      spec.pages[i].kind = dumpgen::PageKind::random;
    }
    dumpgen::write_file(spec, dir_ + "/in.elf");
    auto s = open_dump({dir_ + "/in.elf"});
    ASSERT_TRUE(s) << s.error().message;
    src_ = std::move(*s);
    info_ = src_->info();
    info_.max_pfn = 600;
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }

  PartsJob job(const std::vector<std::pair<Pfn, Pfn>>& ranges, const std::string& prefix) {
    PartsJob j;
    j.base.write.codec = CodecId::zlib;
    j.base.write.dump_level = 1;
    j.base.pipeline.threads = 2;
    j.base.pipeline.batch_pages = 64;
    for (size_t i = 0; i < ranges.size(); ++i) {
      j.parts.push_back(
          {dir_ + "/" + prefix + std::to_string(i + 1), ranges[i].first, ranges[i].second});
    }
    return j;
  }
  Result<PartStats> run(const PartsJob& j) {
    return write_parts(*src_, info_, src_->ram(), src_->present(), j);
  }
  std::vector<std::string> files() const {
    std::vector<std::string> v;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && n != "in.elf") v.push_back(n);
    }
    closedir(d);
    std::sort(v.begin(), v.end());
    return v;
  }
  std::string slurp(const std::string& name) const {
    std::ifstream f(dir_ + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  std::string dir_;
  std::unique_ptr<PageSource> src_;
  DumpInfo info_;
};

const std::vector<std::pair<Pfn, Pfn>> kRanges = {{0, 192}, {192, 448}, {448, 600}};

TEST_F(WriteParts, BothModesWriteTheSameSet) {
  auto a = run(job(kRanges, "a"));
  ASSERT_TRUE(a) << a.error().message;
  PartsJob pj = job(kRanges, "b");
  pj.parallelism = PartParallelism::pages;
  auto b = run(pj);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(files(), (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "b3"}));
  for (int i = 1; i <= 3; ++i) {
    std::string x = slurp("a" + std::to_string(i));
    EXPECT_EQ(x, slurp("b" + std::to_string(i))) << "part " << i;
    EXPECT_EQ(x.size(), a->part_bytes[static_cast<size_t>(i - 1)]);
  }
  EXPECT_EQ(a->pipeline.pages, 600u);
  EXPECT_EQ(b->pipeline.pages, 600u);
  EXPECT_EQ(a->pipeline.zero_pages, b->pipeline.zero_pages);
  // Read back as one dump.
  auto set = open_dump({dir_ + "/a2", dir_ + "/a3", dir_ + "/a1"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ((*set)->present(), src_->present());
  std::vector<std::byte> x(4096), y(4096);
  for (Pfn p = 0; p < 600; p += 13) {
    ASSERT_TRUE(src_->read_page(p, x));
    ASSERT_TRUE((*set)->read_page(p, y));
    EXPECT_EQ(0, std::memcmp(x.data(), y.data(), 4096)) << p;
  }
}

TEST_F(WriteParts, SizeLimitIsEnforcedWhileWriting) {
  auto free_run = run(job(kRanges, "f"));
  ASSERT_TRUE(free_run);
  const uint64_t largest =
      std::max({free_run->part_bytes[0], free_run->part_bytes[1], free_run->part_bytes[2]});
  for (PartParallelism mode : {PartParallelism::parts, PartParallelism::pages}) {
    // Exactly the largest part's size passes...
    PartsJob ok = job(kRanges, "o");
    ok.parallelism = mode;
    ok.max_bytes = largest;
    auto r = run(ok);
    ASSERT_TRUE(r) << r.error().message;
    // ...one byte less fails, naming a part, and keeps none.
    PartsJob tight = job(kRanges, "t");
    tight.parallelism = mode;
    tight.max_bytes = largest - 1;
    auto t = run(tight);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().message.find("would grow past the size limit of " +
                                     std::to_string(largest - 1) + " bytes"),
              std::string::npos)
        << t.error().message;
    EXPECT_NE(t.error().message.find(dir_ + "/t"), std::string::npos) << t.error().message;
    for (const auto& f : files()) EXPECT_NE(f[0], 't') << "left behind: " << f;
  }
}

TEST_F(WriteParts, AFailingPartLeavesNoPart) {
  PartsJob j = job(kRanges, "p");
  j.parts[2].path = dir_ + "/no/such/dir/p3";
  auto r = run(j);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no/such/dir/p3"), std::string::npos) << r.error().message;
  EXPECT_TRUE(files().empty()) << files().front();
  // Ranges that do not follow each other are a caller error.
  auto bad = run(job({{0, 100}, {150, 600}}, "g"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_TRUE(files().empty());
}

}  // namespace
