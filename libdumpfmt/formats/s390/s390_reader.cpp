// Reads s390 stand-alone dumps (docs/formats.md §6): the classic single-volume
// layout, the extended s390_ext layout (uncompressed and zlib segments) and
// multi-volume sets given as one file per volume. Layout: s390_layout.h.
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "dumpfmt/file.h"
#include "dumpfmt/vmcoreinfo.h"
#include "formats/format_entries.h"
#include "formats/reader_base.h"
#include "formats/s390/s390_layout.h"

namespace dumpfmt::detail::s390 {

namespace {

// Linux addresses at most 2^52 bytes of physical memory; a larger size is a
// damaged header, and bounding it bounds every PFN computed from it.
constexpr uint64_t kMaxMemSize = uint64_t{1} << 52;
constexpr uint64_t kMaxEntrySize = uint64_t{16} << 20;
constexpr uint32_t kMaxVmcoreinfo = 1u << 16;

/// Bytes of memory [start, start+len) stored in file `file`: raw at `off`, or
/// as zlib entries of `entry_size` whose offsets (in kExtBlockSize blocks from
/// `off`) are `entries` (bit 31 set: stored raw).
struct Chunk {
  uint64_t start = 0, len = 0;
  size_t file = 0;
  uint64_t off = 0;
  bool compressed = false;
  uint64_t disk_size = 0;  // compressed: bytes on disk from `off`
  std::vector<uint32_t> entries;
};

/// Decompressed entries are cached per thread: a page read needs its whole
/// 1 MiB entry inflated, and pages are read in order.
struct EntryCache {
  uint64_t source_id = 0;
  size_t chunk = 0, entry = 0;
  std::vector<std::byte> data;
};

std::atomic<uint64_t> g_next_source_id{1};

class S390Source final : public SourceBase {
 public:
  Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override;

  /// Copies memory [addr, addr+out.size()) (zeros where nothing is stored).
  Status read_mem(uint64_t addr, std::span<std::byte> out) const;

  std::vector<std::unique_ptr<File>> files_;
  std::vector<Chunk> chunks_;  // sorted by start, disjoint
  uint64_t mem_size_ = 0;
  uint64_t readable_end_ = 0;  // memory below this is in the file(s)
  uint32_t entry_size_ = 0;
  uint64_t id_ = g_next_source_id.fetch_add(1);

 private:
  Status read_compressed(size_t ci, uint64_t off_in_chunk, std::span<std::byte> out) const;
};

Status S390Source::read_compressed(size_t ci, uint64_t rel, std::span<std::byte> out) const {
  const Chunk& c = chunks_[ci];
  const File& f = *files_[c.file];
  thread_local EntryCache cache;
  while (!out.empty()) {
    const size_t e = static_cast<size_t>(rel / entry_size_);
    const uint64_t in_entry = rel % entry_size_;
    const uint64_t entry_len = std::min<uint64_t>(entry_size_, c.len - uint64_t{e} * entry_size_);
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), entry_len - in_entry));
    if (e >= c.entries.size()) {
      return file_error(
          Errc::corrupt, f, c.off,
          strfmt("s390_ext segment at memory %s has no entry %zu", hex(c.start).c_str(), e));
    }
    const uint32_t raw = c.entries[e];
    const uint64_t eoff = uint64_t{raw & ~kEntryUncompressed} * kExtBlockSize;
    if (raw & kEntryUncompressed) {
      DUMPFMT_TRY(f.read_at(c.off + eoff + in_entry, out.first(n)));
    } else {
      if (!(cache.source_id == id_ && cache.chunk == ci && cache.entry == e)) {
        // The entry's compressed bytes end at the next entry or the segment end.
        uint64_t end = c.disk_size;
        for (size_t j = e + 1; j < c.entries.size(); ++j) {
          uint64_t o = uint64_t{c.entries[j] & ~kEntryUncompressed} * kExtBlockSize;
          if (o > eoff) {
            end = std::min(end, o);
            break;
          }
        }
        if (eoff >= end) {
          return file_error(
              Errc::corrupt, f, c.off,
              strfmt("s390_ext entry %zu offset %s is outside its segment", e, hex(eoff).c_str()));
        }
        DUMPFMT_TRY_ASSIGN(auto in, read_vector(f, c.off + eoff, end - eoff));
        cache.source_id = 0;
        cache.data.assign(static_cast<size_t>(entry_len), std::byte{0});
        z_stream zs{};
        if (inflateInit2(&zs, MAX_WBITS) != Z_OK) {
          return make_error(Errc::io, "zlib: inflateInit2 failed");
        }
        zs.next_in = reinterpret_cast<Bytef*>(in.data());
        zs.avail_in = static_cast<uInt>(in.size());
        zs.next_out = reinterpret_cast<Bytef*>(cache.data.data());
        zs.avail_out = static_cast<uInt>(cache.data.size());
        int rc = inflate(&zs, Z_FINISH);
        const bool full = zs.avail_out == 0;
        inflateEnd(&zs);
        if (!full || (rc != Z_STREAM_END && rc != Z_OK && rc != Z_BUF_ERROR)) {
          return file_error(Errc::corrupt, f, c.off + eoff,
                            strfmt("s390_ext zlib entry %zu of the segment at memory %s does not "
                                   "inflate to %s bytes",
                                   e, hex(c.start).c_str(), hex(entry_len).c_str()));
        }
        cache.source_id = id_;
        cache.chunk = ci;
        cache.entry = e;
      }
      std::memcpy(out.data(), cache.data.data() + in_entry, n);
    }
    out = out.subspan(n);
    rel += n;
  }
  return ok();
}

