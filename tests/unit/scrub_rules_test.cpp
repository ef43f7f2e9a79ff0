// Erase rules: the parser (makedumpfile.conf syntax, sections, loops, sizes,
// errors with line numbers) and evaluation over a synthetic kernel: global
// and per-CPU symbols, members through pointers, strings, size expressions,
// nullify, list/rbtree/hlist/via/array loops, missing symbols.
#include <gtest/gtest.h>

#include "dumpfmt_filters/scrub_rules.h"
#include "scrub_test_support.h"

using namespace dumpfmt;
using namespace dumpfmt::filters;

namespace {

TEST(ScrubRulesParse, Syntax) {
  auto rs = parse_rules(
      "# comment\n"
      "[vmlinux]\n"
      "erase a\n"
      "erase  b.c.d size 2K   # trailing comment\n"
      "erase (struct t)g.m size x.len\n"
      "erase p nullify\n"
      "erase name.0.m\n"
      "for it in head within item:node\n"
      "  erase it.secret\n"
      "  erase other size 1m\n"
      "endfor\n"
      "for x in arr\n"
      "endfor\n"
      "for x in chain via next\n"
      "  erase x\n"
      "endfor\n"
      "[mymodule]\n"
      "erase modsym\n",
      "f.conf");
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs->rules.size(), 8u);
  EXPECT_EQ(rs->rules[0].text, "erase a");
  EXPECT_EQ(rs->rules[0].source, "f.conf:3");
  EXPECT_EQ(rs->rules[1].text, "erase  b.c.d size 2K");
  EXPECT_EQ(rs->rules[5].text, "for it in head within item:node");
  EXPECT_EQ(rs->rules[5].source, "f.conf:8");
  ASSERT_EQ(rs->warnings.size(), 1u);
  EXPECT_NE(rs->warnings[0].find("f.conf:17"), std::string::npos);
  EXPECT_NE(rs->warnings[0].find("not implemented"), std::string::npos);
}

TEST(ScrubRulesParse, ErrorsNameTheLine) {
  const char* bad[] = {
      "erase\n",                                     // no symbol
      "erase a size\n",                              // no size
      "erase a size 0\n",                            // not positive
      "erase a size 2G\n",                           // not a suffix we know
      "erase a bogus\n",                             // unknown keyword
      "erase a nullify extra\n",                     // trailing text
      "erase (struct)a\n",                           // no type name
      "erase (struct t a\n",                         // no ')'
      "erase a.\n",                                  // no member
      "for x in\n",                                  // no head
      "for x on h\nendfor\n",                        // not 'in'
      "for x in h within item\n",                    // no ':MEMBER'
      "for x in h via\n",                            // no member
      "for x in h\nfor y in g\n",                    // nested
      "for x in h\nerase x\n",                       // missing endfor
      "endfor\n",                                    // no for
      "[vmlinux\n",                                  // section syntax
      "delete a\n",                                  // unknown command
      "for x in h\n erase (struct t)x.m\nendfor\n",  // cast on the loop variable
  };
  for (const char* t : bad) {
    auto r = parse_rules(t, "r");
    ASSERT_FALSE(r) << t;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().message.rfind("r:", 0), 0u) << r.error().message;
  }
  auto r = parse_rules("erase a\n\nerase b c\n", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("x:3:", 0), 0u) << r.error().message;
}

#if DUMPFMT_HAVE_LIBBPF

struct Fixture {
  scrub_test::SynthKernel s;
  scrub_test::FakeKernel& m = s.mem;
  uint64_t box = 0, first = 0, list = 0, tree = 0, hhead = 0, plain = 0, name = 0, blob = 0;
  std::vector<uint64_t> items;  // first, then two more
  static constexpr uint64_t kPcv = 0x100;

