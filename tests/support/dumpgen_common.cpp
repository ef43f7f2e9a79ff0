// dumpgen: page contents, arch defaults, the normalised memory map, ELF notes, the write log,
// and the public entry points that dispatch to the per-format builders.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <unordered_map>

#include "dumpgen.h"
#include "dumpgen_internal.h"

namespace dumpgen {

namespace detail {

void fail(const std::string& msg) { throw std::invalid_argument("dumpgen: " + msg); }

void put_int(std::vector<uint8_t>& b, uint64_t off, uint64_t v, int size, Endian e) {
  if (b.size() < off + size) b.resize(off + size, 0);
  for (int i = 0; i < size; ++i) {
    int shift = e == Endian::little ? 8 * i : 8 * (size - 1 - i);
    b[off + i] = static_cast<uint8_t>(v >> shift);
  }
}

void put_bytes(std::vector<uint8_t>& b, uint64_t off, const void* p, uint64_t n) {
  if (b.size() < off + n) b.resize(off + n, 0);
  if (n) std::memcpy(b.data() + off, p, n);
}

void Image::write(uint64_t off, const uint8_t* p, uint64_t n) {
  put_bytes(bytes, off, p, n);
  if (!keep_log_ || n == 0) return;
  if (!log.empty() && record_size_ != 0) {
    Record& last = log.back();
    if (last.off + last.data.size() == off && last.data.size() + n <= record_size_) {
      last.data.insert(last.data.end(), p, p + n);
      return;
    }
  }
  log.push_back({off, std::vector<uint8_t>(p, p + n)});
}

std::vector<Extent> extents_of(const DumpSpec& spec) {
  const uint32_t ps = spec.page_size;
  if (ps < 512 || (ps & (ps - 1)) != 0) fail("page_size must be a power of two >= 512");
  std::vector<Extent> ext;
  for (const PageSpec& p : spec.pages) {
    Extent e;
    e.first_pfn = p.pfn;
    e.count = 1;
    e.page = &p;
    switch (p.kind) {
      case PageKind::pattern:
        e.kind = ExtentKind::pattern;
        break;
      case PageKind::random:
        e.kind = ExtentKind::random;
        break;
      case PageKind::zero:
        e.kind = ExtentKind::zero;
        break;
      case PageKind::bytes:
        if (p.bytes.size() > ps) fail("page bytes longer than page_size");
        e.kind = ExtentKind::bytes;
        break;
    }
    ext.push_back(e);
  }
  for (const SegmentSpec& s : spec.segments) {
    if (s.paddr % ps || s.size % ps) fail("segment not page aligned");
    if (s.size == 0) continue;
    Extent e;
    e.first_pfn = s.paddr / ps;
    e.count = s.size / ps;
    switch (s.fill) {
      case Fill::zero:
        e.kind = ExtentKind::zero;
        break;
      case Fill::pattern:
        e.kind = ExtentKind::pattern;
        break;
      case Fill::sparse_pattern:
        if (s.every == 0) fail("sparse_pattern needs every >= 1");
        e.kind = ExtentKind::sparse_pattern;
        e.every = s.every;
        break;
    }
    ext.push_back(e);
  }
  for (uint64_t pfn : spec.ram_only) {
    Extent e;
    e.first_pfn = pfn;
    e.count = 1;
    e.kind = ExtentKind::excluded;
    ext.push_back(e);
  }
  std::sort(ext.begin(), ext.end(),
            [](const Extent& a, const Extent& b) { return a.first_pfn < b.first_pfn; });
  for (size_t i = 1; i < ext.size(); ++i) {
    if (ext[i].first_pfn < ext[i - 1].end())
      fail("pfn " + std::to_string(ext[i].first_pfn) + " described twice");
  }
  return ext;
}

long find_extent(const std::vector<Extent>& ext, uint64_t pfn) {
  auto it = std::upper_bound(ext.begin(), ext.end(), pfn,
                             [](uint64_t p, const Extent& e) { return p < e.first_pfn; });
  if (it == ext.begin()) return -1;
  --it;
  return pfn < it->end() ? static_cast<long>(it - ext.begin()) : -1;
}

bool is_zero_page(const Extent& e, uint64_t pfn) {
  switch (e.kind) {
    case ExtentKind::zero:
    case ExtentKind::excluded:
      return true;
    case ExtentKind::sparse_pattern:
      return (pfn - e.first_pfn) % e.every != 0;
    case ExtentKind::bytes:
      return std::all_of(e.page->bytes.begin(), e.page->bytes.end(),
                         [](uint8_t b) { return b == 0; });
    case ExtentKind::pattern:
    case ExtentKind::random:
      return false;
  }
  return false;
}

std::vector<uint8_t> extent_page(const DumpSpec& spec, const Extent& e, uint64_t pfn) {
  const uint32_t ps = spec.page_size;
  switch (e.kind) {
    case ExtentKind::pattern:
      return page_pattern(spec.seed, pfn, ps);
    case ExtentKind::random:
      return page_random(spec.seed, pfn, ps);
    case ExtentKind::sparse_pattern:
      if ((pfn - e.first_pfn) % e.every == 0) return page_pattern(spec.seed, pfn, ps);
      return std::vector<uint8_t>(ps, 0);
    case ExtentKind::bytes: {
      std::vector<uint8_t> v = e.page->bytes;
      v.resize(ps, 0);
      return v;
    }
    case ExtentKind::zero:
    case ExtentKind::excluded:
      return std::vector<uint8_t>(ps, 0);
  }
  return {};
}

uint64_t max_mapnr_of(const DumpSpec& spec, const std::vector<Extent>& ext) {
  uint64_t n = ext.empty() ? 0 : ext.back().end();
  if (spec.max_mapnr) {
    if (*spec.max_mapnr < n) fail("max_mapnr below the highest described pfn");
    n = *spec.max_mapnr;
  }
  return n;
}

std::string vmcoreinfo_text(const DumpSpec& spec) {
  return spec.vmcoreinfo ? *spec.vmcoreinfo : default_vmcoreinfo(spec);
}

namespace {

// One ELF note (§1.1): Nhdr of 3 u32, name with NUL padded to 4, desc padded to 4.
void append_note(std::vector<uint8_t>& out, Endian e, const std::string& name, uint32_t type,
                 const uint8_t* desc, uint64_t desc_size, uint64_t* desc_off = nullptr) {
  const uint64_t base = out.size();
  const uint64_t namesz = name.size() + 1;
  put_int(out, base + 0, namesz, 4, e);
  put_int(out, base + 4, desc_size, 4, e);
  put_int(out, base + 8, type, 4, e);
  put_bytes(out, base + 12, name.data(), name.size());
  const uint64_t d = base + 12 + round_up(namesz, 4);
  out.resize(d, 0);
  put_bytes(out, d, desc, desc_size);
  out.resize(d + round_up(desc_size, 4), 0);
  if (desc_off) *desc_off = d;
}

// struct elf_prstatus per arch: size, offset of pr_reg, register count (pr_reg follows the
// common prefix: 112 bytes with 64-bit longs, 72 with 32-bit; pr_pid at 32 / 24).
struct PrstatusLayout {
  uint16_t machine;
  int bits;
  uint32_t size;
  int nregs;
};
constexpr PrstatusLayout kPrstatus[] = {
    {62, 64, 336, 27},   // x86_64
    {183, 64, 392, 34},  // aarch64: x0-x30, sp, pc, pstate
    {21, 64, 504, 48},   // ppc64: ELF_NGREG 48
    {22, 64, 336, 27},   // s390x: psw, gprs, acrs, orig_gpr2 = 216 bytes of pr_reg
    {243, 64, 376, 32},  // riscv64
    {3, 32, 144, 17},    // i386
    {40, 32, 148, 18},   // arm
};

std::vector<uint8_t> prstatus(const DumpSpec& spec, int cpu) {
  const Endian e = spec.byte_order();
  const int bits = spec.bits();
  PrstatusLayout lay = bits == 64 ? kPrstatus[0] : kPrstatus[5];
  for (const PrstatusLayout& l : kPrstatus)
    if (l.machine == spec.machine() && l.bits == bits) lay = l;
  const int word = bits / 8;
  const uint64_t pid_off = bits == 64 ? 32 : 24, reg_off = bits == 64 ? 112 : 72;
  std::vector<uint8_t> d(lay.size, 0);
  put_int(d, pid_off, static_cast<uint64_t>(cpu + 1), 4, e);
  for (int i = 0; i < lay.nregs; ++i) put_int(d, reg_off + word * i, prstatus_reg(cpu, i), word, e);
  return d;
}

}  // namespace

NoteArea build_notes(const DumpSpec& spec, bool with_eraseinfo) {
  NoteArea a;
  const Endian e = spec.byte_order();
  for (int cpu = 0; cpu < spec.nr_cpus; ++cpu) {
    std::vector<uint8_t> d = prstatus(spec, cpu);
    append_note(a.bytes, e, "CORE", 1, d.data(), d.size());
    ++a.nr_prstatus;
  }
  if (spec.with_vmcoreinfo) {
    std::string text = vmcoreinfo_text(spec);
    append_note(a.bytes, e, "VMCOREINFO", 0, reinterpret_cast<const uint8_t*>(text.data()),
                text.size(), &a.vmcoreinfo_desc_off);
    a.vmcoreinfo_size = text.size();
  }
  for (const RawNote& n : spec.extra_notes)
    append_note(a.bytes, e, n.name, n.type, n.desc.data(), n.desc.size());
  if (with_eraseinfo && !spec.eraseinfo.empty())
    append_note(a.bytes, e, "ERASEINFO", 0, reinterpret_cast<const uint8_t*>(spec.eraseinfo.data()),
                spec.eraseinfo.size());
  return a;
}

std::vector<uint8_t> flatten(const DumpSpec& spec, const Image& img) {
  std::vector<uint8_t> out(kFlatHeaderSize, 0);
  const char sig[] = "makedumpfile";
  put_bytes(out, 0, sig, 12);           // then 4 NUL bytes
  put_int(out, 16, 1, 8, Endian::big);  // TYPE_FLAT_HEADER
  put_int(out, 24, 1, 8, Endian::big);  // VERSION_FLAT_HEADER

  std::vector<Image::Record> records;
  if (spec.flat.shuffle) {
    // Cover what was written, taking the final bytes, in pieces that never overlap.
    std::vector<std::pair<uint64_t, uint64_t>> spans;
    for (const Image::Record& r : img.log) spans.emplace_back(r.off, r.off + r.data.size());
    std::sort(spans.begin(), spans.end());
    std::vector<std::pair<uint64_t, uint64_t>> merged;
    for (auto s : spans) {
      if (!merged.empty() && s.first <= merged.back().second)
        merged.back().second = std::max(merged.back().second, s.second);
      else
        merged.push_back(s);
    }
    const uint64_t piece = spec.flat.record_size ? spec.flat.record_size : spec.page_size;
    for (auto [b, e] : merged) {
      for (uint64_t o = b; o < e; o += piece) {
        uint64_t n = std::min(piece, e - o);
        records.push_back(
            {o, std::vector<uint8_t>(img.bytes.begin() + o, img.bytes.begin() + o + n)});
      }
    }
    uint64_t state = spec.seed ^ 0x666c6174ull;  // Fisher-Yates with splitmix64
    for (size_t i = records.size(); i > 1; --i) {
      state = splitmix64(state);
      std::swap(records[i - 1], records[state % i]);
    }
  } else {
    records = img.log;
  }

  auto emit = [&out](uint64_t off, const uint8_t* p, uint64_t n) {
    uint64_t at = out.size();
    put_int(out, at, off, 8, Endian::big);
    put_int(out, at + 8, n, 8, Endian::big);
    put_bytes(out, at + 16, p, n);
  };
  if (spec.flat.garbage_overlap) {
    for (const Image::Record& r : records) {
      std::vector<uint8_t> junk(r.data.size(), 0xA5);
      emit(r.off, junk.data(), junk.size());
    }
  }
  for (const Image::Record& r : records) emit(r.off, r.data.data(), r.data.size());
  const uint8_t end_marker[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  put_bytes(out, out.size(), end_marker, 16);
  return out;
}

namespace {

std::vector<Image> build(const DumpSpec& spec, int parts, std::vector<PageInfo>* map) {
  if (spec.format == Format::elf) {
    if (parts != 1) fail("split sets are kdump only");
    return build_elf(spec, map);
  }
  return build_kdump(spec, parts, map);
}

std::vector<uint8_t> finish(const DumpSpec& spec, const Image& img) {
  std::vector<uint8_t> out = spec.flat.enabled ? flatten(spec, img) : img.bytes;
  if (spec.truncate_bytes && *spec.truncate_bytes < out.size()) out.resize(*spec.truncate_bytes);
  return out;
}

struct ArchDefaults {
  const char* name;
  uint16_t machine;
  Endian endian;
  int bits;
};
constexpr ArchDefaults kArchs[] = {
    {"x86_64", 62, Endian::little, 64}, {"i386", 3, Endian::little, 32},
    {"i686", 3, Endian::little, 32},    {"aarch64", 183, Endian::little, 64},
    {"arm64", 183, Endian::little, 64}, {"arm", 40, Endian::little, 32},
    {"ppc64", 21, Endian::big, 64},     {"ppc64le", 21, Endian::little, 64},
    {"ppc", 20, Endian::big, 32},       {"s390x", 22, Endian::big, 64},
    {"s390", 22, Endian::big, 32},      {"riscv64", 243, Endian::little, 64},
    {"mips", 8, Endian::big, 32},
};

const ArchDefaults* arch_defaults(const std::string& name) {
  for (const ArchDefaults& a : kArchs)
    if (name == a.name) return &a;
  return nullptr;
}

}  // namespace
}  // namespace detail

using namespace detail;

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {
std::vector<uint8_t> page_words(uint64_t seed, uint64_t pfn, uint32_t size, int repeat) {
  const uint64_t base = splitmix64(seed ^ splitmix64(pfn));
  std::vector<uint8_t> out(size);
  for (uint32_t i = 0; i < size; ++i) {
    uint64_t word = splitmix64(base + (i / 8) / repeat);
    out[i] = static_cast<uint8_t>(word >> (8 * (i % 8)));
  }
  return out;
}
}  // namespace

std::vector<uint8_t> page_pattern(uint64_t seed, uint64_t pfn, uint32_t size) {
  return page_words(seed, pfn, size, 8);
}

std::vector<uint8_t> page_random(uint64_t seed, uint64_t pfn, uint32_t size) {
  return page_words(seed, pfn, size, 1);
}

uint16_t DumpSpec::machine() const {
  if (e_machine) return *e_machine;
  if (const ArchDefaults* a = arch_defaults(arch)) return a->machine;
  fail("unknown arch '" + arch + "': set e_machine");
}

Endian DumpSpec::byte_order() const {
  if (endian) return *endian;
  if (const ArchDefaults* a = arch_defaults(arch)) return a->endian;
  fail("unknown arch '" + arch + "': set endian");
}

int DumpSpec::bits() const {
  int b = 0;
  if (word_bits) {
    b = *word_bits;
  } else if (const ArchDefaults* a = arch_defaults(arch)) {
    b = a->bits;
  } else {
    fail("unknown arch '" + arch + "': set word_bits");
  }
  if (b != 32 && b != 64) fail("word_bits must be 32 or 64");
  return b;
}

DumpSpec simple_spec(Format format, uint64_t count, Codec codec) {
  DumpSpec s;
  s.format = format;
  s.kdump.codec = codec;
  for (uint64_t pfn = 0; pfn < count; ++pfn) s.pages.push_back(page(pfn));
  return s;
}

std::string default_vmcoreinfo(const DumpSpec& spec) {
  return "OSRELEASE=" + spec.uts.release + "\nPAGESIZE=" + std::to_string(spec.page_size) +
         "\nCRASHTIME=" + std::to_string(spec.crash_time) + "\n";
}

uint64_t prstatus_reg(int cpu, int index) {
  return (static_cast<uint64_t>(cpu + 1) << 16) | static_cast<uint64_t>(index);
}

std::vector<uint8_t> generate(const DumpSpec& spec) {
  std::vector<Image> imgs = build(spec, 1, nullptr);
  return finish(spec, imgs.at(0));
}

std::vector<std::vector<uint8_t>> generate_split(const DumpSpec& spec, int parts) {
  if (spec.format != Format::kdump) fail("split sets are kdump only");
  std::vector<std::vector<uint8_t>> out;
  for (const Image& img : build(spec, parts, nullptr)) out.push_back(finish(spec, img));
  return out;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), path);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), path);
}

