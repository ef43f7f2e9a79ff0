// dumpscrub's plan: the profile's dump level, the page transform (filled
// pages under keep_layout, erased bytes elsewhere), the eraseinfo text, the
// steps a kernel cannot do (fail, or go on under skip_unavailable), the
// user's rules over a synthetic kernel, and a dump without a kernel model.
#include <gtest/gtest.h>

#include "dumpfmt_filters/scrub_plan.h"
#include "kernel_test_support.h"
#include "scrub_test_support.h"

using namespace dumpfmt;
using namespace dumpfmt::filters;

namespace {

constexpr uint32_t kPage = scrub_test::kPage;

ScrubOptions options(std::string profile, bool keep_layout = false, std::string format = "kdump") {
  ScrubOptions o;
  o.profile = std::move(profile);
  o.keep_layout = keep_layout;
  o.format = std::move(format);
  return o;
}

TEST(ScrubPlan, TheProfileSetsTheDumpLevel) {
  EXPECT_EQ(scrub_dump_level(options("")), 0u);  // rules only: every page stays
  EXPECT_EQ(scrub_dump_level(options("", true)), 0u);
  EXPECT_EQ(scrub_dump_level(options("share")), 31u);
  EXPECT_EQ(scrub_dump_level(options("upload")), 31u);
  // Zero pages stay where leaving them out would leave holes.
  EXPECT_EQ(scrub_dump_level(options("share", true)), 30u);
  EXPECT_EQ(scrub_dump_level(options("upload", false, "elf")), 30u);
  EXPECT_EQ(scrub_dump_level(options("share", false, "sadump")), 30u);
}

TEST(ScrubPlan, TransformFillsDroppedPagesOnlyUnderKeepLayout) {
  PfnSet dropped;
  dropped.insert(2);
  EraseSet erase(kPage);
  erase.add_phys(3 * kPage + 100, 16, "rule", "x");
  erase.add_phys(2 * kPage + 8, 8, "rule", "y");
  erase.finish();
  auto page = [](char c) { return std::vector<std::byte>(kPage, std::byte(c)); };
  auto count = [](const std::vector<std::byte>& p, char c) {
    return std::count(p.begin(), p.end(), std::byte(c));
  };

  auto keep = scrub_transform(dropped, erase, 0x5a, true);
  auto p2 = page('a'), p3 = page('a'), p4 = page('a');
  ASSERT_TRUE(keep(2, p2));
  ASSERT_TRUE(keep(3, p3));
  ASSERT_TRUE(keep(4, p4));
  EXPECT_EQ(count(p2, 'Z'), kPage);  // dropped: all fill
  EXPECT_EQ(count(p3, 'Z'), 16);     // kept: the erased bytes only
  EXPECT_EQ(p3[100], std::byte{'Z'});
  EXPECT_EQ(p3[116], std::byte{'a'});
  EXPECT_EQ(count(p4, 'a'), kPage);

  // Without keep_layout dropped pages are not written; a written page gets
  // its erasures, whatever set it is in.
  auto drop = scrub_transform(dropped, erase, 'X', false);
  p2 = page('a');
  p3 = page('a');
  ASSERT_TRUE(drop(2, p2));
  ASSERT_TRUE(drop(3, p3));
  EXPECT_EQ(count(p2, 'X'), 8);
  EXPECT_EQ(count(p3, 'X'), 16);

  // The plan's transform is the same function of its own sets.
  ScrubPlan plan(kPage);
  plan.dropped = dropped;
  plan.summary.keep_layout = true;
  plan.summary.fill = '#';
  plan.erase.finish();
  p4 = page('a');
  ASSERT_TRUE(plan.transform()(2, p4));
  EXPECT_EQ(count(p4, '#'), kPage);
}

TEST(ScrubPlan, EraseinfoAppendsOursAndTheFilledPages) {
  EraseSet erase(kPage);
  erase.add_phys(0x1000, 32, "key", "key(7).payload.data");
  erase.add_phys(0x3000, 16, "rule", "init_task.comm");
  erase.finish();
  const std::string ours = "erase key(7).payload.data size 32\nerase init_task.comm size 16\n";
  // The source's text first, ending in a newline.
  EXPECT_EQ(scrub_eraseinfo("erase old size 8", erase, options("upload"), 8192),
            "erase old size 8\n" + ours);
  EXPECT_EQ(scrub_eraseinfo("erase old size 8\n", erase, options("upload"), 8192),
            "erase old size 8\n" + ours);
  EXPECT_EQ(scrub_eraseinfo("", erase, options("upload"), 8192), ours);
  // Filled pages are erased too, and say so.
  EXPECT_EQ(scrub_eraseinfo("", erase, options("share", true), 8192),
            ours + "erase pages(share) size 8192\n");
  EXPECT_EQ(scrub_eraseinfo("", erase, options("share", true), 0), ours);
  EraseSet none(kPage);
  none.finish();
  EXPECT_EQ(scrub_eraseinfo("", none, options("share"), 4096), "");
}

TEST(ScrubPlan, WithoutAKernelModelThePlanFails) {
  kernel_test::MemSource m(Arch::x86_64, kPage);
  m.add_ram(0, 16);
  auto plan = plan_scrub(m, options("share"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message.rfind("kernel memory: ", 0), 0u) << plan.error().message;
}

#if DUMPFMT_HAVE_LIBBPF

// A kernel with nothing the upload finders look for, and one global buffer.
struct Fixture {
  scrub_test::SynthKernel s;
  uint64_t buf = 0, other = 0;
  std::vector<std::pair<std::string, Error>> unavailable;
  std::vector<std::string> warnings;

  Fixture() {
    s.btf.int_type("int", 4, true);
    buf = s.global("secret_buf", 64);
    s.mem.fill(buf, 64, 's');
    other = s.global("other_buf", 32);
    s.mem.fill(other, 32, 'o');
    s.finish();
  }
  ScrubOptions opts(std::string profile, bool skip = false) {
    ScrubOptions o = options(std::move(profile));
    o.skip_unavailable = skip;
    o.warn = [this](const std::string& w) { warnings.push_back(w); };
    o.unavailable = [this](const std::string& step, const Error& e) {
      unavailable.emplace_back(step, e);
    };
    return o;
  }
  std::vector<std::string> steps() const {
    std::vector<std::string> r;
    for (const auto& u : unavailable) r.push_back(u.first);
    return r;
  }
};

TEST(ScrubPlan, AnUnavailableStepFailsThePlan) {
  Fixture f;
  ScrubModel m{*f.s.kernel, std::nullopt, std::nullopt};
  EraseSet erase(kPage);
  ScrubSummary sum;
  auto st = plan_erasures(m, f.opts("upload"), erase, sum);
  ASSERT_FALSE(st);
  // Reported once, and the plan stops at it with the step's name.
  ASSERT_EQ(f.steps(), std::vector<std::string>{"key payloads"});
  EXPECT_EQ(st.error().message, "key payloads: " + f.unavailable[0].second.message);
  EXPECT_EQ(st.error().code, f.unavailable[0].second.code);
  EXPECT_TRUE(sum.classes.empty());
}

TEST(ScrubPlan, SkipUnavailableGoesOnWithoutTheStep) {
  Fixture f;
  ScrubModel m{*f.s.kernel, std::nullopt, std::nullopt};
  EraseSet erase(kPage);
  ScrubSummary sum;
  auto st = plan_erasures(m, f.opts("upload", true), erase, sum);
  ASSERT_TRUE(st) << st.error().message;
  // Every finder, then the RNG rules, none of which matches this kernel.
  EXPECT_EQ(f.steps(),
            (std::vector<std::string>{"key payloads", "TTY and console buffers", "pipe buffers",
                                      "freed slab objects", "RNG state"}));
  EXPECT_EQ(f.unavailable.back().second.message, "no RNG rule matched this kernel");
  EXPECT_EQ(f.unavailable.back().second.code, Errc::unsupported);
  ASSERT_EQ(sum.classes.size(), 1u);
  EXPECT_EQ(sum.classes[0].cls, "rng");
  EXPECT_EQ(sum.classes[0].objects, 0u);
  EXPECT_FALSE(sum.rules.empty());  // the built-in rules, each skipped
  for (const auto& r : sum.rules) EXPECT_FALSE(r.skipped.empty()) << r.rule;
  EXPECT_TRUE(erase.empty());
}

TEST(ScrubPlan, WithoutKallsymsEveryStepIsUnavailable) {
  Fixture f;
  ScrubModel m{*f.s.kernel, make_error(Errc::no_data, "no table"), std::nullopt};
  EXPECT_EQ(m.ready("pipe buffers").error().message, "pipe buffers: no kallsyms: no table");
  ScrubModel no_pages{*f.s.kernel, std::nullopt, make_error(Errc::unsupported, "no mem_section")};
  EXPECT_EQ(no_pages.ready("x").error().message, "x: no mem_section");
  EXPECT_EQ(no_pages.ready("x").error().code, Errc::unsupported);

  EraseSet erase(kPage);
  ScrubSummary sum;
  ASSERT_TRUE(plan_erasures(m, f.opts("upload", true), erase, sum));
  ASSERT_EQ(f.unavailable.size(), 5u);
  EXPECT_EQ(f.unavailable[1].second.message, "TTY and console buffers: no kallsyms: no table");
  EXPECT_TRUE(sum.classes.empty());
  // The user's rules are no optional step: they fail the plan.
  ScrubOptions o = f.opts("");
  o.user_rules = *parse_rules("erase secret_buf\n", "t.conf");
  auto st = plan_erasures(m, o, erase, sum);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "erase rules: no kallsyms: no table");
}

TEST(ScrubPlan, UserRulesAreApplied) {
  Fixture f;
  ScrubModel m{*f.s.kernel, std::nullopt, std::nullopt};
  ScrubOptions o = f.opts("share");  // no finders, no RNG rules
  auto rs = parse_rules("erase secret_buf\n", "my.conf");
  ASSERT_TRUE(rs) << rs.error().message;
  append_rules(o.user_rules, std::move(*rs));
  rs = parse_rules("erase other_buf size 8\n", "--erase");
  ASSERT_TRUE(rs);
  append_rules(o.user_rules, std::move(*rs));
  ASSERT_EQ(o.user_rules.rules.size(), 2u);

  EraseSet erase(kPage);
  ScrubSummary sum;
  auto st = plan_erasures(m, o, erase, sum);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(f.unavailable.empty());
  EXPECT_TRUE(sum.classes.empty());
  ASSERT_EQ(sum.rules.size(), 2u);
  EXPECT_EQ(sum.rules[0].source, "my.conf:1");
  EXPECT_EQ(sum.rules[0].bytes, 64u);
  EXPECT_EQ(sum.rules[1].source.rfind("--erase", 0), 0u) << sum.rules[1].source;
  EXPECT_EQ(sum.rules[1].bytes, 8u);
  // plan_erasures finished the set: the summary lists its items.
  ASSERT_EQ(sum.items.size(), 2u);
  EXPECT_EQ(sum.items[0].what, "secret_buf");
  EXPECT_EQ(sum.items[1].what, "other_buf");
  f.s.apply(erase);
  EXPECT_EQ(f.s.mem.bytes(f.buf, 64), std::string(64, 'X'));
  EXPECT_EQ(f.s.mem.bytes(f.other, 32), std::string(8, 'X') + std::string(24, 'o'));
  EXPECT_EQ(scrub_eraseinfo("", erase, o, 0), "erase secret_buf size 64\nerase other_buf size 8\n");
}

#endif

}  // namespace
