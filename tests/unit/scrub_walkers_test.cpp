// dumpscrub's finders over a synthetic kernel (compact layouts of our own in
// BTF, objects written byte by byte): per-CPU free lists, SLUB freelists
// with hardened pointers, key payloads, TTY/serial buffers and pipes.
#include <gtest/gtest.h>

#include "dumpfmt_filters/scrub.h"
#include "scrub_test_support.h"

using namespace dumpfmt;
using namespace dumpfmt::filters;

namespace {

#if DUMPFMT_HAVE_LIBBPF

std::string rep(char c, size_t n) { return std::string(n, c); }

// Types every finder needs: integers, list_head, rb_node, struct page (6.1
// offsets, which VMCOREINFO below repeats) and struct slab.
struct Base {
  scrub_test::SynthKernel s;
  scrub_test::FakeKernel& m = s.mem;
  int u8 = 0, u16 = 0, u32 = 0, i32 = 0, u64 = 0, chr = 0, pchar = 0, pvoid = 0, lh = 0, rbn = 0;
  int page = 0, ppage = 0;

  Base() {
    auto& b = s.btf;
    u8 = b.int_type("unsigned char", 1);
    u16 = b.int_type("short unsigned int", 2);
    u32 = b.u32();
    i32 = b.int_type("int", 4, true);
    u64 = b.int_type("long unsigned int", 8);
    chr = b.int_type("char", 1, true);
    pchar = b.ptr(chr);
    pvoid = b.ptr(0);
    int plh = b.ptr_to_next();
    lh = b.struct_("list_head", 16, {{"next", plh, 0}, {"prev", plh, 8}});
    int prb = b.ptr_to_next();
    rbn = b.struct_("rb_node", 24,
                    {{"__rb_parent_color", u64, 0}, {"rb_right", prb, 8}, {"rb_left", prb, 16}});
    int un =
        b.struct_("", 16, {{"lru", lh, 0}, {"pcp_list", lh, 0}, {"compound_head", u64, 0}}, true);
    ppage = b.ptr_to_next();
    page = b.struct_("page", 64,
                     {{"flags", u64, 0},
                      {"", un, 8},
                      {"mapping", u64, 24},
                      {"private", u64, 40},
                      {"_mapcount", u32, 48},
                      {"_refcount", u32, 52}});
  }
  static std::string page_vmcoreinfo() {
    return "SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.lru)=8\nNUMBER(PG_slab)=9\n";
  }
  void set_refcount(Pfn p, uint32_t v) { m.w32(s.page_struct(p) + 52, v); }
};

// ---- per-CPU free lists ----

TEST(ScrubPcp, PagesOnEveryCpusListsWithTheirOrders) {
  Base t;
  auto& b = t.s.btf;
  int ppcp = b.ptr_to_next();
  int pcp = b.struct_("per_cpu_pages", 24 + 14 * 16,
                      {{"count", t.i32, 4}, {"lists", b.array(t.lh, 14), 24}});
  (void)pcp;
  int zone = b.struct_("zone", 256, {{"per_cpu_pageset", ppcp, 104}});
  b.struct_("pglist_data", 512, {{"node_zones", b.array(zone, 2), 0}});
  uint64_t pgdat = t.s.global("contig_page_data", 512);
  // zone 0: per-CPU structure at per-CPU offset 0x200; zone 1 has none.
  t.m.w64(pgdat + 104, 0x200);
  auto list = [&](uint32_t cpu, int idx) { return t.s.percpu_addr(cpu, 0x200) + 24 + 16 * idx; };
  for (uint32_t c = 0; c < 2; ++c) {
    for (int i = 0; i < 14; ++i) {
      t.m.w64(list(c, i), list(c, i));
      t.m.w64(list(c, i) + 8, list(c, i));
    }
  }
  // Links pages (by PFN) into a list, head first.
  auto link = [&](uint64_t head, std::vector<Pfn> pfns) {
    uint64_t prev = head;
    for (Pfn p : pfns) {
      uint64_t node = t.s.page_struct(p) + 8;
      t.m.w64(prev, node);
      t.m.w64(node + 8, prev);
      prev = node;
    }
    t.m.w64(prev, head);
    t.m.w64(head + 8, prev);
  };
  link(list(0, 0), {3000, 3001});  // order 0
  link(list(0, 3), {3010});        // order 1 (MIGRATE_PCPTYPES lists per order)
  link(list(0, 13), {3584});       // THP list (the second one): order 9
  link(list(1, 1), {3020, 3021});  // order 0; 3021 is in use: not taken
  t.set_refcount(3021, 1);
  t.m.w32(t.s.percpu_addr(0, 0x200) + 4, 2 + 2 + 512);
  t.m.w32(t.s.percpu_addr(1, 0x200) + 4, 2);
  auto& k = t.s.finish(Base::page_vmcoreinfo());

  auto r = find_pcp_free_pages(k);
  ASSERT_TRUE(r) << r.error().message;
  PfnSet want;
  want.insert_range(3000, 3002);
  want.insert_range(3010, 3012);
  want.insert_range(3584, 4096);
  want.insert(3020);
  EXPECT_EQ(r->pages, want);
  EXPECT_EQ(r->blocks, 6u);  // list entries, the rejected one included
  EXPECT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->kernel_count, 518u);
  EXPECT_EQ(r->lists, 28u);
  ASSERT_EQ(r->warnings.size(), 1u);  // 517 pages found, 518 counted
  EXPECT_NE(r->warnings[0].find("517"), std::string::npos) << r->warnings[0];
}