void write_file(const DumpSpec& spec, const std::string& path) { write_file(path, generate(spec)); }

std::vector<std::string> write_split_files(const DumpSpec& spec, int parts,
                                           const std::string& prefix) {
  std::vector<std::vector<uint8_t>> files = generate_split(spec, parts);
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i) {
    paths.push_back(prefix + "." + std::to_string(i + 1));
    write_file(paths.back(), files[i]);
  }
  return paths;
}

struct Oracle::Impl {
  DumpSpec spec;
  std::vector<Extent> ext;  // points into spec.pages
  uint64_t mapnr = 0;
  std::vector<ElfSegment> elf_segs;                // ELF with truncation
  std::unordered_map<uint64_t, PageStatus> kdump;  // kdump with truncation
};

Oracle::Oracle(const DumpSpec& spec, int parts) {
  auto impl = std::make_shared<Impl>();
  impl->spec = spec;
  impl->ext = extents_of(impl->spec);
  impl->mapnr = max_mapnr_of(impl->spec, impl->ext);
  if (spec.truncate_bytes) {
    if (spec.format == Format::elf) {
      impl->elf_segs = elf_layout(impl->spec, impl->ext).segs;
    } else {
      for (const PageInfo& p : page_map(impl->spec, parts)) impl->kdump[p.pfn] = p.status;
    }
  }
  impl_ = impl;
}

