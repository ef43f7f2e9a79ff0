// Reader of kdump-compressed dumps and split sets (makedumpfile's diskdump_mod.h,
// docs/formats.md §3 and §5): bitmaps kept as PfnSets, descriptor lookup through
// a prefix-count table, incomplete dumps detected at open. Each file's headers
// are parsed by kdump_part_header.cpp, a set's parts checked by kdump_split_set.cpp.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "dumpfmt/codec.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/file.h"
#include "dumpfmt/vmcoreinfo.h"
#include "formats/format_entries.h"
#include "formats/kdump/kdump_layout.h"
#include "formats/kdump/kdump_part_header.h"
#include "formats/kdump/kdump_split_set.h"

namespace dumpfmt::detail::kdump {

namespace {

constexpr unsigned kPrefixShift = 12;  // one running count per 4096 PFNs (512 bitmap bytes)
constexpr uint64_t kPrefixPfns = uint64_t{1} << kPrefixShift;
constexpr size_t kIoChunk = size_t{1} << 20;  // bitmap / descriptor reads at open
constexpr uint64_t kDescWindow = 4096;        // descriptors read at once while looking for a cut

// The first i in [lo, hi) where `pred` (false, then true from some point on)
// holds; hi when it holds nowhere. A read error of `pred` ends the search.
template <class Pred>
Result<uint64_t> first_true(uint64_t lo, uint64_t hi, Pred pred) {
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    DUMPFMT_TRY_ASSIGN(bool t, pred(mid));
    if (t) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::string endian_name(Endian e) { return e == Endian::little ? "LE" : "BE"; }

std::string compression_name(uint32_t status) {
  uint32_t bits = status & kCompressionMask;
  if (bits == 0) return "none";
  if (!std::has_single_bit(bits)) return "mixed";
  auto c = codec_of_flag(bits);
  return std::string(codec_name(*c));
}

// ---------------------------------------------------------------------------
// Bitmaps.

// Turns a stream of 64-bit bitmap words into a PfnSet and prefix counts.
class BitmapLoader {
 public:
  BitmapLoader(PfnSet& set, std::vector<uint64_t>* prefix) : set_(set), prefix_(prefix) {
    if (prefix_) prefix_->push_back(0);
  }

  void feed(uint64_t word) {
    if (prefix_) {
      count_ += static_cast<uint64_t>(__builtin_popcountll(word));
      if ((words_ + 1) % (kPrefixPfns / 64) == 0) prefix_->push_back(count_);
    }
    set_.insert_word(words_ * 64, word);
    ++words_;
  }

  void finish(Pfn npfn) {
    if (prefix_) {
      size_t want = static_cast<size_t>((npfn + kPrefixPfns - 1) / kPrefixPfns) + 1;
      if (prefix_->size() < want) prefix_->push_back(count_);
      prefix_->resize(want, count_);
    }
  }

 private:
  PfnSet& set_;
  std::vector<uint64_t>* prefix_;
  uint64_t words_ = 0;
  uint64_t count_ = 0;
};

// Reads the bitmap of `npfn` PFNs at `off` in bounded chunks.
Status load_bitmap(const File& f, uint64_t off, Pfn npfn, PfnSet& set,
                   std::vector<uint64_t>* prefix) {
  BitmapLoader loader(set, prefix);
  uint64_t nbytes = npfn / 8 + (npfn % 8 != 0);
  // A rearranged flattened stream is sparse: a huge max_mapnr would have the
  // walk read terabytes of gap. Every writer stores its bitmaps in full.
  if (f.stored_bytes() < f.size() && nbytes > f.stored_bytes()) {
    return file_error(
        Errc::corrupt, f, off,
        strfmt("a bitmap of %llu bytes (max_mapnr %llu) is more than the file "
               "holds (%llu bytes)",
               static_cast<unsigned long long>(nbytes), static_cast<unsigned long long>(npfn),
               static_cast<unsigned long long>(f.stored_bytes())));
  }
  std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(nbytes, kIoChunk)));
  for (uint64_t done = 0; done < nbytes;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), nbytes - done));
    std::span<const std::byte> data = f.view(off + done, n);
    if (data.empty()) {
      DUMPFMT_TRY(f.read_at(off + done, std::span(buf.data(), n)));
      data = std::span<const std::byte>(buf.data(), n);
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w = load<uint64_t>(data.data() + i, Endian::little);
      if (done + i + 8 == nbytes && npfn % 64 != 0) w &= (uint64_t{1} << (npfn % 64)) - 1;
      loader.feed(w);
    }
    if (i < n) {  // a tail shorter than a word: only at the very end
      uint64_t w = 0;
      std::memcpy(&w, data.data() + i, n - i);
      w = load<uint64_t>(&w, Endian::little);
      if (npfn % 64 != 0) w &= (uint64_t{1} << (npfn % 64)) - 1;
      loader.feed(w);
    }
    done += n;
  }
  loader.finish(npfn);
  return ok();
}

