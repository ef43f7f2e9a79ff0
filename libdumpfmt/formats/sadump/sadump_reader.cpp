// Reads sadump files (docs/formats.md §7): single partition, disk set (one file
// per disk) and media backup. CPU state from the SMRAM save areas becomes
// NT_PRSTATUS and QEMU CPU-state notes, so registers (and the CR3/IDTR that
// KASLR detection needs) survive a conversion. Layout: sadump_layout.h.
#include <algorithm>
#include <cstring>
#include <map>

#include "dumpfmt/file.h"
#include "formats/format_entries.h"
#include "formats/reader_base.h"
#include "formats/sadump/sadump_layout.h"

namespace dumpfmt::detail::sadump {

namespace {

constexpr uint32_t kMaxCpus = 8192;
constexpr size_t kMagicScan = 64 * 1024 + 4;  // largest block size we accept, plus one word
constexpr uint64_t kBitmapChunk = 1u << 20;

/// Where disk `i`'s share of the data area lies.
struct Extent {
  size_t file = 0;
  uint64_t data_pos = 0;     // file offset of its first data block
  uint64_t blocks = 0;       // blocks it declares (used_device)
  uint64_t readable = 0;     // blocks actually in the file
  uint64_t first_block = 0;  // global index of its first block
};

class SadumpSource final : public SourceBase {
 public:
  Result<PageState> read_page(Pfn pfn, std::span<std::byte> out) const override;

  /// Index of pfn's data block: dumpable PFNs before it.
  uint64_t block_of(Pfn pfn) const {
    const uint64_t chunk = pfn >> PfnSet::kChunkShift;
    auto it = std::upper_bound(
        rank_.begin(), rank_.end(), chunk,
        [](uint64_t c, const std::pair<uint64_t, uint64_t>& r) { return c < r.first; });
    uint64_t before = 0;
    Pfn from = 0;
    if (it != rank_.begin()) {
      --it;
      before = it->second;
      from = it->first << PfnSet::kChunkShift;
    }
    return before + dumpable_.count_range(from, pfn);
  }

