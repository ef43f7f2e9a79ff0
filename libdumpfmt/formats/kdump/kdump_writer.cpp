// Writer of kdump-compressed dumps, header version 6 (makedumpfile's
// diskdump_mod.h layout, docs/formats.md §3 and §5): headers, bitmaps and the
// descriptor table laid out in begin(), page data appended in PFN order.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "dumpfmt/dump_writer.h"
#include "dumpfmt/vmcoreinfo.h"
#include "formats/format_entries.h"
#include "formats/kdump/kdump_layout.h"
#include "formats/writer_base.h"

namespace dumpfmt::detail::kdump {

namespace {

constexpr size_t kBitmapChunk = size_t{1} << 20;  // bytes of bitmap exported per write
constexpr size_t kDescBufEntries = 65536;         // 1.5 MiB of buffered descriptors

uint32_t align4(size_t v) { return static_cast<uint32_t>((v + 3) & ~size_t{3}); }

// Offset of the VMCOREINFO note's descriptor inside a serialised note area.
std::optional<std::pair<uint64_t, uint64_t>> find_vmcoreinfo_desc(std::span<const std::byte> area,
                                                                  Endian e) {
  ByteReader r(area, e);
  size_t pos = 0;
  while (area.size() - pos >= 12) {
    uint32_t namesz = r.field<uint32_t>(pos);
    uint32_t descsz = r.field<uint32_t>(pos + 4);
    size_t desc = pos + 12 + align4(namesz);
    if (desc > area.size() || descsz > area.size() - desc) break;
    std::string_view name(reinterpret_cast<const char*>(area.data() + pos + 12),
                          strnlen(reinterpret_cast<const char*>(area.data() + pos + 12), namesz));
    if (name == "VMCOREINFO") return std::make_pair(uint64_t{desc}, uint64_t{descsz});
    pos = desc + align4(descsz);
  }
  return std::nullopt;
}

class KdumpWriter final : public WriterBase {
 public:
  KdumpWriter(OutputSink& out, WriteOptions opts)
      : WriterBase(out, std::move(opts), "kdump writer") {}

  CodecId wanted_codec() const override { return opts_.codec; }
  Status begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) override;
  Status write_page(const EncodedPage& page) override;
  Status finish() override;
  bool supports_windows() const override { return true; }
  Status begin_windows(const DumpInfo& info, Pfn max_pfn, uint64_t page_count) override;
  Status begin_window(Pfn first, Pfn last, const PfnSet& ram, const PfnSet& pages) override;

 private:
  // Writes the headers and places the bitmaps, the descriptor table for
  // `page_count` pages and the shared zero page.
  Status lay_out(const DumpInfo& info, uint64_t max_mapnr, uint64_t page_count);
  // Both bitmaps' bytes for PFNs [first, first + 8 * bytes).
  Status write_bitmaps(Pfn first, uint64_t bytes, const PfnSet& ram, const PfnSet& pages);
  Status write_bitmap(uint64_t off, Pfn first, uint64_t bytes, const PfnSet& a, const PfnSet* b);
  Status flush_descs();

  Endian endian_ = Endian::little;
  SubLayout sub_layout_ = SubLayout::w64;
  uint32_t block_size_ = 0;
  SubHeader sub_;
  std::string eraseinfo_;
  PfnSet expected_;  // pages inside this file's range
  uint64_t expected_count_ = 0;
  uint64_t written_ = 0;
  std::optional<Pfn> last_pfn_;
  uint64_t max_mapnr_ = 0;
  uint64_t bitmap_off_ = 0;   // the 1st bitmap; the 2nd follows at bitmap_half_
  uint64_t bitmap_half_ = 0;  // bytes of each bitmap
  bool windowed_ = false;
  Pfn window_next_ = 0;  // windowed: where the next window starts
  uint64_t desc_off_ = 0;
  uint64_t data_pos_ = 0;
  PageDesc zero_desc_;
  std::vector<std::byte> desc_buf_;
  uint64_t desc_buf_first_ = 0;  // index of the first buffered descriptor
};

Status KdumpWriter::write_bitmap(uint64_t off, Pfn first, uint64_t bytes, const PfnSet& a,
                                 const PfnSet* b) {
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(bytes, kBitmapChunk)));
  std::vector<uint8_t> extra(b ? buf.size() : 0);
  for (uint64_t done = 0; done < bytes;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - done));
    std::span<uint8_t> chunk(buf.data(), n);
    a.export_bitmap(first + done * 8, chunk);
    if (b) {
      b->export_bitmap(first + done * 8, std::span(extra.data(), n));
      for (size_t i = 0; i < n; ++i) buf[i] |= extra[i];
    }
    DUMPFMT_TRY(out_.write_at(off + done, std::as_bytes(chunk)));
    done += n;
  }
  return ok();
}