// ---------------------------------------------------------------------------
// Architecture fallback when utsname.machine is empty (QEMU).

Arch guess_arch(const std::vector<Note>& notes, const std::optional<std::string>& vmcoreinfo,
                Word w, Endian e, std::string* why) {
  if (vmcoreinfo) {
    const VmcoreinfoText vi = VmcoreinfoText::parse(*vmcoreinfo);
    auto has = [&](std::string_view k) { return vi.value(k).has_value(); };
    struct Hint {
      std::string_view key;
      Arch arch;
    };
    static constexpr std::array<Hint, 7> kHints{{
        {"SYMBOL(init_top_pgt)", Arch::x86_64},
        {"SYMBOL(level4_kernel_pgt)", Arch::x86_64},
        {"NUMBER(pgtable_l5_enabled)", Arch::x86_64},
        {"NUMBER(kimage_voffset)", Arch::arm64},
        {"SYMBOL(lowcore_ptr)", Arch::s390x},
        {"NUMBER(phys_ram_base)", Arch::riscv64},
        {"NUMBER(phys_base)", Arch::x86_64},
    }};
    for (const Hint& h : kHints) {
      if (has(h.key)) {
        *why = "VMCOREINFO key " + std::string(h.key);
        return h.arch;
      }
    }
  }
  for (const Note& n : notes) {
    // QEMU writes its CPU-state note only for x86 (432 bytes, 440 since 7.x).
    if (n.name == "QEMU" && n.desc.size() >= 432) {
      *why = "the QEMU x86 CPU-state note";
      return w == Word::w64 ? Arch::x86_64 : Arch::x86;
    }
  }
  for (const Note& n : notes) {
    if (n.name != "CORE" || n.type != kNtPrstatus) continue;
    *why = strfmt("the NT_PRSTATUS note size (%zu)", n.desc.size());
    switch (n.desc.size()) {
      case 336:  // x86_64 and s390x share the size; byte order tells them apart
        return e == Endian::little ? Arch::x86_64 : Arch::s390x;
      case 144:
        return Arch::x86;
      case 392:
        return Arch::arm64;
      case 376:
        return Arch::riscv64;
      case 504:
        return Arch::ppc64;
      default:
        break;
    }
  }
  return Arch::unknown;
}

// ---------------------------------------------------------------------------
// The page source.

struct Part {
  std::unique_ptr<File> file;
  Pfn start = 0;  // PFNs [start, end) are served by this file
  Pfn end = 0;
  uint64_t first_index = 0;  // 2nd-bitmap bits below `start`
  uint64_t count = 0;        // descriptors this file holds
  uint64_t desc_off = 0;
  uint64_t data_start = 0;  // after the full descriptor table: data item #0
  bool flagged = false;     // header status says incomplete
};

class KdumpSource final : public PageSource {
 public:
  const DumpInfo& info() const override { return info_; }
  const PfnSet& present() const override { return present_ ? *present_ : dumpable_; }
  const PfnSet& ram() const override { return ram_ ? *ram_ : dumpable_; }
  Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override;
  Status read_pages(Pfn first, std::span<std::byte> out,
                    std::span<PageState> states) const override;

  Status init(std::vector<std::unique_ptr<File>> files, std::vector<PartHeader> hdrs);