TEST(ScrubPcp, UnknownListLayoutIsAWarningNotAGuess) {
  Base t;
  auto& b = t.s.btf;
  int ppcp = b.ptr_to_next();
  b.struct_("per_cpu_pages", 24 + 7 * 16, {{"count", t.i32, 4}, {"lists", b.array(t.lh, 7), 24}});
  int zone = b.struct_("zone", 256, {{"per_cpu_pageset", ppcp, 104}});
  b.struct_("pglist_data", 512, {{"node_zones", b.array(zone, 1), 0}});
  t.s.global("contig_page_data", 512);
  auto& k = t.s.finish(Base::page_vmcoreinfo());
  auto r = find_pcp_free_pages(k);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->pages.empty());
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("7 lists"), std::string::npos);
}

// ---- SLUB ----

struct SlabWorld : Base {
  int cache = 0;
  uint64_t cache_addr = 0, slab_mem = 0, caches_head = 0;
  Pfn slab_pfn = 0;
  static constexpr uint64_t kRandom = 0x1234567887654321ULL;
  static constexpr uint32_t kSize = 64, kObjSize = 56, kOffset = 32, kObjects = 64;

  SlabWorld() {
    auto& b = s.btf;
    int pkc = b.ptr_to_next();
    b.struct_("kmem_cache_cpu", 24, {{"freelist", pvoid, 0}, {"tid", u64, 8}, {"slab", ppage, 16}});
    int pcache = b.ptr_to_next();
    cache = b.struct_("kmem_cache", 192,
                      {{"cpu_slab", pkc, 0},
                       {"size", u32, 24},
                       {"object_size", u32, 28},
                       {"offset", u32, 40},
                       {"red_left_pad", u32, 88},
                       {"name", pchar, 96},
                       {"list", lh, 104},
                       {"random", u64, 184}});
    b.struct_("slab", 64,
              {{"__page_flags", u64, 0},
               {"slab_list", lh, 8},
               {"slab_cache", pcache, 24},
               {"freelist", pvoid, 32},
               {"inuse", u32, 40, 16, 0},
               {"objects", u32, 40, 15, 16},
               {"frozen", u32, 40, 1, 31}});
    caches_head = s.global("slab_caches", 16);
    cache_addr = m.alloc(192, 64);
    uint64_t name = m.alloc(16);
    m.wstr(name, "test-64");
    m.w64(cache_addr, 0x300);  // cpu_slab: per-CPU offset
    m.w32(cache_addr + 24, kSize);
    m.w32(cache_addr + 28, kObjSize);
    m.w32(cache_addr + 40, kOffset);
    m.w64(cache_addr + 96, name);
    m.w64(cache_addr + 184, kRandom);
    m.w64(caches_head, cache_addr + 104);
    m.w64(caches_head + 8, cache_addr + 104);
    m.w64(cache_addr + 104, caches_head);
    m.w64(cache_addr + 112, caches_head);
    slab_mem = m.alloc_page();
    slab_pfn = m.pfn_of(slab_mem);
    m.fill(slab_mem, 4096, 'o');
    make_slab(slab_pfn, 0);
  }
  uint64_t obj(int i, uint64_t base = 0) const { return (base ? base : slab_mem) + kSize * i; }
  void make_slab(Pfn pfn, uint64_t freelist) {
    uint64_t pg = s.page_struct(pfn);
    m.w64(pg, uint64_t{1} << 9);  // PG_slab
    m.w64(pg + 24, cache_addr);
    m.w64(pg + 32, freelist);
    m.w32(pg + 40, (kObjects << 16) | 10);  // objects, inuse
  }
  // Stores the hardened free pointer of object `from` (to `to`, 0 = end).
  void chain(uint64_t from, uint64_t to) {
    uint64_t slot = from + kOffset;
    m.w64(slot, to ^ kRandom ^ __builtin_bswap64(slot));
  }
};

