// Reads ELF vmcores (docs/formats.md §1): the kernel's /proc/vmcore, makedumpfile
// -E output and QEMU dump-guest-memory, ELF32/ELF64 in either byte order.
// Layouts from the ELF gABI and Linux <uapi/linux/elf.h> (elf_layout.h).
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

#include "dumpfmt/file.h"
#include "dumpfmt/vmcoreinfo.h"
#include "formats/elf/elf_layout.h"
#include "formats/format_entries.h"
#include "formats/reader_base.h"

namespace dumpfmt::detail::elf {

namespace {

// Linux supports at most 52 physical address bits on any architecture; a
// larger address is a damaged header, and bounding it bounds the PFN space.
constexpr uint64_t kMaxPhysAddr = uint64_t{1} << 52;
// Data of consecutive segments may be separated by alignment padding; a
// segment past EOF that starts within this of the data before it is taken
// for a cut-short copy rather than a damaged header.
constexpr uint64_t kTruncationSlack = uint64_t{1} << 20;
// Page-map memory allowed beyond 8 bytes per byte of input; see check_budget.
constexpr uint64_t kMapBudgetBase = uint64_t{4} << 20;

struct Header {
  ClassLayout layout = kLayout64;
  Endian endian = Endian::little;
  Ehdr ehdr;
  uint64_t phnum = 0;
  std::vector<std::string> warnings;
};

const char* e_type_name(uint16_t t) {
  switch (t) {
    case 0:
      return "ET_NONE";
    case 1:
      return "ET_REL, an object file";
    case 2:
      return "ET_EXEC, an executable such as vmlinux";
    case 3:
      return "ET_DYN, a shared object or PIE executable";
    default:
      return "unknown";
  }
}

// True when `count` program headers fit in the file at the header's e_phoff.
bool phdr_table_fits(const Header& h, uint64_t count, uint64_t file_size) {
  uint64_t bytes, end;
  return count > 0 && checked_mul(count, h.ehdr.e_phentsize, &bytes) &&
         checked_add(h.ehdr.e_phoff, bytes, &end) && end <= file_size;
}

// Resolves e_phnum == PN_XNUM through section header 0 (docs/formats.md §1.5).
Status resolve_xnum(const File& f, Header& h) {
  const ClassLayout& c = h.layout;
  uint64_t end;
  if (h.ehdr.e_shoff == 0 || !checked_add(h.ehdr.e_shoff, c.shdr_size, &end) || end > f.size()) {
    return file_error(Errc::corrupt, f, h.ehdr.e_shoff,
                      strfmt("e_phnum is PN_XNUM (0xffff) but section header 0 (e_shoff %s) is "
                             "not inside the file (%s bytes)",
                             hex(h.ehdr.e_shoff).c_str(), hex(f.size()).c_str()));
  }
  std::array<std::byte, 4> raw;
  DUMPFMT_TRY(f.read_at(h.ehdr.e_shoff + sh_info_offset(c), raw));
  DUMPFMT_TRY_ASSIGN(
      uint32_t count,
      ByteReader(raw, h.endian, h.ehdr.e_shoff + sh_info_offset(c)).peek<uint32_t>(0));
  if (phdr_table_fits(h, count, f.size())) {
    h.phnum = count;
    return ok();
  }
  // QEMU on s390x wrote this section header little-endian in a big-endian
  // ELF; accept the swapped value when only it makes sense.
  uint32_t swapped = byteswap(count);
  if (phdr_table_fits(h, swapped, f.size())) {
    h.phnum = swapped;
    h.warnings.push_back(strfmt(
        "%s: offset %s: PN_XNUM section header is in the opposite byte order (sh_info read as "
        "%u); using %u program headers",
        f.name().c_str(), hex(h.ehdr.e_shoff + sh_info_offset(c)).c_str(), count, swapped));
    return ok();
  }
  return file_error(
      Errc::corrupt, f, h.ehdr.e_shoff + sh_info_offset(c),
      strfmt("PN_XNUM section header gives %u program headers of %u bytes at "
             "offset %s, which do not fit in the file (%s bytes)",
             count, h.ehdr.e_phentsize, hex(h.ehdr.e_phoff).c_str(), hex(f.size()).c_str()));
}

// nullopt: not an ELF file at all. Error: ELF, but not a usable core file.
Result<std::optional<Header>> read_header(const File& f) {
  const uint64_t size = f.size();
  if (size < sizeof kMagic) return std::optional<Header>{};
  std::array<std::byte, 64> head{};
  const size_t n = static_cast<size_t>(std::min<uint64_t>(size, head.size()));
  DUMPFMT_TRY(f.read_at(0, std::span(head.data(), n)));
  if (std::memcmp(head.data(), kMagic, sizeof kMagic) != 0) return std::optional<Header>{};

  if (n < kIdentSize) {
    return file_error(Errc::truncated, f, n, "ELF identification is cut short");
  }
  Header h;
  const auto cls = static_cast<uint8_t>(head[kEiClass]);
  const auto data = static_cast<uint8_t>(head[kEiData]);
  if (cls != kElfClass32 && cls != kElfClass64) {
    return file_error(Errc::corrupt, f, kEiClass,
                      strfmt("ELF class %u is neither ELFCLASS32 nor ELFCLASS64", cls));
  }
  if (data != kElfData2Lsb && data != kElfData2Msb) {
    return file_error(Errc::corrupt, f, kEiData,
                      strfmt("ELF data encoding %u is neither little- nor big-endian", data));
  }
  h.layout = cls == kElfClass64 ? kLayout64 : kLayout32;
  h.endian = data == kElfData2Lsb ? Endian::little : Endian::big;
  if (n < h.layout.ehdr_size) {
    return file_error(Errc::truncated, f, n,
                      strfmt("the file ends inside the %zu-byte ELF header", h.layout.ehdr_size));
  }
  DUMPFMT_TRY_ASSIGN(h.ehdr, decode_ehdr(std::span(head).first(n), h.layout, h.endian));
  if (h.ehdr.e_type != kEtCore) {
    return file_error(Errc::unsupported, f, 16,
                      strfmt("ELF file of type %u (%s), not a core dump", h.ehdr.e_type,
                             e_type_name(h.ehdr.e_type)));
  }

  h.phnum = h.ehdr.e_phnum;
  if (h.ehdr.e_phnum == kPnXnum) DUMPFMT_TRY(resolve_xnum(f, h));
  if (h.phnum > 0) {
    if (h.ehdr.e_phentsize < h.layout.phdr_size) {
      return file_error(Errc::corrupt, f, h.layout.is64 ? 54 : 42,
                        strfmt("e_phentsize %u is smaller than a program header (%zu bytes)",
                               h.ehdr.e_phentsize, h.layout.phdr_size));
    }
    if (!phdr_table_fits(h, h.phnum, size)) {
      return file_error(
          Errc::truncated, f, h.ehdr.e_phoff,
          strfmt("program header table (%llu entries of %u bytes) ends past the end "
                 "of the file (%s bytes)",
                 static_cast<unsigned long long>(h.phnum), h.ehdr.e_phentsize, hex(size).c_str()));
    }
  }
  return std::optional<Header>{std::move(h)};
}

// --- the page map ----------------------------------------------------------

struct Load {
  size_t index = 0;       // program header number, for messages
  uint64_t phdr_off = 0;  // file offset of its program header
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0;
  uint64_t avail = 0;  // bytes of p_filesz present in the file (less when cut short)
};

/// A physical byte range and where its contents come from.
struct Piece {
  uint64_t lo = 0, hi = 0;
  uint64_t file_off = 0;
  bool zero = false;  // [p_filesz, p_memsz) tail: reads as zeros
};

/// Part of an edge page: bytes [page_off, page_off+len) come from file_off
/// (or are zero); the rest of the page is zero.
struct EdgePart {
  uint32_t page_off = 0;
  uint32_t len = 0;
  uint64_t file_off = 0;
  bool zero = false;
};

enum class RunKind : uint8_t { data, zero, edge };

/// Pages [lo, hi): data = file bytes from `arg` on; zero = all zero; edge = one
/// page assembled from parts_[arg, arg + nparts).
struct Run {
  Pfn lo = 0, hi = 0;
  uint64_t arg = 0;
  uint32_t nparts = 0;
  RunKind kind = RunKind::data;
};

/// Merged physical ranges already served by an earlier segment, so a later
/// segment overlapping them (the kernel-text alias of /proc/vmcore) only adds
/// what is new: the first segment covering a byte wins.
class Coverage {
 public:
  /// Calls emit(lo, hi) for each part of [lo, hi) not yet covered, then marks
  /// [lo, hi) covered. Returns true when [lo, hi) overlapped covered bytes
  /// neither wholly inside nor wholly around them (a partial overlap).
  template <class Emit>
  bool add(uint64_t lo, uint64_t hi, Emit&& emit) {
    auto it = covered_.upper_bound(lo);
    if (it != covered_.begin() && std::prev(it)->second >= lo) --it;
    uint64_t cur = lo, new_lo = lo, new_hi = hi;
    bool overlapped = false, sticks_out = false, emitted = false;
    while (it != covered_.end() && it->first <= hi) {
      if (it->first < hi && it->second > lo) {
        overlapped = true;
        if (it->first < lo || it->second > hi) sticks_out = true;
      }
      if (it->first > cur) {
        emit(cur, it->first);
        emitted = true;
      }
      cur = std::max(cur, it->second);
      new_lo = std::min(new_lo, it->first);
      new_hi = std::max(new_hi, it->second);
      it = covered_.erase(it);
    }
    if (cur < hi) {
      emit(cur, hi);
      emitted = true;
    }
    covered_.emplace(new_lo, new_hi);
    return overlapped && sticks_out && emitted;
  }