PageStatus Oracle::status(uint64_t pfn) const {
  const Impl& m = *impl_;
  if (m.spec.format == Format::kdump && pfn >= m.mapnr) return PageStatus::absent;
  long i = find_extent(m.ext, pfn);
  if (i < 0) return PageStatus::absent;
  if (!m.ext[i].present()) return PageStatus::excluded;
  if (m.spec.incomplete_after_pfn && pfn > *m.spec.incomplete_after_pfn) return PageStatus::lost;
  if (!m.spec.truncate_bytes) return PageStatus::present;
  if (m.spec.format == Format::elf) {
    for (const ElfSegment& s : m.elf_segs) {
      if (pfn >= s.first_pfn && pfn < s.first_pfn + s.file_pages) {
        uint64_t end = s.offset + (pfn - s.first_pfn + 1) * m.spec.page_size;
        return end <= *m.spec.truncate_bytes ? PageStatus::present : PageStatus::lost;
      }
    }
    return PageStatus::absent;
  }
  auto it = m.kdump.find(pfn);
  return it == m.kdump.end() ? PageStatus::absent : it->second;
}

std::vector<uint8_t> Oracle::content(uint64_t pfn) const {
  long i = find_extent(impl_->ext, pfn);
  if (i < 0) return std::vector<uint8_t>(impl_->spec.page_size, 0);
  return extent_page(impl_->spec, impl_->ext[i], pfn);
}

