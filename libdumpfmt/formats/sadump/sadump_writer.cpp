// Writes single-partition sadump files (docs/formats.md §7.2): partition header,
// dump header, sub header with APIC and SMRAM CPU states built from the
// source's NT_PRSTATUS (and QEMU) notes, MSB-first RAM and dumpable bitmaps,
// then one raw block per dumpable page in PFN order. Strictly sequential.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "dumpfmt/vmcoreinfo.h"
#include "formats/format_entries.h"
#include "formats/sadump/sadump_layout.h"
#include "formats/writer_base.h"

namespace dumpfmt::detail::sadump {

namespace {

constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;  // x86_64 __START_KERNEL_map
// x86_64 kernels since 4.15 load IDTR with the read-only IDT alias in the CPU
// entry area (CPU_ENTRY_AREA_RO_IDT = -4 << P4D_SHIFT), whatever the paging depth.
constexpr uint64_t kCpuEntryAreaIdt = 0xfffffe0000000000ULL;
constexpr uint32_t kIdtLimit = 256 * 16 - 1;
constexpr uint64_t kCr0 = 0x80050033;  // PG AM WP NE ET MP PE
constexpr uint64_t kCr4Pae = 1u << 5, kCr4La57 = 1u << 12;
constexpr uint64_t kEfer64 = 0xd01;  // SCE LME LMA NXE
constexpr size_t kBitmapChunk = 1u << 20;

class SadumpWriter final : public WriterBase {
 public:
  SadumpWriter(OutputSink& out, WriteOptions opts)
      : WriterBase(out, std::move(opts), "sadump writer") {}

  Status begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) override;
  Status write_page(const EncodedPage& page) override;
  Status finish() override;

 private:
  std::vector<CpuState> cpu_states(const DumpInfo& info, bool is64);
  Status write_bitmap(uint64_t off, const PfnSet& set, uint64_t bytes);

  uint32_t bs_ = kDefaultBlockSize;
  uint64_t data_pos_ = 0;
  uint64_t written_ = 0, expected_ = 0;
  Pfn last_ = 0;
  PfnSet pages_;
};

std::vector<CpuState> SadumpWriter::cpu_states(const DumpInfo& info, bool is64) {
  std::vector<CpuState> cpus;
  size_t qemu = 0;
  for (const Note& n : info.notes) {
    if (n.name == "CORE" && n.type == kNtPrstatus) {
      auto s = is64 ? prstatus64_to_state(n.desc) : prstatus32_to_state(n.desc);
      if (s) cpus.push_back(*s);
    }
  }
  for (const Note& n : info.notes) {
    if (n.name == "QEMU" && qemu < cpus.size()) merge_qemu_note(n.desc, cpus[qemu++]);
  }
  if (cpus.empty()) {
    warn("the source has no NT_PRSTATUS notes; the sadump CPU state holds no general registers");
    cpus.emplace_back();
  }
  // Real SMRAM holds CR3 and IDTR, which makedumpfile and crash use to find
  // the KASLR offset; without QEMU's note, derive them from VMCOREINFO.
  std::optional<uint64_t> cr3;
  bool l5 = false;
  if (is64 && info.vmcoreinfo) {
    const VmcoreinfoText vi = VmcoreinfoText::parse(*info.vmcoreinfo);
    auto pgd = vi.symbol("swapper_pg_dir");
    auto pb = vi.integer("NUMBER(phys_base)", IntSyntax::c_literal);  // may be negative
    if (!pb && info.phys_base) pb = *info.phys_base;
    if (pgd && pb && *pgd >= kStartKernelMap) {
      cr3 = *pgd - kStartKernelMap + static_cast<uint64_t>(*pb);
    }
    l5 = vi.value("NUMBER(pgtable_l5_enabled)").value_or("0") == "1";
  }
  for (CpuState& s : cpus) {
    if (!s.cr0) s.cr0 = kCr0;
    if (is64) {
      if (!s.cr4) s.cr4 = kCr4Pae | (l5 ? kCr4La57 : 0);
      if ((!s.cr3 || *s.cr3 == 0) && cr3) {
        s.cr3 = cr3;
        if (!s.idt_base) {
          s.idt_base = kCpuEntryAreaIdt;
          s.idt_limit = kIdtLimit;
        }
      }
      s.efer = s.efer.value_or(0) | kEfer64;
    }
  }
  if (is64 && !cr3 && !cpus.front().cr3) {
    warn(
        "no CR3/IDTR for the SMRAM CPU state (no QEMU CPU note, no SYMBOL(swapper_pg_dir) and "
        "NUMBER(phys_base) in VMCOREINFO); makedumpfile and crash cannot detect KASLR from it");
  }
  return cpus;
}

Status SadumpWriter::write_bitmap(uint64_t off, const PfnSet& set, uint64_t bytes) {
  std::vector<uint8_t> lsb(kBitmapChunk);
  std::vector<std::byte> msb(kBitmapChunk);
  for (uint64_t done = 0; done < bytes; done += kBitmapChunk) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kBitmapChunk, bytes - done));
    set.export_bitmap(done * 8, std::span<uint8_t>(lsb.data(), n));
    for (size_t i = 0; i < n; ++i) msb[i] = std::byte{reverse_bits(lsb[i])};
    DUMPFMT_TRY(out_.write_at(off + done, std::span<const std::byte>(msb.data(), n)));
  }
  return ok();
}

