// sadump header encoding, EFI time conversion and the CPU state mappings
// between SMRAM save state, NT_PRSTATUS and QEMU's CPU-state note.
#include "formats/sadump/sadump_layout.h"

#include <cstring>

namespace dumpfmt::detail::sadump {

namespace {

constexpr Endian kLe = Endian::little;

// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// pr_reg index -> SMRAM offset of the register's lower half (general regs only).
struct GprMap {
  Reg reg;
  size_t smram;
};
constexpr GprMap kGprs[] = {
    {kR15, kSmR15 + 0},  {kR14, kSmR15 + 8},   {kR13, kSmR15 + 16},  {kR12, kSmR15 + 24},
    {kR11, kSmR15 + 32}, {kR10, kSmR15 + 40},  {kR9, kSmR15 + 48},   {kR8, kSmR15 + 56},
    {kRax, kSmR15 + 64}, {kRcx, kSmR15 + 72},  {kRdx, kSmR15 + 80},  {kRbx, kSmR15 + 88},
    {kRsp, kSmR15 + 96}, {kRbp, kSmR15 + 104}, {kRsi, kSmR15 + 112}, {kRdi, kSmR15 + 120},
};
constexpr Reg kSegs[] = {kEs, kCs, kSs, kDs, kFs, kGs};  // SMRAM order from kSmEs

// QEMUCPUState (target/i386/arch_dump.c): general regs in this order at 8.
constexpr Reg kQemuRegs[] = {kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRsp, kRbp, kR8,
                             kR9,  kR10, kR11, kR12, kR13, kR14, kR15, kRip, kEflags};
constexpr size_t kQemuSize = 432;
constexpr size_t kQemuSegs = 152;  // cs ds es fs gs ss ldt tr gdt idt, 24 bytes each
constexpr Reg kQemuSegRegs[] = {kCs, kDs, kEs, kFs, kGs, kSs};
constexpr size_t kQemuCr = 392;

}  // namespace

Result<PartHeader> decode_part_header(std::span<const std::byte> raw) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(raw, kLe);
  PartHeader p;
  p.signature1 = r.field<uint32_t>(0);
  p.signature2 = r.field<uint32_t>(4);
  p.enable = r.field<uint32_t>(8);
  p.reboot = r.field<uint32_t>(12);
  p.compress = r.field<uint32_t>(16);
  p.recycle = r.field<uint32_t>(20);
  p.sadump_id = r.field_array<16>(88);
  p.disk_set_id = r.field_array<16>(104);
  p.vol_id = r.field_array<16>(120);
  p.time_stamp = r.field_array<16>(136);
  p.set_disk_set = r.field<uint32_t>(152);
  p.used_device = r.field<uint64_t>(160);
  return r.finish(p);
}

std::vector<std::byte> encode_part_header(const PartHeader& p, uint32_t block_size) {
  std::vector<std::byte> out(block_size);
  ByteWriter w(out, kLe);
  w.put<uint32_t>(0, p.signature1);
  w.put<uint32_t>(4, p.signature2);
  w.put<uint32_t>(8, p.enable);
  w.put<uint32_t>(12, p.reboot);
  w.put<uint32_t>(16, p.compress);
  w.put<uint32_t>(20, p.recycle);
  w.put_bytes(88, p.sadump_id);
  w.put_bytes(104, p.disk_set_id);
  w.put_bytes(120, p.vol_id);
  w.put_bytes(136, p.time_stamp);
  w.put<uint32_t>(152, p.set_disk_set);
  w.put<uint64_t>(160, p.used_device);
  uint32_t m = 0;
  for (size_t off = kMagicOff; off + 4 <= block_size; off += 4) {
    w.put<uint32_t>(off, m);
    m = (m + 7) * 11;
  }
  return out;
}

std::optional<uint32_t> magic_block_size(std::span<const std::byte> block) {
  if (block.size() < kMagicOff + 4) return std::nullopt;
  ByteReader r(block, kLe);
  uint32_t prev = r.field<uint32_t>(kMagicOff);
  size_t off = kMagicOff + 4;
  while (off + 4 <= block.size() && r.field<uint32_t>(off) == (prev + 7) * 11) {
    prev = r.field<uint32_t>(off);
    off += 4;
  }
  if (off + 4 > block.size() && off != block.size()) return std::nullopt;
  if ((off & (off - 1)) != 0) return std::nullopt;
  return static_cast<uint32_t>(off);
}