 private:
  std::map<uint64_t, uint64_t> covered_;
};

class ElfSource final : public SourceBase {
 public:
  Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override;
  Status read_pages(Pfn first, std::span<std::byte> out,
                    std::span<PageState> states) const override;

  std::unique_ptr<File> file_;
  std::vector<Run> runs_;  // sorted by lo, disjoint
  std::vector<EdgePart> parts_;

 private:
  Status read_bytes(uint64_t off, std::span<std::byte> out, Pfn pfn) const;
};

Status ElfSource::read_bytes(uint64_t off, std::span<std::byte> out, Pfn pfn) const {
  Status s = copy_from(*file_, off, out);
  if (!s) return with_context(std::move(s).error(), strfmt("page %s", hex(pfn).c_str()));
  return ok();
}

Result<PageState> ElfSource::read_page(Pfn pfn, std::span<std::byte> out) const {
  const uint64_t ps = info_.page_size;
  DUMPFMT_TRY(check_page_buffer(*file_, out.size(), ps));
  auto it = std::upper_bound(runs_.begin(), runs_.end(), pfn,
                             [](Pfn p, const Run& r) { return p < r.lo; });
  if (it == runs_.begin()) return PageState::excluded;
  const Run& r = *std::prev(it);
  if (pfn >= r.hi) return PageState::excluded;
  switch (r.kind) {
    case RunKind::data:
      DUMPFMT_TRY(read_bytes(r.arg + (pfn - r.lo) * ps, out, pfn));
      return PageState::present;
    case RunKind::zero:
      std::memset(out.data(), 0, out.size());
      return PageState::zero;
    case RunKind::edge: {
      std::memset(out.data(), 0, out.size());
      bool any_data = false;
      for (uint32_t i = 0; i < r.nparts; ++i) {
        const EdgePart& p = parts_[r.arg + i];
        if (p.zero) continue;
        DUMPFMT_TRY(read_bytes(p.file_off, out.subspan(p.page_off, p.len), pfn));
        any_data = true;
      }
      return any_data ? PageState::present : PageState::zero;
    }
  }
  return PageState::excluded;
}

// Consecutive pages of one data run are consecutive in the file: one read
// serves them all (the pipeline asks for chunks of 32 or so). Anything else
// goes page by page.
Status ElfSource::read_pages(Pfn first, std::span<std::byte> out,
                             std::span<PageState> states) const {
  const uint64_t ps = info_.page_size;
  const uint64_t n = states.size();
  auto it = std::upper_bound(runs_.begin(), runs_.end(), first,
                             [](Pfn p, const Run& r) { return p < r.lo; });
  if (n > 1 && out.size() == n * ps && it != runs_.begin()) {
    const Run& r = *std::prev(it);
    if (first >= r.lo && r.hi - first >= n && r.kind != RunKind::edge) {
      if (r.kind == RunKind::zero) {
        std::memset(out.data(), 0, out.size());
        std::fill(states.begin(), states.end(), PageState::zero);
        return ok();
      }
      DUMPFMT_TRY(read_bytes(r.arg + (first - r.lo) * ps, out, first));
      std::fill(states.begin(), states.end(), PageState::present);
      return ok();
    }
  }
  return PageSource::read_pages(first, out, states);
}

// --- building the source ---------------------------------------------------

/// Guesses the architecture from VMCOREINFO when e_machine does not say.
Arch arch_from_vmcoreinfo(const std::string& text) {
  const VmcoreinfoText vi = VmcoreinfoText::parse(text);
  auto has = [&](std::string_view key) { return vi.value(key).has_value(); };
  // Distribution kernels name the architecture in the release string.
  const std::string_view rel = vi.osrelease().value_or("");
  const std::pair<std::string_view, Arch> suffixes[] = {
      {"x86_64", Arch::x86_64},   {"amd64", Arch::x86_64}, {"aarch64", Arch::arm64},
      {"arm64", Arch::arm64},     {"s390x", Arch::s390x},  {"ppc64", Arch::ppc64},
      {"riscv64", Arch::riscv64}, {"i686", Arch::x86},     {"686-pae", Arch::x86},
  };
  for (const auto& [s, a] : suffixes) {
    if (rel.find(s) != std::string::npos) return a;
  }
  // Keys only one architecture's arch_crash_save_vmcoreinfo() emits.
  if (has("SYMBOL(init_top_pgt)") || has("NUMBER(pgtable_l5_enabled)") ||
      has("SYMBOL(level4_kernel_pgt)")) {
    return Arch::x86_64;
  }
  if (has("NUMBER(kimage_voffset)")) return Arch::arm64;
  if (has("SYMBOL(lowcore_ptr)")) return Arch::s390x;
  if (has("SYMBOL(mmu_psize_defs)")) return Arch::ppc64;
  if (has("NUMBER(phys_ram_base)")) return Arch::riscv64;
  return Arch::unknown;
}

/// Architectures whose kernels may use pages other than 4 KiB.
bool page_size_varies(Arch a) {
  return a == Arch::arm64 || a == Arch::ppc64 || a == Arch::ppc || a == Arch::mips ||
         a == Arch::unknown;
}

struct Builder {
  const File& f;
  const OpenOptions& opts;
  Header h;
  DumpInfo& info;
  std::vector<Load> loads;
  std::vector<std::pair<uint64_t, uint64_t>> note_ranges;  // file [off, end) of PT_NOTEs
  bool any_tail = false;