Status KdumpWriter::write_bitmaps(Pfn first, uint64_t bytes, const PfnSet& ram,
                                  const PfnSet& pages) {
  // 1st = RAM (pages counted as RAM too, so 2nd ⊆ 1st), 2nd = pages.
  DUMPFMT_TRY(write_bitmap(bitmap_off_ + first / 8, first, bytes, ram, &pages));
  return write_bitmap(bitmap_off_ + bitmap_half_ + first / 8, first, bytes, pages, nullptr);
}

Status KdumpWriter::begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) {
  if (begun_) return misuse("begin() called twice");
  const uint64_t max_mapnr = std::max({info.max_pfn, pages.end_bound(), ram.end_bound()});
  if (opts_.split_range && opts_.split_range->first > opts_.split_range->second) {
    return misuse(strfmt("split range %s-%s is empty or reversed",
                         hex(opts_.split_range->first).c_str(),
                         hex(opts_.split_range->second).c_str()));
  }
  expected_ = pages;
  if (opts_.split_range) {
    expected_.erase_range(0, opts_.split_range->first);
    expected_.erase_range(opts_.split_range->second, std::numeric_limits<Pfn>::max());
  }
  expected_count_ = expected_.count();
  DUMPFMT_TRY(lay_out(info, max_mapnr, pages.count()));
  DUMPFMT_TRY(write_bitmaps(0, bitmap_half_, ram, pages));
  begun_ = true;
  return ok();
}

Status KdumpWriter::begin_windows(const DumpInfo& info, Pfn max_pfn, uint64_t page_count) {
  if (begun_) return misuse("begin_windows() after begin()");
  if (opts_.split_range) return misuse("a split part cannot be written in windows");
  expected_count_ = page_count;
  DUMPFMT_TRY(lay_out(info, std::max(info.max_pfn, max_pfn), page_count));
  windowed_ = true;
  begun_ = true;
  return ok();
}

Status KdumpWriter::begin_window(Pfn first, Pfn last, const PfnSet& ram, const PfnSet& pages) {
  if (!windowed_ || finished_) return misuse("begin_window() outside begin_windows()/finish()");
  const bool final = last >= max_mapnr_;
  if (first != window_next_ || first % 8 || (!final && last % 8) || last < first) {
    return misuse(
        strfmt("window %s-%s does not follow the previous one (ended at %s) on a "
               "byte of the bitmaps",
               hex(first).c_str(), hex(last).c_str(), hex(window_next_).c_str()));
  }
  if (pages.end_bound() > last || ram.end_bound() > last ||
      (pages.next(0).value_or(last) < first) || (ram.next(0).value_or(last) < first)) {
    return misuse(
        strfmt("the sets of window %s-%s reach outside it", hex(first).c_str(), hex(last).c_str()));
  }
  // The final window also writes the bitmaps' padding up to their end.
  const uint64_t bytes = final ? bitmap_half_ - first / 8 : (last - first) / 8;
  DUMPFMT_TRY(write_bitmaps(first, bytes, ram, pages));
  expected_ = pages;
  window_next_ = final ? max_mapnr_ : last;
  return ok();
}