Result<MediaHeader> decode_media_header(std::span<const std::byte> raw) {
  ByteReader r(raw, kLe);
  MediaHeader m;
  m.sadump_id = r.field_array<16>(0);
  m.disk_set_id = r.field_array<16>(16);
  m.time_stamp = r.field_array<16>(32);
  m.sequential_num = r.field<uint8_t>(48);
  return r.finish(m);
}

std::vector<std::byte> encode_media_header(const MediaHeader& m) {
  std::vector<std::byte> out(kDefaultBlockSize);
  ByteWriter w(out, kLe);
  w.put_bytes(0, m.sadump_id);
  w.put_bytes(16, m.disk_set_id);
  w.put_bytes(32, m.time_stamp);
  w.put<uint8_t>(48, m.sequential_num);
  return out;
}

Result<DumpHeader> decode_dump_header(std::span<const std::byte> raw) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(raw, kLe);
  DumpHeader h;
  const auto sig = r.field_array<8>(0);
  std::memcpy(h.signature.data(), sig.data(), sig.size());
  h.header_version = r.field<uint32_t>(8);
  h.timestamp = r.field_array<16>(16);
  h.status = r.field<uint32_t>(32);
  h.compress = r.field<uint32_t>(36);
  h.block_size = r.field<uint32_t>(40);
  h.extra_hdr_size = r.field<uint32_t>(44);
  h.sub_hdr_size = r.field<uint32_t>(48);
  h.bitmap_blocks = r.field<uint32_t>(52);
  h.dumpable_bitmap_blocks = r.field<uint32_t>(56);
  h.max_mapnr = r.field<uint32_t>(60);
  h.total_ram_blocks = r.field<uint32_t>(64);
  h.device_blocks = r.field<uint32_t>(68);
  h.written_blocks = r.field<uint32_t>(72);
  h.current_cpu = r.field<uint32_t>(76);
  h.nr_cpus = r.field<uint32_t>(80);
  h.max_mapnr_64 = r.field<uint64_t>(88);
  h.total_ram_blocks_64 = r.field<uint64_t>(96);
  h.device_blocks_64 = r.field<uint64_t>(104);
  h.written_blocks_64 = r.field<uint64_t>(112);
  return r.finish(h);
}

std::vector<std::byte> encode_dump_header(const DumpHeader& h) {
  std::vector<std::byte> out(kHeaderSize);
  ByteWriter w(out, kLe);
  w.put_bytes(0, std::as_bytes(std::span(h.signature)));
  w.put<uint32_t>(8, h.header_version);
  w.put_bytes(16, h.timestamp);
  w.put<uint32_t>(32, h.status);
  w.put<uint32_t>(36, h.compress);
  w.put<uint32_t>(40, h.block_size);
  w.put<uint32_t>(44, h.extra_hdr_size);
  w.put<uint32_t>(48, h.sub_hdr_size);
  w.put<uint32_t>(52, h.bitmap_blocks);
  w.put<uint32_t>(56, h.dumpable_bitmap_blocks);
  w.put<uint32_t>(60, h.max_mapnr);
  w.put<uint32_t>(64, h.total_ram_blocks);
  w.put<uint32_t>(68, h.device_blocks);
  w.put<uint32_t>(72, h.written_blocks);
  w.put<uint32_t>(76, h.current_cpu);
  w.put<uint32_t>(80, h.nr_cpus);
  w.put<uint64_t>(88, h.max_mapnr_64);
  w.put<uint64_t>(96, h.total_ram_blocks_64);
  w.put<uint64_t>(104, h.device_blocks_64);
  w.put<uint64_t>(112, h.written_blocks_64);
  return out;
}

std::optional<int64_t> efi_time_to_unix(const EfiTimeRaw& t) {
  ByteReader r(t, kLe);  // a whole EfiTimeRaw: every field fits
  const uint16_t year = r.field<uint16_t>(0);
  const uint8_t month = r.field<uint8_t>(2), day = r.field<uint8_t>(3);
  const uint8_t hour = r.field<uint8_t>(4), minute = r.field<uint8_t>(5);
  const uint8_t second = r.field<uint8_t>(6);
  const int16_t tz = r.field<int16_t>(12);
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  int64_t s = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  // UEFI >= 2.7: local time = UTC + TimeZone (minutes).
  if (tz != kEfiUnspecifiedTimezone && tz >= -1440 && tz <= 1440) s -= int64_t{tz} * 60;
  return s;
}

