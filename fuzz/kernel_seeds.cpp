// Seed writer for fuzz_printk, fuzz_kallsyms and fuzz_btf: printk rings, kallsyms tables and BTF
// blobs built with the unit tests' own builders (printk_ring_builder.h, scrub_test_support.h),
// written in each target's input layout. Run by make_seeds.sh.
// usage: fuzz_kernel_seeds CORPUS_DIR   (writes CORPUS_DIR/fuzz_{printk,kallsyms,btf}/<seed>)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dumpfmt/kernel/btf.h"
#include "dumpfmt/kernel/printk.h"
#include "kernel_input.h"
#include "printk_ring_builder.h"
#include "scrub_test_support.h"

namespace {

using namespace dumpfmt;
using printk_ring::FakeMemory;
using printk_ring::Lockless;
using printk_ring::Records;

std::filesystem::path g_corpus;

void write_seed(const char* target, const std::string& name, std::string_view bytes) {
  const auto dir = g_corpus / target;
  std::filesystem::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::fprintf(stderr, "fuzz_kernel_seeds: cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

// Trailing zeros need not be stored: the fuzz memory reads zeros past its image.
std::span<const std::byte> trimmed(std::span<const std::byte> img) {
  size_t n = img.size();
  while (n && img[n - 1] == std::byte{0}) --n;
  return img.first(n);
}

// ---- printk ----

// A FakeMemory's pages from its first to its last as one image (gaps read as zero).
void printk_seed(const std::string& name, const FakeMemory& m, Endian e, uint32_t word,
                 const std::string& vmcoreinfo) {
  const auto& pages = m.pages();
  const uint64_t first = pages.begin()->first, last = pages.rbegin()->first;
  std::vector<std::byte> img((last - first + 1) * 4096);
  for (const auto& [vpn, bytes] : pages) {
    std::memcpy(img.data() + (vpn - first) * 4096, bytes.data(), 4096);
  }
  const std::string in = fuzz::encode_kernel_input(e, word, first * 4096, vmcoreinfo, trimmed(img));
  // Each seed must walk its ring to the end through the fuzz target's own input parsing.
  auto parsed = fuzz::KernelInput::parse(reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                                         fuzz::kPageAlign);
  auto d = read_dmesg(VmcoreInfo::parse(parsed->vmcoreinfo), fuzz::InputMemory(*parsed));
  if (!d || (d->records.empty() && d->plain.empty())) {
    std::fprintf(stderr, "fuzz_kernel_seeds: printk seed %s does not read: %s\n", name.c_str(),
                 d ? "no records" : d.error().message.c_str());
    std::exit(1);
  }
  write_seed("fuzz_printk", name, in);
}

// The builders' ring with its parts packed into the first 2 KiB after `base` instead of the
// test layout's 16 KiB, so that seeds stay small.
Lockless compact_lockless(uint32_t word, uint64_t base) {
  Lockless l(word, base);
  l.rb = base + 0x40;
  l.descs = base + 0x100;
  l.infos = base + 0x200;
  l.data = base + 0x500;
  return l;
}

void printk_seeds() {
  const uint64_t base64 = printk_ring::kBase, base32 = 0xc1000000;
  {
    FakeMemory m;
    Lockless l = compact_lockless(8, base64);
    printk_ring::build_lockless(m, l);
    printk_seed("lockless-64le", m, Endian::little, 8, l.vmcoreinfo());
  }
  {
    FakeMemory m(Endian::big, 4);
    Lockless l = compact_lockless(4, base32);
    printk_ring::build_lockless(m, l);
    printk_seed("lockless-32be", m, Endian::big, 4, l.vmcoreinfo());
  }
  {
    // 32-bit ids wrapping around the 30-bit id mask between tail and head.
    FakeMemory m(Endian::little, 4);
    Lockless l = compact_lockless(4, base32);
    printk_ring::build_id_wrap(m, l, 0x80000001u);
    printk_seed("lockless-32le-id-wrap", m, Endian::little, 4, l.vmcoreinfo());
  }
  {
    // text_len longer than the block; tail far behind head; a block past the ring's end.
    FakeMemory m;
    Lockless l = compact_lockless(8, base64);
    l.header(m, 1000, 3);
    l.block(m, 0, 998, "short text");
    l.desc(m, 998, 2, 0, 32, 40, 7, 123);
    l.desc(m, 999, 1, 508, 512 + 8, 100, 8);
    l.block(m, 64, 1000, "last");
    l.desc(m, 1000, 2, 64, 80, 4, 9);
    printk_seed("lockless-64le-damaged", m, Endian::little, 8, l.vmcoreinfo());
  }
  {
    // Every descriptor points at one block: together they claim 8 times the text ring.
    FakeMemory m;
    Lockless l = compact_lockless(8, base64);
    l.header(m, 10, 3);
    l.block(m, 0, 3, std::string(400, 'x'));
    for (uint64_t id = 3; id <= 10; ++id) l.desc(m, id, 2, 0, 416, 400, id);
    printk_seed("lockless-64le-shared-block", m, Endian::little, 8, l.vmcoreinfo());
  }
  for (const char* sname : {"printk_log", "log"}) {
    FakeMemory m;
    Records r;
    r.name = sname;
    r.buf = r.sym + 0x40;
    printk_ring::build_records(m, r);
    printk_seed(std::string("records-") + sname, m, Endian::little, 8, r.vmcoreinfo());
  }
  {
    FakeMemory m(Endian::big, 4);
    Records r;
    r.sym = base32;
    r.buf = base32 + 0x40;
    r.caller = true;
    uint32_t p = r.rec(m, 0, "from task", 1000, 123);
    p = r.rec(m, p, "from cpu\nnext", 2000, 0x80000001u);
    r.header(m, 0, p);
    printk_seed("records-32be-caller-id", m, Endian::big, 4, r.vmcoreinfo());
  }
  {
    // The wrapped-to record leads back to the first one: a cycle.
    FakeMemory m;
    Records r;
    r.buf = r.sym + 0x40;
    uint32_t p = r.rec(m, 64, "a", 1);
    p = r.rec(m, p, "b", 2);
    m.put_int<uint16_t>(r.buf + p + 8, 0);
    r.rec(m, 0, "c", 3, 0, 64);
    r.header(m, 64, 200);
    printk_seed("records-cycle", m, Endian::little, 8, r.vmcoreinfo());
  }
  {
    // A record whose length leads far outside log_buf.
    FakeMemory m;
    Records r;
    r.buf = r.sym + 0x40;
    r.rec(m, 64, "a", 1, 0, 60000);
    r.header(m, 64, 100);
    printk_seed("records-next-outside", m, Endian::little, 8, r.vmcoreinfo());
  }
  const std::string text = "<6>Linux version 2.6.32 (x)\n<4>second line\n<6>the end: 64 bytes\n";
  auto plain_vmci = [](const char* release, uint64_t sym) {
    return strfmt(
        "OSRELEASE=%s\nSYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\nSYMBOL(log_end)=%llx\n",
        release, static_cast<unsigned long long>(sym), static_cast<unsigned long long>(sym + 8),
        static_cast<unsigned long long>(sym + 16));
  };
  for (bool wrapped : {false, true}) {
    FakeMemory m;
    m.put_word(base64, base64 + 0x40);
    m.put_int<uint32_t>(base64 + 8, 64);
    m.put_int<uint32_t>(base64 + 16, wrapped ? 64 * 3 + 10 : 40);
    m.put_str(base64 + 0x40, text);
    printk_seed(wrapped ? "plain-wrapped" : "plain", m, Endian::little, 8,
                plain_vmci("2.6.32", base64));
  }
  {
    // Before 2.6.25 log_end is an unsigned long (big-endian 64-bit: the value's low half last).
    FakeMemory m(Endian::big, 8);
    m.put_word(base64, base64 + 0x40);
    m.put_int<uint32_t>(base64 + 8, 64);
    m.put_int<uint64_t>(base64 + 16, 12);
    m.put_str(base64 + 0x40, text);
    printk_seed("plain-2.6.24-64be", m, Endian::big, 8, plain_vmci("2.6.24", base64));
  }
}

// ---- kallsyms ----

// The FakeKernel's memory from its first allocation (PFN 0 is left unused) to its last.
// Each seed must decode (or, with `decodes` false, fail) through the target's input parsing.
void kallsyms_seed(const std::string& name, scrub_test::FakeKernel& k,
                   const std::string& vmcoreinfo, bool decodes = true) {
  const uint64_t start = scrub_test::kBase + scrub_test::kPage;
  const uint64_t end = k.alloc(1, 1);
  const std::string img = k.bytes(start, end - start);
  const std::string in =
      fuzz::encode_kernel_input(Endian::little, 8, start, vmcoreinfo, trimmed(as_bytes(img)));
  auto parsed = fuzz::KernelInput::parse(reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                                         fuzz::kKallsymsAlign);
  auto ks = Kallsyms::read(VmcoreInfo::parse(parsed->vmcoreinfo), fuzz::InputMemory(*parsed));
  if (static_cast<bool>(ks) != decodes) {
    std::fprintf(stderr, "fuzz_kernel_seeds: kallsyms seed %s: %s\n", name.c_str(),
                 ks ? "decodes" : ks.error().message.c_str());
    std::exit(1);
  }
  write_seed("fuzz_kallsyms", name, in);
}

using scrub_test::sample_kallsyms;
#if DUMPFMT_HAVE_LIBBPF
using scrub_test::sample_btf;
#endif

void kallsyms_seeds() {
  const size_t mem = 1 << 20;
  {
    scrub_test::FakeKernel k(mem);
    kallsyms_seed("absolute-percpu", k, sample_kallsyms().write(k));
  }
  auto relative = sample_kallsyms();
  relative.syms.erase(relative.syms.begin() + 4);  // no per-CPU symbol
  relative.absolute_percpu = false;
  {
    scrub_test::FakeKernel k(mem);
    kallsyms_seed("relative", k, relative.write(k));
  }
  {
    auto img = relative;
    img.export_relative_base = false;
    scrub_test::FakeKernel k(mem);
    kallsyms_seed("inferred-base", k, img.write(k));
  }
  {
    auto img = sample_kallsyms();
    img.syms.push_back({std::string(300, 'x'), 0xffffffff82000300ULL, 'T'});
    img.syms.push_back({"after_long", 0xffffffff82000400ULL, 'T'});
    scrub_test::FakeKernel k(mem);
    kallsyms_seed("two-byte-length", k, img.write(k));
  }
  {
    scrub_test::FakeKernel k(mem);
    const std::string vmi = sample_kallsyms().write(k);
    kallsyms_seed("wrong-stext", k, "SYMBOL(_stext)=ffffffff81000010\n" + vmi, false);
  }
  {
    auto img = sample_kallsyms();
    img.syms.erase(img.syms.begin());  // no _stext to choose the encoding by
    scrub_test::FakeKernel k(mem);
    kallsyms_seed("no-stext", k, img.write(k));
  }
#if DUMPFMT_HAVE_LIBBPF
  {
    // The kernel's BTF in memory between __start_BTF and __stop_BTF (Btf::from_kernel).
    scrub_test::FakeKernel k(mem);
    const auto raw = sample_btf();
    const uint64_t at = k.alloc(raw.size());
    std::memcpy(k.at(at), raw.data(), raw.size());
    scrub_test::KallsymsImage img;
    img.syms = {{"_stext", scrub_test::kBase + 0x100, 'T'},
                {"__start_BTF", at, 'R'},
                {"__stop_BTF", at + raw.size(), 'R'}};
    img.absolute_percpu = false;
    img.base = scrub_test::kBase;
    kallsyms_seed("with-btf", k, img.write(k));
  }
#endif
}

// ---- BTF ----

#if DUMPFMT_HAVE_LIBBPF
// Every kind libbpf can write: enums, forward declarations, qualifiers and tags, functions,
// floats, a self-referencing list, nested anonymous members and a 2-D array.
std::vector<std::byte> kinds_btf(bool big_endian) {
  struct btf* b = btf__new_empty();
  const int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  const int u8 = btf__add_int(b, "unsigned char", 1, 0);
  const int e = btf__add_enum(b, "state", 4);
  btf__add_enum_value(b, "IDLE", 0);
  btf__add_enum_value(b, "BUSY", -1);
  const int e64 = btf__add_enum64(b, "big", 8, false);
  btf__add_enum64_value(b, "HUGE", 0xffffffff00000000ULL);
  btf__add_fwd(b, "node", BTF_FWD_STRUCT);
  btf__add_fwd(b, "maybe", BTF_FWD_UNION);
  const int node_ptr = btf__add_ptr(b, btf__type_cnt(b) + 1);  // struct node *, defined next
  const int node = btf__add_struct(b, "node", 24);
  btf__add_field(b, "next", node_ptr, 0, 0);
  const int anon_s = btf__add_struct(b, "", 8);  // the anonymous struct inside the union
  btf__add_field(b, "lo", i32, 0, 0);
  btf__add_field(b, "hi", i32, 32, 0);
  const int ll = btf__add_int(b, "long long int", 8, BTF_INT_SIGNED);
  const int anon_u = btf__add_union(b, "", 8);
  btf__add_field(b, "", anon_s, 0, 0);
  btf__add_field(b, "whole", ll, 0, 0);
  const int cv = btf__add_const(b, btf__add_volatile(b, i32));
  const int rp = btf__add_restrict(b, btf__add_ptr(b, u8));
  const int tag = btf__add_type_tag(b, "user", rp);
  const int rows = btf__add_array(b, i32, u8, 3);
  const int grid = btf__add_array(b, i32, rows, 2);
  btf__add_float(b, "double", 8);
  // Fields are added to the type added last: every type a struct uses comes before it.
  const int holder = btf__add_struct(b, "holder", 80);
  btf__add_field(b, "n", node, 0, 0);
  btf__add_field(b, "", anon_u, 192, 0);
  btf__add_field(b, "cv", cv, 256, 0);
  btf__add_field(b, "buf", tag, 320, 0);
  btf__add_field(b, "st", e, 384, 0);
  btf__add_field(b, "flag", u8, 416, 1);
  btf__add_field(b, "mode", u8, 417, 3);
  btf__add_field(b, "g", grid, 448, 0);
  (void)e64;
  btf__add_typedef(b, "holder_t", btf__add_const(b, holder));
  const int holder_ptr = btf__add_ptr(b, holder);
  const int proto = btf__add_func_proto(b, i32);
  btf__add_func_param(b, "h", holder_ptr);
  btf__add_func_param(b, "", 0);  // varargs
  btf__add_func(b, "do_hold", BTF_FUNC_GLOBAL, proto);
  const int var = btf__add_var(b, "runqueues", BTF_VAR_GLOBAL_ALLOCATED, holder);
  btf__add_datasec(b, ".data..percpu", 80);
  btf__add_datasec_var_info(b, var, 0, 80);
  btf__add_decl_tag(b, "noinline", node, -1);
  if (big_endian) btf__set_endianness(b, BTF_BIG_ENDIAN);
  uint32_t n = 0;
  const auto* p = static_cast<const std::byte*>(btf__raw_data(b, &n));
  std::vector<std::byte> out(p, p + n);
  btf__free(b);
  return out;
}
#endif

// btf_test's blob assembled by hand: int, struct s { int a; int b; }; `member_type` is a's type.
std::vector<std::byte> hand_btf(uint32_t member_type) {
  const std::vector<uint32_t> types = {
      1, 0x01000000, 4, 0x01000020,                            // [1] INT "int", 32 bits signed
      5, 0x04000002, 8, 7,          member_type, 0, 9, 1, 32,  // [2] STRUCT "s": a@0, b@32
  };
  const std::string strs("\0int\0s\0a\0b\0", 11);
  std::vector<std::byte> out(24 + types.size() * 4 + strs.size());
  store(out.data(), uint16_t{0xeb9f}, Endian::little);
  out[2] = std::byte{1};
  store(out.data() + 4, uint32_t{24}, Endian::little);
  store(out.data() + 12, static_cast<uint32_t>(types.size() * 4), Endian::little);
  store(out.data() + 16, static_cast<uint32_t>(types.size() * 4), Endian::little);
  store(out.data() + 20, static_cast<uint32_t>(strs.size()), Endian::little);
  for (size_t i = 0; i < types.size(); ++i)
    store(out.data() + 24 + 4 * i, types[i], Endian::little);
  std::memcpy(out.data() + 24 + types.size() * 4, strs.data(), strs.size());
  return out;
}

// `probe` is a struct.member every seed but the damaged one must resolve.
void btf_seed(const std::string& name, const std::vector<std::byte>& raw, const char* type,
              const char* member) {
  if (Btf::built()) {
    auto b = Btf::parse(raw);
    if (!b || !b->offset_of(type, member)) {
      std::fprintf(stderr, "fuzz_kernel_seeds: BTF seed %s lacks %s.%s\n", name.c_str(), type,
                   member);
      std::exit(1);
    }
  }
  write_seed("fuzz_btf", name, {reinterpret_cast<const char*>(raw.data()), raw.size()});
}

void btf_seeds() {
  btf_seed("hand-assembled", hand_btf(1), "s", "b");
  btf_seed("hand-dangling-member-type", hand_btf(77), "s", "a");
#if DUMPFMT_HAVE_LIBBPF
  btf_seed("sample", sample_btf(), "outer", "in.c");
  btf_seed("all-kinds", kinds_btf(false), "holder", "hi");
  btf_seed("all-kinds-be", kinds_btf(true), "holder", "g");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_kernel_seeds CORPUS_DIR\n");
    return 2;
  }
  g_corpus = argv[1];
  printk_seeds();
  kallsyms_seeds();
  btf_seeds();
  return 0;
}
