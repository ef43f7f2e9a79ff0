// dumpgen: Fujitsu sadump files (docs/formats.md §7): single partition, disk set and media backup,
// with SMRAM CPU states and MSB-first bitmaps.
#include <algorithm>
#include <cstring>

#include "dumpgen.h"
#include "dumpgen_internal.h"

namespace dumpgen {

using namespace detail;

namespace {

constexpr Endian kLe = Endian::little;

std::vector<uint8_t> guid(uint8_t tag) {
  std::vector<uint8_t> g(16);
  for (int i = 0; i < 16; ++i) g[i] = static_cast<uint8_t>(tag * 16 + i);
  return g;
}

// efi_time_t of a Unix time, UTC (time zone 0).
std::vector<uint8_t> efi_time(int64_t t) {
  int64_t days = t / 86400, rem = t % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (Hinnant)
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const uint64_t doe = static_cast<uint64_t>(days - era * 146097);
  const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint64_t mp = (5 * doy + 2) / 153;
  const uint64_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  std::vector<uint8_t> e(16, 0);
  put_int(e, 0, static_cast<uint64_t>(y), 2, kLe);
  e[2] = static_cast<uint8_t>(m);
  e[3] = static_cast<uint8_t>(d);
  e[4] = static_cast<uint8_t>(rem / 3600);
  e[5] = static_cast<uint8_t>(rem / 60 % 60);
  e[6] = static_cast<uint8_t>(rem % 60);
  return e;
}

std::vector<uint8_t> part_header(const DumpSpec& spec, uint32_t bs, uint32_t set_disk_set,
                                 uint64_t used_device) {
  std::vector<uint8_t> p(bs, 0);
  put_int(p, 0, 0x75646173, 4, kLe);
  put_int(p, 4, 0x0000706d, 4, kLe);
  put_int(p, 8, 1, 4, kLe);    // enable
  put_int(p, 12, 60, 4, kLe);  // reboot
  put_int(p, 16, 1, 4, kLe);   // compress
  put_int(p, 20, 1, 4, kLe);   // recycle
  put_bytes(p, 88, guid(1).data(), 16);
  put_bytes(p, 104, guid(2).data(), 16);
  put_bytes(p, 120, guid(3).data(), 16);  // every disk the same volume ID, as libkdumpfile's
                                          // mksadump does: both readers' checks pass
  put_bytes(p, 136, efi_time(spec.crash_time).data(), 16);
  put_int(p, 152, set_disk_set, 4, kLe);
  put_int(p, 160, used_device, 8, kLe);
  uint32_t m = 0;
  for (uint64_t off = 168; off + 4 <= bs; off += 4) {
    put_int(p, off, m, 4, kLe);
    m = (m + 7) * 11;
  }
  return p;
}

// SMRAM save state of one CPU (1024 bytes), register values as documented in dumpgen.h.
std::vector<uint8_t> smram(const DumpSpec& spec, int cpu) {
  std::vector<uint8_t> s(1024, 0);
  // pr_reg index of r15, r14, ..., r8, rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi (SMRAM order).
  const int gpr_index[16] = {0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 5, 19, 4, 13, 14};
  for (int i = 0; i < 16; ++i) put_int(s, 796 + 8 * i, prstatus_reg(cpu, gpr_index[i]), 8, kLe);
  // es cs ss ds fs gs at 936: pr_reg 24, 17, 20, 23, 25, 26.
  const int seg_index[6] = {24, 17, 20, 23, 25, 26};
  for (int i = 0; i < 6; ++i) put_int(s, 936 + 4 * i, prstatus_reg(cpu, seg_index[i]), 4, kLe);
  put_int(s, 984, prstatus_reg(cpu, 16), 8, kLe);          // rip
  put_int(s, 1000, prstatus_reg(cpu, 18), 8, kLe);         // rflags
  put_int(s, 992, spec.bits() == 64 ? 0x500 : 0, 8, kLe);  // IA32_EFER
  put_int(s, 1008, 0x100000ull * (cpu + 1), 8, kLe);       // cr3
  put_int(s, 1016, 0x80050033, 8, kLe);                    // cr0
  put_int(s, 576, 0x20, 4, kLe);                           // cr4
  const uint64_t idt = 0xfffffe0000000000ull + 0x1000ull * cpu;
  put_int(s, 472, idt >> 32, 4, kLe);
  put_int(s, 660, idt & 0xffffffff, 4, kLe);
  put_int(s, 664, 0xfff, 4, kLe);
  return s;
}

}  // namespace

std::vector<std::vector<uint8_t>> generate_sadump(const DumpSpec& spec, const SadumpOptions& opt) {
  const uint32_t bs = spec.page_size;
  if (bs < 512) fail("sadump block size below 512");
  if (opt.variant == SadumpVariant::media && bs != 4096)
    fail("media backup needs 4096-byte blocks");
  const std::vector<Extent> ext = extents_of(spec);
  const uint64_t max_mapnr = max_mapnr_of(spec, ext);
  const int ncpu = std::max(1, spec.nr_cpus);
  const bool diskset = opt.variant == SadumpVariant::disk_set;
  const int ndisks = diskset ? std::max(1, opt.disks) : 1;

  // Bitmaps (MSB first) and the page data of dumpable PFNs in order.
  const uint64_t bm_bytes = std::max<uint64_t>(bs, round_up((max_mapnr + 7) / 8, bs));
  std::vector<uint8_t> ram(bm_bytes, 0), dump(bm_bytes, 0), data;
  uint64_t total_ram = 0;
  for (const Extent& e : ext) {
    for (uint64_t p = e.first_pfn; p < e.end(); ++p) {
      ram[p >> 3] |= static_cast<uint8_t>(1u << (7 - (p & 7)));
      ++total_ram;
      if (!e.present()) continue;
      dump[p >> 3] |= static_cast<uint8_t>(1u << (7 - (p & 7)));
      std::vector<uint8_t> pg = extent_page(spec, e, p);
      data.insert(data.end(), pg.begin(), pg.end());
    }
  }
  const uint64_t nblocks = data.size() / bs;

  const uint64_t part_pos = opt.variant == SadumpVariant::media ? 4096 : 0;
  uint64_t hdr_pos = part_pos + bs;
  const uint64_t dsh_bytes = 16 + 32 * 15;
  if (diskset) hdr_pos += round_up(dsh_bytes, bs);
  const uint64_t sub_bytes = round_up(4 + ncpu * (16 + 1024), bs);
  const uint64_t data_pos = hdr_pos + bs + sub_bytes + 2 * bm_bytes;

  // Data blocks per disk: disk 1 gets the first share, the others the rest, evenly.
  std::vector<uint64_t> share(ndisks, nblocks / ndisks);
  for (uint64_t i = 0; i < nblocks % ndisks; ++i) ++share[i];

  std::vector<std::vector<uint8_t>> files;
  std::vector<uint8_t> f;
  const uint64_t used0 = data_pos + share[0] * bs;
  if (opt.variant == SadumpVariant::media) {
    f.assign(4096, 0);
    put_bytes(f, 0, guid(1).data(), 16);
    put_bytes(f, 16, guid(2).data(), 16);
    put_bytes(f, 32, efi_time(spec.crash_time).data(), 16);
    f[48] = 1;  // sequential_num
  }
  std::vector<uint8_t> ph = part_header(spec, bs, diskset ? 1 : 0, used0);
  put_bytes(f, part_pos, ph.data(), ph.size());
  if (diskset) {
    const uint64_t at = part_pos + bs;
    put_int(f, at, round_up(dsh_bytes, bs) / bs, 4, kLe);
    put_int(f, at + 4, ndisks, 4, kLe);
    for (int k = 0; k < 15; ++k) put_bytes(f, at + 16 + 32 * k, guid(3).data(), 16);
  }
  // sadump_header
  put_bytes(f, hdr_pos, "sadump\0\0", 8);
  put_int(f, hdr_pos + 8, opt.header_version, 4, kLe);
  put_bytes(f, hdr_pos + 16, efi_time(spec.crash_time).data(), 16);
  put_int(f, hdr_pos + 40, bs, 4, kLe);
  put_int(f, hdr_pos + 48, sub_bytes / bs, 4, kLe);
  put_int(f, hdr_pos + 52, bm_bytes / bs, 4, kLe);
  put_int(f, hdr_pos + 56, bm_bytes / bs, 4, kLe);
  put_int(f, hdr_pos + 60, std::min<uint64_t>(max_mapnr, 0xffffffff), 4, kLe);
  put_int(f, hdr_pos + 64, std::min<uint64_t>(total_ram, 0xffffffff), 4, kLe);
  put_int(f, hdr_pos + 68, used0 / bs, 4, kLe);
  put_int(f, hdr_pos + 72, used0 / bs, 4, kLe);
  put_int(f, hdr_pos + 80, ncpu, 4, kLe);
  if (opt.header_version >= 1) {
    put_int(f, hdr_pos + 88, max_mapnr, 8, kLe);
    put_int(f, hdr_pos + 96, total_ram, 8, kLe);
    put_int(f, hdr_pos + 104, used0 / bs, 8, kLe);
    put_int(f, hdr_pos + 112, used0 / bs, 8, kLe);
  }
  f.resize(hdr_pos + bs, 0);
  // Sub header: SMRAM total, APIC states {id, ldr}, SMRAM states.
  const uint64_t sub = hdr_pos + bs;
  put_int(f, sub, 1024ull * ncpu, 4, kLe);
  for (int c = 0; c < ncpu; ++c) {
    put_int(f, sub + 4 + 16 * c, c, 8, kLe);
    std::vector<uint8_t> s = smram(spec, c);
    put_bytes(f, sub + 4 + 16ull * ncpu + 1024ull * c, s.data(), s.size());
  }
  f.resize(sub + sub_bytes, 0);
  f.insert(f.end(), ram.begin(), ram.end());
  f.insert(f.end(), dump.begin(), dump.end());
  f.insert(f.end(), data.begin(), data.begin() + share[0] * bs);
  files.push_back(std::move(f));

  uint64_t done = share[0];
  for (int k = 1; k < ndisks; ++k) {
    std::vector<uint8_t> d = part_header(spec, bs, k + 1, bs + share[k] * bs);
    d.insert(d.end(), data.begin() + done * bs, data.begin() + (done + share[k]) * bs);
    done += share[k];
    files.push_back(std::move(d));
  }
  if (spec.truncate_bytes) {
    for (auto& x : files) x.resize(std::min<uint64_t>(x.size(), *spec.truncate_bytes));
  }
  return files;
}

}  // namespace dumpgen