 private:
  uint64_t index_of(Pfn pfn) const;
  Pfn select(uint64_t index) const;
  Result<PageDesc> read_desc(const Part& part, uint64_t local) const;
  const Part* part_of(Pfn pfn) const;  // the part serving pfn, if any
  /// A descriptor's fields make sense for this file (doff: where it lies).
  Status check_desc(const Part& part, Pfn pfn, uint64_t doff, const PageDesc& d) const;
  /// Page data `in` (d.size bytes) into `out`.
  Status decode(const Part& part, Pfn pfn, const PageDesc& d, std::span<const std::byte> in,
                std::span<std::byte> out) const;
  Status read_descs(const Part& part, uint64_t first, uint64_t n, std::vector<PageDesc>& out) const;
  Status find_lost(const Part& part, bool flagged);
  void fill_info(const File& f, const PartHeader& h);
  PfnSet& mutable_present() {
    if (!present_) present_ = dumpable_;
    return *present_;
  }

  DumpInfo info_;
  Endian endian_ = Endian::little;
  uint32_t block_size_ = 0;
  uint64_t max_mapnr_ = 0;
  PfnSet dumpable_;                // the 2nd bitmap as stored; descriptor indexes count its bits
  std::optional<PfnSet> ram_;      // 1st bitmap (absent: same as dumpable_)
  std::optional<PfnSet> present_;  // dumpable_ minus lost pages / other parts' ranges
  std::vector<uint64_t> prefix_;   // prefix_[b] = dumpable bits below b * 4096
  std::vector<Part> parts_;        // sorted by start
};

uint64_t KdumpSource::index_of(Pfn pfn) const {
  if (pfn >= max_mapnr_) return prefix_.back();
  Pfn block = pfn >> kPrefixShift;
  return prefix_[block] + dumpable_.count_range(block << kPrefixShift, pfn);
}

Pfn KdumpSource::select(uint64_t index) const {
  if (index >= prefix_.back()) return max_mapnr_;
  auto it = std::upper_bound(prefix_.begin(), prefix_.end(), index);
  Pfn block = static_cast<Pfn>(it - prefix_.begin()) - 1;
  uint64_t skip = index - prefix_[block];
  Pfn p = block << kPrefixShift;
  for (;;) {
    auto n = dumpable_.next(p);
    if (!n) return max_mapnr_;
    if (skip == 0) return *n;
    --skip;
    p = *n + 1;
  }
}

Result<PageDesc> KdumpSource::read_desc(const Part& part, uint64_t local) const {
  uint64_t off = part.desc_off + local * kPageDescSize;
  std::array<std::byte, kPageDescSize> raw;
  std::span<const std::byte> v = part.file->view(off, raw.size());
  if (v.empty()) {
    DUMPFMT_TRY(part.file->read_at(off, raw));
    v = raw;
  }
  return decode_page_desc(v, endian_);
}

// Descriptors [first, first+n) of a part; those past the end of the file read as empty.
Status KdumpSource::read_descs(const Part& part, uint64_t first, uint64_t n,
                               std::vector<PageDesc>& out) const {
  out.assign(static_cast<size_t>(n), PageDesc{});
  uint64_t fsize = part.file->size();
  uint64_t off = part.desc_off + first * kPageDescSize;
  if (off >= fsize) return ok();
  uint64_t avail = std::min<uint64_t>(n, (fsize - off) / kPageDescSize);
  DUMPFMT_TRY_ASSIGN(auto raw, read_vector(*part.file, off, avail * kPageDescSize));
  for (uint64_t i = 0; i < avail; ++i) {
    DUMPFMT_TRY_ASSIGN(out[static_cast<size_t>(i)],
                       decode_page_desc(std::span(raw).subspan(i * kPageDescSize), endian_));
  }
  return ok();
}

