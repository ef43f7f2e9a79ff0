// s390 dump header, end marker and segment header encoding, TOD clock
// conversion, and the lowcore save area <-> ELF note mapping (formats.md §6).
#include "formats/s390/s390_layout.h"

#include <cstring>

namespace dumpfmt::detail::s390 {

namespace {

constexpr Endian kBe = Endian::big;
// TOD value of the Unix epoch: zgetdump's 0x8126d60e46000000 is 1972-01-01,
// and 0x3c26700 seconds (two years) earlier is 1970-01-01.
constexpr uint64_t kTodUnixEpoch = 0x8126d60e46000000ULL - (0x3c26700ULL * 1000000 * 4096);

template <class T>
T get(std::span<const std::byte> b, size_t off) {
  return load<T>(b.data() + off, kBe);
}

template <class T>
void put(std::span<std::byte> b, size_t off, T v) {
  store<T>(b.data() + off, v, kBe);
}

Note make_note(const char* name, uint32_t type, size_t size) {
  Note n;
  n.name = name;
  n.type = type;
  n.desc.assign(size, std::byte{0});
  return n;
}

}  // namespace

Header decode_header(std::span<const std::byte> raw) {
  Header h;
  h.magic = get<uint64_t>(raw, 0x000);
  h.version = get<uint32_t>(raw, 0x008);
  h.hdr_size = get<uint32_t>(raw, 0x00c);
  h.dump_level = get<uint32_t>(raw, 0x010);
  h.page_size = get<uint32_t>(raw, 0x014);
  h.mem_size = get<uint64_t>(raw, 0x018);
  h.mem_start = get<uint64_t>(raw, 0x020);
  h.mem_end = get<uint64_t>(raw, 0x028);
  h.num_pages = get<uint32_t>(raw, 0x030);
  h.tod = get<uint64_t>(raw, 0x038);
  h.cpu_id = get<uint64_t>(raw, 0x040);
  h.arch = get<uint32_t>(raw, 0x048);
  h.volnr = get<uint32_t>(raw, 0x04c);
  h.build_arch = get<uint32_t>(raw, 0x050);
  h.mem_size_real = get<uint64_t>(raw, 0x054);
  h.mvdump = get<uint8_t>(raw, 0x05c);
  h.cpu_cnt = get<uint16_t>(raw, 0x05d);
  h.real_cpu_cnt = get<uint16_t>(raw, 0x05f);
  h.zlib_version_s390 = get<uint8_t>(raw, 0x061);
  h.zlib_entry_size = get<uint32_t>(raw, 0x062);
  h.mvdump_sign = get<uint64_t>(raw, 0x200);
  h.mvdump_zipl_time = get<uint64_t>(raw, 0x208);
  const uint32_t n = std::min<uint32_t>(h.cpu_cnt, kCpuMax);
  h.lc_vec.resize(n);
  for (uint32_t i = 0; i < n; ++i) h.lc_vec[i] = get<uint32_t>(raw, 0x800 + 4 * i);
  return h;
}

std::vector<std::byte> encode_header(const Header& h) {
  std::vector<std::byte> out(kHeaderSize);
  std::span<std::byte> b(out);
  put<uint64_t>(b, 0x000, h.magic);
  put<uint32_t>(b, 0x008, h.version);
  put<uint32_t>(b, 0x00c, h.hdr_size);
  put<uint32_t>(b, 0x010, h.dump_level);
  put<uint32_t>(b, 0x014, h.page_size);
  put<uint64_t>(b, 0x018, h.mem_size);
  put<uint64_t>(b, 0x020, h.mem_start);
  put<uint64_t>(b, 0x028, h.mem_end);
  put<uint32_t>(b, 0x030, h.num_pages);
  put<uint64_t>(b, 0x038, h.tod);
  put<uint64_t>(b, 0x040, h.cpu_id);
  put<uint32_t>(b, 0x048, h.arch);
  put<uint32_t>(b, 0x04c, h.volnr);
  put<uint32_t>(b, 0x050, h.build_arch);
  put<uint64_t>(b, 0x054, h.mem_size_real);
  put<uint8_t>(b, 0x05c, h.mvdump);
  put<uint16_t>(b, 0x05d, h.cpu_cnt);
  put<uint16_t>(b, 0x05f, h.real_cpu_cnt);
  put<uint8_t>(b, 0x061, h.zlib_version_s390);
  put<uint32_t>(b, 0x062, h.zlib_entry_size);
  put<uint64_t>(b, 0x200, h.mvdump_sign);
  put<uint64_t>(b, 0x208, h.mvdump_zipl_time);
  for (size_t i = 0; i < h.lc_vec.size() && i < kCpuMax; ++i) {
    put<uint32_t>(b, 0x800 + 4 * i, h.lc_vec[i]);
  }
  return out;
}

std::vector<std::byte> encode_end_marker(uint64_t tod) {
  std::vector<std::byte> out(kEndMarkerSize);
  put<uint64_t>(out, 0, kEndMarkerMagic);
  put<uint64_t>(out, 8, tod);
  return out;
}

SegmentHeader decode_segment_header(std::span<const std::byte> raw) {
  SegmentHeader s;
  s.start = get<uint64_t>(raw, 0x00);
  s.len = get<uint64_t>(raw, 0x08);
  s.stop_marker = get<uint64_t>(raw, 0x10);
  s.size_on_disk = get<uint32_t>(raw, 0x18);
  s.entry_count = get<uint32_t>(raw, 0x30);
  const uint32_t n = std::min(s.entry_count, kSegmentMaxEntries);
  s.entry_offset.resize(n);
  for (uint32_t i = 0; i < n; ++i) s.entry_offset[i] = get<uint32_t>(raw, 0x34 + 4 * i);
  return s;
}

int64_t tod_to_unix_seconds(uint64_t tod) {
  if (tod < kTodUnixEpoch) return -static_cast<int64_t>(((kTodUnixEpoch - tod) >> 12) / 1000000);
  return static_cast<int64_t>(((tod - kTodUnixEpoch) >> 12) / 1000000);
}

uint64_t unix_seconds_to_tod(int64_t seconds) {
  const uint64_t us = static_cast<uint64_t>(seconds) * 1000000u;
  return (us << 12) + kTodUnixEpoch;
}

std::vector<Note> lowcore_to_notes(std::span<const std::byte> sa, uint32_t prefix) {
  auto at = [&](uint64_t lc_off) { return lc_off - kLcSaveStart; };
  std::vector<Note> notes;

  Note pr = make_note("CORE", kNtPrstatus, kPrstatusSize);
  std::memcpy(pr.desc.data() + kPrPswMask, sa.data() + at(kLcPsw), 16);
  std::memcpy(pr.desc.data() + kPrGprs, sa.data() + at(kLcGprs), 128);
  std::memcpy(pr.desc.data() + kPrAcrs, sa.data() + at(kLcAcrs), 64);
  std::memcpy(pr.desc.data() + kPrOrigGpr2, sa.data() + at(kLcGprs) + 16, 8);
  put<uint32_t>(pr.desc, kPrFpvalid, 1);
  notes.push_back(std::move(pr));

  Note fp = make_note("CORE", kNtFpregset, kFpregsetSize);
  std::memcpy(fp.desc.data(), sa.data() + at(kLcFpc), 4);
  std::memcpy(fp.desc.data() + 8, sa.data() + at(kLcFprs), 128);
  notes.push_back(std::move(fp));

  Note timer = make_note("LINUX", kNtS390Timer, 8);
  std::memcpy(timer.desc.data(), sa.data() + at(kLcTimer), 8);
  notes.push_back(std::move(timer));
  Note todcmp = make_note("LINUX", kNtS390Todcmp, 8);
  std::memcpy(todcmp.desc.data(), sa.data() + at(kLcClockCmp), 8);
  notes.push_back(std::move(todcmp));
  Note todpreg = make_note("LINUX", kNtS390Todpreg, 4);
  std::memcpy(todpreg.desc.data(), sa.data() + at(kLcTodPreg), 4);
  notes.push_back(std::move(todpreg));
  Note ctrs = make_note("LINUX", kNtS390Ctrs, 128);
  std::memcpy(ctrs.desc.data(), sa.data() + at(kLcCrs), 128);
  notes.push_back(std::move(ctrs));
  Note pfx = make_note("LINUX", kNtS390Prefix, 4);
  put<uint32_t>(pfx.desc, 0, prefix);
  notes.push_back(std::move(pfx));
  return notes;
}

std::vector<CpuNotes> group_cpu_notes(const std::vector<Note>& notes) {
  std::vector<CpuNotes> cpus;
  for (const Note& n : notes) {
    if (n.name == "CORE" && n.type == kNtPrstatus) {
      cpus.emplace_back();
      cpus.back().prstatus = &n;
      continue;
    }
    if (cpus.empty()) continue;
    CpuNotes& c = cpus.back();
    if (n.name == "CORE" && n.type == kNtFpregset) {
      c.fpregset = &n;
    } else if (n.name == "LINUX") {
      switch (n.type) {
        case kNtS390Timer:
          c.timer = &n;
          break;
        case kNtS390Todcmp:
          c.todcmp = &n;
          break;
        case kNtS390Todpreg:
          c.todpreg = &n;
          break;
        case kNtS390Ctrs:
          c.ctrs = &n;
          break;
        case kNtS390Prefix:
          if (n.desc.size() >= 4) c.prefix = load<uint32_t>(n.desc.data(), kBe);
          break;
        default:
          break;
      }
    }
  }
  return cpus;
}

void notes_to_save_area(const CpuNotes& cpu, std::span<std::byte> sa) {
  auto at = [&](uint64_t lc_off) { return sa.data() + (lc_off - kLcSaveStart); };
  auto copy = [](std::byte* dst, const Note* n, size_t off, size_t len) {
    if (n && n->desc.size() >= off + len) std::memcpy(dst, n->desc.data() + off, len);
  };
  copy(at(kLcPsw), cpu.prstatus, kPrPswMask, 16);
  copy(at(kLcGprs), cpu.prstatus, kPrGprs, 128);
  copy(at(kLcAcrs), cpu.prstatus, kPrAcrs, 64);
  copy(at(kLcFpc), cpu.fpregset, 0, 4);
  copy(at(kLcFprs), cpu.fpregset, 8, 128);
  copy(at(kLcTimer), cpu.timer, 0, 8);
  copy(at(kLcClockCmp), cpu.todcmp, 0, 8);
  copy(at(kLcTodPreg), cpu.todpreg, 0, 4);
  copy(at(kLcCrs), cpu.ctrs, 0, 128);
  if (cpu.prefix) store<uint32_t>(at(kLcPrefix), *cpu.prefix, kBe);
}

}  // namespace dumpfmt::detail::s390