Status KdumpWriter::lay_out(const DumpInfo& info, uint64_t max_mapnr, uint64_t total) {
  if (!out_.seekable()) {
    return make_error(Errc::unsupported,
                      out_.name() +
                          ": kdump-compressed output needs a seekable file; use the flattened "
                          "form (-F) for a pipe");
  }
  if (!flag_of_codec(opts_.codec)) {
    return make_error(Errc::unsupported, strfmt("kdump-compressed pages cannot be %s (no page "
                                                "flag for it); use zlib, lzo, snappy, zstd or none",
                                                std::string(codec_name(opts_.codec)).c_str()));
  }
  block_size_ = info.page_size;
  if ((block_size_ & (block_size_ - 1)) != 0 || block_size_ < kMinBlockSize ||
      block_size_ > kMaxBlockSize) {
    return misuse(strfmt("page size %u is not a power of two between 512 and 1 MiB", block_size_));
  }
  endian_ = info.endian;
  if (info.arch == Arch::unknown && opts_.warn) {
    opts_.warn(out_.name() +
               ": architecture unknown: writing the 64-bit kdump layout with an empty "
               "utsname.machine");
  }
  const bool is64 = arch_is_64bit(info.arch);
  const Word word = is64 ? Word::w64 : Word::w32;
  // i386 and ppc32 pack the sub-header's off_t fields; ARM and MIPS align them to 8.
  sub_layout_ = is64                                                  ? SubLayout::w64
                : (info.arch == Arch::arm || info.arch == Arch::mips) ? SubLayout::w32_padded
                                                                      : SubLayout::w32_packed;
  const uint64_t bs = block_size_;
  max_mapnr_ = max_mapnr;
  Pfn range_start = 0, range_end = max_mapnr;
  if (opts_.split_range) {
    range_start = opts_.split_range->first;
    range_end = opts_.split_range->second;
  }

  // Notes: the source's note area, plus a VMCOREINFO note if only the text is known.
  std::vector<Note> notes = notes_for_output(info);
  std::vector<std::byte> note_area = serialize_notes(notes, endian_);

  const uint64_t sub_size = sub_header_size(sub_layout_);
  const uint64_t sub_blocks = (sub_size + note_area.size() + bs - 1) / bs;
  const uint64_t bitmap_blocks = bitmap_blocks_for(max_mapnr, block_size_);
  if (bitmap_blocks > std::numeric_limits<uint32_t>::max() ||
      sub_blocks > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    return misuse(strfmt("%s PFNs need more bitmap blocks than the header can count",
                         hex(max_mapnr).c_str()));
  }

  MainHeader h;
  std::memcpy(h.signature, kKdumpSignature.data(), sizeof h.signature);
  h.version = kWrittenVersion;
  h.uts = info.uts;
  if (h.uts.machine.empty()) h.uts.machine = std::string(uts_machine_of(info.arch));
  if (h.uts.release.empty() && info.vmcoreinfo) {
    h.uts.release = VmcoreinfoText::parse(*info.vmcoreinfo).osrelease().value_or("");
  }
  h.tv_sec = info.crash_time.value_or(0);
  h.status = *flag_of_codec(opts_.codec);
  h.block_size = static_cast<int32_t>(block_size_);
  h.sub_hdr_size = static_cast<int32_t>(sub_blocks);
  h.bitmap_blocks = static_cast<uint32_t>(bitmap_blocks);
  h.max_mapnr =
      static_cast<uint32_t>(std::min<uint64_t>(max_mapnr, std::numeric_limits<uint32_t>::max()));
  uint32_t nr_cpus = info.nr_cpus;
  if (nr_cpus == 0) {
    for (const Note& n : notes) nr_cpus += n.name == "CORE" && n.type == kNtPrstatus;
  }
  h.nr_cpus = static_cast<int32_t>(nr_cpus);

  // crash relocates x86_64 kernels with the sub-header's phys_base: when the
  // source did not say, take the kernel's own VMCOREINFO value.
  int64_t phys_base = info.phys_base.value_or(0);
  if (!info.phys_base && info.vmcoreinfo) {
    const VmcoreinfoText vi = VmcoreinfoText::parse(*info.vmcoreinfo);
    if (auto pb = vi.integer("NUMBER(phys_base)", IntSyntax::c_literal)) phys_base = *pb;
  }
  sub_.phys_base = static_cast<uint64_t>(phys_base);
  sub_.dump_level = static_cast<int32_t>(opts_.dump_level);
  if (opts_.split_range) {
    sub_.split = 1;
    sub_.start_pfn = sub_.start_pfn_64 = range_start;
    sub_.end_pfn = sub_.end_pfn_64 = range_end;
  }
  const uint64_t note_off = bs + sub_size;
  if (!note_area.empty()) {
    sub_.offset_note = note_off;
    sub_.size_note = note_area.size();
    if (auto v = find_vmcoreinfo_desc(note_area, endian_)) {
      sub_.offset_vmcoreinfo = note_off + v->first;
      sub_.size_vmcoreinfo = v->second;
    }
  }
  sub_.max_mapnr_64 = max_mapnr;
  eraseinfo_ = info.eraseinfo;

  // Block 0: main header; then the sub-header with the notes right behind it.
  std::vector<std::byte> block(static_cast<size_t>(bs));
  encode_main_header(h, word, endian_, block);
  DUMPFMT_TRY(out_.write_at(0, block));
  std::vector<std::byte> sub_area(static_cast<size_t>(sub_blocks * bs));
  encode_sub_header(sub_, sub_layout_, endian_, sub_area);
  if (!note_area.empty())
    std::memcpy(sub_area.data() + sub_size, note_area.data(), note_area.size());
  DUMPFMT_TRY(out_.write_at(bs, sub_area));

  // The bitmaps are written by the caller: whole or window by window.
  bitmap_off_ = (1 + sub_blocks) * bs;
  bitmap_half_ = bitmap_blocks / 2 * bs;

  // Descriptor table sized for every page of the dump; a split part puts its
  // own descriptors at its start and its data after the whole table, leaving
  // a hole (docs/formats.md §5).
  desc_off_ = bitmap_off_ + bitmap_blocks * bs;
  desc_buf_first_ = 0;
  const uint64_t data_start = desc_off_ + total * kPageDescSize;
  std::fill(block.begin(), block.end(), std::byte{0});
  DUMPFMT_TRY(out_.write_at(data_start, block));  // data item #0: the shared zero page
  zero_desc_ = PageDesc{data_start, block_size_, 0, 0};
  data_pos_ = data_start + bs;
  desc_buf_.reserve(std::min<uint64_t>(expected_count_, kDescBufEntries) * kPageDescSize);
  return ok();
}