TEST(ScrubSlab, FreeObjectsOfSlabAndCpuFreelistsKeepTheFreePointer) {
  SlabWorld w;
  // The slab's own list: 3 -> 10 -> 5; CPU 1's list of the same slab: 20 -> 21.
  w.make_slab(w.slab_pfn, w.obj(3));
  w.chain(w.obj(3), w.obj(10));
  w.chain(w.obj(10), w.obj(5));
  w.chain(w.obj(5), 0);
  uint64_t c1 = w.s.percpu_addr(1, 0x300);
  w.m.w64(c1, w.obj(20));
  w.m.w64(c1 + 16, w.s.page_struct(w.slab_pfn));
  w.chain(w.obj(20), w.obj(21));
  w.chain(w.obj(21), 0);
  std::string fp_before[64];
  for (int i = 0; i < 64; ++i) fp_before[i] = w.m.bytes(w.obj(i) + 32, 8);
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  EraseSet e(4096);
  auto r = erase_free_slab_objects(k, e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects, 5u);
  EXPECT_EQ(r->bytes, 5u * 48);
  EXPECT_TRUE(r->notes.empty()) << r->notes[0];
  e.finish();
  w.s.apply(e);
  for (int i = 0; i < 64; ++i) {
    bool is_free = i == 3 || i == 10 || i == 5 || i == 20 || i == 21;
    uint64_t o = w.obj(i);
    EXPECT_EQ(w.m.bytes(o, 32), rep(is_free ? 'X' : 'o', 32)) << i;
    EXPECT_EQ(w.m.bytes(o + 32, 8), fp_before[i]) << i;  // free pointer kept
    EXPECT_EQ(w.m.bytes(o + 40, 16), rep(is_free ? 'X' : 'o', 16)) << i;
    EXPECT_EQ(w.m.bytes(o + 56, 8), rep('o', 8)) << i;  // beyond object_size
  }
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0].what, "kmem_cache(test-64).free_objects");
}

TEST(ScrubSlab, AFreelistLeavingItsSlabStopsThere) {
  SlabWorld w;
  w.make_slab(w.slab_pfn, w.obj(1));
  w.chain(w.obj(1), w.obj(2));
  w.chain(w.obj(2), w.obj(2) + 7);  // misaligned: damaged
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  EraseSet e(4096);
  auto r = erase_free_slab_objects(k, e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects, 2u);
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("leaves the slab"), std::string::npos) << r->notes[0];
}

TEST(ScrubSlab, AnImplausibleSlabIsNotRead) {
  SlabWorld w;
  w.m.w32(w.cache_addr + 24, 4096);  // 4 KiB objects
  w.m.w32(w.cache_addr + 28, 4000);
  uint64_t pg = w.s.page_struct(w.slab_pfn);
  w.m.w64(pg + 32, w.obj(0));
  w.m.w32(pg + 40, 0x7fff << 16);  // 32767 objects: 128 MiB
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  EraseSet e(4096);
  auto r = erase_free_slab_objects(k, e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects, 0u);
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("is not a slab"), std::string::npos) << r->notes[0];
}

