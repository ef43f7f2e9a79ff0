// Tests of makedumpfile's flattened format (docs/formats.md §4): streams built by
// hand with big-endian record headers, checked against a simple model (apply
// the records in order to a zero-filled buffer), rearranged through a real
// pipe, and the flattened sink's records parsed by hand.
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dumpfmt/flattened.h"
#include "dumpfmt/format.h"
#include "dumpgen.h"
#include "gtest/gtest.h"

namespace {

using namespace dumpfmt;
using Bytes = std::vector<uint8_t>;

struct Record {
  int64_t off;
  Bytes data;
};

void put_be(Bytes& b, int64_t v) {
  for (int i = 7; i >= 0; --i)
    b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
}

int64_t get_be(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return static_cast<int64_t>(v);
}

Bytes flat_header(int64_t type = 1) {
  Bytes h(4096, 0);
  std::memcpy(h.data(), "makedumpfile", 12);
  Bytes t;
  put_be(t, type);
  put_be(t, 1);
  std::memcpy(h.data() + 16, t.data(), 16);
  return h;
}

Bytes stream(const std::vector<Record>& recs, bool end_marker = true) {
  Bytes s = flat_header();
  for (const Record& r : recs) {
    put_be(s, r.off);
    put_be(s, static_cast<int64_t>(r.data.size()));
    s.insert(s.end(), r.data.begin(), r.data.end());
  }
  if (end_marker) s.insert(s.end(), 16, 0xff);
  return s;
}

// What makedumpfile -R produces: records applied in order, holes zero.
Bytes model(const std::vector<Record>& recs) {
  Bytes m;
  for (const Record& r : recs) {
    size_t end = static_cast<size_t>(r.off) + r.data.size();
    if (m.size() < end) m.resize(end, 0);
    std::memcpy(m.data() + r.off, r.data.data(), r.data.size());
  }
  return m;
}

std::unique_ptr<File> mem(const Bytes& b, const std::string& name = "flat") {
  std::vector<std::byte> v(b.size());
  if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
  return memory_file(name, std::move(v));
}

Bytes fill(size_t n, uint8_t c) { return Bytes(n, c); }

Bytes read_all(const File& f, uint64_t off, size_t n) {
  std::vector<std::byte> buf(n);
  auto st = f.read_at(off, buf);
  EXPECT_TRUE(st) << st.error().message;
  Bytes b(n);
  if (n) std::memcpy(b.data(), buf.data(), n);
  return b;
}

Result<Bytes> rearrange_via_pipe(const Bytes& flat, size_t* written = nullptr) {
  int fds[2];
  if (::pipe(fds) != 0) return make_error(Errc::io, "pipe");
  std::thread feeder([&] {
    size_t done = 0;
    while (done < flat.size()) {
      ssize_t n = ::write(fds[1], flat.data() + done, std::min<size_t>(flat.size() - done, 70000));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fds[1]);
  });
  MemorySink out("out");
  Status st = rearrange_flattened(fds[0], "<pipe>", out);
  char sink[4096];
  while (::read(fds[0], sink, sizeof sink) > 0) {
  }
  feeder.join();
  ::close(fds[0]);
  if (written) *written = out.bytes().size();
  DUMPFMT_TRY(st);
  Bytes b(out.bytes().size());
  std::memcpy(b.data(), out.bytes().data(), b.size());
  return b;
}

const std::vector<Record> kRecords = {
    {0, fill(10, 'A')},  {100, fill(20, 'B')}, {5, fill(3, 'C')}, {95, fill(10, 'D')},
    {110, fill(2, 'E')}, {4000, fill(5, 'F')}, {0, fill(2, 'G')}, {3990, fill(30, 'H')}};

TEST(Flattened, Recognition) {
  EXPECT_TRUE(is_flattened(*mem(stream(kRecords))));
  Bytes b = stream(kRecords);
  b[3] = 'X';
  EXPECT_FALSE(is_flattened(*mem(b)));
  Bytes h = flat_header();
  EXPECT_FALSE(is_flattened(*mem(Bytes(h.begin(), h.begin() + 20))));
  Bytes t2 = flat_header(2);
  EXPECT_FALSE(is_flattened(*mem(t2)));
  EXPECT_FALSE(is_flattened(*mem(Bytes())));
}

TEST(Flattened, OpenMatchesModel) {
  auto r = open_flattened(mem(stream(kRecords)));
  ASSERT_TRUE(r) << r.error().message;
  const File& f = **r;
  Bytes m = model(kRecords);
  ASSERT_EQ(f.size(), m.size());
  EXPECT_EQ(read_all(f, 0, m.size()), m);
  for (uint64_t a = 0; a < m.size(); a += 7) {
    for (uint64_t n : {1ull, 3ull, 16ull, 200ull}) {
      if (a + n > m.size()) continue;
      ASSERT_EQ(
          read_all(f, a, static_cast<size_t>(n)),
          Bytes(m.begin() + static_cast<ptrdiff_t>(a), m.begin() + static_cast<ptrdiff_t>(a + n)))
          << a << "+" << n;
    }
  }
  std::vector<std::byte> buf(10);
  auto past = f.read_at(m.size() - 5, buf);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, Errc::truncated);
  EXPECT_NE(past.error().message.find("flat"), std::string::npos);
  // Zero-copy view inside one record of a memory-backed file; none across records.
  auto v = f.view(106, 4);  // B's part after D overwrote its start
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(std::to_integer<char>(v[0]), 'B');
  EXPECT_TRUE(f.view(8, 4).empty());    // 'C' then 'A'
  EXPECT_TRUE(f.view(200, 4).empty());  // a hole
}