  Fixture() {
    auto& b = s.btf;
    int u64 = b.int_type("long long unsigned int", 8);
    int u32 = b.u32();
    int chr = b.int_type("char", 1, true);
    int plh = b.ptr_to_next();
    int lh = b.struct_("list_head", 16, {{"next", plh, 0}, {"prev", plh, 8}});
    int prb = b.ptr_to_next();
    int rbn = b.struct_(
        "rb_node", 24, {{"__rb_parent_color", u64, 0}, {"rb_right", prb, 8}, {"rb_left", prb, 16}});
    b.struct_("rb_root", 8, {{"rb_node", prb, 0}});
    int phn = b.ptr_to_next();
    int hn = b.struct_("hlist_node", 16, {{"next", phn, 0}, {"pprev", u64, 8}});
    int hh = b.struct_("hlist_head", 8, {{"first", phn, 0}});
    int c24 = b.array(chr, 24);
    int pchar = b.ptr(chr);
    int pvoid = b.ptr(0);
    int pitem = b.ptr_to_next();
    int item = b.struct_("item", 120,
                         {{"id", u64, 0},
                          {"node", lh, 8},
                          {"rb", rbn, 24},
                          {"hnode", hn, 48},
                          {"secret", c24, 64},
                          {"next", pitem, 88},
                          {"name", pchar, 96},
                          {"blob", pvoid, 104},
                          {"blob_len", u32, 112}});
    int items2 = b.array(item, 2);
    int c32 = b.array(chr, 32);
    b.struct_("box", 288,
              {{"first", pitem, 0}, {"key", c32, 8}, {"items", items2, 40}, {"hh", hh, 280}});
    int pcv = b.struct_("pcv", 40, {{"key", b.array(u64, 4), 0}, {"gen", u32, 32}});
    b.percpu_var("pcv_var", pcv, 40);

    box = s.global("the_box", 288);
    first = s.global("first_item", 120);
    list = s.global("list_of_items", 16);
    tree = s.global("tree_of_items", 8);
    hhead = s.global("hlist_items", 8);
    plain = s.global("plain_buf", 100);
    s.global("dup", 8);
    s.global("dup", 8);
    s.percpu("pcv_var", kPcv);
    items = {first, m.alloc(120), m.alloc(120)};
    name = m.alloc(32);
    m.wstr(name, "hello");
    blob = m.alloc(64);
    m.fill(blob, 64, 'b');
    for (size_t i = 0; i < 3; ++i) {
      uint64_t it = items[i];
      m.w64(it, 100 + i);
      m.fill(it + 64, 24, 's');
      m.w64(it + 88, i + 1 < 3 ? items[i + 1] : 0);
      m.w64(it + 96, name);
      m.w64(it + 104, blob);
      m.w32(it + 112, 40);
      // list: head -> 0 -> 1 -> 2 -> head
      m.w64(it + 8, i + 1 < 3 ? items[i + 1] + 8 : list);
      m.w64(it + 16, i > 0 ? items[i - 1] + 8 : list);
      // hlist: first -> 0 -> 1 -> 2
      m.w64(it + 48, i + 1 < 3 ? items[i + 1] + 48 : 0);
    }
    m.w64(list, items[0] + 8);
    m.w64(list + 8, items[2] + 8);
    m.w64(hhead, items[0] + 48);
    // rbtree: root -> 1, 1.left = 0, 1.right = 2
    m.w64(tree, items[1] + 24);
    m.w64(items[1] + 24 + 16, items[0] + 24);
    m.w64(items[1] + 24 + 8, items[2] + 24);
    m.w64(box, items[1]);
    m.fill(box + 8, 32, 'k');
    for (int i = 0; i < 2; ++i) m.fill(box + 40 + 120 * i + 64, 24, 'a');
    m.fill(plain, 100, 'p');
    for (uint32_t c = 0; c < scrub_test::SynthKernel::kCpus; ++c) {
      m.fill(s.percpu_addr(c, kPcv), 32, 'c');
      m.w32(s.percpu_addr(c, kPcv) + 32, 7);
    }
    s.finish();
  }

  // Runs `text`, applies the result to memory; returns the reports.
  Result<std::vector<RuleReport>> run(const std::string& text, bool skip = false) {
    auto rs = parse_rules(text, "t");
    if (!rs) return rs.error();
    EraseSet e(4096);
    ApplyRulesOptions o;
    o.skip_missing = skip;
    auto r = apply_rules(*s.kernel, *rs, e, o);
    if (!r) return r;
    e.finish();
    s.apply(e);
    last_eraseinfo = e.eraseinfo();
    return r;
  }
  std::string last_eraseinfo;
};

std::string rep(char c, size_t n) { return std::string(n, c); }

