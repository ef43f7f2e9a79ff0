// Writes ELF vmcores (docs/formats.md §1.5-1.6): Ehdr, PT_NOTE + PT_LOAD program
// headers, the PN_XNUM section header when needed, notes, then page data, all
// strictly sequential so the output can be a pipe.
#include <algorithm>
#include <map>

#include "formats/elf/elf_layout.h"
#include "formats/format_entries.h"
#include "formats/writer_base.h"

namespace dumpfmt::detail::elf {

namespace {

struct PfnRun {
  Pfn lo = 0, hi = 0;
};

/// One PT_LOAD to emit.
struct LoadPlan {
  Pfn lo = 0, hi = 0;
  uint64_t vaddr = 0;
  uint64_t offset = 0;
};

/// Picks the direct map out of the source's mappings: the vaddr - paddr delta
/// covering the most bytes. Mappings with another delta (the kernel-text
/// alias of /proc/vmcore, or any other) are returned in `aliases`.
struct Mappings {
  uint64_t delta = 0;
  std::vector<PfnRun> direct;  // sorted, merged PFN ranges of the direct map
  std::vector<VaddrRange> aliases;
};

Mappings classify_mappings(const std::vector<VaddrRange>& vaddrs, uint64_t ps) {
  Mappings m;
  if (vaddrs.empty()) return m;
  std::map<uint64_t, uint64_t> bytes_by_delta;
  for (const auto& r : vaddrs) bytes_by_delta[r.vaddr - r.paddr] += r.size;
  uint64_t best = 0;
  for (auto [delta, bytes] : bytes_by_delta) {
    if (bytes > best) {
      best = bytes;
      m.delta = delta;
    }
  }
  for (const auto& r : vaddrs) {
    if (r.size == 0) continue;
    if (r.vaddr - r.paddr != m.delta) {
      m.aliases.push_back(r);
      continue;
    }
    m.direct.push_back({r.paddr / ps, (r.paddr + r.size + ps - 1) / ps});
  }
  std::sort(m.direct.begin(), m.direct.end(),
            [](const PfnRun& a, const PfnRun& b) { return a.lo < b.lo; });
  std::vector<PfnRun> merged;
  for (const PfnRun& r : m.direct) {
    if (!merged.empty() && r.lo <= merged.back().hi) {
      merged.back().hi = std::max(merged.back().hi, r.hi);
    } else {
      merged.push_back(r);
    }
  }
  m.direct = std::move(merged);
  return m;
}

class ElfWriter final : public WriterBase {
 public:
  ElfWriter(OutputSink& out, WriteOptions opts) : WriterBase(out, std::move(opts), "ELF writer") {}

  Status begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) override;
  Status write_page(const EncodedPage& page) override;
  Status finish() override;

 private:
  std::vector<LoadPlan> plan_loads(const DumpInfo& info, const PfnSet& pages,
                                   uint64_t data_start) const;

