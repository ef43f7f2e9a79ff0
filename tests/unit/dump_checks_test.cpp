// The refusals of dumps that would silently miss pages (dumpfmt/dump.h):
// check_complete on a dump cut short, check_whole_set on one part of a set
// or a lone file that is no part.
#include <cstdlib>
#include <string>
#include <vector>

#include "dumpfmt/format.h"
#include "dumpgen.h"
#include "gtest/gtest.h"

namespace {

using namespace dumpfmt;

TEST(DumpChecks, CompleteNamesTheLostPagesAndTheWarnings) {
  DumpInfo info;
  EXPECT_TRUE(check_complete(info));
  info.incomplete = true;
  auto bare = check_complete(info);
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, Errc::truncated);
  EXPECT_EQ(bare.error().message, "the input is incomplete");
  info.lost_from = 0x1234;
  info.warnings = {"vmcore.2: 10 pages lost after the cut", "an unrelated remark",
                   "vmcore.3: flagged incomplete by its writer"};
  EXPECT_EQ(check_complete(info).error().message,
            "the input is incomplete: pages from PFN " + hex(0x1234) +
                " on are lost (vmcore.2: 10 pages lost after the cut; vmcore.3: flagged "
                "incomplete by its writer)");
}

TEST(DumpChecks, CompleteRefusesADumpCutShort) {
  char tmpl[] = "/tmp/dump_checks_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  dumpgen::DumpSpec spec = dumpgen::simple_spec(dumpgen::Format::kdump, 300);
  spec.incomplete_after_pfn = 100;
  dumpgen::write_file(spec, dir + "/cut.kdump");
  auto s = open_dump({dir + "/cut.kdump"});
  ASSERT_TRUE(s) << s.error().message;
  auto st = check_complete((*s)->info());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message.rfind("the input is incomplete", 0), 0u) << st.error().message;
  (void)std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(DumpChecks, WholeSetRefusesOnePartOrALoneFile) {
  DumpInfo info;
  info.max_pfn = 0x400;
  EXPECT_TRUE(check_whole_set(info, {"a", "b"}));
  auto lone = check_whole_set(info, {"vmcore"});
  ASSERT_FALSE(lone);
  EXPECT_EQ(lone.error().code, Errc::invalid_argument);
  EXPECT_EQ(lone.error().message, "vmcore: not a part of a split dump; give every part");
  info.split_range = std::make_pair(Pfn{0x100}, Pfn{0x200});
  EXPECT_EQ(check_whole_set(info, {"p.2"}).error().message,
            "p.2 holds only PFNs " + hex(0x100) + "-" + hex(0x200) + " of " + hex(0x400) +
                ": the other parts of the split set are missing");
  info.split_range = std::make_pair(Pfn{0}, Pfn{0x400});
  EXPECT_TRUE(check_whole_set(info, {"p.1"}));
}

}  // namespace