EfiTimeRaw unix_to_efi_time(int64_t seconds) {
  EfiTimeRaw t{};
  ByteWriter w(t, kLe);
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  w.put<uint16_t>(0, static_cast<uint16_t>(y));
  w.put<uint8_t>(2, static_cast<uint8_t>(m));
  w.put<uint8_t>(3, static_cast<uint8_t>(d));
  w.put<uint8_t>(4, static_cast<uint8_t>(rem / 3600));
  w.put<uint8_t>(5, static_cast<uint8_t>(rem / 60 % 60));
  w.put<uint8_t>(6, static_cast<uint8_t>(rem % 60));
  w.put<int16_t>(12, 0);  // UTC
  return t;
}

Result<CpuState> smram_to_state(std::span<const std::byte> smram) {
  ByteReader sm(smram, kLe);
  CpuState s;
  for (const GprMap& g : kGprs) s.regs[g.reg] = sm.field<uint64_t>(g.smram);
  for (size_t i = 0; i < std::size(kSegs); ++i)
    s.regs[kSegs[i]] = sm.field<uint32_t>(kSmEs + 4 * i);
  s.regs[kRip] = sm.field<uint64_t>(kSmRip);
  s.regs[kEflags] = sm.field<uint64_t>(kSmRflags);
  s.regs[kOrigRax] = s.regs[kRax];  // what makedumpfile reports too
  s.cr0 = sm.field<uint64_t>(kSmCr0);
  s.cr3 = sm.field<uint64_t>(kSmCr3);
  s.cr4 = sm.field<uint32_t>(kSmCr4);
  s.efer = sm.field<uint64_t>(kSmEfer);
  s.idt_base = (uint64_t{sm.field<uint32_t>(kSmIdtHi)} << 32) | sm.field<uint32_t>(kSmIdtLo);
  s.gdt_base = (uint64_t{sm.field<uint32_t>(kSmGdtHi)} << 32) | sm.field<uint32_t>(kSmGdtLo);
  s.idt_limit = sm.field<uint32_t>(kSmIdtLimit);
  s.gdt_limit = sm.field<uint32_t>(kSmGdtLimit);
  return sm.finish(s);
}

void state_to_smram(const CpuState& s, std::span<std::byte> smram) {
  ByteWriter sm(smram, kLe);
  for (const GprMap& g : kGprs) sm.put<uint64_t>(g.smram, s.regs[g.reg]);
  for (size_t i = 0; i < std::size(kSegs); ++i) {
    sm.put<uint32_t>(kSmEs + 4 * i, static_cast<uint32_t>(s.regs[kSegs[i]]));
  }
  sm.put<uint64_t>(kSmRip, s.regs[kRip]);
  sm.put<uint64_t>(kSmRflags, s.regs[kEflags]);
  sm.put<uint64_t>(kSmCr0, s.cr0.value_or(0));
  sm.put<uint64_t>(kSmCr3, s.cr3.value_or(0));
  sm.put<uint32_t>(kSmCr4, static_cast<uint32_t>(s.cr4.value_or(0)));
  sm.put<uint64_t>(kSmEfer, s.efer.value_or(0));
  const uint64_t idt = s.idt_base.value_or(0), gdt = s.gdt_base.value_or(0);
  sm.put<uint32_t>(kSmIdtHi, static_cast<uint32_t>(idt >> 32));
  sm.put<uint32_t>(kSmIdtLo, static_cast<uint32_t>(idt));
  sm.put<uint32_t>(kSmGdtHi, static_cast<uint32_t>(gdt >> 32));
  sm.put<uint32_t>(kSmGdtLo, static_cast<uint32_t>(gdt));
  sm.put<uint32_t>(kSmIdtLimit, s.idt_limit);
  sm.put<uint32_t>(kSmGdtLimit, s.gdt_limit);
}