  uint64_t page_size_ = 0;
  std::vector<PfnRun> runs_;  // the pages, as written: ascending PFN runs
  size_t run_idx_ = 0;
  Pfn next_pfn_ = 0;
  uint64_t pos_ = 0;  // next write offset
  uint64_t pages_left_ = 0;
  std::vector<std::byte> zero_page_;
};

std::vector<LoadPlan> ElfWriter::plan_loads(const DumpInfo& info, const PfnSet& pages,
                                            uint64_t data_start) const {
  const uint64_t ps = page_size_;
  const Mappings maps = classify_mappings(info.vaddrs, ps);
  std::vector<LoadPlan> loads;

  // Kernel-text (and other non-direct-map) mappings first, as the kernel
  // orders them; they point at the file data of the pages they alias.
  for (const VaddrRange& a : maps.aliases) {
    const Pfn alo = a.paddr / ps, ahi = (a.paddr + a.size + ps - 1) / ps;
    auto it = std::upper_bound(runs_.begin(), runs_.end(), alo,
                               [](Pfn p, const PfnRun& r) { return p < r.hi; });
    for (; it != runs_.end() && it->lo < ahi; ++it) {
      const Pfn lo = std::max(it->lo, alo), hi = std::min(it->hi, ahi);
      loads.push_back(
          {lo, hi, a.vaddr + (lo * ps - a.paddr), data_start + pages.count_range(0, lo) * ps});
    }
  }

  // One PT_LOAD per run of pages, split where the direct map starts or ends
  // so every segment's p_vaddr is right for all of its pages.
  uint64_t offset = data_start;
  for (const PfnRun& r : runs_) {
    Pfn p = r.lo;
    while (p < r.hi) {
      auto dm = std::upper_bound(maps.direct.begin(), maps.direct.end(), p,
                                 [](Pfn x, const PfnRun& d) { return x < d.hi; });
      Pfn end = r.hi;
      uint64_t vaddr = 0;
      if (dm != maps.direct.end() && dm->lo <= p) {
        end = std::min(end, dm->hi);
        vaddr = p * ps + maps.delta;
      } else if (dm != maps.direct.end()) {
        end = std::min(end, dm->lo);
      }
      loads.push_back({p, end, vaddr, offset});
      offset += (end - p) * ps;
      p = end;
    }
  }
  return loads;
}

Status ElfWriter::begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) {
  (void)ram;  // ELF has no notion of RAM that is not written
  if (begun_) return misuse("begin() called twice");
  const uint64_t ps = info.page_size;
  if (ps < 512 || ps > (1u << 20) || (ps & (ps - 1)) != 0) {
    return misuse(strfmt("page size %llu is not a power of two between 512 and 1 MiB",
                         static_cast<unsigned long long>(ps)));
  }
  page_size_ = ps;
  const ClassLayout& c = opts_.elf32 ? kLayout32 : kLayout64;
  const Endian e = info.endian;

  pages.for_each_run([&](Pfn lo, Pfn hi) { runs_.push_back({lo, hi}); });
  pages_left_ = pages.count();
  Pfn max_pfn = 0;
  if (!runs_.empty()) max_pfn = runs_.back().hi;
  if (max_pfn > (uint64_t{1} << 52) / ps) {
    return misuse(
        strfmt("PFN %s is beyond the 52-bit physical address space", hex(max_pfn - 1).c_str()));
  }

  // Notes: everything the source had, eraseinfo re-created as makedumpfile does.
  std::vector<Note> notes = notes_for_output(info);
  if (!info.eraseinfo.empty()) {
    const auto* p = reinterpret_cast<const std::byte*>(info.eraseinfo.data());
    notes.push_back({"ERASEINFO", 0, std::vector<std::byte>(p, p + info.eraseinfo.size())});
  }
  const std::vector<std::byte> note_bytes = serialize_notes(notes, e);

  // Layout: the number of program headers decides where the notes go, and the
  // notes decide where page data starts; the loads need that start. Load
  // count does not depend on data_start, so plan once with 0 and shift.
  std::vector<LoadPlan> loads = plan_loads(info, pages, 0);
  const uint64_t phnum = 1 + loads.size();
  if (phnum > UINT32_MAX) return misuse("too many program headers");
  const bool xnum = phnum >= kPnXnum;
  const uint64_t phoff = c.ehdr_size;
  const uint64_t shoff = xnum ? phoff + phnum * c.phdr_size : 0;
  const uint64_t note_off = phoff + phnum * c.phdr_size + (xnum ? c.shdr_size : 0);
  const uint64_t data_start = (note_off + note_bytes.size() + ps - 1) / ps * ps;
  for (LoadPlan& l : loads) l.offset += data_start;

  if (!c.is64) {
    const uint64_t file_end = data_start + pages_left_ * ps;
    bool fits = file_end <= UINT32_MAX;
    for (const LoadPlan& l : loads) {
      const uint64_t len = (l.hi - l.lo) * ps;
      fits = fits && l.hi * ps <= UINT32_MAX && l.vaddr <= UINT32_MAX &&
             len - 1 <= UINT32_MAX - l.vaddr;
    }
    if (!fits) {
      return make_error(Errc::invalid_argument,
                        out_.name() +
                            ": ELF32 output cannot hold this dump: an address or the "
                            "file size exceeds 4 GiB; write ELF64 instead");
    }
  }
  if (info.arch == Arch::unknown && opts_.warn) {
    opts_.warn("ELF output: the architecture is unknown; e_machine is written as EM_NONE");
  }

  Ehdr eh;
  eh.e_type = kEtCore;
  eh.e_machine = elf_machine_of(info.arch);
  eh.e_version = 1;
  eh.e_phoff = phoff;
  eh.e_shoff = shoff;
  eh.e_flags = info.incomplete ? kDumpElfIncomplete : 0;
  eh.e_ehsize = static_cast<uint16_t>(c.ehdr_size);
  eh.e_phentsize = static_cast<uint16_t>(c.phdr_size);
  eh.e_phnum = xnum ? kPnXnum : static_cast<uint16_t>(phnum);
  eh.e_shentsize = xnum ? static_cast<uint16_t>(c.shdr_size) : 0;
  eh.e_shnum = xnum ? 1 : 0;

  std::vector<std::byte> head(data_start);
  encode_ehdr(head, eh, c, e);
  Phdr note;
  note.p_type = kPtNote;
  note.p_offset = note_off;
  note.p_filesz = note.p_memsz = note_bytes.size();
  note.p_align = 4;
  encode_phdr(std::span(head).subspan(phoff), note, c, e);
  for (size_t i = 0; i < loads.size(); ++i) {
    const LoadPlan& l = loads[i];
    Phdr p;
    p.p_type = kPtLoad;
    p.p_flags = kPfR | kPfW | kPfX;
    p.p_offset = l.offset;
    p.p_vaddr = l.vaddr;
    p.p_paddr = l.lo * ps;
    p.p_filesz = p.p_memsz = (l.hi - l.lo) * ps;
    encode_phdr(std::span(head).subspan(phoff + (i + 1) * c.phdr_size), p, c, e);
  }
  if (xnum) {
    encode_shdr0(std::span(head).subspan(shoff), Shdr0{0, 0, static_cast<uint32_t>(phnum)}, c, e);
  }
  if (!note_bytes.empty()) {
    std::copy(note_bytes.begin(), note_bytes.end(),
              head.begin() + static_cast<ptrdiff_t>(note_off));
  }
  DUMPFMT_TRY(out_.write_at(0, head));
  pos_ = data_start;
  run_idx_ = 0;
  next_pfn_ = runs_.empty() ? 0 : runs_.front().lo;
  zero_page_.assign(ps, std::byte{0});
  begun_ = true;
  return ok();
}