  void warn(std::string msg) { info.warnings.push_back(std::move(msg)); }

  Status read_program_headers() {
    if (h.phnum == 0) return ok();
    const uint64_t ent = h.ehdr.e_phentsize;
    DUMPFMT_TRY_ASSIGN(auto table, read_vector(f, h.ehdr.e_phoff, h.phnum * ent));
    for (uint64_t i = 0; i < h.phnum; ++i) {
      const uint64_t at = h.ehdr.e_phoff + i * ent;
      DUMPFMT_TRY_ASSIGN(Phdr p,
                         decode_phdr(std::span(table).subspan(i * ent), h.layout, h.endian));
      if (p.p_type == kPtNote) {
        DUMPFMT_TRY(read_note_segment(p, i, at));
      } else if (p.p_type == kPtLoad) {
        DUMPFMT_TRY(add_load(p, i, at));
      }
    }
    return ok();
  }

  Status read_note_segment(const Phdr& p, uint64_t i, uint64_t at) {
    if (p.p_filesz == 0) return ok();
    uint64_t end;
    if (!checked_add(p.p_offset, p.p_filesz, &end) || end > f.size()) {
      return file_error(Errc::truncated, f, at,
                        strfmt("PT_NOTE (program header %llu) at offset %s, %s bytes, ends past "
                               "the end of the file (%s bytes)",
                               static_cast<unsigned long long>(i), hex(p.p_offset).c_str(),
                               hex(p.p_filesz).c_str(), hex(f.size()).c_str()));
    }
    DUMPFMT_TRY_ASSIGN(auto area, read_vector(f, p.p_offset, p.p_filesz));
    DUMPFMT_TRY_ASSIGN(auto notes, parse_notes(area, h.endian, p.p_offset, f.name()));
    for (auto& n : notes) info.notes.push_back(std::move(n));
    note_ranges.emplace_back(p.p_offset, end);
    return ok();
  }

