// dumpgen: ELF vmcore (docs/formats.md §1): Ehdr, PT_NOTE + PT_LOAD program headers, the PN_XNUM
// section header, notes, then segment data back to back (makedumpfile -E / QEMU layout).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "dumpgen.h"
#include "dumpgen_internal.h"

namespace dumpgen {
namespace detail {
namespace {

constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
constexpr uint64_t kPnXnum = 0xffff;

// Splits the memory map into PT_LOADs (see ElfOptions).
std::vector<ElfSegment> elf_segments(const DumpSpec& spec, const std::vector<Extent>& ext) {
  std::vector<uint64_t> breaks = spec.elf.break_before;
  std::sort(breaks.begin(), breaks.end());
  const uint64_t limit = spec.elf.max_segment_pages;
  std::vector<ElfSegment> segs;
  for (const Extent& e : ext) {
    uint64_t pfn = e.first_pfn;
    uint64_t left = e.count;
    while (left > 0) {
      ElfSegment* cur = segs.empty() ? nullptr : &segs.back();
      bool is_break = std::binary_search(breaks.begin(), breaks.end(), pfn);
      bool fresh = cur == nullptr || pfn != cur->first_pfn + cur->mem_pages || is_break ||
                   (e.present() && cur->mem_pages > cur->file_pages) ||
                   (limit != 0 && cur->mem_pages >= limit);
      if (fresh) {
        segs.push_back(ElfSegment{pfn, 0, 0, 0, false});
        cur = &segs.back();
      }
      uint64_t n = left;
      if (limit != 0) n = std::min(n, limit - cur->mem_pages);
      auto next_break = std::upper_bound(breaks.begin(), breaks.end(), pfn);
      if (next_break != breaks.end()) n = std::min(n, *next_break - pfn);
      if (e.present()) cur->file_pages += n;
      cur->mem_pages += n;
      pfn += n;
      left -= n;
    }
  }
  return segs;
}

}  // namespace

ElfLayout elf_layout(const DumpSpec& spec, const std::vector<Extent>& ext) {
  const bool is64 = spec.bits() == 64;
  const Endian en = spec.byte_order();
  const uint64_t ps = spec.page_size;
  const uint64_t ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, shentsize = is64 ? 64 : 40;
  const int word = is64 ? 8 : 4;

  ElfLayout lay;
  lay.segs = elf_segments(spec, ext);
  NoteArea notes = build_notes(spec, spec.elf.eraseinfo_note);
  const uint64_t phnum = 1 + lay.segs.size();
  const bool xnum = phnum >= kPnXnum;
  const uint64_t phoff = ehsize;
  const uint64_t shoff = xnum ? phoff + phnum * phentsize : 0;
  const uint64_t note_off = phoff + phnum * phentsize + (xnum ? shentsize : 0);

  uint64_t off = note_off + notes.bytes.size();
  for (ElfSegment& s : lay.segs) {
    if (spec.elf.align_data) off = round_up(off, ps);
    s.offset = s.file_pages ? off : 0;  // makedumpfile: p_offset 0 when p_filesz is 0
    off += s.file_pages * ps;
  }
  lay.file_size = off;
  lay.cut_at = off;

  uint32_t e_flags = 0;
  if (spec.incomplete_after_pfn) {
    const uint64_t last = *spec.incomplete_after_pfn;
    e_flags |= 1;  // DUMP_ELF_INCOMPLETE
    lay.cut_at = note_off + notes.bytes.size();
    for (ElfSegment& s : lay.segs) {
      if (s.first_pfn > last) {
        s.zeroed = true;
      } else if (s.file_pages) {
        uint64_t kept = std::min(s.file_pages, last - s.first_pfn + 1);
        lay.cut_at = s.offset + kept * ps;
      }
    }
    lay.file_size = lay.cut_at;
  }

  auto check32 = [&](uint64_t v, const char* what) {
    if (!is64 && v > 0xffffffffull) fail(std::string("ELF32 cannot hold ") + what);
  };
  check32(lay.file_size, "this file size");

  std::vector<uint8_t>& h = lay.head;
  h.assign(note_off, 0);
  const uint8_t ident[] = {0x7f,
                           'E',
                           'L',
                           'F',
                           static_cast<uint8_t>(is64 ? 2 : 1),
                           static_cast<uint8_t>(en == Endian::little ? 1 : 2),
                           1};
  put_bytes(h, 0, ident, sizeof ident);
  put_int(h, 16, 4, 2, en);  // ET_CORE
  put_int(h, 18, spec.machine(), 2, en);
  put_int(h, 20, 1, 4, en);  // EV_CURRENT
  // e_entry stays 0; the remaining fields sit 4 bytes further in ELF64.
  const uint64_t f = is64 ? 32 : 28;
  put_int(h, f, phoff, word, en);
  put_int(h, f + word, shoff, word, en);
  const uint64_t g = f + 2 * word;
  put_int(h, g, e_flags, 4, en);
  put_int(h, g + 4, ehsize, 2, en);
  put_int(h, g + 6, phentsize, 2, en);
  put_int(h, g + 8, xnum ? kPnXnum : phnum, 2, en);
  put_int(h, g + 10, xnum ? shentsize : 0, 2, en);
  put_int(h, g + 12, xnum ? 1 : 0, 2, en);  // e_shnum
  put_int(h, g + 14, 0, 2, en);             // e_shstrndx

  auto phdr = [&](uint64_t at, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
                  uint64_t paddr, uint64_t filesz, uint64_t memsz, uint64_t align) {
    check32(paddr + memsz, "this physical address");
    check32(vaddr, "this virtual address");
    if (is64) {
      put_int(h, at + 0, type, 4, en);
      put_int(h, at + 4, flags, 4, en);
      put_int(h, at + 8, offset, 8, en);
      put_int(h, at + 16, vaddr, 8, en);
      put_int(h, at + 24, paddr, 8, en);
      put_int(h, at + 32, filesz, 8, en);
      put_int(h, at + 40, memsz, 8, en);
      put_int(h, at + 48, align, 8, en);
    } else {
      put_int(h, at + 0, type, 4, en);
      put_int(h, at + 4, offset, 4, en);
      put_int(h, at + 8, vaddr, 4, en);
      put_int(h, at + 12, paddr, 4, en);
      put_int(h, at + 16, filesz, 4, en);
      put_int(h, at + 20, memsz, 4, en);
      put_int(h, at + 24, flags, 4, en);
      put_int(h, at + 28, align, 4, en);
    }
  };
  phdr(phoff, kPtNote, 0, note_off, 0, 0, notes.bytes.size(), notes.bytes.size(), 0);
  const uint64_t dm_base =
      spec.elf.direct_map_base.value_or(is64 ? 0xffff888000000000ull : 0xc0000000ull);
  for (size_t i = 0; i < lay.segs.size(); ++i) {
    const ElfSegment& s = lay.segs[i];
    if (s.zeroed) continue;
    const uint64_t paddr = s.first_pfn * ps;
    uint64_t vaddr = 0;
    if (spec.elf.vaddr == Vaddr::phys) vaddr = paddr;
    if (spec.elf.vaddr == Vaddr::direct_map) vaddr = dm_base + paddr;
    phdr(phoff + (i + 1) * phentsize, kPtLoad, spec.elf.p_flags, s.offset, vaddr, paddr,
         s.file_pages * ps, s.mem_pages * ps, spec.elf.p_align);
  }
  if (xnum) {
    // One SHT_NULL section header whose sh_info holds the real phnum (makedumpfile puts
    // sh_size = 1 too).
    put_int(h, shoff + (is64 ? 32 : 20), 1, word, en);
    put_int(h, shoff + (is64 ? 44 : 28), phnum, 4, en);
  }
  put_bytes(h, note_off, notes.bytes.data(), notes.bytes.size());
  return lay;
}

namespace {

// Calls fn(pfn, extent) for each page of [first, first + count) that lies in `ext` and is
// not known to be zero, skipping zero runs without visiting them.
template <typename Fn>
void for_nonzero_pages(const std::vector<Extent>& ext, uint64_t first, uint64_t count, Fn fn) {
  const uint64_t end = first + count;
  auto it = std::lower_bound(ext.begin(), ext.end(), first,
                             [](const Extent& e, uint64_t p) { return e.end() <= p; });
  for (size_t k = static_cast<size_t>(it - ext.begin()); k < ext.size() && ext[k].first_pfn < end;
       ++k) {
    const Extent& e = ext[k];
    const uint64_t a = std::max(first, e.first_pfn), b = std::min(end, e.end());
    switch (e.kind) {
      case ExtentKind::zero:
      case ExtentKind::excluded:
        break;
      case ExtentKind::sparse_pattern: {
        uint64_t rel = a - e.first_pfn;
        uint64_t p = e.first_pfn + round_up(rel, e.every);
        for (; p < b; p += e.every) fn(p, e);
        break;
      }
      default:
        for (uint64_t p = a; p < b; ++p)
          if (!is_zero_page(e, p)) fn(p, e);
    }
  }
}

}  // namespace

std::vector<Image> build_elf(const DumpSpec& spec, std::vector<PageInfo>* map) {
  std::vector<Extent> ext = extents_of(spec);
  ElfLayout lay = elf_layout(spec, ext);
  if (lay.file_size > (8ull << 30)) fail("ELF larger than 8 GiB: use generate_to_file()");
  const uint64_t ps = spec.page_size;
  Image img(spec.flat.enabled, spec.flat.record_size);
  img.write(0, lay.head);
  for (const ElfSegment& s : lay.segs) {
    for (uint64_t k = 0; k < s.file_pages; ++k) {
      const uint64_t pfn = s.first_pfn + k, off = s.offset + k * ps;
      if (off + ps > lay.cut_at) break;
      img.write(off, extent_page(spec, ext[find_extent(ext, pfn)], pfn));
    }
  }
  img.resize(lay.file_size);

  if (map) {
    for (const ElfSegment& s : lay.segs) {
      for (uint64_t k = 0; k < s.mem_pages; ++k) {
        PageInfo pi;
        pi.pfn = s.first_pfn + k;
        if (k >= s.file_pages) {
          pi.status = PageStatus::excluded;
        } else {
          pi.offset = s.offset + k * ps;
          pi.size = ps;
          const uint64_t end = pi.offset + ps;
          const bool cut = spec.incomplete_after_pfn && pi.pfn > *spec.incomplete_after_pfn;
          const bool trunc = spec.truncate_bytes && end > *spec.truncate_bytes;
          pi.status = cut || trunc ? PageStatus::lost : PageStatus::present;
        }
        map->push_back(pi);
      }
    }
  }
  std::vector<Image> out;
  out.push_back(std::move(img));
  return out;
}

}  // namespace detail

void generate_to_file(const DumpSpec& spec, const std::string& path) {
  using namespace detail;
  if (spec.format != Format::elf || spec.flat.enabled) {
    write_file(spec, path);
    return;
  }
  std::vector<Extent> ext = extents_of(spec);
  ElfLayout lay = elf_layout(spec, ext);
  uint64_t size = lay.file_size;
  if (spec.truncate_bytes) size = std::min(size, *spec.truncate_bytes);

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  auto check = [&](bool ok) {
    if (ok) return;
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), path);
  };
  // Everything not written below stays a hole and reads as zeros.
  check(::ftruncate(fd, static_cast<off_t>(size)) == 0);
  auto put = [&](uint64_t off, const uint8_t* p, uint64_t n) {
    if (off >= size) return;
    n = std::min(n, size - off);
    while (n > 0) {
      ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
      if (w < 0 && errno == EINTR) continue;
      check(w > 0);
      p += w;
      off += static_cast<uint64_t>(w);
      n -= static_cast<uint64_t>(w);
    }
  };
  put(0, lay.head.data(), lay.head.size());
  const uint64_t ps = spec.page_size;
  for (const ElfSegment& s : lay.segs) {
    for_nonzero_pages(ext, s.first_pfn, s.file_pages, [&](uint64_t pfn, const Extent& e) {
      const uint64_t off = s.offset + (pfn - s.first_pfn) * ps;
      if (off + ps > lay.cut_at) return;
      std::vector<uint8_t> page = extent_page(spec, e, pfn);
      put(off, page.data(), page.size());
    });
  }
  check(::close(fd) == 0);
}

}  // namespace dumpgen