// docs/formats.md §3.8: after a cut, descriptors are empty (makedumpfile zeroes them
// on ENOSPC) or lie past the end of a file that was copied short; page data past
// the end is lost too. Descriptor-side loss is a suffix (binary search); data-side
// loss is a suffix of the non-zero pages, whose data offsets ascend, so it is
// found by a binary search over them followed by an exact scan of the cut zone.
Status KdumpSource::find_lost(const Part& part, bool flagged) {
  const uint64_t n = part.count;
  if (n == 0) return ok();
  const uint64_t fsize = part.file->size();
  std::vector<PageDesc> win;

  auto desc_lost = [&](uint64_t i) -> Result<bool> {
    if (part.desc_off + (i + 1) * kPageDescSize > fsize) return true;
    DUMPFMT_TRY_ASSIGN(PageDesc d, read_desc(part, i));
    return d.offset == 0;
  };
  auto data_lost = [&](const PageDesc& d) {
    return d.offset == 0 || d.offset > fsize || d.size > fsize - d.offset;
  };
  auto is_item0 = [&](const PageDesc& d) { return d.offset == part.data_start && !data_lost(d); };

  // c1: first descriptor that is empty or beyond the end of the file.
  uint64_t c1 = n;
  DUMPFMT_TRY_ASSIGN(bool last_lost, desc_lost(n - 1));
  if (last_lost) {
    DUMPFMT_TRY_ASSIGN(c1, first_true(0, n - 1, desc_lost));
  }

  // Anything to look for? Non-zero pages' data offsets ascend, so the last
  // non-item-#0 descriptor tells whether any data lies past the end.
  bool suspect = flagged || c1 < n;
  if (!suspect) {
    uint64_t from = n > kDescWindow ? n - kDescWindow : 0;
    DUMPFMT_TRY(read_descs(part, from, n - from, win));
    auto last =
        std::find_if(win.rbegin(), win.rend(), [&](const PageDesc& d) { return !is_item0(d); });
    suspect = last != win.rend() ? data_lost(*last) : from != 0;
  }

  // Q(i): the first non-item-#0 descriptor in [i, c1) has its data past the
  // end; true when there is none or the window ends first. Q is false only
  // before the first data-lost page, so the search never skips one; a true
  // answer for an all-zero-page stretch only widens the exact scan below.
  auto q = [&](uint64_t i) -> Result<bool> {
    uint64_t stop = std::min(c1, i + kDescWindow);
    DUMPFMT_TRY(read_descs(part, i, stop - i, win));
    for (const PageDesc& d : win) {
      if (!is_item0(d)) return data_lost(d);
    }
    return true;
  };
  uint64_t c2 = c1;
  if (suspect) {
    DUMPFMT_TRY_ASSIGN(c2, first_true(0, c1, q));
  }

  std::optional<Pfn> first_lost;
  uint64_t lost = 0;
  if (c2 < c1) {
    Pfn pfn = select(part.first_index + c2);
    for (uint64_t i = c2; i < c1; i += kDescWindow) {
      uint64_t m = std::min(kDescWindow, c1 - i);
      DUMPFMT_TRY(read_descs(part, i, m, win));
      for (uint64_t j = 0; j < m; ++j) {
        if (data_lost(win[static_cast<size_t>(j)])) {
          if (!first_lost) first_lost = pfn;
          mutable_present().erase(pfn);
          ++lost;
        }
        auto nx = dumpable_.next(pfn + 1);
        pfn = nx ? *nx : max_mapnr_;
      }
    }
  }
  if (c1 < n) {
    Pfn from = select(part.first_index + c1);
    if (!first_lost) first_lost = from;
    mutable_present().erase_range(from, part.end);
    lost += n - c1;
  }

  if (flagged || lost > 0) {
    info_.incomplete = true;
    if (first_lost && (!info_.lost_from || *first_lost < *info_.lost_from)) {
      info_.lost_from = first_lost;
    }
  }
  if (flagged) {
    info_.warnings.push_back(part.file->name() +
                             ": the dump is marked incomplete (the writer ran out of space)");
  }
  if (lost > 0) {
    info_.warnings.push_back(
        strfmt("%s: %llu of %llu pages are lost (empty descriptors or data past the end of the "
               "file), the first at PFN %s",
               part.file->name().c_str(), static_cast<unsigned long long>(lost),
               static_cast<unsigned long long>(n), hex(*first_lost).c_str()));
  }
  return ok();
}