Status ElfWriter::write_page(const EncodedPage& page) {
  if (!begun_) return misuse("write_page() before begin()");
  if (pages_left_ == 0) {
    return misuse(strfmt("page %s is not in the page set given to begin()", hex(page.pfn).c_str()));
  }
  if (page.pfn != next_pfn_) {
    return misuse(
        strfmt("page %s arrived where page %s was expected (pages must come in "
               "ascending order, exactly the set given to begin())",
               hex(page.pfn).c_str(), hex(next_pfn_).c_str()));
  }
  std::span<const std::byte> data = zero_page_;
  if (!page.zero) {
    if (page.codec != CodecId::none || page.data.size() != page_size_) {
      return misuse(strfmt("page %s: expected a raw page of %llu bytes, got %zu bytes (codec %.*s)",
                           hex(page.pfn).c_str(), static_cast<unsigned long long>(page_size_),
                           page.data.size(), static_cast<int>(codec_name(page.codec).size()),
                           codec_name(page.codec).data()));
    }
    data = page.data;
  }
  DUMPFMT_TRY(out_.write_at(pos_, data));
  pos_ += page_size_;
  --pages_left_;
  if (++next_pfn_ == runs_[run_idx_].hi && ++run_idx_ < runs_.size()) {
    next_pfn_ = runs_[run_idx_].lo;
  }
  return ok();
}

Status ElfWriter::finish() {
  if (!begun_) return misuse("finish() before begin()");
  if (pages_left_ != 0) {
    return misuse(strfmt("finish() with %llu pages of the set still unwritten (next: %s)",
                         static_cast<unsigned long long>(pages_left_), hex(next_pfn_).c_str()));
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts) {
  return std::unique_ptr<DumpWriter>(std::make_unique<ElfWriter>(out, opts));
}

}  // namespace dumpfmt::detail::elf
