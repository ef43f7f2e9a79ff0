// dumpgen: kdump-compressed files (docs/formats.md §3) and --split sets (§5): disk_dump_header,
// kdump_sub_header + notes, two bitmaps, page descriptors, page data, eraseinfo.
#include <algorithm>

#include "dumpgen.h"
#include "dumpgen_internal.h"

namespace dumpgen {
namespace detail {
namespace {

// Field offsets of kdump_sub_header in its three layouts (§3.4).
struct SubLayout {
  uint64_t size;
  int ulong;  // bytes of an `unsigned long`
  uint64_t phys_base, dump_level, split, start_pfn, end_pfn, offset_vmcoreinfo, size_vmcoreinfo,
      offset_note, size_note, offset_eraseinfo, size_eraseinfo, start_pfn_64, end_pfn_64,
      max_mapnr_64;
};
constexpr SubLayout kSub64 = {104, 8, 0, 8, 12, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96};
constexpr SubLayout kSubPacked32 = {80, 4, 0, 4, 8, 12, 16, 20, 28, 32, 40, 44, 52, 56, 64, 72};
constexpr SubLayout kSubPadded32 = {96, 4, 0, 4, 8, 12, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88};

const SubLayout& sub_layout(const DumpSpec& spec) {
  const int bits = spec.bits();
  switch (spec.kdump.sub_header) {
    case SubHeaderLayout::automatic:
      if (bits == 64) return kSub64;
      if (spec.arch == "arm" || spec.arch.rfind("mips", 0) == 0) return kSubPadded32;
      return kSubPacked32;
    case SubHeaderLayout::packed32:
      if (bits != 32) fail("32-bit sub header layout in a 64-bit dump");
      return kSubPacked32;
    case SubHeaderLayout::padded32:
      if (bits != 32) fail("32-bit sub header layout in a 64-bit dump");
      return kSubPadded32;
  }
  return kSub64;
}

uint64_t clamp_u32(uint64_t v) { return std::min<uint64_t>(v, 0xffffffffull); }

// Everything that is the same in every part of a set.
struct Common {
  const DumpSpec* spec;
  std::vector<Extent> ext;
  Endian en;
  int bits;
  uint64_t ps;
  int version;
  uint64_t mapnr;
  const SubLayout* sub;
  std::vector<uint8_t> payload;  // after the sub header: notes (v4+) or VMCOREINFO text (v3)
  NoteArea notes;
  uint64_t sub_hdr_blocks;
  uint64_t bitmap_len;  // bytes of one bitmap, block aligned
  std::vector<uint8_t> bitmap1, bitmap2;
  uint64_t num_dumpable;
  uint64_t desc_table;  // D
  int dump_level;
};

std::vector<uint8_t> main_header(const Common& c, uint32_t status) {
  const DumpSpec& spec = *c.spec;
  std::vector<uint8_t> h(c.ps, 0);
  if (spec.kdump.signature.size() != 8) fail("kdump signature must be 8 bytes");
  put_bytes(h, 0, spec.kdump.signature.data(), 8);
  put_int(h, 8, static_cast<uint32_t>(c.version), 4, c.en);
  const std::string machine = spec.uts.machine.empty() ? spec.arch : spec.uts.machine;
  const std::string* uts[] = {&spec.uts.sysname, &spec.uts.nodename, &spec.uts.release,
                              &spec.uts.version, &machine,           &spec.uts.domainname};
  for (int i = 0; i < 6; ++i)
    put_bytes(h, 12 + 65 * i, uts[i]->data(), std::min<size_t>(uts[i]->size(), 64));
  const int word = c.bits / 8;
  const uint64_t ts = c.bits == 64 ? 408 : 404;  // struct timeval, aligned as the arch does
  put_int(h, ts, static_cast<uint64_t>(spec.crash_time), word, c.en);
  put_int(h, ts + word, 0, word, c.en);
  const uint64_t f = ts + 2 * word;  // status, then 4-byte counters
  put_int(h, f + 0, status, 4, c.en);
  put_int(h, f + 4, c.ps, 4, c.en);
  put_int(h, f + 8, c.sub_hdr_blocks, 4, c.en);
  put_int(h, f + 12, 2 * c.bitmap_len / c.ps, 4, c.en);
  put_int(h, f + 16, clamp_u32(c.mapnr), 4, c.en);
  // total_ram_blocks, device_blocks, written_blocks, current_cpu stay 0.
  put_int(h, f + 36, static_cast<uint32_t>(spec.nr_cpus), 4, c.en);
  return h;
}

std::vector<uint8_t> sub_header(const Common& c, bool split, uint64_t start, uint64_t end,
                                uint64_t erase_off, uint64_t erase_size) {
  const SubLayout& s = *c.sub;
  const Endian en = c.en;
  const uint64_t ulong_max = s.ulong == 8 ? ~0ull : 0xffffffffull;
  std::vector<uint8_t> b(s.size, 0);
  put_int(b, s.phys_base, c.spec->kdump.phys_base, s.ulong, en);
  if (c.version >= 1) put_int(b, s.dump_level, static_cast<uint32_t>(c.dump_level), 4, en);
  if (c.version >= 2 && split) {
    put_int(b, s.split, 1, 4, en);
    put_int(b, s.start_pfn, std::min(start, ulong_max), s.ulong, en);
    put_int(b, s.end_pfn, std::min(end, ulong_max), s.ulong, en);
  }
  const uint64_t payload_off = c.ps + s.size;
  if (c.version == 3) {
    put_int(b, s.offset_vmcoreinfo, c.payload.empty() ? 0 : payload_off, 8, en);
    put_int(b, s.size_vmcoreinfo, c.payload.size(), s.ulong, en);
  }
  if (c.version >= 4) {
    if (c.notes.vmcoreinfo_size) {
      put_int(b, s.offset_vmcoreinfo, payload_off + c.notes.vmcoreinfo_desc_off, 8, en);
      put_int(b, s.size_vmcoreinfo, c.notes.vmcoreinfo_size, s.ulong, en);
    }
    if (!c.notes.bytes.empty()) {
      put_int(b, s.offset_note, payload_off, 8, en);
      put_int(b, s.size_note, c.notes.bytes.size(), s.ulong, en);
    }
  }
  if (c.version >= 5) {
    put_int(b, s.offset_eraseinfo, erase_off, 8, en);
    put_int(b, s.size_eraseinfo, erase_size, s.ulong, en);
  }
  if (c.version >= 6) {
    if (split) {
      put_int(b, s.start_pfn_64, start, 8, en);
      put_int(b, s.end_pfn_64, end, 8, en);
    }
    put_int(b, s.max_mapnr_64, c.mapnr, 8, en);
  }
  return b;
}

void set_bit(std::vector<uint8_t>& bm, uint64_t pfn) { bm[pfn >> 3] |= uint8_t(1u << (pfn & 7)); }

Common prepare(const DumpSpec& spec) {
  Common c;
  c.spec = &spec;
  c.ext = extents_of(spec);
  c.en = spec.byte_order();
  c.bits = spec.bits();
  c.ps = spec.page_size;
  c.version = spec.kdump.header_version;
  if (c.version < 0 || c.version > 6) fail("kdump header_version must be 0..6");
  c.mapnr = max_mapnr_of(spec, c.ext);
  c.sub = &sub_layout(spec);
  c.dump_level = spec.kdump.dump_level.value_or(spec.kdump.shared_zero_page ? 1 : 0);
  if (c.version >= 4) {
    c.notes = build_notes(spec, false);
    c.payload = c.notes.bytes;
  } else if (c.version == 3 && spec.with_vmcoreinfo) {
    std::string text = vmcoreinfo_text(spec);
    c.payload.assign(text.begin(), text.end());
  }
  c.sub_hdr_blocks = std::max<uint64_t>(1, (c.sub->size + c.payload.size() + c.ps - 1) / c.ps);
  c.bitmap_len = round_up((c.mapnr + 7) / 8, c.ps);
  c.bitmap1.assign(c.bitmap_len, 0);
  c.bitmap2.assign(c.bitmap_len, 0);
  c.num_dumpable = 0;
  for (const Extent& e : c.ext) {
    for (uint64_t p = e.first_pfn; p < e.end(); ++p) {
      set_bit(c.bitmap1, p);
      if (e.present()) set_bit(c.bitmap2, p);
    }
    if (e.present()) c.num_dumpable += e.count;
  }
  c.desc_table = (1 + c.sub_hdr_blocks) * c.ps + 2 * c.bitmap_len;
  return c;
}

// Half-open PFN ranges of the parts (§5): by default each holds about num_dumpable / K pages.
std::vector<std::pair<uint64_t, uint64_t>> split_ranges(const Common& c, int parts) {
  if (parts < 1) fail("parts must be >= 1");
  std::vector<uint64_t> bounds = c.spec->kdump.split_at;
  if (parts == 1) {
    bounds.clear();
  } else if (bounds.empty()) {
    // The boundary of part i is the PFN of dumpable page number i * N / K.
    std::vector<uint64_t> targets;
    for (int i = 1; i < parts; ++i) targets.push_back(c.num_dumpable * i / parts);
    uint64_t seen = 0;
    size_t t = 0;
    for (const Extent& e : c.ext) {
      if (!e.present()) continue;
      while (t < targets.size() && targets[t] < seen + e.count) {
        bounds.push_back(e.first_pfn + (targets[t] - seen));
        ++t;
      }
      seen += e.count;
    }
    while (bounds.size() < targets.size()) bounds.push_back(c.mapnr);
  } else if (bounds.size() != static_cast<size_t>(parts - 1) ||
             !std::is_sorted(bounds.begin(), bounds.end()) || bounds.back() > c.mapnr) {
    fail("split_at needs parts-1 sorted boundaries <= max_mapnr");
  }
  std::vector<std::pair<uint64_t, uint64_t>> r;
  uint64_t start = 0;
  for (uint64_t b : bounds) {
    r.emplace_back(start, b);
    start = b;
  }
  r.emplace_back(start, c.mapnr);
  return r;
}

struct Desc {
  uint64_t offset = 0;
  uint32_t size = 0;
  uint32_t flags = 0;
};

std::vector<uint8_t> desc_bytes(const Common& c, const Desc& d) {
  std::vector<uint8_t> b(kPageDescSize, 0);
  put_int(b, 0, d.offset, 8, c.en);
  put_int(b, 8, d.size, 4, c.en);
  put_int(b, 12, d.flags, 4, c.en);
  // page_flags (16, 8) stays 0.
  return b;
}

Image build_part(const Common& c, bool split, uint64_t start, uint64_t end,
                 std::vector<PageInfo>* map, int part) {
  const DumpSpec& spec = *c.spec;
  Image img(spec.flat.enabled, spec.flat.record_size);
  const uint32_t status_base = codec_flag(spec.kdump.codec) | spec.kdump.extra_status;
  const bool incomplete = spec.incomplete_after_pfn.has_value();

  // Written in makedumpfile's order; the sub header and main header are rewritten at the end
  // when eraseinfo / the incomplete flag become known (overlapping flattened records).
  img.write(0, main_header(c, status_base));
  img.write(c.ps, sub_header(c, split, start, end, 0, 0));
  img.write(c.ps + c.sub->size, c.payload);
  img.resize((1 + c.sub_hdr_blocks) * c.ps);
  const uint64_t bm1 = (1 + c.sub_hdr_blocks) * c.ps;
  img.write(bm1, c.bitmap1);
  img.write(bm1 + c.bitmap_len, c.bitmap2);

  uint64_t data = c.desc_table + kPageDescSize * c.num_dumpable;
  Desc zero_desc;
  if (spec.kdump.shared_zero_page) {
    zero_desc = Desc{data, static_cast<uint32_t>(c.ps), 0};
    img.write(data, std::vector<uint8_t>(c.ps, 0));
    data += c.ps;
  }

  uint64_t index = 0;  // of the descriptor within this part
  bool stopped = false;
  for (const Extent& e : c.ext) {
    if (e.end() <= start || e.first_pfn >= end) continue;
    for (uint64_t pfn = std::max(start, e.first_pfn); pfn < std::min(end, e.end()); ++pfn) {
      PageInfo pi;
      pi.pfn = pfn;
      pi.part = part;
      if (!e.present()) {
        pi.status = PageStatus::excluded;
        if (map) map->push_back(pi);
        continue;
      }
      const uint64_t desc_off = c.desc_table + kPageDescSize * index++;
      pi.desc_offset = desc_off;
      if (incomplete && pfn > *spec.incomplete_after_pfn) stopped = true;
      if (stopped) {  // descriptor stays zero: "page lost"
        pi.status = PageStatus::lost;
        if (map) map->push_back(pi);
        continue;
      }
      Desc d;
      if (spec.kdump.shared_zero_page && is_zero_page(e, pfn)) {
        d = zero_desc;
      } else {
        std::vector<uint8_t> page = extent_page(spec, e, pfn);
        const Codec codec = e.page && e.page->codec ? *e.page->codec : spec.kdump.codec;
        std::vector<uint8_t> packed = compress_page(codec, page);
        if (packed.empty()) {
          d = Desc{data, static_cast<uint32_t>(c.ps), 0};
          img.write(data, page);
        } else {
          d = Desc{data, static_cast<uint32_t>(packed.size()), codec_flag(codec)};
          img.write(data, packed);
        }
        data += d.size;
      }
      img.write(desc_off, desc_bytes(c, d));
      pi.offset = d.offset;
      pi.size = d.size;
      pi.flags = d.flags;
      const bool cut = spec.truncate_bytes && (desc_off + kPageDescSize > *spec.truncate_bytes ||
                                               d.offset + d.size > *spec.truncate_bytes);
      pi.status = cut ? PageStatus::lost : PageStatus::present;
      if (map) map->push_back(pi);
    }
  }

  if (!incomplete && c.version >= 5 && !spec.eraseinfo.empty()) {
    img.write(data, reinterpret_cast<const uint8_t*>(spec.eraseinfo.data()), spec.eraseinfo.size());
    img.write(c.ps, sub_header(c, split, start, end, data, spec.eraseinfo.size()));
  }
  if (incomplete) img.write(0, main_header(c, status_base | 0x8));
  return img;
}

}  // namespace

std::vector<Image> build_kdump(const DumpSpec& spec, int parts, std::vector<PageInfo>* map) {
  Common c = prepare(spec);
  std::vector<Image> out;
  auto ranges = split_ranges(c, parts);
  for (size_t i = 0; i < ranges.size(); ++i)
    out.push_back(
        build_part(c, parts > 1, ranges[i].first, ranges[i].second, map, static_cast<int>(i)));
  return out;
}

}  // namespace detail
}  // namespace dumpgen
