// Split-set checks: the parts of one makedumpfile --split set agree on their
// headers, notes and bitmaps, and their PFN ranges tile the dump.
#include "formats/kdump/kdump_split_set.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace dumpfmt::detail::kdump {

namespace {

// Whether [off, off+n) holds the same bytes in both files.
Result<bool> same_bytes(const File& a, const File& b, uint64_t off, uint64_t n) {
  constexpr uint64_t kChunk = uint64_t{1} << 20;
  std::vector<std::byte> x(static_cast<size_t>(std::min(n, kChunk))), y(x.size());
  for (uint64_t done = 0; done < n;) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(x.size(), n - done));
    DUMPFMT_TRY(a.read_at(off + done, std::span(x.data(), len)));
    DUMPFMT_TRY(b.read_at(off + done, std::span(y.data(), len)));
    if (std::memcmp(x.data(), y.data(), len) != 0) return false;
    done += len;
  }
  return true;
}

// Parts of one dump share more than the main header (makedumpfile writes the
// same sub-header apart from the split and eraseinfo fields, the same notes
// and both full bitmaps into every part). A part from another dump with an
// equal main header (QEMU writes no timestamp) shows up here; its bitmap over
// its own range must match, as the descriptors it holds are counted by it.
Status check_same_dump(const File& f, const PartHeader& h, const File& f0, const PartHeader& h0) {
  auto differs = [&](const std::string& what) {
    return make_error(Errc::invalid_argument,
                      strfmt("%s: %s differs from %s's: the files are not parts of the same dump",
                             f.name().c_str(), what.c_str(), f0.name().c_str()));
  };
  const SubHeader &a = h.sub, &b = h0.sub;
  if (h.sub_layout != h0.sub_layout || a.phys_base != b.phys_base || a.dump_level != b.dump_level ||
      a.offset_vmcoreinfo != b.offset_vmcoreinfo || a.size_vmcoreinfo != b.size_vmcoreinfo ||
      a.offset_note != b.offset_note || a.size_note != b.size_note ||
      a.max_mapnr_64 != b.max_mapnr_64) {
    return differs("sub-header (phys_base, dump level, note location or max_mapnr)");
  }
  // Main headers are equal, so both files have the same layout up to the
  // descriptors, and parse_part checked it lies inside each file.
  const uint64_t bs = h.block_size;
  const uint64_t notes_off = bs + sub_header_size(h.sub_layout);
  if (h.version >= 1 && notes_off < h.bitmap_off) {
    DUMPFMT_TRY_ASSIGN(bool same, same_bytes(f, f0, notes_off, h.bitmap_off - notes_off));
    if (!same) return differs("ELF note area");
  }
  const uint64_t first = h.start / 8, last = std::min((h.end + 7) / 8, h.bitmap_half);
  for (int i = 0; i < (h.two_bitmaps ? 2 : 1) && first < last; ++i) {
    uint64_t off = h.bitmap_off + static_cast<uint64_t>(i) * h.bitmap_half + first;
    DUMPFMT_TRY_ASSIGN(bool same, same_bytes(f, f0, off, last - first));
    if (!same) {
      return differs(strfmt("%s bitmap over its PFNs %s-%s",
                            h.two_bitmaps ? (i == 0 ? "1st (RAM)" : "2nd (dumpable)") : "page",
                            hex(h.start).c_str(), hex(h.end).c_str()));
    }
  }
  return ok();
}

}  // namespace

// Split sets (docs/formats.md §5): identical main headers, split = 1, and ranges
// that tile [0, max_mapnr) without overlap.
Status check_split_set(const std::vector<std::unique_ptr<File>>& files,
                       const std::vector<PartHeader>& hdrs) {
  const PartHeader& h0 = hdrs.front();
  for (size_t i = 0; i < hdrs.size(); ++i) {
    const PartHeader& h = hdrs[i];
    if (!h.split) {
      return make_error(Errc::invalid_argument,
                        files[i]->name() +
                            ": not a split dump part (split flag not set); a set of kdump files "
                            "must come from makedumpfile --split");
    }
    // Parts may differ only in the incomplete flag (each child sets its own).
    auto masked = [](const PartHeader& p) {
      std::vector<std::byte> b = p.raw_main;
      size_t so = status_offset(p.word);
      uint32_t st = ByteReader(b, p.endian).field<uint32_t>(so) & ~kStatusIncomplete;
      ByteWriter(b, p.endian).put<uint32_t>(so, st);
      return b;
    };
    if (i > 0 && (h.word != h0.word || h.endian != h0.endian || masked(h) != masked(h0) ||
                  h.max_mapnr != h0.max_mapnr)) {
      return make_error(Errc::invalid_argument,
                        strfmt("%s: header differs from %s: the files are not parts of the same "
                               "dump",
                               files[i]->name().c_str(), files[0]->name().c_str()));
    }
    if (i > 0) DUMPFMT_TRY(check_same_dump(*files[i], h, *files[0], h0));
  }
  std::vector<size_t> order(hdrs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return hdrs[a].start != hdrs[b].start ? hdrs[a].start < hdrs[b].start
                                          : hdrs[a].end < hdrs[b].end;
  });
  Pfn expect = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const PartHeader& h = hdrs[order[k]];
    const std::string& name = files[order[k]]->name();
    if (k > 0) {
      const PartHeader& prev = hdrs[order[k - 1]];
      const std::string& pname = files[order[k - 1]]->name();
      // makedumpfile gives surplus parts an empty range at max_mapnr; only
      // parts holding PFNs can be told apart.
      if (h.start == prev.start && h.end == prev.end && h.start != h.end) {
        return make_error(
            Errc::invalid_argument,
            strfmt("%s and %s are the same split part (PFNs %s-%s): a file was "
                   "given twice",
                   pname.c_str(), name.c_str(), hex(h.start).c_str(), hex(h.end).c_str()));
      }
      if (h.start < expect) {
        return make_error(Errc::invalid_argument,
                          strfmt("%s (PFNs %s-%s) overlaps %s (PFNs %s-%s)", name.c_str(),
                                 hex(h.start).c_str(), hex(h.end).c_str(), pname.c_str(),
                                 hex(prev.start).c_str(), hex(prev.end).c_str()));
      }
    }
    if (h.start > expect) {
      return make_error(Errc::invalid_argument,
                        strfmt("no part holds PFNs %s-%s (before %s): a part of the split set "
                               "is missing",
                               hex(expect).c_str(), hex(h.start).c_str(), name.c_str()));
    }
    expect = h.end;
  }
  if (expect < h0.max_mapnr) {
    return make_error(Errc::invalid_argument,
                      strfmt("no part holds PFNs %s-%s (after %s): a part of the split set is "
                             "missing",
                             hex(expect).c_str(), hex(h0.max_mapnr).c_str(),
                             files[order.back()]->name().c_str()));
  }
  return ok();
}

}  // namespace dumpfmt::detail::kdump
