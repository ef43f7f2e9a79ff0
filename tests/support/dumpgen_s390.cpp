// dumpgen: s390 stand-alone dumps (docs/formats.md §6): classic single-volume, s390_ext (raw and
// zlib segments) and multi-volume sets, with lowcore save areas for register tests.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "dumpgen.h"
#include "dumpgen_internal.h"

namespace dumpgen {

using namespace detail;

namespace {

constexpr uint64_t kMagic = 0xa8190173618f23fdULL;
constexpr uint64_t kMagicExt = 0xa8190173618f23feULL;
constexpr uint64_t kHdr = 0x1000;
constexpr uint64_t kBlock = 4096;  // device block of the extended format
constexpr uint64_t kZiplTime = 0x0123456789abcdefULL;
constexpr Endian kBe = Endian::big;

uint64_t tod_of(int64_t unix_seconds) {
  return (static_cast<uint64_t>(unix_seconds) * 1000000u << 12) +
         (0x8126d60e46000000ULL - 0x3c26700ULL * 1000000 * 4096);
}

// The 0x200-byte save area (lowcore 0x1200..0x1400) of one CPU.
std::vector<uint8_t> save_area(int cpu, uint32_t prefix) {
  std::vector<uint8_t> a(0x200, 0);
  auto at = [](uint64_t lc) { return lc - 0x1200; };
  for (int i = 0; i < 16; ++i) {
    put_int(a, at(0x1200) + 8 * i, prstatus_reg(cpu, 300 + i), 8, kBe);  // fprs
    put_int(a, at(0x1280) + 8 * i, prstatus_reg(cpu, i), 8, kBe);        // gprs
    put_int(a, at(0x1340) + 4 * i, prstatus_reg(cpu, 200 + i), 4, kBe);  // acrs
    put_int(a, at(0x1380) + 8 * i, prstatus_reg(cpu, 400 + i), 8, kBe);  // crs
  }
  put_int(a, at(0x1300), prstatus_reg(cpu, 100), 8, kBe);  // psw mask
  put_int(a, at(0x1308), prstatus_reg(cpu, 101), 8, kBe);  // psw addr
  put_int(a, at(0x1318), prefix, 4, kBe);
  put_int(a, at(0x131c), 0x1234u + static_cast<unsigned>(cpu), 4, kBe);
  put_int(a, at(0x1324), 0x5678u + static_cast<unsigned>(cpu), 4, kBe);
  put_int(a, at(0x1328), prstatus_reg(cpu, 500), 8, kBe);
  put_int(a, at(0x1330), prstatus_reg(cpu, 501), 8, kBe);
  return a;
}

struct Memory {
  uint64_t npages = 0;
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // described PFN runs [first, end), merged
};

Memory memory_of(const DumpSpec& spec, const S390Options& opt) {
  const std::vector<Extent> ext = extents_of(spec);
  Memory m;
  m.npages = max_mapnr_of(spec, ext);
  std::vector<std::pair<uint64_t, uint64_t>> r;
  for (const Extent& e : ext) {
    if (e.present()) r.emplace_back(e.first_pfn, e.end());
  }
  for (uint32_t p : opt.cpu_prefixes) {
    const uint64_t lo = (uint64_t{p} + 0x1200) / spec.page_size;
    const uint64_t hi = (uint64_t{p} + 0x1400 + spec.page_size - 1) / spec.page_size;
    r.emplace_back(lo, hi);
    m.npages = std::max(m.npages, hi);
  }
  std::sort(r.begin(), r.end());
  for (auto [a, b] : r) {
    if (!m.runs.empty() && a <= m.runs.back().second) {
      m.runs.back().second = std::max(m.runs.back().second, b);
    } else {
      m.runs.emplace_back(a, b);
    }
  }
  return m;
}

std::vector<uint8_t> header(const DumpSpec& spec, const S390Options& opt, uint64_t magic,
                            uint32_t version, uint64_t npages) {
  std::vector<uint8_t> h(kHdr, 0);
  const uint64_t mem = npages * spec.page_size;
  put_int(h, 0x000, magic, 8, kBe);
  put_int(h, 0x008, version, 4, kBe);
  put_int(h, 0x00c, kHdr, 4, kBe);
  put_int(h, 0x010, 4, 4, kBe);
  put_int(h, 0x014, spec.page_size, 4, kBe);
  put_int(h, 0x018, mem, 8, kBe);
  put_int(h, 0x020, 0, 8, kBe);
  put_int(h, 0x028, mem ? mem - 1 : 0, 8, kBe);
  put_int(h, 0x030, npages, 4, kBe);
  put_int(h, 0x038, tod_of(spec.crash_time), 8, kBe);
  put_int(h, 0x048, spec.bits() == 64 ? 2 : 1, 4, kBe);
  put_int(h, 0x054, mem, 8, kBe);
  put_int(h, 0x05d, opt.cpu_prefixes.size(), 2, kBe);
  put_int(h, 0x05f, opt.cpu_prefixes.size(), 2, kBe);
  for (size_t i = 0; i < opt.cpu_prefixes.size(); ++i) {
    put_int(h, 0x800 + 4 * i, opt.cpu_prefixes[i], 4, kBe);
  }
  return h;
}

void append_end_marker(std::vector<uint8_t>& f, const DumpSpec& spec, const S390Options& opt) {
  const uint64_t at = f.size();
  f.resize(at + 16, 0);
  if (!opt.end_marker) return;
  put_bytes(f, at, "DUMP_END", 8);
  put_int(f, at + 8, tod_of(spec.crash_time), 8, kBe);
}

// One extended-format segment: 4 KiB header, then raw memory or zlib entries.
std::vector<uint8_t> segment(const DumpSpec& spec, const S390Options& opt, uint64_t first,
                             uint64_t end, bool last, bool zlib) {
  const uint64_t ps = spec.page_size;
  std::vector<uint8_t> mem;
  for (uint64_t p = first; p < end; ++p) {
    std::vector<uint8_t> pg = s390_page(spec, opt, p);
    mem.insert(mem.end(), pg.begin(), pg.end());
  }
  std::vector<uint8_t> s(kHdr, 0);
  put_int(s, 0x00, first * ps, 8, kBe);
  put_int(s, 0x08, (end - first) * ps, 8, kBe);
  put_int(s, 0x10, last ? 1 : 0, 8, kBe);
  if (!zlib) {
    s.insert(s.end(), mem.begin(), mem.end());
    return s;
  }
  const uint64_t es = opt.zlib_entry_size;
  const uint64_t n = (mem.size() + es - 1) / es;
  if (n > (kHdr - 0x34) / 4) fail("s390 zlib segment with too many entries");
  put_int(s, 0x30, n, 4, kBe);
  std::vector<uint8_t> data;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t lo = i * es, len = std::min<uint64_t>(es, mem.size() - lo);
    std::vector<uint8_t> z(compressBound(len));
    uLongf zn = z.size();
    if (compress2(z.data(), &zn, mem.data() + lo, len, 6) != Z_OK) fail("compress2");
    uint32_t entry = static_cast<uint32_t>(data.size() / kBlock);
    if (zn < len) {
      data.insert(data.end(), z.begin(), z.begin() + zn);
    } else {
      entry |= 0x80000000u;
      data.insert(data.end(), mem.begin() + lo, mem.begin() + lo + len);
    }
    data.resize(round_up(data.size(), kBlock), 0);
    put_int(s, 0x34 + 4 * i, entry, 4, kBe);
  }
  put_int(s, 0x18, data.size() / kBlock, 4, kBe);
  s.insert(s.end(), data.begin(), data.end());
  return s;
}

}  // namespace