  std::vector<std::unique_ptr<File>> files_;
  PfnSet dumpable_;
  std::vector<std::pair<uint64_t, uint64_t>> rank_;  // chunk index -> dumpable PFNs before it
  std::vector<Extent> extents_;
  uint32_t bs_ = kDefaultBlockSize;
};

Result<PageState> SadumpSource::read_page(Pfn pfn, std::span<std::byte> out) const {
  DUMPFMT_TRY(check_page_buffer(*files_[0], out.size(), bs_));
  if (!present_.contains(pfn)) return PageState::excluded;
  const uint64_t b = block_of(pfn);
  for (const Extent& e : extents_) {
    if (b < e.first_block || b - e.first_block >= e.blocks) continue;
    const File& f = *files_[e.file];
    const uint64_t off = e.data_pos + (b - e.first_block) * bs_;
    std::span<const std::byte> v = f.view(off, out.size());
    if (v.size() == out.size()) {
      std::memcpy(out.data(), v.data(), out.size());
    } else if (auto st = f.read_at(off, out); !st) {
      return with_context(std::move(st).error(), "page " + hex(pfn));
    }
    return PageState::present;
  }
  return make_error(Errc::corrupt,
                    strfmt("%s: page %s: data block %s is beyond the data area",
                           files_[0]->name().c_str(), hex(pfn).c_str(), hex(b).c_str()));
}

// --- opening ---------------------------------------------------------------

enum class Kind { single, disk, media };

struct Disk {
  const File* file = nullptr;
  size_t index = 0;
  Kind kind = Kind::single;
  uint64_t part_pos = 0;  // offset of the partition header
  PartHeader part;
  MediaHeader media;
};

/// Reads the partition header (at 0, or at 4096 after a media header).
Result<std::optional<Disk>> identify(const File& f) {
  auto sig_at = [&](uint64_t off) -> Result<bool> {
    if (f.size() < off + 8) return false;
    std::byte raw[8];
    DUMPFMT_TRY(f.read_at(off, raw));
    ByteReader r(raw, Endian::little, off);
    const bool sig =
        r.field<uint32_t>(0) == kPartSignature1 && r.field<uint32_t>(4) == kPartSignature2;
    return r.finish(sig);
  };
  Disk d;
  DUMPFMT_TRY_ASSIGN(bool at0, sig_at(0));
  if (at0) {
    d.part_pos = 0;
  } else {
    DUMPFMT_TRY_ASSIGN(bool at_block, sig_at(kDefaultBlockSize));
    if (!at_block) return std::optional<Disk>{};
    d.kind = Kind::media;
    d.part_pos = kDefaultBlockSize;
    DUMPFMT_TRY_ASSIGN(auto mh, read_vector(f, 0, 64));
    DUMPFMT_TRY_ASSIGN(d.media, decode_media_header(mh));
  }
  if (f.size() - d.part_pos < kPartHeaderFixed + 4) {
    return file_error(Errc::truncated, f, f.size(),
                      "the file ends inside the sadump partition header");
  }
  DUMPFMT_TRY_ASSIGN(auto ph, read_vector(f, d.part_pos, kPartHeaderFixed));
  DUMPFMT_TRY_ASSIGN(d.part, decode_part_header(ph));
  if (d.kind != Kind::media) d.kind = d.part.set_disk_set == 0 ? Kind::single : Kind::disk;
  d.file = &f;
  return std::optional<Disk>{std::move(d)};
}

Result<uint32_t> block_size_of(const Disk& d) {
  const File& f = *d.file;
  const uint64_t n = std::min<uint64_t>(f.size() - d.part_pos, kMagicScan);
  DUMPFMT_TRY_ASSIGN(auto head, read_vector(f, d.part_pos, n));
  auto bs = magic_block_size(head);
  if (!bs || *bs < 512) {
    return file_error(Errc::corrupt, f, d.part_pos + kMagicOff,
                      "the sadump partition header's magic number sequence does not fill a "
                      "power-of-two block");
  }
  return *bs;
}

/// Parses an MSB-first bitmap of `bits` PFNs at `off` into `set`, a word of
/// 64 PFNs at a time (kBitmapChunk is a multiple of 8 bytes).
Status read_bitmap(const File& f, uint64_t off, uint64_t bits, PfnSet& set) {
  const uint64_t bytes = (bits + 7) / 8;
  for (uint64_t done = 0; done < bytes; done += kBitmapChunk) {
    const uint64_t n = std::min(kBitmapChunk, bytes - done);
    DUMPFMT_TRY_ASSIGN(auto buf, read_vector(f, off + done, n));
    for (uint64_t i = 0; i < n; i += 8) {
      uint64_t word = 0;  // PFN base+j at bit j: each byte's bits reversed
      for (uint64_t j = 0; j < 8 && i + j < n; ++j)
        word |= uint64_t{reverse_bits(static_cast<uint8_t>(buf[i + j]))} << (8 * j);
      set.insert_word((done + i) * 8, word);
    }
  }
  if (bits % 8) set.erase_range(bits, (bits + 7) / 8 * 8);
  return ok();
}

struct Opener {
  SadumpSource& src;
  const OpenOptions& opts;
  std::vector<Disk> disks;

  void warn(std::string m) { src.info_.warnings.push_back(std::move(m)); }

  Status check_set_member(const Disk& first, const Disk& d) {
    const File& f = *d.file;
    if (d.kind != Kind::disk) {
      return file_error(Errc::invalid_argument, f, d.part_pos + 152,
                        "not a disk of a sadump disk set (set_disk_set is 0)");
    }
    if (d.part.sadump_id != first.part.sadump_id) {
      return file_error(Errc::invalid_argument, f, d.part_pos + 88,
                        "disk belongs to another system (sadump_id differs from the first disk)");
    }
    if (d.part.disk_set_id != first.part.disk_set_id) {
      return file_error(Errc::invalid_argument, f, d.part_pos + 104,
                        "disk belongs to another disk set (disk_set_id differs)");
    }
    if (d.part.time_stamp != first.part.time_stamp) {
      warn(
          file_error(Errc::corrupt, f, d.part_pos + 136, "time stamp differs from the first disk's")
              .message);
    }
    return ok();
  }