void KdumpSource::fill_info(const File& f, const PartHeader& h) {
  DumpInfo& in = info_;
  in.format = "kdump";
  in.variant =
      strfmt("%s v%d, %s-bit %s", h.signature == kDiskdumpSignature ? "diskdump" : "kdump",
             h.hdr.version, h.word == Word::w64 ? "64" : "32", endian_name(h.endian).c_str());
  if (h.word == Word::w32 && h.version >= 3) {
    in.variant += h.sub_layout == SubLayout::w32_padded ? " (padded sub-header)" : "";
  }
  in.endian = h.endian;
  in.page_size = h.block_size;
  in.max_pfn = h.max_mapnr;
  in.header_version = static_cast<uint32_t>(h.hdr.version);
  in.uts = h.hdr.uts;
  in.nr_cpus = h.hdr.nr_cpus > 0 ? static_cast<uint32_t>(h.hdr.nr_cpus) : 0;
  in.compression = compression_name(h.hdr.status);
  if (h.version >= 1) {
    in.phys_base = static_cast<int64_t>(h.sub.phys_base);
    in.dump_level = static_cast<uint32_t>(h.sub.dump_level);
  }
  const uint64_t fsize = f.size();
  auto in_file = [&](uint64_t off, uint64_t size) { return off <= fsize && size <= fsize - off; };

  if (h.version >= 4 && h.sub.size_note != 0) {
    if (!in_file(h.sub.offset_note, h.sub.size_note)) {
      in.warnings.push_back(file_error(Errc::truncated, f, h.sub.offset_note,
                                       strfmt("ELF note area of %llu bytes lies past the end of "
                                              "the file; notes ignored",
                                              static_cast<unsigned long long>(h.sub.size_note)))
                                .message);
    } else if (auto area = read_vector(f, h.sub.offset_note, h.sub.size_note); !area) {
      in.warnings.push_back(area.error().message);
    } else if (auto notes = parse_notes(*area, h.endian, h.sub.offset_note, f.name()); !notes) {
      in.warnings.push_back(notes.error().message + "; notes ignored");
    } else {
      in.notes = std::move(*notes);
    }
  }
  in.vmcoreinfo = find_vmcoreinfo(in.notes);
  if (!in.vmcoreinfo && h.version >= 3 && h.sub.size_vmcoreinfo != 0) {
    if (!in_file(h.sub.offset_vmcoreinfo, h.sub.size_vmcoreinfo)) {
      in.warnings.push_back(file_error(Errc::truncated, f, h.sub.offset_vmcoreinfo,
                                       "VMCOREINFO lies past the end of the file; ignored")
                                .message);
    } else if (auto v = read_vector(f, h.sub.offset_vmcoreinfo, h.sub.size_vmcoreinfo); v) {
      const char* p = reinterpret_cast<const char*>(v->data());
      in.vmcoreinfo = std::string(p, strnlen(p, v->size()));
    } else {
      in.warnings.push_back(v.error().message);
    }
  }
  if (h.version >= 5 && h.sub.size_eraseinfo != 0) {
    if (!in_file(h.sub.offset_eraseinfo, h.sub.size_eraseinfo)) {
      in.warnings.push_back(file_error(Errc::truncated, f, h.sub.offset_eraseinfo,
                                       "eraseinfo lies past the end of the file; ignored")
                                .message);
    } else if (auto v = read_vector(f, h.sub.offset_eraseinfo, h.sub.size_eraseinfo); v) {
      in.eraseinfo.assign(reinterpret_cast<const char*>(v->data()), v->size());
    } else {
      in.warnings.push_back(v.error().message);
    }
  }

  if (h.hdr.tv_sec != 0) {
    in.crash_time = h.hdr.tv_sec;
  } else if (in.vmcoreinfo) {
    const VmcoreinfoText vi = VmcoreinfoText::parse(*in.vmcoreinfo);
    if (auto t = vi.integer("CRASHTIME", IntSyntax::decimal)) in.crash_time = *t;
  }

  // QEMU parses the kernel's decimal NUMBER(phys_base) as hex and stores the
  // result in the sub-header; the VMCOREINFO value is the kernel's own.
  if (in.vmcoreinfo && in.phys_base) {
    const VmcoreinfoText vi = VmcoreinfoText::parse(*in.vmcoreinfo);
    if (auto pb = vi.integer("NUMBER(phys_base)", IntSyntax::c_literal);
        pb && *pb != *in.phys_base) {
      const std::string_view v = *vi.value("NUMBER(phys_base)");
      in.warnings.push_back(
          strfmt("%s: sub-header phys_base %lld differs from VMCOREINFO "
                 "NUMBER(phys_base)=%.*s; using the VMCOREINFO value",
                 f.name().c_str(), static_cast<long long>(*in.phys_base),
                 static_cast<int>(v.size()), v.data()));
      in.phys_base = pb;
    }
  }

  in.arch = arch_from_uts_machine(h.hdr.uts.machine);
  if (in.arch == Arch::unknown) {
    std::string why;
    in.arch = guess_arch(in.notes, in.vmcoreinfo, h.word, h.endian, &why);
    std::string machine = h.hdr.uts.machine.empty() ? "empty" : "\"" + h.hdr.uts.machine + "\"";
    if (in.arch != Arch::unknown) {
      in.warnings.push_back(strfmt("%s: utsname.machine is %s; architecture %s guessed from %s",
                                   f.name().c_str(), machine.c_str(),
                                   std::string(arch_name(in.arch)).c_str(), why.c_str()));
    } else {
      in.warnings.push_back(strfmt("%s: utsname.machine is %s and no note tells the architecture",
                                   f.name().c_str(), machine.c_str()));
    }
  }
  if (in.uts.machine.empty() && in.arch != Arch::unknown) {
    in.uts.machine = std::string(uts_machine_of(in.arch));
  }
  if (h.hdr.status & kStatusExcludedVmemmap) in.variant += ", vmemmap excluded";
}