  Status add_load(const Phdr& p, uint64_t i, uint64_t at) {
    auto bad = [&](const std::string& what) {
      return file_error(Errc::corrupt, f, at,
                        strfmt("PT_LOAD (program header %llu): %s",
                               static_cast<unsigned long long>(i), what.c_str()));
    };
    if (p.p_filesz > p.p_memsz) {
      return bad(strfmt("p_filesz %s is larger than p_memsz %s", hex(p.p_filesz).c_str(),
                        hex(p.p_memsz).c_str()));
    }
    uint64_t end;
    if (!checked_add(p.p_paddr, p.p_memsz, &end) || end > kMaxPhysAddr) {
      return bad(strfmt("physical range %s + %s is beyond the 52-bit physical address space",
                        hex(p.p_paddr).c_str(), hex(p.p_memsz).c_str()));
    }
    if (p.p_filesz > 0 && !checked_add(p.p_offset, p.p_filesz, &end)) {
      return bad(
          strfmt("file range %s + %s overflows", hex(p.p_offset).c_str(), hex(p.p_filesz).c_str()));
    }
    if (p.p_memsz == 0) return ok();
    Load l;
    l.index = static_cast<size_t>(i);
    l.phdr_off = at;
    l.offset = p.p_offset;
    l.vaddr = p.p_vaddr;
    l.paddr = p.p_paddr;
    l.filesz = p.p_filesz;
    l.memsz = p.p_memsz;
    l.avail = p.p_filesz;
    if (l.filesz < l.memsz) any_tail = true;
    loads.push_back(l);
    return ok();
  }