  Status open() {
    DumpInfo& info = src.info_;
    // Sort a disk set by disk number and check it is complete.
    Disk* first = &disks.front();
    if (disks.size() > 1 || first->kind == Kind::disk) {
      std::sort(disks.begin(), disks.end(), [](const Disk& a, const Disk& b) {
        return a.part.set_disk_set < b.part.set_disk_set;
      });
      for (size_t i = 0; i < disks.size(); ++i) {
        if (disks[i].kind != Kind::disk) {
          return file_error(Errc::invalid_argument, *disks[i].file, disks[i].part_pos + 152,
                            disks[i].kind == Kind::media
                                ? "a sadump media backup is a single file"
                                : "a single-partition sadump is a single file, not a disk set");
        }
        if (disks[i].part.set_disk_set != i + 1) {
          return file_error(Errc::invalid_argument, *disks[i].file, disks[i].part_pos + 152,
                            strfmt("disk number %u: the files given are not disks 1..%zu of one "
                                   "set (each once)",
                                   disks[i].part.set_disk_set, disks.size()));
        }
      }
      first = &disks.front();
      for (size_t i = 1; i < disks.size(); ++i) DUMPFMT_TRY(check_set_member(*first, disks[i]));
    }
    const File& f = *first->file;
    if (first->kind == Kind::media) {
      if (first->media.sadump_id != first->part.sadump_id ||
          first->media.disk_set_id != first->part.disk_set_id) {
        return file_error(Errc::corrupt, f, 0,
                          "media backup header does not match its partition header (system or "
                          "disk set ID)");
      }
      if (first->media.time_stamp != first->part.time_stamp) {
        warn(file_error(Errc::corrupt, f, 32,
                        "media backup header time stamp differs from the partition header's")
                 .message);
      }
      if (first->media.sequential_num != 1) {
        return file_error(Errc::unsupported, f, 48,
                          strfmt("media backup file number %u; open the first file (number 1)",
                                 first->media.sequential_num));
      }
    }

    DUMPFMT_TRY_ASSIGN(const uint32_t bs, block_size_of(*first));
    src.bs_ = bs;
    uint64_t pos = first->part_pos + bs;
    uint32_t disk_num = 1;
    if (first->kind == Kind::disk) {
      if (f.size() < pos + kDiskSetFixed) {
        return file_error(Errc::truncated, f, pos, "the file ends inside the disk set header");
      }
      DUMPFMT_TRY_ASSIGN(auto dsh, read_vector(f, pos, kDiskSetFixed));
      ByteReader dr(dsh, Endian::little, pos);
      const uint32_t dsh_blocks = dr.field<uint32_t>(0);
      disk_num = dr.field<uint32_t>(4);
      DUMPFMT_TRY(dr.finish());
      if (dsh_blocks == 0 || dsh_blocks > 16) {
        return file_error(Errc::corrupt, f, pos,
                          strfmt("disk set header size %u blocks is not in 1..16", dsh_blocks));
      }
      if (disk_num == 0 || disk_num > kMaxDisks) {
        return file_error(Errc::corrupt, f, pos + 4,
                          strfmt("disk set of %u disks (at most %u)", disk_num, kMaxDisks));
      }
      if (disk_num != disks.size()) {
        return file_error(Errc::invalid_argument, f, pos + 4,
                          strfmt("the disk set has %u disk(s) but %zu file(s) were given", disk_num,
                                 disks.size()));
      }
      check_volume_ids(pos, disk_num);
      pos += uint64_t{dsh_blocks} * bs;
    }

    if (f.size() < pos + kHeaderSize) {
      return file_error(Errc::truncated, f, pos, "the file ends inside the sadump dump header");
    }
    DUMPFMT_TRY_ASSIGN(auto hraw, read_vector(f, pos, kHeaderSize));
    DUMPFMT_TRY_ASSIGN(const DumpHeader h, decode_dump_header(hraw));
    if (std::memcmp(h.signature.data(), "sadump\0\0", 8) != 0) {
      return file_error(Errc::corrupt, f, pos, "no \"sadump\" signature in the dump header");
    }
    if (h.block_size != bs) {
      return file_error(Errc::corrupt, f, pos + 40,
                        strfmt("dump header block size %u differs from the %u bytes the magic "
                               "number sequence gives",
                               h.block_size, bs));
    }
    uint64_t max_mapnr = h.max_mapnr;
    if (h.header_version >= 1) max_mapnr = h.max_mapnr_64;
    if (h.header_version > 1) {
      warn(file_error(Errc::unsupported, f, pos + 8,
                      strfmt("unknown header version %u; read as version 1", h.header_version))
               .message);
    }
    if (h.bitmap_blocks == 0 || h.dumpable_bitmap_blocks == 0) {
      return file_error(Errc::corrupt, f, pos + 52, "sadump bitmap size is zero");
    }
    const uint64_t sub_pos = pos + bs;
    uint64_t sub_bytes, bm_pos, ram_bytes, dump_bytes, dump_pos, data_pos;
    if (!checked_mul(h.sub_hdr_size, bs, &sub_bytes) || !checked_add(sub_pos, sub_bytes, &bm_pos) ||
        !checked_mul(h.bitmap_blocks, bs, &ram_bytes) ||
        !checked_mul(h.dumpable_bitmap_blocks, bs, &dump_bytes) ||
        !checked_add(bm_pos, ram_bytes, &dump_pos) ||
        !checked_add(dump_pos, dump_bytes, &data_pos) || data_pos > f.size()) {
      return file_error(
          Errc::truncated, f, pos + 48,
          strfmt("sub header (%u blocks) and bitmaps (%u + %u blocks) end past "
                 "the end of the file (%s bytes)",
                 h.sub_hdr_size, h.bitmap_blocks, h.dumpable_bitmap_blocks, hex(f.size()).c_str()));
    }
    const uint64_t max_pfn = std::min({max_mapnr, ram_bytes * 8, dump_bytes * 8});
    if (max_pfn < max_mapnr) {
      warn(file_error(Errc::corrupt, f, pos + 60,
                      strfmt("max_mapnr %s exceeds the bitmaps; using %s", hex(max_mapnr).c_str(),
                             hex(max_pfn).c_str()))
               .message);
    }
    DUMPFMT_TRY(read_bitmap(f, bm_pos, max_pfn, src.ram_));
    DUMPFMT_TRY(read_bitmap(f, dump_pos, max_pfn, src.dumpable_));
    {
      PfnSet stray = src.dumpable_;
      stray.subtract(src.ram_);
      if (!stray.empty()) {
        warn(file_error(Errc::corrupt, f, dump_pos,
                        strfmt("%llu dumpable page(s) are not RAM in the RAM bitmap",
                               static_cast<unsigned long long>(stray.count())))
                 .message);
        src.ram_.add(stray);
      }
    }
    build_rank();
    DUMPFMT_TRY(build_extents(data_pos));
    DUMPFMT_TRY(read_cpus(f, sub_pos, sub_bytes, h.nr_cpus));

    info.format = "sadump";
    info.variant = first->kind == Kind::media  ? "sadump media backup"
                   : first->kind == Kind::disk ? strfmt("sadump disk set (%u disks)", disk_num)
                                               : "sadump single partition";
    info.endian = Endian::little;
    info.page_size = bs;
    info.max_pfn = max_pfn;
    info.header_version = h.header_version;
    info.compression = "none";
    info.crash_time = efi_time_to_unix(first->part.time_stamp);
    if (!info.crash_time) info.crash_time = efi_time_to_unix(h.timestamp);
    info.uts.machine = std::string(uts_machine_of(info.arch));
    warn(f.name() +
         ": sadump carries no VMCOREINFO; the kernel release, symbols and page-table layout "
         "must come from the kernel's debug vmlinux (makedumpfile -x, crash VMLINUX)");
    return ok();
  }