TEST(ScrubRules, WholeUntypedSymbolByKallsymsExtent) {
  Fixture f;
  auto r = f.run("erase plain_buf\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(f.m.bytes(f.plain, 100), rep('X', 100));
  EXPECT_EQ(f.m.bytes(f.plain + 100, 1), std::string(1, '\0'));
  EXPECT_EQ((*r)[0].bytes, 100u);
  EXPECT_EQ(f.last_eraseinfo, "erase plain_buf size 100\n");
}

TEST(ScrubRules, MembersThroughPointersWithACast) {
  Fixture f;
  auto r = f.run("erase (struct box)the_box.key\nerase (struct box)the_box.first.secret\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(f.m.bytes(f.box + 8, 32), rep('X', 32));
  EXPECT_EQ(f.m.bytes(f.items[1] + 64, 24), rep('X', 24));
  EXPECT_EQ(f.m.bytes(f.items[0] + 64, 24), rep('s', 24));  // not the others
  EXPECT_EQ(f.m.bytes(f.box + 40 + 64, 24), rep('a', 24));
  EXPECT_EQ(f.last_eraseinfo, "erase the_box.key size 32\nerase the_box.first.secret size 24\n");
}

TEST(ScrubRules, StringsSizesAndNullify) {
  Fixture f;
  auto r = f.run(
      "erase (struct item)first_item.name\n"
      "erase (struct item)first_item.blob size (struct item)first_item.blob_len\n"
      "erase (struct item)first_item.next nullify\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(f.m.bytes(f.name, 7), rep('X', 6) + std::string(1, '\0'));  // "hello" + NUL
  EXPECT_EQ(f.m.bytes(f.blob, 41), rep('X', 40) + "b");
  EXPECT_EQ(f.m.bytes(f.first + 88, 8), std::string(8, '\0'));
  EXPECT_EQ((*r)[2].bytes, 8u);
}

TEST(ScrubRules, VoidPointerNeedsASize) {
  Fixture f;
  auto r = f.run("erase (struct item)first_item.blob\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("void pointer"), std::string::npos) << r.error().message;
  auto n = f.run("erase (struct item)first_item.id nullify\n");
  ASSERT_FALSE(n);
}

TEST(ScrubRules, PerCpuVariableOnEveryCpu) {
  Fixture f;
  auto r = f.run("erase pcv_var.key\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0].objects, 2u);
  for (uint32_t c = 0; c < 2; ++c) {
    uint64_t a = f.s.percpu_addr(c, Fixture::kPcv);
    EXPECT_EQ(f.m.bytes(a, 32), rep('X', 32)) << c;
    EXPECT_EQ(f.m.bytes(a + 32, 1), std::string(1, '\7'));
  }
}

TEST(ScrubRules, LoopsOverListsTreesChainsAndArrays) {
  const char* loops[] = {
      "for i in list_of_items within item:node\n  erase i.secret\nendfor\n",
      "for i in tree_of_items within item:rb\n  erase i.secret\nendfor\n",
      "for i in hlist_items within item:hnode\n  erase i.secret\nendfor\n",
      "for i in (struct item)first_item via next\n  erase i.secret\nendfor\n",
  };
  for (const char* l : loops) {
    Fixture f;
    auto r = f.run(l);
    ASSERT_TRUE(r) << l << r.error().message;
    EXPECT_EQ((*r)[0].objects, 3u) << l;
    for (uint64_t it : f.items) EXPECT_EQ(f.m.bytes(it + 64, 24), rep('X', 24)) << l;
    EXPECT_EQ(f.m.bytes(f.items[0], 8).substr(0, 1), "d") << l;  // id 100 untouched
  }
  Fixture f;
  auto r = f.run("for i in (struct box)the_box.items\n  erase i.secret\nendfor\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0].objects, 2u);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(f.m.bytes(f.box + 40 + 120 * i + 64, 24), rep('X', 24));
  EXPECT_EQ(f.last_eraseinfo, "erase the_box.items[].secret size 48\n");
}

TEST(ScrubRules, MissingAmbiguousAndUntyped) {
  Fixture f;
  auto r = f.run("erase no_such_symbol\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no_such_symbol"), std::string::npos);
  auto sk = f.run("erase no_such_symbol\nerase (struct nope)the_box.x\nerase plain_buf\n", true);
  ASSERT_TRUE(sk) << sk.error().message;
  EXPECT_FALSE((*sk)[0].skipped.empty());
  EXPECT_FALSE((*sk)[1].skipped.empty());
  EXPECT_TRUE((*sk)[2].skipped.empty());
  auto amb = f.run("erase dup\n");
  ASSERT_FALSE(amb);
  EXPECT_NE(amb.error().message.find("cannot tell which"), std::string::npos)
      << amb.error().message;
  auto un = f.run("erase the_box.key\n");
  ASSERT_FALSE(un);
  EXPECT_NE(un.error().message.find("(struct TYPE)"), std::string::npos) << un.error().message;
  auto nomem = f.run("erase (struct box)the_box.nope\n");
  ASSERT_FALSE(nomem);
}

TEST(ScrubRules, ACycleInAListIsCorrupt) {
  Fixture f;
  f.m.w64(f.items[2] + 8, f.items[1] + 8);  // 2 -> 1 instead of -> head
  auto rs = parse_rules("for i in list_of_items within item:node\n erase i.secret\nendfor\n", "t");
  ASSERT_TRUE(rs);
  EraseSet e(4096);
  ApplyRulesOptions o;
  o.max_loop = 1000;
  auto r = apply_rules(*f.s.kernel, *rs, e, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::corrupt);
}

#endif

}  // namespace