  // Segments whose data reaches past EOF: a cut-short copy (kept, rest lost)
  // when their data starts where the data before it ends; otherwise a
  // damaged header.
  Status check_truncation() {
    const uint64_t size = f.size();
    struct Item {
      uint64_t off, end;
      Load* load;  // null for PT_NOTE
    };
    std::vector<Item> items;
    for (auto [off, end] : note_ranges) items.push_back({off, end, nullptr});
    for (Load& l : loads) {
      if (l.filesz > 0) items.push_back({l.offset, l.offset + l.filesz, &l});
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.off < b.off; });
    uint64_t prev_end = h.ehdr.e_phoff + h.phnum * h.ehdr.e_phentsize;
    uint64_t lost_pages = 0, cut_segments = 0;
    for (const Item& it : items) {
      if (it.end > size) {
        Load& l = *it.load;
        if (it.off > prev_end + kTruncationSlack) {
          return file_error(
              Errc::corrupt, f, l.phdr_off,
              strfmt("PT_LOAD (program header %zu): data at offset %s, %s bytes, "
                     "lies past the end of the file (%s bytes)",
                     l.index, hex(l.offset).c_str(), hex(l.filesz).c_str(), hex(size).c_str()));
        }
        // Keep whole pages only: the page the file ends in is lost too.
        const uint64_t ps = info.page_size;
        uint64_t have = it.off < size ? size - it.off : 0;
        uint64_t cut = (l.paddr + have) / ps * ps;
        l.avail = cut > l.paddr ? cut - l.paddr : 0;
        const Pfn from = (l.paddr + l.avail) / ps;
        const Pfn to = (l.paddr + l.filesz + ps - 1) / ps;
        lost_pages += to - from;
        ++cut_segments;
        if (!info.lost_from || from < *info.lost_from) info.lost_from = from;
      }
      prev_end = std::max(prev_end, it.end);
    }
    if (cut_segments > 0) {
      info.incomplete = true;
      warn(
          strfmt("%s: the file ends at offset %s, inside the data of %llu PT_LOAD segment(s): "
                 "%llu pages from PFN %s on are lost",
                 f.name().c_str(), hex(size).c_str(), static_cast<unsigned long long>(cut_segments),
                 static_cast<unsigned long long>(lost_pages), hex(*info.lost_from).c_str()));
    }
    return ok();
  }