Status SadumpWriter::begin(const DumpInfo& info, const PfnSet& ram, const PfnSet& pages) {
  if (begun_) return misuse("begin() called twice");
  begun_ = true;
  bool is64 = true;
  switch (info.arch) {
    case Arch::x86_64:
      break;
    case Arch::x86:
      is64 = false;
      break;
    case Arch::unknown:
      warn("the source's architecture is unknown; the sadump CPU state is written for x86_64");
      break;
    default:
      return make_error(
          Errc::unsupported,
          strfmt("%s: sadump records x86 and x86_64 dumps only, not %.*s", out_.name().c_str(),
                 static_cast<int>(arch_name(info.arch).size()), arch_name(info.arch).data()));
  }
  bs_ = info.page_size;
  if (bs_ < 512 || bs_ > (1u << 16) || (bs_ & (bs_ - 1)) != 0) {
    return misuse(strfmt("page size %u cannot be a sadump block size", bs_));
  }
  if (info.vmcoreinfo) {
    warn(
        "the sadump format has no room for VMCOREINFO; it is dropped, and readers need the "
        "kernel's debug vmlinux (makedumpfile -x VMLINUX, crash VMLINUX)");
  }
  for (const Note& n : info.notes) {
    if (n.name != "VMCOREINFO" && n.name != "CORE" && n.name != "QEMU") {
      warn("ELF notes other than CPU registers (e.g. \"" + n.name + "\") are dropped");
      break;
    }
  }

  const std::vector<CpuState> cpus = cpu_states(info, is64);
  const uint64_t ncpu = cpus.size();
  const uint64_t max_mapnr = std::max({info.max_pfn, ram.end_bound(), pages.end_bound()});
  PfnSet ram_all = ram;
  ram_all.add(pages);
  pages_ = pages;
  expected_ = pages.count();

  const uint64_t sub_bytes = 4 + ncpu * (kApicStateSize + kSmramSize);
  const uint64_t sub_blocks = (sub_bytes + bs_ - 1) / bs_;
  const uint64_t bm_blocks = std::max<uint64_t>(1, ((max_mapnr + 7) / 8 + bs_ - 1) / bs_);
  if (bm_blocks > UINT32_MAX) return misuse("bitmap too large for the sadump header");
  const uint64_t hdr_pos = bs_;
  const uint64_t sub_pos = hdr_pos + bs_;
  const uint64_t ram_bm = sub_pos + sub_blocks * bs_;
  const uint64_t dump_bm = ram_bm + bm_blocks * bs_;
  data_pos_ = dump_bm + bm_blocks * bs_;
  const uint64_t used = data_pos_ + expected_ * bs_;

  // No crash time: an all-zero EFI time, which readers take for "unknown".
  const EfiTimeRaw when = info.crash_time ? unix_to_efi_time(*info.crash_time) : EfiTimeRaw{};
  PartHeader p;
  p.signature1 = kPartSignature1;
  p.signature2 = kPartSignature2;
  p.enable = 1;
  p.compress = 1;  // libkdumpfile: "observed in all sample files"
  p.recycle = 1;
  // Fixed IDs: nothing else needs to match a single-partition dump.
  const char kId[] = "dumpfmt-sadump\x01";
  std::memcpy(p.sadump_id.data(), kId, 16);
  std::memcpy(p.disk_set_id.data(), kId, 16);
  p.disk_set_id[15] = std::byte{2};
  std::memcpy(p.vol_id.data(), kId, 16);
  p.vol_id[15] = std::byte{3};
  p.time_stamp = when;
  p.used_device = used;
  DUMPFMT_TRY(out_.write_at(0, encode_part_header(p, bs_)));

  DumpHeader h;
  std::memcpy(h.signature.data(), "sadump\0\0", 8);
  h.header_version = 1;
  h.timestamp = when;
  h.block_size = bs_;
  h.sub_hdr_size = static_cast<uint32_t>(sub_blocks);
  h.bitmap_blocks = static_cast<uint32_t>(bm_blocks);
  h.dumpable_bitmap_blocks = static_cast<uint32_t>(bm_blocks);
  h.max_mapnr = static_cast<uint32_t>(std::min<uint64_t>(max_mapnr, UINT32_MAX));
  h.max_mapnr_64 = max_mapnr;
  h.total_ram_blocks_64 = ram_all.count();
  h.total_ram_blocks = static_cast<uint32_t>(std::min<uint64_t>(h.total_ram_blocks_64, UINT32_MAX));
  h.device_blocks_64 = h.written_blocks_64 = used / bs_;
  h.device_blocks = h.written_blocks =
      static_cast<uint32_t>(std::min<uint64_t>(used / bs_, UINT32_MAX));
  h.nr_cpus = static_cast<uint32_t>(ncpu);
  std::vector<std::byte> hb = encode_dump_header(h);
  hb.resize(bs_);
  DUMPFMT_TRY(out_.write_at(hdr_pos, hb));

  std::vector<std::byte> sub(sub_blocks * bs_);
  ByteWriter sw(sub, Endian::little);
  sw.put<uint32_t>(0, static_cast<uint32_t>(ncpu * kSmramSize));
  for (uint64_t i = 0; i < ncpu; ++i) {
    sw.put<uint64_t>(4 + i * kApicStateSize, i);  // APIC id = CPU
    auto sm =
        std::span<std::byte>(sub).subspan(4 + ncpu * kApicStateSize + i * kSmramSize, kSmramSize);
    state_to_smram(cpus[i], sm);
  }
  DUMPFMT_TRY(out_.write_at(sub_pos, sub));
  DUMPFMT_TRY(write_bitmap(ram_bm, ram_all, bm_blocks * bs_));
  return write_bitmap(dump_bm, pages, bm_blocks * bs_);
}

