// s390 dump header, end marker and segment header encoding, TOD clock
// conversion, and the lowcore save area <-> ELF note mapping (docs/formats.md §6).
#include "formats/s390/s390_layout.h"

#include <cstring>
#include <utility>

namespace dumpfmt::detail::s390 {

namespace {

constexpr Endian kBe = Endian::big;
// TOD value of the Unix epoch: zgetdump's 0x8126d60e46000000 is 1972-01-01,
// and 0x3c26700 seconds (two years) earlier is 1970-01-01.
constexpr uint64_t kTodUnixEpoch = 0x8126d60e46000000ULL - (0x3c26700ULL * 1000000 * 4096);

Note make_note(const char* name, uint32_t type, size_t size) {
  Note n;
  n.name = name;
  n.type = type;
  n.desc.assign(size, std::byte{0});
  return n;
}

// The LINUX notes that each hold one lowcore field whole, in the order
// lowcore_to_notes emits them; the way back and group_cpu_notes use the same list.
struct LowcoreNote {
  uint32_t type;
  uint64_t lc_off;
  size_t len;
  const Note* CpuNotes::*note;
};
constexpr LowcoreNote kLowcoreNotes[] = {
    {kNtS390Timer, kLcTimer, 8, &CpuNotes::timer},
    {kNtS390Todcmp, kLcClockCmp, 8, &CpuNotes::todcmp},
    {kNtS390Todpreg, kLcTodPreg, 4, &CpuNotes::todpreg},
    {kNtS390Ctrs, kLcCrs, 128, &CpuNotes::ctrs},
};

}  // namespace

Result<Header> decode_header(std::span<const std::byte> raw) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(raw, kBe);
  Header h;
  h.magic = r.field<uint64_t>(0x000);
  h.version = r.field<uint32_t>(0x008);
  h.hdr_size = r.field<uint32_t>(0x00c);
  h.dump_level = r.field<uint32_t>(0x010);
  h.page_size = r.field<uint32_t>(0x014);
  h.mem_size = r.field<uint64_t>(0x018);
  h.mem_start = r.field<uint64_t>(0x020);
  h.mem_end = r.field<uint64_t>(0x028);
  h.num_pages = r.field<uint32_t>(0x030);
  h.tod = r.field<uint64_t>(0x038);
  h.cpu_id = r.field<uint64_t>(0x040);
  h.arch = r.field<uint32_t>(0x048);
  h.volnr = r.field<uint32_t>(0x04c);
  h.build_arch = r.field<uint32_t>(0x050);
  h.mem_size_real = r.field<uint64_t>(0x054);
  h.mvdump = r.field<uint8_t>(0x05c);
  h.cpu_cnt = r.field<uint16_t>(0x05d);
  h.real_cpu_cnt = r.field<uint16_t>(0x05f);
  h.zlib_version_s390 = r.field<uint8_t>(0x061);
  h.zlib_entry_size = r.field<uint32_t>(0x062);
  h.mvdump_sign = r.field<uint64_t>(0x200);
  h.mvdump_zipl_time = r.field<uint64_t>(0x208);
  const uint32_t n = std::min<uint32_t>(h.cpu_cnt, kCpuMax);
  h.lc_vec.resize(n);
  for (uint32_t i = 0; i < n; ++i) h.lc_vec[i] = r.field<uint32_t>(0x800 + 4 * i);
  return r.finish(std::move(h));
}

std::vector<std::byte> encode_header(const Header& h) {
  std::vector<std::byte> out(kHeaderSize);
  ByteWriter w(out, kBe);
  w.put<uint64_t>(0x000, h.magic);
  w.put<uint32_t>(0x008, h.version);
  w.put<uint32_t>(0x00c, h.hdr_size);
  w.put<uint32_t>(0x010, h.dump_level);
  w.put<uint32_t>(0x014, h.page_size);
  w.put<uint64_t>(0x018, h.mem_size);
  w.put<uint64_t>(0x020, h.mem_start);
  w.put<uint64_t>(0x028, h.mem_end);
  w.put<uint32_t>(0x030, h.num_pages);
  w.put<uint64_t>(0x038, h.tod);
  w.put<uint64_t>(0x040, h.cpu_id);
  w.put<uint32_t>(0x048, h.arch);
  w.put<uint32_t>(0x04c, h.volnr);
  w.put<uint32_t>(0x050, h.build_arch);
  w.put<uint64_t>(0x054, h.mem_size_real);
  w.put<uint8_t>(0x05c, h.mvdump);
  w.put<uint16_t>(0x05d, h.cpu_cnt);
  w.put<uint16_t>(0x05f, h.real_cpu_cnt);
  w.put<uint8_t>(0x061, h.zlib_version_s390);
  w.put<uint32_t>(0x062, h.zlib_entry_size);
  w.put<uint64_t>(0x200, h.mvdump_sign);
  w.put<uint64_t>(0x208, h.mvdump_zipl_time);
  for (size_t i = 0; i < h.lc_vec.size() && i < kCpuMax; ++i) {
    w.put<uint32_t>(0x800 + 4 * i, h.lc_vec[i]);
  }
  return out;
}