Status S390Source::read_mem(uint64_t addr, std::span<std::byte> out) const {
  std::memset(out.data(), 0, out.size());
  const uint64_t end = addr + out.size();
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), addr,
                             [](uint64_t a, const Chunk& c) { return a < c.start; });
  if (it != chunks_.begin()) --it;
  for (; it != chunks_.end() && it->start < end; ++it) {
    const Chunk& c = *it;
    const uint64_t lo = std::max(addr, c.start);
    const uint64_t hi = std::min(end, c.start + c.len);
    if (lo >= hi) continue;
    std::span<std::byte> dst =
        out.subspan(static_cast<size_t>(lo - addr), static_cast<size_t>(hi - lo));
    if (c.compressed) {
      DUMPFMT_TRY(read_compressed(static_cast<size_t>(it - chunks_.begin()), lo - c.start, dst));
    } else {
      const File& f = *files_[c.file];
      DUMPFMT_TRY(copy_from(f, c.off + (lo - c.start), dst));
    }
  }
  return ok();
}

Result<PageState> S390Source::read_page(Pfn pfn, std::span<std::byte> out) const {
  const uint64_t ps = info_.page_size;
  DUMPFMT_TRY(check_page_buffer(*files_[0], out.size(), ps));
  if (!present_.contains(pfn)) return PageState::excluded;
  if (auto st = read_mem(pfn * ps, out); !st) {
    return with_context(std::move(st).error(), "page " + hex(pfn));
  }
  return PageState::present;
}

// --- opening ---------------------------------------------------------------

struct Volume {
  const File* file = nullptr;
  size_t index = 0;
  Header h;
};

Result<Header> read_header(const File& f) {
  if (f.size() < kHeaderSize) {
    return file_error(
        Errc::truncated, f, f.size(),
        strfmt("the file ends inside the %s-byte s390 dump header", hex(kHeaderSize).c_str()));
  }
  DUMPFMT_TRY_ASSIGN(auto raw, read_vector(f, 0, kHeaderSize));
  return decode_header(raw);
}