TEST(Flattened, RandomRecordsMatchModel) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::vector<Record> recs;
    int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      Record r;
      r.off = static_cast<int64_t>(rng() % 5000);
      r.data = fill(1 + rng() % 300, static_cast<uint8_t>(rng()));
      recs.push_back(r);
    }
    Bytes s = stream(recs);
    auto r = open_flattened(mem(s));
    ASSERT_TRUE(r) << r.error().message;
    Bytes m = model(recs);
    ASSERT_EQ((*r)->size(), m.size());
    ASSERT_EQ(read_all(**r, 0, m.size()), m) << "seed " << seed;
    for (int k = 0; k < 100; ++k) {
      uint64_t a = rng() % m.size();
      size_t len = static_cast<size_t>(std::min<uint64_t>(rng() % 400, m.size() - a));
      ASSERT_EQ(read_all(**r, a, len), Bytes(m.begin() + static_cast<ptrdiff_t>(a),
                                             m.begin() + static_cast<ptrdiff_t>(a + len)));
    }
    auto re = rearrange_via_pipe(s);
    ASSERT_TRUE(re) << re.error().message;
    EXPECT_EQ(*re, m);
  }
}

TEST(Flattened, OpenErrors) {
  auto expect = [](const Bytes& s, Errc code, const char* what) {
    auto r = open_flattened(mem(s));
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().code, code) << what << ": " << r.error().message;
  };
  expect(stream(kRecords, false), Errc::truncated, "no end marker");
  Bytes s = stream({{0, fill(100, 1)}});
  expect(Bytes(s.begin(), s.begin() + 4096 + 16 + 50), Errc::truncated, "payload cut");
  expect(Bytes(s.begin(), s.begin() + 4096 + 7), Errc::truncated, "record header cut");
  expect(Bytes(s.begin(), s.begin() + 100), Errc::truncated, "header cut");
  expect(stream({{-5, fill(10, 1)}}), Errc::corrupt, "negative offset");
  Bytes z = flat_header();
  put_be(z, 0);
  put_be(z, 0);  // size 0 is not the end marker
  z.insert(z.end(), 16, 0xff);
  expect(z, Errc::corrupt, "size 0");
  Bytes huge = flat_header();
  put_be(huge, 0);
  put_be(huge, INT64_MAX);  // a size the file cannot hold: no allocation
  expect(huge, Errc::truncated, "huge size");
  Bytes t = stream(kRecords);
  t[23] = 2;  // type 2
  expect(t, Errc::unsupported, "type 2");
  // Every prefix: an error until the end marker is complete, never a crash.
  Bytes full = stream(kRecords);
  for (size_t len = 0; len < full.size(); ++len) {
    auto r = open_flattened(mem(Bytes(full.begin(), full.begin() + static_cast<ptrdiff_t>(len))));
    ASSERT_FALSE(r) << len;
  }
}

TEST(Flattened, ManyTinyRecords) {
  std::vector<Record> recs;
  for (int i = 0; i < 100000; ++i)
    recs.push_back({static_cast<int64_t>((i * 7919) % 100003), fill(1, static_cast<uint8_t>(i))});
  auto r = open_flattened(mem(stream(recs)));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read_all(**r, 0, (*r)->size()), model(recs));
}

TEST(Flattened, RearrangeErrorsAndLargeRecords) {
  // A record larger than the copy buffer goes through in pieces.
  Bytes big(3 * 1024 * 1024 + 17);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 31 + (i >> 12));
  std::vector<Record> recs = {{4096, big}, {0, fill(64, 'h')}, {10, fill(5, 'x')}};
  Bytes s = stream(recs);
  auto re = rearrange_via_pipe(s);
  ASSERT_TRUE(re) << re.error().message;
  EXPECT_EQ(*re, model(recs));

  for (size_t cut : {size_t{0}, size_t{100}, size_t{4096}, size_t{4100}, size_t{4096 + 16},
                     size_t{4096 + 16 + 1024 * 1024 + 5}, s.size() - 16, s.size() - 1}) {
    auto r = rearrange_via_pipe(Bytes(s.begin(), s.begin() + static_cast<ptrdiff_t>(cut)));
    ASSERT_FALSE(r) << cut;
    EXPECT_EQ(r.error().code, Errc::truncated) << r.error().message;
    EXPECT_NE(r.error().message.find("<pipe>: offset 0x"), std::string::npos) << r.error().message;
  }
  auto neg = rearrange_via_pipe(stream({{-7, fill(4, 1)}}));
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().code, Errc::corrupt);
  Bytes bad = s;
  bad[0] = 'M';
  auto sig = rearrange_via_pipe(bad);
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().code, Errc::corrupt);
}