std::vector<std::byte> state_to_prstatus64(const CpuState& s, uint32_t pid) {
  std::vector<std::byte> d(336);
  ByteWriter w(d, kLe);
  w.put<uint32_t>(32, pid);
  for (size_t i = 0; i < s.regs.size(); ++i) w.put<uint64_t>(112 + 8 * i, s.regs[i]);
  return d;
}

std::optional<CpuState> prstatus64_to_state(std::span<const std::byte> desc) {
  ByteReader r(desc, kLe);
  CpuState s;
  for (size_t i = 0; i < s.regs.size(); ++i) s.regs[i] = r.field<uint64_t>(112 + 8 * i);
  if (!r.finish()) return std::nullopt;
  return s;
}

namespace {
// i386 pr_reg: ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss.
constexpr Reg kI386Regs[] = {kRbx, kRcx, kRdx,     kRsi, kRdi, kRbp,    kRax, kDs, kEs,
                             kFs,  kGs,  kOrigRax, kRip, kCs,  kEflags, kRsp, kSs};
}  // namespace

std::vector<std::byte> state_to_prstatus32(const CpuState& s, uint32_t pid) {
  std::vector<std::byte> d(144);
  ByteWriter w(d, kLe);
  w.put<uint32_t>(24, pid);
  for (size_t i = 0; i < std::size(kI386Regs); ++i) {
    w.put<uint32_t>(72 + 4 * i, static_cast<uint32_t>(s.regs[kI386Regs[i]]));
  }
  return d;
}

std::optional<CpuState> prstatus32_to_state(std::span<const std::byte> desc) {
  ByteReader r(desc, kLe);
  CpuState s;
  for (size_t i = 0; i < std::size(kI386Regs); ++i) {
    s.regs[kI386Regs[i]] = r.field<uint32_t>(72 + 4 * i);
  }
  if (!r.finish()) return std::nullopt;
  return s;
}

void merge_qemu_note(std::span<const std::byte> desc, CpuState& s) {
  // A short note is left out whole rather than merged in part.
  if (desc.size() < kQemuSize) return;
  ByteReader d(desc, kLe);
  auto seg_base = [&](size_t i) { return d.field<uint64_t>(kQemuSegs + 24 * i + 16); };
  auto seg_limit = [&](size_t i) { return d.field<uint32_t>(kQemuSegs + 24 * i + 4); };
  s.gdt_base = seg_base(8);
  s.gdt_limit = seg_limit(8);
  s.idt_base = seg_base(9);
  s.idt_limit = seg_limit(9);
  s.cr0 = d.field<uint64_t>(kQemuCr + 0);
  s.cr3 = d.field<uint64_t>(kQemuCr + 24);
  s.cr4 = d.field<uint64_t>(kQemuCr + 32);
}

std::vector<std::byte> state_to_qemu_note(const CpuState& s) {
  std::vector<std::byte> out(kQemuSize);
  ByteWriter d(out, kLe);
  d.put<uint32_t>(0, 1);  // version
  d.put<uint32_t>(4, static_cast<uint32_t>(kQemuSize));
  for (size_t i = 0; i < std::size(kQemuRegs); ++i)
    d.put<uint64_t>(8 + 8 * i, s.regs[kQemuRegs[i]]);
  for (size_t i = 0; i < std::size(kQemuSegRegs); ++i) {
    d.put<uint32_t>(kQemuSegs + 24 * i, static_cast<uint32_t>(s.regs[kQemuSegRegs[i]]));
  }
  d.put<uint64_t>(kQemuSegs + 24 * 3 + 16, s.regs[kFsBase]);
  d.put<uint64_t>(kQemuSegs + 24 * 4 + 16, s.regs[kGsBase]);
  d.put<uint32_t>(kQemuSegs + 24 * 8 + 4, s.gdt_limit);
  d.put<uint64_t>(kQemuSegs + 24 * 8 + 16, s.gdt_base.value_or(0));
  d.put<uint32_t>(kQemuSegs + 24 * 9 + 4, s.idt_limit);
  d.put<uint64_t>(kQemuSegs + 24 * 9 + 16, s.idt_base.value_or(0));
  d.put<uint64_t>(kQemuCr + 0, s.cr0.value_or(0));
  d.put<uint64_t>(kQemuCr + 24, s.cr3.value_or(0));
  d.put<uint64_t>(kQemuCr + 32, s.cr4.value_or(0));
  return out;
}

}  // namespace dumpfmt::detail::sadump