Status KdumpSource::init(std::vector<std::unique_ptr<File>> files, std::vector<PartHeader> hdrs) {
  const PartHeader& h0 = hdrs.front();
  const File& f0 = *files.front();
  endian_ = h0.endian;
  block_size_ = h0.block_size;
  max_mapnr_ = h0.max_mapnr;
  for (const auto& h : hdrs) {
    info_.warnings.insert(info_.warnings.end(), h.warnings.begin(), h.warnings.end());
  }

  // Every part carries the bitmaps of the whole dump (docs/formats.md §5); the
  // first file's serve all.
  if (h0.two_bitmaps) {
    PfnSet ram;
    DUMPFMT_TRY(load_bitmap(f0, h0.bitmap_off, max_mapnr_, ram, nullptr));
    ram_ = std::move(ram);
    DUMPFMT_TRY(load_bitmap(f0, h0.bitmap_off + h0.bitmap_half, max_mapnr_, dumpable_, &prefix_));
  } else {
    DUMPFMT_TRY(load_bitmap(f0, h0.bitmap_off, max_mapnr_, dumpable_, &prefix_));
  }
  if (ram_ && !dumpable_.empty()) {
    // The 2nd bitmap should be a subset of the 1st; if a writer disagreed,
    // trust the dumpable set rather than hide pages.
    PfnSet extra = dumpable_;
    extra.subtract(*ram_);
    if (!extra.empty()) {
      info_.warnings.push_back(
          strfmt("%s: %llu dumpable pages are not marked as RAM in the 1st "
                 "bitmap; treated as RAM",
                 f0.name().c_str(), static_cast<unsigned long long>(extra.count())));
      ram_->add(extra);
    }
  }
  const uint64_t total = prefix_.back();

  fill_info(f0, h0);

  for (size_t i = 0; i < files.size(); ++i) {
    const PartHeader& h = hdrs[i];
    Part p;
    p.start = h.start;
    p.end = h.end;
    p.first_index = index_of(p.start);
    p.count = index_of(p.end) - p.first_index;
    p.desc_off = h.desc_off;
    p.flagged = (h.hdr.status & kStatusIncomplete) != 0;
    uint64_t table = 0;
    if (!checked_mul(total, kPageDescSize, &table) ||
        !checked_add(p.desc_off, table, &p.data_start)) {
      return file_error(Errc::corrupt, *files[i], p.desc_off, "descriptor table size overflows");
    }
    p.file = std::move(files[i]);
    parts_.push_back(std::move(p));
  }
  std::sort(parts_.begin(), parts_.end(),
            [](const Part& a, const Part& b) { return a.start < b.start; });

  if (parts_.size() == 1 && hdrs.front().split) {
    const Part& p = parts_.front();
    PfnSet& pr = mutable_present();
    pr.erase_range(0, p.start);
    pr.erase_range(p.end, UINT64_MAX);
    info_.split_range = std::make_pair(p.start, p.end);
    info_.variant += ", split part";
    // A set of one part (everything fitted) is the whole dump: nothing to warn about.
    if (p.start != 0 || p.end < max_mapnr_) {
      info_.warnings.push_back(strfmt("%s: one part of a split dump: only PFNs %s-%s are readable",
                                      p.file->name().c_str(), hex(p.start).c_str(),
                                      hex(p.end).c_str()));
    }
  } else if (parts_.size() > 1) {
    info_.variant += strfmt(", split set of %zu files", parts_.size());
  }

  for (const Part& p : parts_) DUMPFMT_TRY(find_lost(p, p.flagged));
  return ok();
}