Status check_header(const File& f, const Header& h) {
  const uint32_t ps = h.page_size;
  if (ps < 512 || ps > (1u << 20) || (ps & (ps - 1)) != 0) {
    return file_error(Errc::corrupt, f, 0x14,
                      strfmt("s390 page size %u is not a power of two in [512, 1 MiB]", ps));
  }
  if (h.hdr_size < kHeaderSize || h.hdr_size > f.size()) {
    return file_error(Errc::corrupt, f, 0x0c,
                      strfmt("s390 header size %s is below %s or past the end of the file",
                             hex(h.hdr_size).c_str(), hex(kHeaderSize).c_str()));
  }
  if (h.arch != kArch32 && h.arch != kArch64) {
    return file_error(
        Errc::unsupported, f, 0x48,
        strfmt("s390 dump architecture %u is neither 1 (s390) nor 2 (s390x)", h.arch));
  }
  if (h.mem_size > kMaxMemSize) {
    return file_error(Errc::corrupt, f, 0x18,
                      strfmt("s390 memory size %s is beyond 2^52 bytes", hex(h.mem_size).c_str()));
  }
  if (h.cpu_cnt > kCpuMax) {
    return file_error(Errc::corrupt, f, 0x5d,
                      strfmt("s390 CPU count %u exceeds %u", h.cpu_cnt, kCpuMax));
  }
  return ok();
}

struct Opener {
  S390Source& src;
  std::vector<std::string>& warnings;
  bool end_found = false;
  uint64_t end_tod = 0;

  void warn(std::string m) { warnings.push_back(std::move(m)); }

  /// The end marker at `off` of `f`; a missing one is reported, not fatal.
  Status check_end_marker(const File& f, uint64_t off, const Header& h) {
    if (off > f.size() || f.size() - off < kEndMarkerSize) return ok();  // truncation handled later
    std::byte raw[kEndMarkerSize];
    DUMPFMT_TRY(f.read_at(off, raw));
    ByteReader r(raw, Endian::big, off);
    DUMPFMT_TRY_ASSIGN(const uint64_t magic, r.peek<uint64_t>(0));
    if (magic != kEndMarkerMagic) {
      warn(file_error(Errc::corrupt, f, off,
                      "no DUMP_END end marker after the memory image; the dump may be "
                      "incomplete or damaged")
               .message);
      return ok();
    }
    DUMPFMT_TRY_ASSIGN(end_tod, r.peek<uint64_t>(8));
    end_found = true;
    if (end_tod < h.tod) {
      warn(file_error(Errc::corrupt, f, off + 8,
                      "end marker time is before the header time (zgetdump rejects this)")
               .message);
    }
    return ok();
  }

  Status open_classic(const File& f, const Header& h) {
    Chunk c;
    c.start = 0;
    c.len = h.mem_size;
    c.off = h.hdr_size;
    const uint64_t avail = f.size() - h.hdr_size;
    src.readable_end_ = std::min(avail, h.mem_size);
    if (avail < h.mem_size) {
      warn(file_error(Errc::truncated, f, f.size(),
                      strfmt("the file ends %s bytes into the %s-byte memory image; the rest "
                             "of memory is lost",
                             hex(avail).c_str(), hex(h.mem_size).c_str()))
               .message);
      c.len = avail;
    }
    if (c.len) src.chunks_.push_back(std::move(c));
    return check_end_marker(f, uint64_t{h.hdr_size} + h.mem_size, h);
  }