  // makedumpfile compares vol_info[k-2] with disk k's vol_id, libkdumpfile
  // vol_info[k-1]; accept either, and only warn.
  void check_volume_ids(uint64_t dsh_pos, uint32_t disk_num) {
    const File& f = *disks.front().file;
    auto raw = read_vector(f, dsh_pos + kDiskSetFixed, uint64_t{kVolInfoSize} * 15);
    if (!raw) return;
    for (uint32_t k = 2; k <= disk_num; ++k) {
      const Guid& id = disks[k - 1].part.vol_id;
      auto matches = [&](uint32_t slot) {
        return slot < 15 && std::memcmp(raw->data() + slot * kVolInfoSize, id.data(), 16) == 0;
      };
      if (!matches(k - 2) && !matches(k - 1)) {
        warn(file_error(Errc::corrupt, *disks[k - 1].file, disks[k - 1].part_pos + 120,
                        strfmt("volume ID of disk %u is not in the disk set header", k))
                 .message);
      }
    }
  }

  void build_rank() {
    std::map<uint64_t, uint64_t> per_chunk;
    src.dumpable_.for_each_run([&](Pfn a, Pfn b) {
      while (a < b) {
        const uint64_t c = a >> PfnSet::kChunkShift;
        const Pfn end = std::min(b, (c + 1) << PfnSet::kChunkShift);
        per_chunk[c] += end - a;
        a = end;
      }
    });
    uint64_t cum = 0;
    for (auto [c, n] : per_chunk) {
      src.rank_.emplace_back(c, cum);
      cum += n;
    }
  }