  // The page map costs about 4 KiB per distinct 32768-page chunk a segment
  // edge falls into; refuse headers that would make a tiny file cost gigabytes.
  Status check_budget() {
    const uint64_t ps = info.page_size;
    std::vector<uint64_t> chunks;
    uint64_t full = 0;
    for (const Load& l : loads) {
      Pfn lo = l.paddr / ps, hi = (l.paddr + l.memsz + ps - 1) / ps;
      chunks.push_back(lo >> PfnSet::kChunkShift);
      chunks.push_back((hi - 1) >> PfnSet::kChunkShift);
      full += (hi - lo) >> PfnSet::kChunkShift;
    }
    std::sort(chunks.begin(), chunks.end());
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
    // present() and ram() each: bitmaps for edge chunks, 16 bytes per full chunk.
    const uint64_t need = 2 * (chunks.size() * (PfnSet::kChunkWords * 8 + 16) + full * 16);
    const uint64_t budget = kMapBudgetBase + 8 * f.size();
    if (need > budget) {
      return file_error(Errc::corrupt, f, h.ehdr.e_phoff,
                        strfmt("%zu PT_LOAD segments scattered over %zu regions of physical "
                               "memory would need %llu MiB for the page map; refusing for a "
                               "file of %s bytes",
                               loads.size(), chunks.size(),
                               static_cast<unsigned long long>(need >> 20), hex(f.size()).c_str()));
    }
    return ok();
  }

  void set_metadata() {
    info.format = "elf";
    info.endian = h.endian;
    info.vmcoreinfo = find_vmcoreinfo(info.notes);
    for (const Note& n : info.notes) {
      if (n.name == "CORE" && n.type == kNtPrstatus) ++info.nr_cpus;
    }
    // eraseinfo has its own place in the model; writers re-create the note.
    for (auto it = info.notes.begin(); it != info.notes.end();) {
      if (it->name == "ERASEINFO") {
        const char* p = reinterpret_cast<const char*>(it->desc.data());
        info.eraseinfo.append(p, strnlen(p, it->desc.size()));
        it = info.notes.erase(it);
      } else {
        ++it;
      }
    }

    info.arch = arch_from_elf_machine(h.ehdr.e_machine, h.layout.is64);
    if (info.arch == Arch::unknown) {
      Arch guess = info.vmcoreinfo ? arch_from_vmcoreinfo(*info.vmcoreinfo) : Arch::unknown;
      warn(strfmt("%s: ELF e_machine %u is not a known architecture%s%.*s", f.name().c_str(),
                  h.ehdr.e_machine, guess != Arch::unknown ? "; VMCOREINFO suggests " : "",
                  static_cast<int>(arch_name(guess).size()),
                  guess != Arch::unknown ? arch_name(guess).data() : ""));
      info.arch = guess;
    }
    if (info.arch != Arch::unknown) info.uts.machine = std::string(uts_machine_of(info.arch));

    info.page_size = 4096;
    const VmcoreinfoText vi = VmcoreinfoText::parse(info.vmcoreinfo.value_or(""));
    if (auto pagesize = vi.value("PAGESIZE")) {
      if (auto ps = vi.page_size()) {
        info.page_size = *ps;
      } else {
        warn(strfmt("%s: VMCOREINFO PAGESIZE=%.*s is not a plausible page size; assuming 4096",
                    f.name().c_str(), static_cast<int>(pagesize->size()), pagesize->data()));
      }
    } else if (page_size_varies(info.arch)) {
      warn(
          strfmt("%s: no PAGESIZE in VMCOREINFO; assuming 4096-byte pages (%.*s kernels may "
                 "use larger ones)",
                 f.name().c_str(), static_cast<int>(arch_name(info.arch).size()),
                 arch_name(info.arch).data()));
    }

    // A CRASHTIME or NUMBER(phys_base) that does not parse unsets the value.
    if (auto r = vi.osrelease()) info.uts.release = *r;
    if (vi.value("CRASHTIME")) info.crash_time = vi.integer("CRASHTIME", IntSyntax::makedumpfile);
    if (vi.value("NUMBER(phys_base)")) info.phys_base = vi.number("phys_base");
    if (h.ehdr.e_flags & kDumpElfIncomplete) {
      info.incomplete = true;
      warn(
          strfmt("%s: the dump is marked incomplete (e_flags DUMP_ELF_INCOMPLETE): its writer "
                 "was cut short",
                 f.name().c_str()));
    }
  }

