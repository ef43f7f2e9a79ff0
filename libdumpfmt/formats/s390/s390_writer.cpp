// Writes the classic single-volume s390 dump (docs/formats.md §6.2) as zgetdump
// -f s390 does: version 5 header, the whole memory image (holes and excluded
// pages as zeros), the DUMP_END marker; s390x CPU notes go back into the
// lowcore save areas. Strictly sequential, so a pipe works too.
#include <algorithm>
#include <cstring>
#include <map>

#include "formats/format_entries.h"
#include "formats/s390/s390_layout.h"
#include "formats/writer_base.h"

namespace dumpfmt::detail::s390 {

namespace {

constexpr size_t kZeroChunk = 1u << 20;

class S390Writer final : public WriterBase {
 public:
  S390Writer(OutputSink& out, WriteOptions opts)
      : WriterBase(out, std::move(opts), "s390 writer") {}

  Status begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) override;
  Status write_page(const EncodedPage& page) override;
  Status finish() override;

 private:
  uint64_t offset_of(Pfn pfn) const { return kHeaderSize + pfn * ps_; }
  /// Writes zero pages [lo, hi), patching lowcores that fall inside.
  Status write_zeros(Pfn lo, Pfn hi);
  /// Writes one page, with any CPU save area inside it rewritten from notes.
  Status write_patched(Pfn pfn, std::span<const std::byte> data);

  uint64_t ps_ = 4096;
  Pfn npages_ = 0;
  Pfn next_ = 0;  // first PFN not yet written
  uint64_t tod_ = 0;
  std::vector<CpuNotes> cpus_;
  std::vector<uint64_t> save_areas_;                  // absolute address of each CPU's save area
  std::map<Pfn, std::vector<size_t>> patched_pages_;  // PFN -> CPUs whose save area touches it
  std::vector<Note> notes_;                           // owned copy the CpuNotes point into
  std::vector<std::byte> page_buf_;
};

Status S390Writer::begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) {
  if (begun_) return misuse("begin() called twice");
  begun_ = true;
  ps_ = info.page_size;
  if (ps_ < 512 || ps_ > (1u << 20) || (ps_ & (ps_ - 1)) != 0) {
    return misuse(strfmt("page size %llu is not a power of two in [512, 1 MiB]",
                         static_cast<unsigned long long>(ps_)));
  }
  npages_ = std::max({info.max_pfn, ram.end_bound(), pages.end_bound()});
  if (npages_ > UINT32_MAX) {
    return make_error(Errc::unsupported,
                      strfmt("%s: %llu pages do not fit the s390 header's 32-bit page count",
                             out_.name().c_str(), static_cast<unsigned long long>(npages_)));
  }
  uint64_t mem_size;
  if (!checked_mul(npages_, ps_, &mem_size) || mem_size > (uint64_t{1} << 52)) {
    return misuse("memory size beyond 2^52 bytes");
  }

  Header h;
  h.magic = kMagic;
  h.version = kWriterVersion;
  h.hdr_size = kHeaderSize;
  h.dump_level = kWriterDumpLevel;
  h.page_size = static_cast<uint32_t>(ps_);
  h.mem_size = mem_size;
  h.mem_end = mem_size ? mem_size - 1 : 0;
  h.num_pages = static_cast<uint32_t>(npages_);
  h.mem_size_real = mem_size;

  const bool is_s390 = info.arch == Arch::s390x || info.arch == Arch::s390;
  if (is_s390) {
    h.arch = info.arch == Arch::s390x ? kArch64 : kArch32;
  } else {
    const bool is64 = info.arch == Arch::unknown || arch_is_64bit(info.arch);
    h.arch = is64 ? kArch64 : kArch32;
    warn(
        strfmt("the s390 format records only s390 architectures; this %.*s dump is labelled "
               "%s, and readers will take it for one",
               static_cast<int>(arch_name(info.arch).size()), arch_name(info.arch).data(),
               is64 ? "s390x" : "s390"));
  }
  if (info.crash_time) tod_ = unix_seconds_to_tod(*info.crash_time);
  h.tod = tod_;

  PfnSet excluded = ram;
  excluded.subtract(pages);
  if (uint64_t n = excluded.count()) {
    warn(
        strfmt("the s390 format cannot mark excluded pages: %llu excluded page(s) are written "
               "as zeros",
               static_cast<unsigned long long>(n)));
  }
  if (info.vmcoreinfo && !is_s390) {
    warn(
        "the s390 format has no room for VMCOREINFO (s390 kernels keep it in memory); it is "
        "not carried");
  }

  // s390x register state goes into the lowcores of the CPUs named by prefix.
  notes_ = info.notes;
  bool other_notes = false;
  if (h.arch == kArch64 && is_s390) {
    for (CpuNotes& c : group_cpu_notes(notes_)) {
      if (!c.prefix) continue;
      const uint64_t sa = uint64_t{*c.prefix} + kLcSaveStart;
      if (uint64_t{*c.prefix} + kLowcoreSize > mem_size) {
        warn(strfmt("CPU prefix %s lies outside the %s-byte memory; its registers are dropped",
                    hex(*c.prefix).c_str(), hex(mem_size).c_str()));
        continue;
      }
      if (cpus_.size() == kCpuMax) {
        warn(strfmt("more than %u CPUs; the registers of the rest are dropped", kCpuMax));
        break;
      }
      const size_t idx = cpus_.size();
      cpus_.push_back(c);
      save_areas_.push_back(sa);
      h.lc_vec.push_back(*c.prefix);
      for (Pfn p = sa / ps_; p <= (sa + (kLcSaveEnd - kLcSaveStart) - 1) / ps_; ++p) {
        patched_pages_[p].push_back(idx);
      }
    }
  }
  for (const Note& n : info.notes) {
    if (n.name != "VMCOREINFO") other_notes = true;
  }
  if (other_notes && cpus_.empty()) {
    warn(
        "the s390 format stores CPU registers only in s390x lowcores; the source's notes "
        "(CPU registers) are not carried");
  }
  h.cpu_cnt = static_cast<uint16_t>(cpus_.size());
  h.real_cpu_cnt = h.cpu_cnt;
  page_buf_.resize(ps_);
  return out_.write_at(0, encode_header(h));
}