  Status build_extents(uint64_t data_pos0) {
    const uint32_t bs = src.bs_;
    const uint64_t needed = src.dumpable_.count();
    uint64_t next_block = 0;
    for (size_t i = 0; i < disks.size(); ++i) {
      const File& f = *disks[i].file;
      Extent e;
      e.file = disks[i].index;
      e.data_pos = i == 0 ? data_pos0 : disks[i].part_pos + bs;
      const uint64_t used = disks[i].part.used_device;
      if (used < e.data_pos) {
        return file_error(Errc::corrupt, f, disks[i].part_pos + 160,
                          strfmt("used_device %s is below the data area start %s",
                                 hex(used).c_str(), hex(e.data_pos).c_str()));
      }
      e.blocks = (used - e.data_pos) / bs;
      const uint64_t in_file = f.size() > e.data_pos ? (f.size() - e.data_pos) / bs : 0;
      e.readable = std::min(e.blocks, in_file);
      e.first_block = next_block;
      next_block += e.blocks;
      if (e.readable < e.blocks && e.first_block + e.readable < needed) {
        warn(file_error(Errc::truncated, f, f.size(),
                        strfmt("the file ends %llu data block(s) short of its used_device size",
                               static_cast<unsigned long long>(e.blocks - e.readable)))
                 .message);
      }
      src.extents_.push_back(e);
    }
    src.present_ = src.dumpable_;
    if (next_block < needed) {
      warn(disks.front().file->name() +
           strfmt(": the data area holds %llu blocks but %llu pages are marked dumpable; the "
                  "rest are lost",
                  static_cast<unsigned long long>(next_block),
                  static_cast<unsigned long long>(needed)));
    }
    // Lost blocks: past a disk's end in its file, or past the whole data area.
    std::vector<std::pair<uint64_t, uint64_t>> lost;  // block ranges
    for (const Extent& e : src.extents_) {
      if (e.readable < e.blocks)
        lost.emplace_back(e.first_block + e.readable, e.first_block + e.blocks);
    }
    if (next_block < needed) lost.emplace_back(next_block, needed);
    if (lost.empty()) return ok();
    uint64_t block = 0;
    size_t li = 0;
    std::optional<Pfn> first_lost;
    src.dumpable_.for_each_run([&](Pfn a, Pfn b) {
      while (a < b && li < lost.size()) {
        const uint64_t run_first = block, run_end = block + (b - a);
        const uint64_t lo = std::max(run_first, lost[li].first);
        const uint64_t hi = std::min(run_end, lost[li].second);
        if (lo < hi) {
          src.present_.erase_range(a + (lo - run_first), a + (hi - run_first));
          if (!first_lost) first_lost = a + (lo - run_first);
        }
        if (lost[li].second <= run_end) {
          ++li;
          continue;
        }
        break;
      }
      block += b - a;
    });
    src.info_.incomplete = true;
    src.info_.lost_from = first_lost;
    return ok();
  }