// Records of the sink's output, parsed by hand.
std::vector<std::pair<int64_t, int64_t>> records_of(const Bytes& s) {
  std::vector<std::pair<int64_t, int64_t>> v;
  size_t pos = 4096;
  while (pos + 16 <= s.size()) {
    int64_t off = get_be(s, pos), size = get_be(s, pos + 8);
    v.emplace_back(off, size);
    if (off == -1) break;
    pos += 16 + static_cast<size_t>(size);
  }
  return v;
}

TEST(Flattened, SinkRecordsAndCoalescing) {
  auto inner = std::make_unique<MemorySink>("inner");
  MemorySink* raw = inner.get();
  auto sink = make_flattened_sink(std::move(inner));
  EXPECT_TRUE(sink->seekable());
  MemorySink direct("direct");
  Bytes big(2 * 1024 * 1024 + 3, 0x5c);
  struct W {
    uint64_t off;
    Bytes data;
  };
  const std::vector<W> writes = {{0, fill(10, 'a')},  {10, fill(10, 'b')}, {20, Bytes()},
                                 {100, fill(5, 'c')}, {50, fill(2, 'd')},  {52, fill(3, 'e')},
                                 {200, big},          {5, fill(2, 'f')}};
  for (const W& w : writes) {
    std::span<const std::byte> d(reinterpret_cast<const std::byte*>(w.data.data()), w.data.size());
    ASSERT_TRUE(sink->write_at(w.off, d));
    ASSERT_TRUE(direct.write_at(w.off, d));
  }
  EXPECT_FALSE(raw->committed());
  ASSERT_TRUE(sink->commit());
  EXPECT_TRUE(raw->committed());
  Bytes s(raw->bytes().size());
  std::memcpy(s.data(), raw->bytes().data(), s.size());
  Bytes hdr = flat_header();
  ASSERT_GE(s.size(), 4096u);
  EXPECT_TRUE(std::equal(hdr.begin(), hdr.end(), s.begin()));
  auto recs = records_of(s);
  const std::vector<std::pair<int64_t, int64_t>> want = {
      {0, 20}, {100, 5}, {50, 5}, {200, static_cast<int64_t>(big.size())}, {5, 2}, {-1, -1}};
  EXPECT_EQ(recs, want);
  auto re = rearrange_via_pipe(s);
  ASSERT_TRUE(re) << re.error().message;
  Bytes d(direct.bytes().size());
  std::memcpy(d.data(), direct.bytes().data(), d.size());
  EXPECT_EQ(*re, d);
  auto opened = open_flattened(mem(s));
  ASSERT_TRUE(opened);
  EXPECT_EQ(read_all(**opened, 0, d.size()), d);

  auto s2 = make_flattened_sink(std::make_unique<MemorySink>());
  std::byte one{1};
  EXPECT_FALSE(s2->write_at(uint64_t{1} << 63, std::span(&one, 1)));
}

TEST(Flattened, ShuffledAndOverlappingKdumpThroughRegistry) {
  dumpgen::DumpSpec spec;
  spec.format = dumpgen::Format::kdump;
  spec.segments = {{0, 50 * 4096, dumpgen::Fill::sparse_pattern, 4}};
  spec.flat.enabled = true;
  spec.flat.record_size = 1000;
  spec.flat.shuffle = true;
  spec.flat.garbage_overlap = true;
  Bytes flat = dumpgen::generate(spec);
  std::vector<std::unique_ptr<File>> files;
  files.push_back(mem(flat, "dump.flat"));
  auto r = open_dump_files(std::move(files));
  ASSERT_TRUE(r) << r.error().message;
  std::vector<std::byte> buf(4096);
  for (Pfn p = 0; p < 50; ++p) {
    ASSERT_TRUE((*r)->read_page(p, buf));
    Bytes want = dumpgen::page_content(spec, p);
    ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), 4096)) << p;
  }
  // The rearranged stream equals the plain file dumpgen writes.
  dumpgen::DumpSpec plain = spec;
  plain.flat.enabled = false;
  auto re = rearrange_via_pipe(flat);
  ASSERT_TRUE(re) << re.error().message;
  EXPECT_EQ(*re, dumpgen::generate(plain));
}

}  // namespace

// A record far out makes the rearranged file huge but holds a few bytes: a
// header field asking for gigabytes of it must be refused before allocating.
TEST(Flattened, SparseStreamBoundsAllocations) {
  auto r = open_flattened(mem(stream({{0, Bytes(64, 1)}, {int64_t{1} << 40, Bytes(8, 2)}})));
  ASSERT_TRUE(r) << r.error().message;
  const File& f = **r;
  EXPECT_EQ(f.size(), (uint64_t{1} << 40) + 8);
  EXPECT_LT(f.stored_bytes(), 8192u);
  auto big = read_vector(f, 0, uint64_t{1} << 32);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::corrupt);
  EXPECT_NE(big.error().message.find("more than the file holds"), std::string::npos);
  auto small = read_vector(f, 0, 64);  // what it does hold still reads
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ((*small)[0], std::byte{1});
}