  /// Walks one volume's segments. Returns true when the stop marker was seen.
  Result<bool> walk_segments(const Volume& v, uint64_t& mem_floor) {
    const File& f = *v.file;
    uint64_t off = v.h.hdr_size;
    while (true) {
      if (f.size() < off || f.size() - off < kSegmentHeaderSize) {
        if (v.h.mvdump) return false;  // a volume may end without a stop marker
        warn(file_error(Errc::truncated, f, off,
                        "the file ends before the next s390_ext segment header; the rest of "
                        "memory is lost")
                 .message);
        return false;
      }
      DUMPFMT_TRY_ASSIGN(auto raw, read_vector(f, off, kSegmentHeaderSize));
      DUMPFMT_TRY_ASSIGN(SegmentHeader s, decode_segment_header(raw));
      if (v.h.mvdump && s.len == 0 && s.start == 0 && !s.stop_marker) return false;  // unused
      uint64_t seg_end;
      if (!checked_add(s.start, s.len, &seg_end) || seg_end > src.mem_size_ ||
          s.start < mem_floor) {
        return file_error(
            Errc::corrupt, f, off,
            strfmt("s390_ext segment [%s, +%s) is out of order or outside the "
                   "%s-byte memory",
                   hex(s.start).c_str(), hex(s.len).c_str(), hex(src.mem_size_).c_str()));
      }
      const uint64_t data = off + kSegmentHeaderSize;
      Chunk c;
      c.start = s.start;
      c.len = s.len;
      c.file = v.index;
      c.off = data;
      uint64_t stored;
      if (s.size_on_disk) {
        if (src.entry_size_ == 0) {
          return file_error(Errc::corrupt, f, 0x62,
                            "compressed s390_ext segment but the header has no zlib entry size");
        }
        const uint64_t need = (s.len + src.entry_size_ - 1) / src.entry_size_;
        if (s.entry_count > kSegmentMaxEntries || s.entry_count < need) {
          return file_error(
              Errc::corrupt, f, off + 0x30,
              strfmt("s390_ext segment has %u zlib entries; %s bytes need %llu", s.entry_count,
                     hex(s.len).c_str(), static_cast<unsigned long long>(need)));
        }
        c.compressed = true;
        c.entries = std::move(s.entry_offset);
        stored = uint64_t{s.size_on_disk} * kExtBlockSize;
        c.disk_size = stored;
      } else {
        stored = s.len;
      }
      if (f.size() - data < stored) {
        warn(file_error(Errc::truncated, f, f.size(),
                        strfmt("the file ends inside the s390_ext segment for memory %s; the "
                               "rest of memory is lost",
                               hex(s.start).c_str()))
                 .message);
        if (!c.compressed) {
          c.len = f.size() - data;
          src.readable_end_ = c.start + c.len;
          if (c.len) src.chunks_.push_back(std::move(c));
        }
        return false;
      }
      if (c.len) src.chunks_.push_back(std::move(c));
      mem_floor = seg_end;
      src.readable_end_ = seg_end;
      off = data + stored;
      if (s.stop_marker) {
        DUMPFMT_TRY(check_end_marker(f, off, v.h));
        // Memory after the last segment is zero, as between segments.
        src.readable_end_ = src.mem_size_;
        return true;
      }
    }
  }
};

}  // namespace