std::vector<uint8_t> s390_page(const DumpSpec& spec, const S390Options& opt, uint64_t pfn) {
  std::vector<uint8_t> pg = page_content(spec, pfn);
  const uint64_t ps = spec.page_size, lo = pfn * ps;
  for (size_t cpu = 0; cpu < opt.cpu_prefixes.size(); ++cpu) {
    const uint64_t sa = uint64_t{opt.cpu_prefixes[cpu]} + 0x1200;
    const uint64_t a = std::max(sa, lo), b = std::min(sa + 0x200, lo + ps);
    if (a >= b) continue;
    std::vector<uint8_t> area = save_area(static_cast<int>(cpu), opt.cpu_prefixes[cpu]);
    std::memcpy(pg.data() + (a - lo), area.data() + (a - sa), b - a);
  }
  return pg;
}

std::vector<std::vector<uint8_t>> generate_s390(const DumpSpec& spec, const S390Options& opt) {
  const Memory m = memory_of(spec, opt);
  const uint64_t ps = spec.page_size;
  std::vector<std::vector<uint8_t>> files;
  if (opt.layout == S390Layout::classic) {
    std::vector<uint8_t> f = header(spec, opt, kMagic, 5, m.npages);
    f.resize(kHdr + m.npages * ps, 0);
    for (auto [a, b] : m.runs) {
      for (uint64_t p = a; p < b; ++p)
        put_bytes(f, kHdr + p * ps, s390_page(spec, opt, p).data(), ps);
    }
    append_end_marker(f, spec, opt);
    files.push_back(std::move(f));
  } else {
    const bool zlib = opt.layout == S390Layout::ext_zlib;
    const bool mv = opt.layout == S390Layout::multi_volume;
    const int nvol = mv ? std::max(1, opt.volumes) : 1;
    if (m.runs.empty()) fail("the extended s390 format needs at least one described page");
    // Volume v holds runs [ceil(v * n / nvol), ceil((v + 1) * n / nvol)): volume 0 always
    // gets data, as its header is the reference one.
    const size_t n = m.runs.size();
    for (int v = 0; v < nvol; ++v) {
      std::vector<uint8_t> f = header(spec, opt, kMagicExt, zlib ? 2 : 1, m.npages);
      if (zlib) {
        put_int(f, 0x061, 1, 1, kBe);
        put_int(f, 0x062, opt.zlib_entry_size, 4, kBe);
      }
      if (mv) {
        put_int(f, 0x04c, v, 4, kBe);
        put_int(f, 0x05c, 1, 1, kBe);
        put_int(f, 0x200, kMagicExt, 8, kBe);
        put_int(f, 0x208, kZiplTime, 8, kBe);
      }
      const size_t lo = (v * n + nvol - 1) / nvol, hi = ((v + 1) * n + nvol - 1) / nvol;
      if (lo == hi && mv) put_int(f, 0x018, 0, 8, kBe);  // received no data
      for (size_t i = lo; i < hi; ++i) {
        std::vector<uint8_t> s =
            segment(spec, opt, m.runs[i].first, m.runs[i].second, i + 1 == n, zlib);
        f.insert(f.end(), s.begin(), s.end());
      }
      if (v + 1 == nvol) {
        append_end_marker(f, spec, opt);
      } else {
        f.resize(f.size() + kHdr, 0);  // unused space of the volume
      }
      files.push_back(std::move(f));
    }
  }
  if (spec.truncate_bytes) {
    for (auto& f : files) f.resize(std::min<uint64_t>(f.size(), *spec.truncate_bytes));
  }
  return files;
}

}  // namespace dumpgen