  Status read_cpus(const File& f, uint64_t sub_pos, uint64_t sub_bytes, uint32_t nr_cpus) {
    DumpInfo& info = src.info_;
    info.nr_cpus = nr_cpus;
    info.arch = Arch::x86;
    if (nr_cpus == 0 || sub_bytes < 4) {
      info.arch = Arch::x86_64;
      warn(f.name() + ": no CPU state in the sadump sub header; architecture assumed x86_64");
      return ok();
    }
    if (nr_cpus > kMaxCpus) {
      return file_error(Errc::corrupt, f, sub_pos,
                        strfmt("%u CPUs (at most %u)", nr_cpus, kMaxCpus));
    }
    DUMPFMT_TRY_ASSIGN(auto sub, read_vector(f, sub_pos, sub_bytes));
    DUMPFMT_TRY_ASSIGN(const uint32_t total,
                       ByteReader(sub, Endian::little, sub_pos).peek<uint32_t>(0));
    const uint64_t each = total / nr_cpus;
    const uint64_t states = 4 + uint64_t{nr_cpus} * kApicStateSize;
    if (each < kSmramSize || states + each * nr_cpus > sub.size()) {
      return file_error(Errc::corrupt, f, sub_pos,
                        strfmt("SMRAM CPU state of %u bytes for %u CPUs does not fit the %s-byte "
                               "sub header (each state needs %zu bytes)",
                               total, nr_cpus, hex(sub.size()).c_str(), kSmramSize));
    }
    std::vector<CpuState> cpus;
    for (uint32_t i = 0; i < nr_cpus; ++i) {
      auto sm = std::span<const std::byte>(sub).subspan(states + i * each, kSmramSize);
      DUMPFMT_TRY_ASSIGN(CpuState s, smram_to_state(sm));
      if (s.efer && (*s.efer & kEferLma)) info.arch = Arch::x86_64;
      cpus.push_back(s);
    }
    // NT_PRSTATUS for every CPU, then QEMU's CPU-state note (CR3, IDTR ...), as QEMU orders them.
    for (const CpuState& s : cpus) {
      Note n;
      n.name = "CORE";
      n.type = kNtPrstatus;
      n.desc = info.arch == Arch::x86_64 ? state_to_prstatus64(s, 0) : state_to_prstatus32(s, 0);
      info.notes.push_back(std::move(n));
    }
    for (const CpuState& s : cpus) {
      Note n;
      n.name = "QEMU";
      n.desc = state_to_qemu_note(s);
      info.notes.push_back(std::move(n));
    }
    return ok();
  }
};

}  // namespace

Result<bool> probe(const File& f) {
  DUMPFMT_TRY_ASSIGN(auto d, identify(f));
  return d.has_value();
}

Result<std::unique_ptr<PageSource>> open(std::vector<std::unique_ptr<File>> files,
                                         const OpenOptions& opts) {
  if (files.empty()) return make_error(Errc::invalid_argument, "sadump: no input file");
  if (files.size() > kMaxDisks) {
    return make_error(
        Errc::invalid_argument,
        strfmt("a sadump disk set has at most %u disks; %zu files given", kMaxDisks, files.size()));
  }
  auto src = std::make_unique<SadumpSource>();
  src->files_ = std::move(files);
  Opener op{*src, opts, {}};
  for (size_t i = 0; i < src->files_.size(); ++i) {
    const File& f = *src->files_[i];
    DUMPFMT_TRY_ASSIGN(auto d, identify(f));
    if (!d) return file_error(Errc::unknown_format, f, 0, "not a sadump file");
    d->index = i;
    op.disks.push_back(std::move(*d));
  }
  DUMPFMT_TRY(op.open());
  if (opts.warn) {
    for (const auto& w : src->info_.warnings) opts.warn(w);
  }
  return std::unique_ptr<PageSource>(std::move(src));
}

}  // namespace dumpfmt::detail::sadump