Status KdumpSource::check_desc(const Part& part, Pfn pfn, uint64_t doff, const PageDesc& d) const {
  const File& f = *part.file;
  if (d.offset == 0) {
    return file_error(
        Errc::no_data, f, doff,
        strfmt("PFN %s: page descriptor is empty (data lost: incomplete dump)", hex(pfn).c_str()));
  }
  uint32_t comp = d.flags & kCompressionMask;
  if (d.flags & ~(kCompressionMask | kStatusIncomplete | kStatusExcludedVmemmap)) {
    return file_error(Errc::unsupported, f, doff,
                      strfmt("PFN %s: unknown page flags %#x", hex(pfn).c_str(), d.flags));
  }
  if (comp != 0 && !std::has_single_bit(comp)) {
    return file_error(
        Errc::corrupt, f, doff,
        strfmt("PFN %s: page flags %#x name several codecs", hex(pfn).c_str(), d.flags));
  }
  if (d.offset < part.desc_off) {
    return file_error(Errc::corrupt, f, doff,
                      strfmt("PFN %s: page data offset %s points into the headers",
                             hex(pfn).c_str(), hex(d.offset).c_str()));
  }
  if (d.size == 0 || d.size > block_size_ || (comp == 0 && d.size != block_size_)) {
    return file_error(Errc::corrupt, f, doff,
                      strfmt("PFN %s: page data size %u is invalid (%s page, block size %u)",
                             hex(pfn).c_str(), d.size, comp ? "compressed" : "raw", block_size_));
  }
  if (d.offset > f.size() || d.size > f.size() - d.offset) {
    return file_error(Errc::truncated, f, d.offset,
                      strfmt("PFN %s: page data (%u bytes) lies past the end of the file",
                             hex(pfn).c_str(), d.size));
  }
  return ok();
}

Status KdumpSource::decode(const Part& part, Pfn pfn, const PageDesc& d,
                           std::span<const std::byte> in, std::span<std::byte> out) const {
  const uint32_t comp = d.flags & kCompressionMask;
  if (comp == 0) {
    std::memcpy(out.data(), in.data(), d.size);
    return ok();
  }
  CodecId id = *codec_of_flag(comp);
  // One codec instance per thread and codec: reads run concurrently.
  thread_local std::array<std::unique_ptr<Codec>, 8> codecs;
  auto& codec = codecs[static_cast<size_t>(id)];
  if (!codec) {
    auto c = make_codec(id);
    if (!c) return with_context(std::move(c).error(), "PFN " + hex(pfn));
    codec = std::move(*c);
  }
  auto r = codec->decompress(in, out);
  if (!r) {
    const Error& e = r.error();
    if (e.code == Errc::corrupt) {
      return file_error(Errc::corrupt, *part.file, d.offset,
                        strfmt("PFN %s: %s", hex(pfn).c_str(), e.message.c_str()));
    }
    return with_context(e, "PFN " + hex(pfn));
  }
  return ok();
}

const Part* KdumpSource::part_of(Pfn pfn) const {
  auto it = std::upper_bound(parts_.begin(), parts_.end(), pfn,
                             [](Pfn p, const Part& part) { return p < part.start; });
  if (it == parts_.begin()) return nullptr;
  const Part& part = *std::prev(it);
  return pfn < part.end ? &part : nullptr;
}