  // Turns the segments into disjoint runs of pages (first segment covering a
  // byte wins; file data wins over p_memsz tails).
  void build_map(ElfSource& src) {
    const uint64_t ps = info.page_size;
    std::vector<Piece> pieces;
    Coverage cov;
    std::optional<size_t> partial_overlap;
    for (const Load& l : loads) {
      if (l.avail == 0) continue;
      bool partial = cov.add(l.paddr, l.paddr + l.avail, [&](uint64_t lo, uint64_t hi) {
        pieces.push_back({lo, hi, l.offset + (lo - l.paddr), false});
      });
      if (partial && !partial_overlap) partial_overlap = l.index;
    }
    // RAM without file data, inserted in address order below: segments may
    // run in any order, and PfnSet appends cheaply.
    std::vector<std::pair<Pfn, Pfn>> ram_only;
    auto add_ram = [&](uint64_t lo, uint64_t hi) {
      if (lo < hi) ram_only.emplace_back(lo / ps, (hi + ps - 1) / ps);
    };
    for (const Load& l : loads) {
      add_ram(l.paddr + l.avail, l.paddr + l.filesz);  // lost to truncation
      if (l.filesz == l.memsz) continue;
      if (opts.elf_tail_is_zero) {
        cov.add(l.paddr + l.filesz, l.paddr + l.memsz, [&](uint64_t lo, uint64_t hi) {
          pieces.push_back({lo, hi, 0, true});
        });
      } else {
        add_ram(l.paddr + l.filesz, l.paddr + l.memsz);
      }
    }
    std::sort(ram_only.begin(), ram_only.end());
    PfnSet& ram = src.ram_;
    for (const auto& [lo, hi] : ram_only) ram.insert_range(lo, hi);
    if (partial_overlap) {
      warn(
          strfmt("%s: PT_LOAD (program header %zu) partly overlaps earlier segments in "
                 "physical memory; overlapping bytes are read from the earlier segment",
                 f.name().c_str(), *partial_overlap));
    }

    // Whole pages become runs; pages a piece covers only partly are edge pages
    // assembled from all pieces touching them.
    std::vector<Run>& runs = src.runs_;
    std::vector<std::pair<Pfn, EdgePart>> edges;
    for (const Piece& p : pieces) {
      const Pfn first_full = (p.lo + ps - 1) / ps, end_full = p.hi / ps;
      if (first_full < end_full) {
        Run r;
        r.lo = first_full;
        r.hi = end_full;
        r.kind = p.zero ? RunKind::zero : RunKind::data;
        r.arg = p.zero ? 0 : p.file_off + (first_full * ps - p.lo);
        runs.push_back(r);
      }
      auto add_edge = [&](Pfn pfn) {
        const uint64_t page_lo = pfn * ps;
        const uint64_t lo = std::max(p.lo, page_lo), hi = std::min(p.hi, page_lo + ps);
        edges.push_back(
            {pfn, EdgePart{static_cast<uint32_t>(lo - page_lo), static_cast<uint32_t>(hi - lo),
                           p.file_off + (lo - p.lo), p.zero}});
      };
      const Pfn first = p.lo / ps, last = (p.hi - 1) / ps;
      if (p.lo % ps != 0 || (first == last && p.hi % ps != 0)) add_edge(first);
      if (last != first && p.hi % ps != 0) add_edge(last);
    }
    std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second.page_off < b.second.page_off;
    });
    for (size_t i = 0; i < edges.size();) {
      Run r;
      r.lo = edges[i].first;
      r.hi = r.lo + 1;
      r.kind = RunKind::edge;
      r.arg = src.parts_.size();
      for (; i < edges.size() && edges[i].first == r.lo; ++i) {
        src.parts_.push_back(edges[i].second);
        ++r.nparts;
      }
      runs.push_back(r);
    }
    std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.lo < b.lo; });

    // Merge neighbours that continue each other (adjacent RAM ranges).
    std::vector<Run> merged;
    for (const Run& r : runs) {
      if (!merged.empty()) {
        Run& m = merged.back();
        const bool same_data = m.kind == RunKind::data && r.kind == RunKind::data &&
                               r.arg == m.arg + (m.hi - m.lo) * ps;
        const bool both_zero = m.kind == RunKind::zero && r.kind == RunKind::zero;
        if (m.hi == r.lo && (same_data || both_zero)) {
          m.hi = r.hi;
          continue;
        }
      }
      merged.push_back(r);
    }
    runs = std::move(merged);
    for (const Run& r : runs) src.present_.insert_range(r.lo, r.hi);
    ram.add(src.present_);
  }

  void describe(const ElfSource& src) {
    bool qemu = false;
    for (const Note& n : info.notes) qemu = qemu || n.name == "QEMU";
    bool vaddrs = false;
    for (const Load& l : loads) {
      if (l.vaddr != 0) {
        info.vaddrs.push_back({l.paddr, l.memsz, l.vaddr});
        vaddrs = true;
      }
    }
    const char* origin = qemu                                    ? ", QEMU dump-guest-memory"
                         : any_tail                              ? ", filtered (p_filesz < p_memsz)"
                         : vaddrs && info.vmcoreinfo.has_value() ? ", /proc/vmcore layout"
                                                                 : "";
    info.variant = strfmt("ELF%d %s, %zu PT_LOAD%s", h.layout.is64 ? 64 : 32,
                          h.endian == Endian::little ? "LE" : "BE", loads.size(), origin);
    info.compression = "none";
    info.max_pfn = src.ram_.end_bound();
  }
};

}  // namespace