Status SadumpWriter::write_page(const EncodedPage& p) {
  if (!begun_ || finished_) return misuse("write_page() outside begin()/finish()");
  if ((written_ > 0 && p.pfn <= last_) || !pages_.contains(p.pfn) || written_ >= expected_) {
    return misuse(strfmt("page %s is out of order or not in the page set", hex(p.pfn).c_str()));
  }
  const uint64_t off = data_pos_ + written_ * bs_;
  if (p.zero) {
    static const std::vector<std::byte> zeros(1u << 16);
    DUMPFMT_TRY(out_.write_at(off, std::span<const std::byte>(zeros.data(), bs_)));
  } else {
    if (p.codec != CodecId::none || p.data.size() != bs_) {
      return misuse(strfmt("page %s arrives compressed or not %u bytes", hex(p.pfn).c_str(), bs_));
    }
    DUMPFMT_TRY(out_.write_at(off, p.data));
  }
  last_ = p.pfn;
  ++written_;
  return ok();
}

Status SadumpWriter::finish() {
  if (!begun_ || finished_) return misuse("finish() without begin() or twice");
  finished_ = true;
  if (written_ != expected_) {
    return misuse(strfmt("%llu of %llu pages were written",
                         static_cast<unsigned long long>(written_),
                         static_cast<unsigned long long>(expected_)));
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<DumpWriter>> create_writer(OutputSink& out, const WriteOptions& opts) {
  return std::unique_ptr<DumpWriter>(std::make_unique<SadumpWriter>(out, opts));
}

}  // namespace dumpfmt::detail::sadump