std::optional<std::vector<uint8_t>> Oracle::expected(uint64_t pfn) const {
  if (status(pfn) != PageStatus::present) return std::nullopt;
  return content(pfn);
}

std::vector<uint8_t> page_content(const DumpSpec& spec, uint64_t pfn) {
  return Oracle(spec).content(pfn);
}

std::vector<PageInfo> page_map(const DumpSpec& spec, int parts) {
  std::vector<PageInfo> map;
  build(spec, parts, &map);
  return map;
}

PageStatus page_status(const DumpSpec& spec, uint64_t pfn, int parts) {
  return Oracle(spec, parts).status(pfn);
}

std::optional<std::vector<uint8_t>> expected_page(const DumpSpec& spec, uint64_t pfn, int parts) {
  return Oracle(spec, parts).expected(pfn);
}

uint32_t codec_flag(Codec c) {
  switch (c) {
    case Codec::none:
      return 0;
    case Codec::zlib:
      return 0x01;
    case Codec::lzo:
      return 0x02;
    case Codec::snappy:
      return 0x04;
    case Codec::zstd:
      return 0x20;
  }
  return 0;
}

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::none:
      return "none";
    case Codec::zlib:
      return "zlib";
    case Codec::lzo:
      return "lzo";
    case Codec::snappy:
      return "snappy";
    case Codec::zstd:
      return "zstd";
  }
  return "?";
}

std::optional<Codec> codec_from_name(const std::string& name) {
  for (Codec c : {Codec::none, Codec::zlib, Codec::lzo, Codec::snappy, Codec::zstd})
    if (name == codec_name(c)) return c;
  if (name == "raw") return Codec::none;
  return std::nullopt;
}

}  // namespace dumpgen