Status S390Writer::write_patched(Pfn pfn, std::span<const std::byte> data) {
  auto it = patched_pages_.find(pfn);
  if (it == patched_pages_.end()) return out_.write_at(offset_of(pfn), data);
  std::memcpy(page_buf_.data(), data.data(), ps_);
  const uint64_t page_lo = pfn * ps_;
  const uint64_t sa_len = kLcSaveEnd - kLcSaveStart;
  for (size_t cpu : it->second) {
    const uint64_t sa = save_areas_[cpu];
    std::vector<std::byte> area(sa_len);
    const uint64_t lo = std::max(sa, page_lo), hi = std::min(sa + sa_len, page_lo + ps_);
    std::memcpy(area.data() + (lo - sa), page_buf_.data() + (lo - page_lo), hi - lo);
    notes_to_save_area(cpus_[cpu], area);
    std::memcpy(page_buf_.data() + (lo - page_lo), area.data() + (lo - sa), hi - lo);
  }
  return out_.write_at(offset_of(pfn), page_buf_);
}

Status S390Writer::write_zeros(Pfn lo, Pfn hi) {
  static const std::byte kZeros[kZeroChunk]{};
  const Pfn per_chunk = kZeroChunk / ps_;
  while (lo < hi) {
    auto patch = patched_pages_.lower_bound(lo);
    const Pfn stop = patch != patched_pages_.end() && patch->first < hi ? patch->first : hi;
    while (lo < stop) {
      const Pfn n = std::min(per_chunk, stop - lo);
      DUMPFMT_TRY(out_.write_at(offset_of(lo), std::span<const std::byte>(kZeros, n * ps_)));
      lo += n;
    }
    if (lo < hi) {
      DUMPFMT_TRY(write_patched(lo, std::span<const std::byte>(kZeros, ps_)));
      ++lo;
    }
  }
  return ok();
}

Status S390Writer::write_page(const EncodedPage& p) {
  if (!begun_ || finished_) return misuse("write_page() outside begin()/finish()");
  if (p.pfn < next_ || p.pfn >= npages_) {
    return misuse(strfmt("page %s out of order or beyond the memory size", hex(p.pfn).c_str()));
  }
  DUMPFMT_TRY(write_zeros(next_, p.pfn));
  if (p.zero) {
    DUMPFMT_TRY(write_zeros(p.pfn, p.pfn + 1));
  } else {
    if (p.codec != CodecId::none || p.data.size() != ps_) {
      return misuse(strfmt("page %s arrives compressed or not %llu bytes", hex(p.pfn).c_str(),
                           static_cast<unsigned long long>(ps_)));
    }
    DUMPFMT_TRY(write_patched(p.pfn, p.data));
  }
  next_ = p.pfn + 1;
  return ok();
}

Status S390Writer::finish() {
  if (!begun_ || finished_) return misuse("finish() without begin() or twice");
  finished_ = true;
  DUMPFMT_TRY(write_zeros(next_, npages_));
  next_ = npages_;
  return out_.write_at(offset_of(npages_), encode_end_marker(tod_));
}

}  // namespace

Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts) {
  return std::unique_ptr<DumpWriter>(std::make_unique<S390Writer>(out, opts));
}

}  // namespace dumpfmt::detail::s390