std::vector<std::byte> encode_end_marker(uint64_t tod) {
  std::vector<std::byte> out(kEndMarkerSize);
  ByteWriter w(out, kBe);
  w.put<uint64_t>(0, kEndMarkerMagic);
  w.put<uint64_t>(8, tod);
  return out;
}

Result<SegmentHeader> decode_segment_header(std::span<const std::byte> raw) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(raw, kBe);
  SegmentHeader s;
  s.start = r.field<uint64_t>(0x00);
  s.len = r.field<uint64_t>(0x08);
  s.stop_marker = r.field<uint64_t>(0x10);
  s.size_on_disk = r.field<uint32_t>(0x18);
  s.entry_count = r.field<uint32_t>(0x30);
  const uint32_t n = std::min(s.entry_count, kSegmentMaxEntries);
  s.entry_offset.resize(n);
  for (uint32_t i = 0; i < n; ++i) s.entry_offset[i] = r.field<uint32_t>(0x34 + 4 * i);
  return r.finish(std::move(s));
}

int64_t tod_to_unix_seconds(uint64_t tod) {
  if (tod < kTodUnixEpoch) return -static_cast<int64_t>(((kTodUnixEpoch - tod) >> 12) / 1000000);
  return static_cast<int64_t>(((tod - kTodUnixEpoch) >> 12) / 1000000);
}

uint64_t unix_seconds_to_tod(int64_t seconds) {
  const uint64_t us = static_cast<uint64_t>(seconds) * 1000000u;
  return (us << 12) + kTodUnixEpoch;
}

Result<std::vector<Note>> lowcore_to_notes(std::span<const std::byte> save_area, uint32_t prefix) {
  ByteReader sa(save_area, kBe);
  // Copies `len` bytes of the lowcore at `lc_off` into a note's descriptor.
  auto copy = [&](Note& n, size_t desc_off, uint64_t lc_off, size_t len) {
    ByteWriter(n.desc, kBe).put_bytes(desc_off, sa.field_bytes(lc_off - kLcSaveStart, len));
  };
  std::vector<Note> notes;

  Note pr = make_note("CORE", kNtPrstatus, kPrstatusSize);
  copy(pr, kPrPswMask, kLcPsw, 16);
  copy(pr, kPrGprs, kLcGprs, 128);
  copy(pr, kPrAcrs, kLcAcrs, 64);
  copy(pr, kPrOrigGpr2, kLcGprs + 16, 8);
  ByteWriter(pr.desc, kBe).put<uint32_t>(kPrFpvalid, 1);
  notes.push_back(std::move(pr));

  Note fp = make_note("CORE", kNtFpregset, kFpregsetSize);
  copy(fp, 0, kLcFpc, 4);
  copy(fp, 8, kLcFprs, 128);
  notes.push_back(std::move(fp));

  for (const LowcoreNote& l : kLowcoreNotes) {
    Note n = make_note("LINUX", l.type, l.len);
    copy(n, 0, l.lc_off, l.len);
    notes.push_back(std::move(n));
  }
  Note pfx = make_note("LINUX", kNtS390Prefix, 4);
  ByteWriter(pfx.desc, kBe).put<uint32_t>(0, prefix);
  notes.push_back(std::move(pfx));
  return sa.finish(std::move(notes));
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
      for (const LowcoreNote& l : kLowcoreNotes) {
        if (n.type == l.type) c.*l.note = &n;
      }
      if (n.type == kNtS390Prefix) {
        if (auto v = ByteReader(n.desc, kBe).peek<uint32_t>(0)) c.prefix = *v;
      }
    }
  }
  return cpus;
}

void notes_to_save_area(const CpuNotes& cpu, std::span<std::byte> save_area) {
  ByteWriter sa(save_area, kBe);
  // Copies `len` bytes of a note's descriptor, when it has them, to the lowcore at `lc_off`.
  auto copy = [&](uint64_t lc_off, const Note* n, size_t off, size_t len) {
    if (n && n->desc.size() >= off + len) {
      sa.put_bytes(lc_off - kLcSaveStart, std::span(n->desc).subspan(off, len));
    }
  };
  copy(kLcPsw, cpu.prstatus, kPrPswMask, 16);
  copy(kLcGprs, cpu.prstatus, kPrGprs, 128);
  copy(kLcAcrs, cpu.prstatus, kPrAcrs, 64);
  copy(kLcFpc, cpu.fpregset, 0, 4);
  copy(kLcFprs, cpu.fpregset, 8, 128);
  for (const LowcoreNote& l : kLowcoreNotes) copy(l.lc_off, cpu.*l.note, 0, l.len);
  if (cpu.prefix) sa.put<uint32_t>(kLcPrefix - kLcSaveStart, *cpu.prefix);
}

}  // namespace dumpfmt::detail::s390