TEST(ScrubSlab, ObjectAtResolvesPointersIntoObjects) {
  SlabWorld w;
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  SlabIndex idx(k);
  auto o = idx.object_at(w.obj(7) + 13);
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_TRUE(*o);
  EXPECT_EQ((*o)->start, w.obj(7));
  EXPECT_EQ((*o)->object_size, 56u);
  EXPECT_EQ((*o)->cache, "test-64");
  auto none = idx.object_at(w.cache_addr);  // not a slab page
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// ---- keys ----

TEST(ScrubKeys, UserPayloadDataAndOtherTypesSlabObjects) {
  SlabWorld w;
  auto& b = w.s.btf;
  int ptype = b.ptr_to_next();
  b.struct_("key_type", 16, {{"name", w.pchar, 0}});
  b.struct_("key", 128,
            {{"serial", w.i32, 4},
             {"serial_node", w.rbn, 8},
             {"type", ptype, 40},
             {"payload", b.array(w.pvoid, 4), 64}});
  b.struct_("user_key_payload", 24, {{"datalen", w.u16, 16}, {"data", b.array(w.chr, 0), 24}});
  uint64_t root = w.s.global("key_serial_tree", 8);
  auto mk_type = [&](const char* n) {
    uint64_t t = w.m.alloc(16), s = w.m.alloc(16);
    w.m.wstr(s, n);
    w.m.w64(t, s);
    return t;
  };
  uint64_t t_user = mk_type("user"), t_ring = mk_type("keyring"), t_big = mk_type("big_key");
  uint64_t k_user = w.m.alloc(128), k_ring = w.m.alloc(128), k_big = w.m.alloc(128);
  // tree: root -> user; user.left = ring, user.right = big
  w.m.w64(root, k_user + 8);
  w.m.w64(k_user + 8 + 16, k_ring + 8);
  w.m.w64(k_user + 8 + 8, k_big + 8);
  w.m.w32(k_user + 4, 111);
  w.m.w32(k_ring + 4, 222);
  w.m.w32(k_big + 4, 333);
  w.m.w64(k_user + 40, t_user);
  w.m.w64(k_ring + 40, t_ring);
  w.m.w64(k_big + 40, t_big);
  uint64_t ukp = w.m.alloc(24 + 100);
  w.m.w16(ukp + 16, 100);
  w.m.fill(ukp + 24, 100, 'K');
  w.m.w64(k_user + 64, ukp);
  uint64_t ring_data = w.m.alloc(64);
  w.m.fill(ring_data, 64, 'R');
  w.m.w64(k_ring + 64, ring_data);
  w.m.w64(k_big + 64, w.obj(9) + 4);  // into a slab object
  w.m.w64(k_big + 72, ring_data);     // not a slab object: left alone
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  EraseSet e(4096);
  auto r = erase_key_payloads(k, e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects, 2u);
  EXPECT_EQ(r->bytes, 100u + 56);
  e.finish();
  w.s.apply(e);
  EXPECT_EQ(w.m.bytes(ukp + 24, 100), rep('X', 100));
  EXPECT_EQ(w.m.bytes(ukp + 16, 2), std::string("\x64\0", 2));  // datalen kept
  EXPECT_EQ(w.m.bytes(ukp + 124, 1), std::string(1, '\0'));
  EXPECT_EQ(w.m.bytes(ring_data, 64), rep('R', 64));
  EXPECT_EQ(w.m.bytes(w.obj(9), 56), rep('X', 56));
  EXPECT_EQ(w.m.bytes(w.obj(9) + 56, 8), rep('o', 8));
  EXPECT_EQ(w.m.bytes(w.obj(8), 64), rep('o', 64));
  std::string info = e.eraseinfo();
  EXPECT_NE(info.find("erase key(111).payload.data size 100\n"), std::string::npos) << info;
  EXPECT_NE(info.find("erase key(333).payload.data[0] size 56\n"), std::string::npos) << info;
}

// ---- TTY, serial, pipes ----

struct TtyWorld : Base {
  uint64_t drivers = 0, init_task = 0, tty_fops = 0, uart_ops = 0, n_tty_ops = 0, pipe_fops = 0;

  TtyWorld() {
    auto& b = s.btf;
    int data0 = b.array(u64, 0);
    const int tb_id = b.next_id() + 2;  // after the pointer and the union
    int pbuf = b.ptr(tb_id);
    int un = b.struct_("", 8, {{"next", pbuf, 0}, {"free", pvoid, 0}}, true);
    int tb = b.struct_("tty_buffer", 24, {{"", un, 0}, {"size", i32, 12}, {"data", data0, 24}});
    if (tb != tb_id) throw std::logic_error("BTF ids");
    int bh =
        b.struct_("tty_bufhead", 64, {{"head", pbuf, 0}, {"sentinel", tb, 8}, {"free", pvoid, 56}});
    int port = b.struct_("tty_port", 64, {{"buf", bh, 0}});
    int ldops = b.struct_("tty_ldisc_ops", 16, {{"num", i32, 8}});
    int ldisc = b.struct_("tty_ldisc", 8, {{"ops", b.ptr(ldops), 0}});
    int ptty = b.ptr_to_next();
    b.struct_("tty_struct", 256,
              {{"ops", pvoid, 0},
               {"ldisc", b.ptr(ldisc), 8},
               {"name", b.array(chr, 64), 16},
               {"link", ptty, 80},
               {"disc_data", pvoid, 88},
               {"driver_data", pvoid, 96},
               {"write_buf", pchar, 104},
               {"write_cnt", i32, 112},
               {"port", b.ptr(port), 120}});
    b.struct_("n_tty_data", 512,
              {{"read_buf", b.array(chr, 100), 16}, {"echo_buf", b.array(chr, 50), 200}});
    int cb = b.struct_("circ_buf", 16, {{"buf", pchar, 0}});
    b.struct_("uart_state", 64, {{"xmit", cb, 40}});
    b.struct_("uart_driver", 64, {{"nr", i32, 32}, {"state", pvoid, 48}});
    b.struct_("tty_driver", 128,
              {{"name", pchar, 32},
               {"num", u32, 52},
               {"ttys", b.ptr(ptty), 56},
               {"driver_state", pvoid, 64},
               {"ops", pvoid, 72},
               {"tty_drivers", lh, 80}});
    b.struct_("tty_file_private", 16, {{"tty", ptty, 0}});
    int pfiles = b.ptr_to_next();
    int fdt = b.struct_("fdtable", 16, {{"max_fds", u32, 0}, {"fd", b.ptr(b.ptr(0)), 8}});
    (void)fdt;
    b.struct_("files_struct", 64, {{"fdt", b.ptr(fdt), 32}});
    b.struct_("task_struct", 128, {{"tasks", lh, 16}, {"files", pfiles, 40}});
    b.struct_("file", 64, {{"f_op", pvoid, 8}, {"private_data", pvoid, 16}});
    int pb =
        b.struct_("pipe_buffer", 40, {{"page", ppage, 0}, {"offset", u32, 8}, {"len", u32, 12}});
    b.struct_("pipe_inode_info", 160,
              {{"head", u32, 80},
               {"tail", u32, 84},
               {"ring_size", u32, 92},
               {"tmp_page", ppage, 128},
               {"bufs", b.ptr(pb), 152}});
    drivers = s.global("tty_drivers", 16);
    init_task = s.global("init_task", 128);
    tty_fops = s.global("tty_fops", 64);
    uart_ops = s.global("uart_ops", 64);
    n_tty_ops = s.global("n_tty_ops", 16);
    pipe_fops = s.global("pipefifo_fops", 64);
    m.w64(drivers, drivers);
    m.w64(drivers + 8, drivers);
    m.w64(init_task + 16, init_task + 16);
    m.w64(init_task + 24, init_task + 16);
  }
  void list_add(uint64_t head, uint64_t node) {  // at the tail
    uint64_t prev = dumpfmt::load<uint64_t>(m.at(head + 8), Endian::little);
    m.w64(prev, node);
    m.w64(node, head);
    m.w64(node + 8, prev);
    m.w64(head + 8, node);
  }
  uint64_t tty(const std::string& name, uint64_t ops) {
    uint64_t t = m.alloc(256), port = m.alloc(64), ldisc = m.alloc(8), dd = m.alloc(512);
    m.w64(t, ops);
    m.wstr(t + 16, name);
    m.w64(ldisc, n_tty_ops);  // num stays 0: N_TTY
    m.w64(t + 8, ldisc);
    m.w64(t + 88, dd);
    m.fill(dd, 512, 'n');
    m.w64(t + 120, port);
    // Two flip buffers in use, one on the free list.
    uint64_t b1 = m.alloc(24 + 2 * 16), b2 = m.alloc(24 + 2 * 8), bf = m.alloc(24 + 2 * 4);
    for (auto [buf, sz] : {std::pair{b1, 16}, {b2, 8}, {bf, 4}}) {
      m.w32(buf + 12, static_cast<uint32_t>(sz));
      m.fill(buf + 24, 2 * sz, 'f');
    }
    m.w64(port, b1);
    m.w64(b1, b2);
    m.w64(port + 56, bf);
    uint64_t wb = m.alloc(32);
    m.fill(wb, 32, 'w');
    m.w64(t + 104, wb);
    m.w32(t + 112, 20);
    return t;
  }
  // A task with one open file per (f_op, private_data).
  void task(std::vector<std::pair<uint64_t, uint64_t>> files) {
    uint64_t ts = m.alloc(128), fs = m.alloc(64), fdt = m.alloc(16);
    uint64_t fd = m.alloc(8 * (files.size() + 1));
    list_add(init_task + 16, ts + 16);
    m.w64(ts + 40, fs);
    m.w64(fs + 32, fdt);
    m.w32(fdt, static_cast<uint32_t>(files.size() + 1));
    m.w64(fdt + 8, fd);
    for (size_t i = 0; i < files.size(); ++i) {
      uint64_t f = m.alloc(64);
      m.w64(f + 8, files[i].first);
      m.w64(f + 16, files[i].second);
      m.w64(fd + 8 * (i + 1), f);  // fd 0 stays closed
    }
  }
};

TEST(ScrubTty, DriverTablesOpenFilesPtyLinksAndSerialRings) {
  TtyWorld w;
  // A serial driver with two ports; port 0 open as ttyS0 (in the driver's table).
  uint64_t drv = w.m.alloc(128), ud = w.m.alloc(64), states = w.m.alloc(2 * 64);
  uint64_t ttys = w.m.alloc(16), dname = w.m.alloc(8);
  w.m.wstr(dname, "ttyS");
  w.m.w64(drv + 32, dname);
  w.m.w32(drv + 52, 2);
  w.m.w64(drv + 56, ttys);
  w.m.w64(drv + 64, ud);
  w.m.w64(drv + 72, w.uart_ops);
  w.list_add(w.drivers, drv + 80);
  w.m.w32(ud + 32, 2);
  w.m.w64(ud + 48, states);
  uint64_t xmit0 = w.m.alloc_page(), xmit1 = w.m.alloc_page();
  w.m.fill(xmit0, 4096, 'u');
  w.m.fill(xmit1, 4096, 'u');
  w.m.w64(states + 40, xmit0);
  w.m.w64(states + 64 + 40, xmit1);
  uint64_t s0 = w.tty("ttyS0", w.uart_ops);
  w.m.w64(s0 + 96, states);
  w.m.w64(ttys, s0);
  // A pty pair: the slave open in a task, the master reachable only by link.
  uint64_t pts = w.tty("pts/0", 0), ptm = w.tty("ptm0", 0);
  w.m.w64(pts + 80, ptm);
  w.m.w64(ptm + 80, pts);
  uint64_t priv = w.m.alloc(16);
  w.m.w64(priv, pts);
  w.task({{w.tty_fops, priv}});
  // A TTY nobody can reach: untouched.
  uint64_t lost = w.tty("lost", 0);
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  EraseSet e(4096);
  auto r = erase_tty_buffers(k, e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->notes.empty()) << r->notes[0];
  e.finish();
  w.s.apply(e);
  EXPECT_EQ(w.m.bytes(xmit0, 4096), rep('X', 4096));
  EXPECT_EQ(w.m.bytes(xmit1, 4096), rep('X', 4096));  // a port nobody has open
  for (uint64_t t : {s0, pts, ptm}) {
    uint64_t dd = load<uint64_t>(w.m.at(t + 88), Endian::little);
    EXPECT_EQ(w.m.bytes(dd, 16), rep('n', 16));
    EXPECT_EQ(w.m.bytes(dd + 16, 100), rep('X', 100));
    EXPECT_EQ(w.m.bytes(dd + 116, 84), rep('n', 84));
    EXPECT_EQ(w.m.bytes(dd + 200, 50), rep('X', 50));
    uint64_t wb = load<uint64_t>(w.m.at(t + 104), Endian::little);
    EXPECT_EQ(w.m.bytes(wb, 32), rep('X', 20) + rep('w', 12));
    uint64_t port = load<uint64_t>(w.m.at(t + 120), Endian::little);
    uint64_t b1 = load<uint64_t>(w.m.at(port), Endian::little);
    uint64_t b2 = load<uint64_t>(w.m.at(b1), Endian::little);
    uint64_t bf = load<uint64_t>(w.m.at(port + 56), Endian::little);
    EXPECT_EQ(w.m.bytes(b1 + 24, 32), rep('X', 32));
    EXPECT_EQ(w.m.bytes(b2 + 24, 16), rep('X', 16));
    EXPECT_EQ(w.m.bytes(bf + 24, 8), rep('X', 8));
  }
  uint64_t ldd = load<uint64_t>(w.m.at(lost + 88), Endian::little);
  EXPECT_EQ(w.m.bytes(ldd + 16, 100), rep('n', 100));
  std::string info = e.eraseinfo();
  EXPECT_NE(info.find("erase uart_state(ttyS1).xmit.buf size 4096\n"), std::string::npos) << info;
  EXPECT_NE(info.find("erase tty(pts/0).write_buf size 20\n"), std::string::npos) << info;
}

TEST(ScrubPipes, DataBetweenTailAndHeadAndTheSparePage) {
  TtyWorld w;
  uint64_t pipe = w.m.alloc(160), bufs = w.m.alloc(4 * 40);
  uint64_t p1 = w.m.alloc_page(), p2 = w.m.alloc_page(), p3 = w.m.alloc_page(),
           tmp = w.m.alloc_page();
  for (uint64_t p : {p1, p2, p3, tmp}) w.m.fill(p, 4096, 'd');
  w.m.w32(pipe + 92, 4);  // ring_size
  w.m.w32(pipe + 84, 5);  // tail (slot 1)
  w.m.w32(pipe + 80, 7);  // head: slots 1 and 2 live
  w.m.w64(pipe + 152, bufs);
  w.m.w64(pipe + 128, w.s.page_struct(w.m.pfn_of(tmp)));
  auto slot = [&](int i, uint64_t page, uint32_t off, uint32_t len) {
    w.m.w64(bufs + 40 * i, w.s.page_struct(w.m.pfn_of(page)));
    w.m.w32(bufs + 40 * i + 8, off);
    w.m.w32(bufs + 40 * i + 12, len);
  };
  slot(0, p3, 0, 4096);  // stale slot: not live
  slot(1, p1, 100, 50);
  slot(2, p2, 0, 10);
  w.task({{w.pipe_fops, pipe}, {w.pipe_fops, pipe}});  // both ends: counted once
  auto& k = w.s.finish(Base::page_vmcoreinfo());
  EraseSet e(4096);
  auto r = erase_pipe_buffers(k, e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->objects, 1u);
  EXPECT_EQ(r->bytes, 50u + 10 + 4096);
  e.finish();
  w.s.apply(e);
  EXPECT_EQ(w.m.bytes(p1, 4096), rep('d', 100) + rep('X', 50) + rep('d', 4096 - 150));
  EXPECT_EQ(w.m.bytes(p2, 4096), rep('X', 10) + rep('d', 4086));
  EXPECT_EQ(w.m.bytes(p3, 4096), rep('d', 4096));
  EXPECT_EQ(w.m.bytes(tmp, 4096), rep('X', 4096));
}

TEST(ScrubFinders, WithoutBtfTheyFailAndSaySo) {
  scrub_test::FakeKernel m;
  Kallsyms none;
  VmcoreInfo vmi;
  ScrubKernel k(m, none, nullptr, vmi, MemMap{});
  EraseSet e(4096);
  for (auto fn :
       {erase_key_payloads, erase_tty_buffers, erase_pipe_buffers, erase_free_slab_objects}) {
    auto r = fn(k, e);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("BTF"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(find_pcp_free_pages(k));
}

#endif

// ---- what the finders share (no BTF needed) ----

TEST(ScrubKernelPtrArray, ReadsThePointersInOrderAndFailsWhereMemoryEnds) {
  scrub_test::FakeKernel m;
  Kallsyms none;
  VmcoreInfo vmi;
  ScrubKernel k(m, none, nullptr, vmi, MemMap{});
  const uint64_t a = m.alloc(24);
  m.w64(a, 0x11);
  m.w64(a + 16, scrub_test::kBase + 0x1000);
  auto v = k.ptr_array(a, 3);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, (std::vector<uint64_t>{0x11, 0, scrub_test::kBase + 0x1000}));
  EXPECT_TRUE(k.ptr_array(a, 0));
  EXPECT_FALSE(k.ptr_array(0x1000, 2));  // below the direct map: unmapped
}

TEST(ClassReportNote, KeepsOnlyTheFirstFew) {
  ClassReport r;
  for (int i = 0; i < 20; ++i) r.note(std::to_string(i));
  ASSERT_EQ(r.notes.size(), ClassReport::kMaxNotes);
  EXPECT_EQ(r.notes.front(), "0");
  EXPECT_EQ(r.notes.back(), std::to_string(ClassReport::kMaxNotes - 1));
}

}  // namespace