Result<bool> probe(const File& f) {
  DUMPFMT_TRY_ASSIGN(auto h, read_header(f));
  return h.has_value();
}

Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts) {
  if (files.size() != 1) {
    return make_error(Errc::unsupported,
                      strfmt("%s: an ELF vmcore is a single file; got %zu files",
                             files.empty() ? "" : files.front()->name().c_str(), files.size()));
  }
  auto src = std::make_unique<ElfSource>();
  src->file_ = std::move(files.front());
  const File& f = *src->file_;
  DUMPFMT_TRY_ASSIGN(auto header, read_header(f));
  if (!header) return make_error(Errc::unknown_format, f.name() + ": not an ELF file");

  Builder b{f, opts, std::move(*header), src->info_, {}, {}, false};
  src->info_.warnings = std::move(b.h.warnings);
  DUMPFMT_TRY(b.read_program_headers());
  b.set_metadata();  // page size first: the page map depends on it
  DUMPFMT_TRY(b.check_truncation());
  DUMPFMT_TRY(b.check_budget());
  b.build_map(*src);
  b.describe(*src);
  if (opts.warn) {
    for (const auto& w : src->info_.warnings) opts.warn(w);
  }
  return std::unique_ptr<PageSource>(std::move(src));
}

}  // namespace dumpfmt::detail::elf