Status KdumpWriter::flush_descs() {
  if (desc_buf_.empty()) return ok();
  DUMPFMT_TRY(out_.write_at(desc_off_ + desc_buf_first_ * kPageDescSize, desc_buf_));
  desc_buf_first_ += desc_buf_.size() / kPageDescSize;
  desc_buf_.clear();
  return ok();
}

Status KdumpWriter::write_page(const EncodedPage& page) {
  if (!begun_ || finished_) return misuse("write_page() outside begin()/finish()");
  if (last_pfn_ && page.pfn <= *last_pfn_) {
    return misuse(strfmt("PFN %s arrived after PFN %s; pages must come in ascending order",
                         hex(page.pfn).c_str(), hex(*last_pfn_).c_str()));
  }
  if (!expected_.contains(page.pfn)) {
    return misuse(strfmt("PFN %s is not in the page set given to begin()%s", hex(page.pfn).c_str(),
                         opts_.split_range ? " (or outside this split part)"
                         : windowed_       ? " (or to this window)"
                                           : ""));
  }
  if (written_ >= expected_count_) {
    // Windowed: the windows hold more pages than begin_windows() was told;
    // the descriptor table has no room for them.
    return misuse(
        strfmt("PFN %s is one page more than the %llu the descriptor table was laid out "
               "for",
               hex(page.pfn).c_str(), static_cast<unsigned long long>(expected_count_)));
  }
  PageDesc d;
  if (page.zero) {
    d = zero_desc_;
  } else {
    auto flag = flag_of_codec(page.codec);
    if (!flag) {
      return misuse(strfmt("PFN %s: %s pages cannot be stored in kdump-compressed files",
                           hex(page.pfn).c_str(), std::string(codec_name(page.codec)).c_str()));
    }
    if (page.data.empty() || page.data.size() > block_size_ ||
        (*flag == 0 && page.data.size() != block_size_)) {
      return misuse(strfmt("PFN %s: %zu bytes of %s page data (page size %u)",
                           hex(page.pfn).c_str(), page.data.size(),
                           std::string(codec_name(page.codec)).c_str(), block_size_));
    }
    DUMPFMT_TRY(out_.write_at(data_pos_, page.data));
    d = PageDesc{data_pos_, static_cast<uint32_t>(page.data.size()), *flag, 0};
    data_pos_ += page.data.size();
  }
  size_t at = desc_buf_.size();
  desc_buf_.resize(at + kPageDescSize);
  encode_page_desc(d, endian_, std::span(desc_buf_).subspan(at));
  if (desc_buf_.size() >= kDescBufEntries * kPageDescSize) DUMPFMT_TRY(flush_descs());
  last_pfn_ = page.pfn;
  ++written_;
  return ok();
}

Status KdumpWriter::finish() {
  if (!begun_ || finished_) return misuse("finish() without begin(), or called twice");
  if (windowed_ && window_next_ < max_mapnr_) {
    return misuse(strfmt("the windows ended at PFN %s, short of %s", hex(window_next_).c_str(),
                         hex(max_mapnr_).c_str()));
  }
  if (written_ != expected_count_) {
    return misuse(strfmt("%llu of %llu pages were written before finish()",
                         static_cast<unsigned long long>(written_),
                         static_cast<unsigned long long>(expected_count_)));
  }
  DUMPFMT_TRY(flush_descs());
  if (!eraseinfo_.empty()) {
    DUMPFMT_TRY(out_.write_at(data_pos_, as_bytes(eraseinfo_)));
    sub_.offset_eraseinfo = data_pos_;
    sub_.size_eraseinfo = eraseinfo_.size();
    data_pos_ += eraseinfo_.size();
    std::vector<std::byte> sub(sub_header_size(sub_layout_));
    encode_sub_header(sub_, sub_layout_, endian_, sub);
    DUMPFMT_TRY(out_.write_at(block_size_, sub));
  }
  finished_ = true;
  return ok();
}

}  // namespace

Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts) {
  if (!flag_of_codec(opts.codec)) {
    return make_error(Errc::unsupported,
                      strfmt("kdump-compressed pages cannot be %s (no page flag for it); use "
                             "zlib, lzo, snappy, zstd or none",
                             std::string(codec_name(opts.codec)).c_str()));
  }
  return std::unique_ptr<DumpWriter>(std::make_unique<KdumpWriter>(out, opts));
}

}  // namespace dumpfmt::detail::kdump