Result<PageState> KdumpSource::read_page(Pfn pfn, std::span<std::byte> out) const {
  if (out.size() != block_size_) {
    return make_error(
        Errc::invalid_argument,
        strfmt("read_page: buffer of %zu bytes, page size is %u", out.size(), block_size_));
  }
  if (!present().contains(pfn)) return PageState::excluded;
  const Part* part = part_of(pfn);
  if (!part) return PageState::excluded;
  const File& f = *part->file;
  uint64_t local = index_of(pfn) - part->first_index;
  uint64_t doff = part->desc_off + local * kPageDescSize;
  auto dr = read_desc(*part, local);
  if (!dr) return with_context(std::move(dr).error(), "PFN " + hex(pfn));
  const PageDesc d = *dr;
  DUMPFMT_TRY(check_desc(*part, pfn, doff, d));

  thread_local std::vector<std::byte> buf;
  std::span<const std::byte> in = f.view(d.offset, d.size);
  if (in.empty()) {
    buf.resize(d.size);
    auto r = f.read_at(d.offset, buf);
    if (!r) return with_context(std::move(r).error(), "PFN " + hex(pfn));
    in = buf;
  }
  DUMPFMT_TRY(decode(*part, pfn, d, in, out));
  return PageState::present;
}

// Consecutive present PFNs have consecutive descriptors, and their data
// usually follows one another: one read for the descriptors and one for the
// data of the whole run, when the data lies close together. Anything else
// goes page by page.
Status KdumpSource::read_pages(Pfn first, std::span<std::byte> out,
                               std::span<PageState> states) const {
  const uint64_t n = states.size();
  const Part* part = n > 1 && out.size() == n * block_size_ ? part_of(first) : nullptr;
  if (!part || first + n > part->end || present().count_range(first, first + n) != n) {
    return PageSource::read_pages(first, out, states);
  }
  const File& f = *part->file;
  const uint64_t local = index_of(first) - part->first_index;
  thread_local std::vector<PageDesc> descs;
  DUMPFMT_TRY(read_descs(*part, local, n, descs));
  uint64_t lo = UINT64_MAX, hi = 0;
  for (uint64_t k = 0; k < n; ++k) {
    const PageDesc& d = descs[k];
    DUMPFMT_TRY(check_desc(*part, first + k, part->desc_off + (local + k) * kPageDescSize, d));
    lo = std::min(lo, d.offset);
    hi = std::max(hi, d.offset + d.size);
  }
  // The data of consecutive pages follows one another, except shared data
  // such as makedumpfile's one zero page far before: the window is the last
  // n pages' worth of the span, read at once; data outside it is read alone.
  const uint64_t wlo = std::max(lo, hi - std::min(hi, (n + 1) * block_size_));
  thread_local std::vector<std::byte> buf, one;
  std::span<const std::byte> window = f.view(wlo, hi - wlo);
  if (window.empty()) {
    buf.resize(hi - wlo);
    DUMPFMT_TRY(f.read_at(wlo, buf));
    window = buf;
  }
  for (uint64_t k = 0; k < n; ++k) {
    const PageDesc& d = descs[k];
    std::span<const std::byte> in;
    if (d.offset >= wlo) {
      in = window.subspan(d.offset - wlo, d.size);
    } else if (in = f.view(d.offset, d.size); in.empty()) {
      one.resize(d.size);
      DUMPFMT_TRY(f.read_at(d.offset, one));
      in = one;
    }
    DUMPFMT_TRY(decode(*part, first + k, d, in, out.subspan(k * block_size_, block_size_)));
    states[k] = PageState::present;
  }
  return ok();
}

}  // namespace

Result<bool> probe(const File& f) {
  if (f.size() < 8) return false;
  std::array<std::byte, 8> sig;
  DUMPFMT_TRY(f.read_at(0, sig));
  std::string_view s(reinterpret_cast<const char*>(sig.data()), sig.size());
  return s == kKdumpSignature || s == kDiskdumpSignature;
}

Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts) {
  if (files.empty()) return make_error(Errc::invalid_argument, "kdump: no input file");
  std::vector<PartHeader> hdrs;
  for (const auto& f : files) {
    DUMPFMT_TRY_ASSIGN(PartHeader h, parse_part(*f));
    hdrs.push_back(std::move(h));
  }
  if (files.size() > 1) DUMPFMT_TRY(check_split_set(files, hdrs));
  auto src = std::make_unique<KdumpSource>();
  DUMPFMT_TRY(src->init(std::move(files), std::move(hdrs)));
  if (opts.warn) {
    for (const auto& w : src->info().warnings) opts.warn(w);
  }
  return std::unique_ptr<PageSource>(std::move(src));
}

}  // namespace dumpfmt::detail::kdump
