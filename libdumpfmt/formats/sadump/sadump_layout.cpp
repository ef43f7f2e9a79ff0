// sadump header encoding, EFI time conversion and the CPU state mappings
// between SMRAM save state, NT_PRSTATUS and QEMU's CPU-state note.
#include "formats/sadump/sadump_layout.h"

#include <cstring>

namespace dumpfmt::detail::sadump {

namespace {

constexpr Endian kLe = Endian::little;

template <class T>
T get(std::span<const std::byte> b, size_t off) {
  return load<T>(b.data() + off, kLe);
}
template <class T>
void put(std::span<std::byte> b, size_t off, T v) {
  store<T>(b.data() + off, v, kLe);
}
template <size_t N>
std::array<std::byte, N> get_array(std::span<const std::byte> b, size_t off) {
  std::array<std::byte, N> a;
  std::memcpy(a.data(), b.data() + off, N);
  return a;
}
template <size_t N>
void put_array(std::span<std::byte> b, size_t off, const std::array<std::byte, N>& a) {
  std::memcpy(b.data() + off, a.data(), N);
}

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

PartHeader decode_part_header(std::span<const std::byte> raw) {
  PartHeader p;
  p.signature1 = get<uint32_t>(raw, 0);
  p.signature2 = get<uint32_t>(raw, 4);
  p.enable = get<uint32_t>(raw, 8);
  p.reboot = get<uint32_t>(raw, 12);
  p.compress = get<uint32_t>(raw, 16);
  p.recycle = get<uint32_t>(raw, 20);
  p.sadump_id = get_array<16>(raw, 88);
  p.disk_set_id = get_array<16>(raw, 104);
  p.vol_id = get_array<16>(raw, 120);
  p.time_stamp = get_array<16>(raw, 136);
  p.set_disk_set = get<uint32_t>(raw, 152);
  p.used_device = get<uint64_t>(raw, 160);
  return p;
}

std::vector<std::byte> encode_part_header(const PartHeader& p, uint32_t block_size) {
  std::vector<std::byte> out(block_size);
  std::span<std::byte> b(out);
  put<uint32_t>(b, 0, p.signature1);
  put<uint32_t>(b, 4, p.signature2);
  put<uint32_t>(b, 8, p.enable);
  put<uint32_t>(b, 12, p.reboot);
  put<uint32_t>(b, 16, p.compress);
  put<uint32_t>(b, 20, p.recycle);
  put_array(b, 88, p.sadump_id);
  put_array(b, 104, p.disk_set_id);
  put_array(b, 120, p.vol_id);
  put_array(b, 136, p.time_stamp);
  put<uint32_t>(b, 152, p.set_disk_set);
  put<uint64_t>(b, 160, p.used_device);
  uint32_t m = 0;
  for (size_t off = kMagicOff; off + 4 <= block_size; off += 4) {
    put<uint32_t>(b, off, m);
    m = (m + 7) * 11;
  }
  return out;
}

std::optional<uint32_t> magic_block_size(std::span<const std::byte> block) {
  if (block.size() < kMagicOff + 4) return std::nullopt;
  uint32_t prev = get<uint32_t>(block, kMagicOff);
  size_t off = kMagicOff + 4;
  while (off + 4 <= block.size() && get<uint32_t>(block, off) == (prev + 7) * 11) {
    prev = get<uint32_t>(block, off);
    off += 4;
  }
  if (off + 4 > block.size() && off != block.size()) return std::nullopt;
  if ((off & (off - 1)) != 0) return std::nullopt;
  return static_cast<uint32_t>(off);
}

MediaHeader decode_media_header(std::span<const std::byte> raw) {
  MediaHeader m;
  m.sadump_id = get_array<16>(raw, 0);
  m.disk_set_id = get_array<16>(raw, 16);
  m.time_stamp = get_array<16>(raw, 32);
  m.sequential_num = get<uint8_t>(raw, 48);
  return m;
}

std::vector<std::byte> encode_media_header(const MediaHeader& m) {
  std::vector<std::byte> out(kDefaultBlockSize);
  std::span<std::byte> b(out);
  put_array(b, 0, m.sadump_id);
  put_array(b, 16, m.disk_set_id);
  put_array(b, 32, m.time_stamp);
  put<uint8_t>(b, 48, m.sequential_num);
  return out;
}

DumpHeader decode_dump_header(std::span<const std::byte> raw) {
  DumpHeader h;
  std::memcpy(h.signature.data(), raw.data(), 8);
  h.header_version = get<uint32_t>(raw, 8);
  h.timestamp = get_array<16>(raw, 16);
  h.status = get<uint32_t>(raw, 32);
  h.compress = get<uint32_t>(raw, 36);
  h.block_size = get<uint32_t>(raw, 40);
  h.extra_hdr_size = get<uint32_t>(raw, 44);
  h.sub_hdr_size = get<uint32_t>(raw, 48);
  h.bitmap_blocks = get<uint32_t>(raw, 52);
  h.dumpable_bitmap_blocks = get<uint32_t>(raw, 56);
  h.max_mapnr = get<uint32_t>(raw, 60);
  h.total_ram_blocks = get<uint32_t>(raw, 64);
  h.device_blocks = get<uint32_t>(raw, 68);
  h.written_blocks = get<uint32_t>(raw, 72);
  h.current_cpu = get<uint32_t>(raw, 76);
  h.nr_cpus = get<uint32_t>(raw, 80);
  h.max_mapnr_64 = get<uint64_t>(raw, 88);
  h.total_ram_blocks_64 = get<uint64_t>(raw, 96);
  h.device_blocks_64 = get<uint64_t>(raw, 104);
  h.written_blocks_64 = get<uint64_t>(raw, 112);
  return h;
}

std::vector<std::byte> encode_dump_header(const DumpHeader& h) {
  std::vector<std::byte> out(kHeaderSize);
  std::span<std::byte> b(out);
  std::memcpy(out.data(), h.signature.data(), 8);
  put<uint32_t>(b, 8, h.header_version);
  put_array(b, 16, h.timestamp);
  put<uint32_t>(b, 32, h.status);
  put<uint32_t>(b, 36, h.compress);
  put<uint32_t>(b, 40, h.block_size);
  put<uint32_t>(b, 44, h.extra_hdr_size);
  put<uint32_t>(b, 48, h.sub_hdr_size);
  put<uint32_t>(b, 52, h.bitmap_blocks);
  put<uint32_t>(b, 56, h.dumpable_bitmap_blocks);
  put<uint32_t>(b, 60, h.max_mapnr);
  put<uint32_t>(b, 64, h.total_ram_blocks);
  put<uint32_t>(b, 68, h.device_blocks);
  put<uint32_t>(b, 72, h.written_blocks);
  put<uint32_t>(b, 76, h.current_cpu);
  put<uint32_t>(b, 80, h.nr_cpus);
  put<uint64_t>(b, 88, h.max_mapnr_64);
  put<uint64_t>(b, 96, h.total_ram_blocks_64);
  put<uint64_t>(b, 104, h.device_blocks_64);
  put<uint64_t>(b, 112, h.written_blocks_64);
  return out;
}

std::optional<int64_t> efi_time_to_unix(const EfiTimeRaw& t) {
  std::span<const std::byte> b(t);
  const uint16_t year = get<uint16_t>(b, 0);
  const uint8_t month = get<uint8_t>(b, 2), day = get<uint8_t>(b, 3);
  const uint8_t hour = get<uint8_t>(b, 4), minute = get<uint8_t>(b, 5);
  const uint8_t second = get<uint8_t>(b, 6);
  const int16_t tz = get<int16_t>(b, 12);
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
  std::span<std::byte> b(t);
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  put<uint16_t>(b, 0, static_cast<uint16_t>(y));
  put<uint8_t>(b, 2, static_cast<uint8_t>(m));
  put<uint8_t>(b, 3, static_cast<uint8_t>(d));
  put<uint8_t>(b, 4, static_cast<uint8_t>(rem / 3600));
  put<uint8_t>(b, 5, static_cast<uint8_t>(rem / 60 % 60));
  put<uint8_t>(b, 6, static_cast<uint8_t>(rem % 60));
  put<int16_t>(b, 12, 0);  // UTC
  return t;
}

CpuState smram_to_state(std::span<const std::byte> sm) {
  CpuState s;
  for (const GprMap& g : kGprs) s.regs[g.reg] = get<uint64_t>(sm, g.smram);
  for (size_t i = 0; i < std::size(kSegs); ++i) s.regs[kSegs[i]] = get<uint32_t>(sm, kSmEs + 4 * i);
  s.regs[kRip] = get<uint64_t>(sm, kSmRip);
  s.regs[kEflags] = get<uint64_t>(sm, kSmRflags);
  s.regs[kOrigRax] = s.regs[kRax];  // what makedumpfile reports too
  s.cr0 = get<uint64_t>(sm, kSmCr0);
  s.cr3 = get<uint64_t>(sm, kSmCr3);
  s.cr4 = get<uint32_t>(sm, kSmCr4);
  s.efer = get<uint64_t>(sm, kSmEfer);
  s.idt_base = (uint64_t{get<uint32_t>(sm, kSmIdtHi)} << 32) | get<uint32_t>(sm, kSmIdtLo);
  s.gdt_base = (uint64_t{get<uint32_t>(sm, kSmGdtHi)} << 32) | get<uint32_t>(sm, kSmGdtLo);
  s.idt_limit = get<uint32_t>(sm, kSmIdtLimit);
  s.gdt_limit = get<uint32_t>(sm, kSmGdtLimit);
  return s;
}

void state_to_smram(const CpuState& s, std::span<std::byte> sm) {
  for (const GprMap& g : kGprs) put<uint64_t>(sm, g.smram, s.regs[g.reg]);
  for (size_t i = 0; i < std::size(kSegs); ++i) {
    put<uint32_t>(sm, kSmEs + 4 * i, static_cast<uint32_t>(s.regs[kSegs[i]]));
  }
  put<uint64_t>(sm, kSmRip, s.regs[kRip]);
  put<uint64_t>(sm, kSmRflags, s.regs[kEflags]);
  put<uint64_t>(sm, kSmCr0, s.cr0.value_or(0));
  put<uint64_t>(sm, kSmCr3, s.cr3.value_or(0));
  put<uint32_t>(sm, kSmCr4, static_cast<uint32_t>(s.cr4.value_or(0)));
  put<uint64_t>(sm, kSmEfer, s.efer.value_or(0));
  const uint64_t idt = s.idt_base.value_or(0), gdt = s.gdt_base.value_or(0);
  put<uint32_t>(sm, kSmIdtHi, static_cast<uint32_t>(idt >> 32));
  put<uint32_t>(sm, kSmIdtLo, static_cast<uint32_t>(idt));
  put<uint32_t>(sm, kSmGdtHi, static_cast<uint32_t>(gdt >> 32));
  put<uint32_t>(sm, kSmGdtLo, static_cast<uint32_t>(gdt));
  put<uint32_t>(sm, kSmIdtLimit, s.idt_limit);
  put<uint32_t>(sm, kSmGdtLimit, s.gdt_limit);
}

std::vector<std::byte> state_to_prstatus64(const CpuState& s, uint32_t pid) {
  std::vector<std::byte> d(336);
  put<uint32_t>(d, 32, pid);
  for (size_t i = 0; i < s.regs.size(); ++i) put<uint64_t>(d, 112 + 8 * i, s.regs[i]);
  return d;
}

std::optional<CpuState> prstatus64_to_state(std::span<const std::byte> desc) {
  if (desc.size() < 112 + 27 * 8) return std::nullopt;
  CpuState s;
  for (size_t i = 0; i < s.regs.size(); ++i) s.regs[i] = get<uint64_t>(desc, 112 + 8 * i);
  return s;
}

namespace {
// i386 pr_reg: ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss.
constexpr Reg kI386Regs[] = {kRbx, kRcx, kRdx,     kRsi, kRdi, kRbp,    kRax, kDs, kEs,
                             kFs,  kGs,  kOrigRax, kRip, kCs,  kEflags, kRsp, kSs};
}  // namespace

std::vector<std::byte> state_to_prstatus32(const CpuState& s, uint32_t pid) {
  std::vector<std::byte> d(144);
  put<uint32_t>(d, 24, pid);
  for (size_t i = 0; i < std::size(kI386Regs); ++i) {
    put<uint32_t>(d, 72 + 4 * i, static_cast<uint32_t>(s.regs[kI386Regs[i]]));
  }
  return d;
}

std::optional<CpuState> prstatus32_to_state(std::span<const std::byte> desc) {
  if (desc.size() < 72 + 17 * 4) return std::nullopt;
  CpuState s;
  for (size_t i = 0; i < std::size(kI386Regs); ++i) {
    s.regs[kI386Regs[i]] = get<uint32_t>(desc, 72 + 4 * i);
  }
  return s;
}

void merge_qemu_note(std::span<const std::byte> d, CpuState& s) {
  if (d.size() < kQemuSize) return;
  auto seg_base = [&](size_t i) { return get<uint64_t>(d, kQemuSegs + 24 * i + 16); };
  auto seg_limit = [&](size_t i) { return get<uint32_t>(d, kQemuSegs + 24 * i + 4); };
  s.gdt_base = seg_base(8);
  s.gdt_limit = seg_limit(8);
  s.idt_base = seg_base(9);
  s.idt_limit = seg_limit(9);
  s.cr0 = get<uint64_t>(d, kQemuCr + 0);
  s.cr3 = get<uint64_t>(d, kQemuCr + 24);
  s.cr4 = get<uint64_t>(d, kQemuCr + 32);
}

std::vector<std::byte> state_to_qemu_note(const CpuState& s) {
  std::vector<std::byte> d(kQemuSize);
  put<uint32_t>(d, 0, 1);  // version
  put<uint32_t>(d, 4, static_cast<uint32_t>(kQemuSize));
  for (size_t i = 0; i < std::size(kQemuRegs); ++i)
    put<uint64_t>(d, 8 + 8 * i, s.regs[kQemuRegs[i]]);
  for (size_t i = 0; i < std::size(kQemuSegRegs); ++i) {
    put<uint32_t>(d, kQemuSegs + 24 * i, static_cast<uint32_t>(s.regs[kQemuSegRegs[i]]));
  }
  put<uint64_t>(d, kQemuSegs + 24 * 3 + 16, s.regs[kFsBase]);
  put<uint64_t>(d, kQemuSegs + 24 * 4 + 16, s.regs[kGsBase]);
  put<uint32_t>(d, kQemuSegs + 24 * 8 + 4, s.gdt_limit);
  put<uint64_t>(d, kQemuSegs + 24 * 8 + 16, s.gdt_base.value_or(0));
  put<uint32_t>(d, kQemuSegs + 24 * 9 + 4, s.idt_limit);
  put<uint64_t>(d, kQemuSegs + 24 * 9 + 16, s.idt_base.value_or(0));
  put<uint64_t>(d, kQemuCr + 0, s.cr0.value_or(0));
  put<uint64_t>(d, kQemuCr + 24, s.cr3.value_or(0));
  put<uint64_t>(d, kQemuCr + 32, s.cr4.value_or(0));
  return d;
}

}  // namespace dumpfmt::detail::sadump