Result<bool> probe(const File& f) {
  if (f.size() < 8) return false;
  std::byte raw[8];
  DUMPFMT_TRY(f.read_at(0, raw));
  DUMPFMT_TRY_ASSIGN(const uint64_t m, ByteReader(raw, Endian::big).peek<uint64_t>(0));
  return m == kMagic || m == kMagicExt;
}

Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts) {
  if (files.empty()) return make_error(Errc::invalid_argument, "s390: no input file");
  auto src = std::make_unique<S390Source>();
  src->files_ = std::move(files);
  DumpInfo& info = src->info_;
  info.format = "s390";
  info.endian = Endian::big;

  std::vector<Volume> vols;
  for (size_t i = 0; i < src->files_.size(); ++i) {
    const File& f = *src->files_[i];
    DUMPFMT_TRY_ASSIGN(Header h, read_header(f));
    if (h.magic != kMagic && h.magic != kMagicExt) {
      return file_error(Errc::unknown_format, f, 0, "not an s390 dump (bad magic)");
    }
    vols.push_back(Volume{&f, i, std::move(h)});
  }
  Opener op{*src, info.warnings};
  const Header* ref = &vols.front().h;
  if (vols.size() == 1 && ref->magic == kMagic) {
    const File& f = *vols.front().file;
    DUMPFMT_TRY(check_header(f, *ref));
    src->mem_size_ = ref->mem_size;
    info.variant = strfmt("s390 single-volume, version %u", ref->version);
    info.compression = "none";
    DUMPFMT_TRY(op.open_classic(f, *ref));
  } else {
    for (const Volume& v : vols) {
      if (v.h.magic != kMagicExt) {
        return file_error(Errc::invalid_argument, *v.file, 0,
                          "a classic s390 dump is one file; it cannot be part of a "
                          "multi-volume set");
      }
    }
    if (vols.size() > 1) {
      for (const Volume& v : vols) {
        if (v.h.mvdump_sign != kMagicExt) {
          return file_error(Errc::invalid_argument, *v.file, 0x200,
                            "not a volume of a multi-volume s390 dump (no multi-volume "
                            "signature)");
        }
      }
      std::sort(vols.begin(), vols.end(),
                [](const Volume& a, const Volume& b) { return a.h.volnr < b.h.volnr; });
      for (size_t i = 0; i < vols.size(); ++i) {
        if (vols[i].h.volnr != i) {
          return file_error(Errc::invalid_argument, *vols[i].file, 0x4c,
                            strfmt("volume number %u: the volumes given are not 0..%zu of one "
                                   "set (each once)",
                                   vols[i].h.volnr, vols.size() - 1));
        }
        if (vols[i].h.mvdump_zipl_time != vols[0].h.mvdump_zipl_time) {
          return file_error(Errc::invalid_argument, *vols[i].file, 0x208,
                            "volume belongs to another multi-volume set (zipl time differs)");
        }
      }
    }
    ref = &vols.front().h;
    const File& f0 = *vols.front().file;
    DUMPFMT_TRY(check_header(f0, *ref));
    src->mem_size_ = ref->mem_size;
    if (ref->zlib_version_s390) {
      if (ref->zlib_entry_size == 0 || ref->zlib_entry_size > kMaxEntrySize ||
          ref->zlib_entry_size % ref->page_size) {
        return file_error(Errc::corrupt, f0, 0x62,
                          strfmt("s390_ext zlib entry size %s is not a page multiple up to 16 "
                                 "MiB",
                                 hex(ref->zlib_entry_size).c_str()));
      }
      src->entry_size_ = ref->zlib_entry_size;
    }
    info.variant = vols.size() > 1 || ref->mvdump
                       ? strfmt("s390 multi-volume, %zu volume(s)", vols.size())
                       : strfmt("s390_ext, version %u", ref->version);
    uint64_t floor = 0;
    bool stopped = false;
    for (const Volume& v : vols) {
      if (stopped) {
        op.warn(file_error(Errc::corrupt, *v.file, 0,
                           "volume after the one holding the last segment; ignored")
                    .message);
        continue;
      }
      if (v.index != vols.front().index) {
        if (v.h.mem_size == 0) continue;  // received no data
        if (v.h.hdr_size < kHeaderSize || v.h.hdr_size > v.file->size()) {
          return file_error(Errc::corrupt, *v.file, 0x0c, "bad s390 volume header size");
        }
      }
      DUMPFMT_TRY_ASSIGN(stopped, op.walk_segments(v, floor));
      if (!stopped && !v.h.mvdump) break;
    }
    if (!stopped && (vols.size() > 1 || ref->mvdump)) {
      op.warn(vols.back().file->name() +
              ": no volume holds the last segment (stop marker); the volumes given are "
              "incomplete and the rest of memory is lost");
    }
    bool any_zlib = false;
    for (const Chunk& c : src->chunks_) any_zlib |= c.compressed;
    info.compression = any_zlib ? "zlib" : "none";
  }

  const uint32_t ps = ref->page_size;
  info.page_size = ps;
  info.arch = ref->arch == kArch64 ? Arch::s390x : Arch::s390;
  info.header_version = ref->version;
  info.nr_cpus = ref->cpu_cnt;
  if (ref->tod) info.crash_time = tod_to_unix_seconds(ref->tod);
  const Pfn npages = (src->mem_size_ + ps - 1) / ps;
  // The page sets cost 16 bytes per 32768 PFNs even when full; a memory size
  // far beyond what the input could hold is a damaged header, not a reason
  // to allocate (a cut-short copy of a real dump stays well inside this).
  uint64_t input = 0;
  for (const auto& f : src->files_) input += f->size();
  if (npages / PfnSet::kChunkPfns > (input * 8 + (uint64_t{1} << 20)) / 16) {
    return file_error(Errc::corrupt, *vols.front().file, 0x18,
                      strfmt("s390 memory size %s is implausible for %s bytes of dump",
                             hex(src->mem_size_).c_str(), hex(input).c_str()));
  }
  info.max_pfn = npages;
  src->ram_.insert_range(0, npages);
  const Pfn readable = src->readable_end_ / ps;
  src->present_.insert_range(0, std::min(readable, npages));
  if (readable < npages) {
    info.incomplete = true;
    info.lost_from = readable;
  }
  if (ref->num_pages != npages && ref->magic == kMagic) {
    op.warn(strfmt("%s: offset 0x30: num_pages %u does not match the memory size (%llu pages)",
                   vols.front().file->name().c_str(), ref->num_pages,
                   static_cast<unsigned long long>(npages)));
  }

  // Registers: the 64-bit lowcore save areas of the CPUs in lc_vec.
  if (ref->arch == kArch64) {
    for (size_t i = 0; i < ref->lc_vec.size(); ++i) {
      const uint64_t pfx = ref->lc_vec[i];
      if (pfx + kLcSaveEnd > src->readable_end_) {
        op.warn(
            strfmt("%s: CPU %zu's lowcore (prefix %s) is outside the dumped memory; its "
                   "registers are unknown",
                   vols.front().file->name().c_str(), i, hex(pfx).c_str()));
        continue;
      }
      std::vector<std::byte> sa(kLcSaveEnd - kLcSaveStart);
      DUMPFMT_TRY(src->read_mem(pfx + kLcSaveStart, sa));
      DUMPFMT_TRY_ASSIGN(auto notes, lowcore_to_notes(sa, static_cast<uint32_t>(pfx)));
      for (Note& n : notes) info.notes.push_back(std::move(n));
    }
  }

  // VMCOREINFO lives in memory: absolute lowcore 0xe0 points at its ELF note.
  std::byte ptr[8];
  if (src->readable_end_ >= kLcVmcoreInfo + 8 && src->read_mem(kLcVmcoreInfo, ptr)) {
    const uint64_t note = load<uint64_t>(ptr, Endian::big);
    std::byte nh[24];
    if (note != 0 && note < src->readable_end_ && src->readable_end_ - note >= sizeof nh &&
        src->read_mem(note, nh)) {
      const uint32_t namesz = load<uint32_t>(nh, Endian::big);
      const uint32_t descsz = load<uint32_t>(nh + 4, Endian::big);
      if (namesz == 11 && std::memcmp(nh + 12, "VMCOREINFO", 11) == 0 && descsz > 0 &&
          descsz <= kMaxVmcoreinfo && src->readable_end_ - note - sizeof nh >= descsz) {
        std::string text(descsz, '\0');
        if (src->read_mem(note + sizeof nh, as_writable_bytes(std::span(text.data(), descsz)))) {
          if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
          Note n;
          n.name = "VMCOREINFO";
          n.desc.assign(reinterpret_cast<const std::byte*>(text.data()),
                        reinterpret_cast<const std::byte*>(text.data()) + text.size());
          info.notes.push_back(std::move(n));
          info.uts.release = VmcoreinfoText::parse(text).osrelease().value_or("");
          info.vmcoreinfo = std::move(text);
        }
      }
    }
  }
  if (!info.vmcoreinfo) {
    op.warn(vols.front().file->name() +
            ": no VMCOREINFO found (s390 dumps keep it in memory, pointed to by lowcore "
            "0xe0); tools that need kernel symbols will need a vmlinux");
  }
  info.uts.machine = std::string(uts_machine_of(info.arch));
  if (opts.warn) {
    for (const auto& w : info.warnings) opts.warn(w);
  }
  return std::unique_ptr<PageSource>(std::move(src));
}

}  // namespace dumpfmt::detail::s390
