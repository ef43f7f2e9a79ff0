// A kdump file's main header and sub-header: the layout choice by trial and
// the checks on the block counts, bitmaps and split range they give.
#include "formats/kdump/kdump_part_header.h"

#include <algorithm>
#include <bit>
#include <optional>

namespace dumpfmt::detail::kdump {

namespace {

constexpr int32_t kNewestKnownVersion = 6;

std::optional<Endian> endian_hint(std::string_view machine) {
  if (machine == "s390" || machine == "s390x" || machine == "ppc64" || machine == "ppc") {
    return Endian::big;
  }
  if (machine == "ppc64le" || machine == "x86_64" || machine == "aarch64" || machine == "riscv64" ||
      arch_from_uts_machine(machine) == Arch::x86) {
    return Endian::little;
  }
  return std::nullopt;
}

struct Candidate {
  Word word;
  Endian endian;
  int score;
};

// docs/formats.md §3.2: the layout and byte order are not recorded, so every
// combination is tried; impossible ones are dropped and the rest scored.
Result<Candidate> pick_layout(const File& f, std::span<const std::byte> head) {
  std::optional<Candidate> best;
  for (Word w : {Word::w64, Word::w32}) {
    if (head.size() < main_header_size(w)) continue;
    for (Endian e : {Endian::little, Endian::big}) {
      DUMPFMT_TRY_ASSIGN(MainHeader h, decode_main_header(head, w, e));
      uint64_t bs = static_cast<uint32_t>(h.block_size);
      if (h.version < 0 || h.version > 0xffff) continue;
      if (!std::has_single_bit(bs) || bs < kMinBlockSize || bs > kMaxBlockSize) continue;
      if (h.bitmap_blocks == 0 || h.sub_hdr_size < 0) continue;
      if (8 * uint64_t{h.bitmap_blocks} * bs < h.max_mapnr) continue;
      int score = 0;
      if (h.version < 1 || h.sub_hdr_size >= 1) score += 2;
      Arch a = arch_from_uts_machine(h.uts.machine);
      if (a != Arch::unknown && arch_is_64bit(a) == (w == Word::w64)) score += 2;
      auto eh = endian_hint(h.uts.machine);
      if (eh && *eh == e) score += 2;
      uint64_t blocks = 1 + uint64_t{static_cast<uint32_t>(h.sub_hdr_size)} + h.bitmap_blocks;
      if (blocks * bs <= f.size()) score += 1;
      if (!best || score > best->score) best = Candidate{w, e, score};
    }
  }
  if (!best) {
    Word w = head.size() >= main_header_size(Word::w64) ? Word::w64 : Word::w32;
    DUMPFMT_TRY_ASSIGN(MainHeader h, decode_main_header(head, w, Endian::little));
    return file_error(
        Errc::corrupt, f, 0,
        strfmt("kdump header has no plausible layout (%s-bit LE reading: "
               "block_size %d, bitmap_blocks %u, max_mapnr %u)",
               w == Word::w64 ? "64" : "32", h.block_size, h.bitmap_blocks, h.max_mapnr));
  }
  return *best;
}

}  // namespace

Result<PartHeader> parse_part(const File& f) {
  PartHeader p;
  uint64_t fsize = f.size();
  if (fsize < main_header_size(Word::w32)) {
    return file_error(Errc::truncated, f, 0,
                      strfmt("file of %llu bytes is shorter than a kdump header",
                             static_cast<unsigned long long>(fsize)));
  }
  DUMPFMT_TRY_ASSIGN(auto head,
                     read_vector(f, 0, std::min<uint64_t>(fsize, main_header_size(Word::w64))));
  p.signature.assign(reinterpret_cast<const char*>(head.data()), 8);
  if (p.signature != kKdumpSignature && p.signature != kDiskdumpSignature) {
    return file_error(Errc::unknown_format, f, 0, "not a kdump-compressed file");
  }
  DUMPFMT_TRY_ASSIGN(Candidate c, pick_layout(f, head));
  p.word = c.word;
  p.endian = c.endian;
  DUMPFMT_TRY_ASSIGN(p.hdr, decode_main_header(head, c.word, c.endian));
  p.raw_main.assign(head.begin(), head.begin() + static_cast<ptrdiff_t>(main_header_size(c.word)));
  p.block_size = static_cast<uint32_t>(p.hdr.block_size);
  p.version = p.hdr.version;
  if (p.version > kNewestKnownVersion) {
    p.warnings.push_back(strfmt("%s: kdump header version %d is newer than %d; read as version %d",
                                f.name().c_str(), p.version, kNewestKnownVersion,
                                kNewestKnownVersion));
    p.version = kNewestKnownVersion;
  }
  const uint64_t bs = p.block_size;
  const uint64_t sub_blocks = static_cast<uint32_t>(p.hdr.sub_hdr_size);

  uint64_t bitmap_bytes = 0;
  if (!checked_mul(1 + sub_blocks, bs, &p.bitmap_off) ||
      !checked_mul(uint64_t{p.hdr.bitmap_blocks}, bs, &bitmap_bytes) ||
      !checked_add(p.bitmap_off, bitmap_bytes, &p.desc_off)) {
    return file_error(Errc::corrupt, f, status_offset(p.word),
                      "kdump header block counts overflow");
  }

  // Sub-header (version 1 and later).
  p.sub_layout = p.word == Word::w64 ? SubLayout::w64 : SubLayout::w32_packed;
  if (p.version >= 1) {
    size_t want = sub_header_bytes_for_version(p.sub_layout, p.version);
    if (p.word == Word::w32) {
      want = std::max(want, sub_header_bytes_for_version(SubLayout::w32_padded, p.version));
    }
    if (bs >= fsize || fsize - bs < sub_header_bytes_for_version(p.sub_layout, p.version)) {
      return file_error(Errc::truncated, f, bs, "file ends inside the kdump sub-header");
    }
    DUMPFMT_TRY_ASSIGN(auto sub, read_vector(f, bs, std::min<uint64_t>(want, fsize - bs)));
    if (p.word == Word::w32 && p.version >= 3) {
      // i386 packs the 8-byte off_t fields at 4-byte alignment, ARM and MIPS
      // pad them to 8. A reading is plausible when its vmcoreinfo and note
      // locations are empty or lie between the sub-header and the bitmaps
      // (libkdumpfile checks vmcoreinfo only; notes catch a padded file
      // without VMCOREINFO). Packed wins ties, as there.
      auto plausible = [&](SubLayout l) {
        if (sub.size() < sub_header_bytes_for_version(l, p.version)) return false;
        auto h = decode_sub_header(sub, l, p.endian, p.version);
        if (!h) return false;
        auto inside = [&](uint64_t o, uint64_t n) {
          return (o == 0 && n == 0) || (o > bs && o <= p.bitmap_off && n <= p.bitmap_off - o);
        };
        return inside(h->offset_vmcoreinfo, h->size_vmcoreinfo) &&
               inside(h->offset_note, h->size_note);
      };
      if (!plausible(SubLayout::w32_packed)) {
        if (plausible(SubLayout::w32_padded)) {
          p.sub_layout = SubLayout::w32_padded;
        } else {
          Arch a = arch_from_uts_machine(p.hdr.uts.machine);
          if (a == Arch::arm || a == Arch::mips) p.sub_layout = SubLayout::w32_padded;
          p.warnings.push_back(strfmt("%s: 32-bit sub-header fits neither layout; read as %s",
                                      f.name().c_str(),
                                      p.sub_layout == SubLayout::w32_padded ? "padded" : "packed"));
        }
      }
    }
    if (sub.size() < sub_header_bytes_for_version(p.sub_layout, p.version)) {
      return file_error(Errc::truncated, f, bs, "file ends inside the kdump sub-header");
    }
    DUMPFMT_TRY_ASSIGN(p.sub, decode_sub_header(sub, p.sub_layout, p.endian, p.version));
  }

  p.max_mapnr = p.hdr.max_mapnr;
  if (p.version >= 6) {
    if (p.sub.max_mapnr_64 != 0) {
      p.max_mapnr = p.sub.max_mapnr_64;
    } else if (p.hdr.max_mapnr != 0) {
      p.warnings.push_back(strfmt("%s: max_mapnr_64 is 0; using the 32-bit max_mapnr %u",
                                  f.name().c_str(), p.hdr.max_mapnr));
    }
  }

  // docs/formats.md §3.5: two bitmaps when each half covers max_mapnr, else the
  // single bitmap of old diskdump files is the dumpable one.
  p.bitmap_half = uint64_t{p.hdr.bitmap_blocks / 2} * bs;
  uint64_t bitmap_pfns = 0;
  // A max_mapnr_64 beyond what two bitmaps hold, while the 32-bit copy fits,
  // is damage to that field (clamped below), not an old single-bitmap file.
  uint64_t fit = p.version >= 6 ? std::min<uint64_t>(p.max_mapnr, p.hdr.max_mapnr) : p.max_mapnr;
  if (p.bitmap_half != 0 && p.bitmap_half * 8 >= fit) {
    p.two_bitmaps = true;
    bitmap_pfns = p.bitmap_half * 8;
  } else {
    p.two_bitmaps = false;
    p.bitmap_half = bitmap_bytes;
    bitmap_pfns = bitmap_bytes > (UINT64_MAX / 8) ? UINT64_MAX : bitmap_bytes * 8;
    p.warnings.push_back(
        strfmt("%s: only one page bitmap (old diskdump layout); RAM and dumpable "
               "pages are the same set",
               f.name().c_str()));
  }
  if (p.max_mapnr > bitmap_pfns) {
    p.warnings.push_back(strfmt("%s: max_mapnr %llu exceeds what the bitmap covers; using %llu",
                                f.name().c_str(), static_cast<unsigned long long>(p.max_mapnr),
                                static_cast<unsigned long long>(bitmap_pfns)));
    p.max_mapnr = bitmap_pfns;
  }
  if (p.desc_off > fsize) {
    return file_error(Errc::truncated, f, p.bitmap_off,
                      strfmt("file ends inside the page bitmaps (they end at %s, file size %s)",
                             hex(p.desc_off).c_str(), hex(fsize).c_str()));
  }

  if (p.version >= 2 && p.sub.split != 0) {
    p.split = true;
    p.start = p.version >= 6 ? p.sub.start_pfn_64 : p.sub.start_pfn;
    p.end = p.version >= 6 ? p.sub.end_pfn_64 : p.sub.end_pfn;
    if (p.start > p.end || p.start > p.max_mapnr) {
      return file_error(Errc::corrupt, f, bs,
                        strfmt("split part range PFNs %s-%s is invalid (max_mapnr %s)",
                               hex(p.start).c_str(), hex(p.end).c_str(), hex(p.max_mapnr).c_str()));
    }
    p.end = std::min(p.end, p.max_mapnr);
  } else {
    p.start = 0;
    p.end = p.max_mapnr;
  }
  return p;
}

}  // namespace dumpfmt::detail::kdump
