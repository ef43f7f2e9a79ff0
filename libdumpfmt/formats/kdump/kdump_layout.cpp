// Encoding and decoding of the kdump-compressed headers (makedumpfile's
// diskdump_mod.h; offsets from formats.md §3.2, §3.4, §3.6).
#include "formats/kdump/kdump_layout.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace dumpfmt::detail::kdump {

namespace {

constexpr size_t kUtsOffset = 12;
constexpr size_t kUtsCount = 6;

// The timeval follows utsname (ending at 402), aligned to the size of `long`.
constexpr size_t timeval_offset(Word w) { return w == Word::w64 ? 408 : 404; }
constexpr size_t long_size(Word w) { return w == Word::w64 ? 8 : 4; }

std::string* uts_field(Utsname& u, size_t i) {
  std::array<std::string*, kUtsCount> f{&u.sysname, &u.nodename, &u.release,
                                        &u.version, &u.machine,  &u.domainname};
  return f[i];
}

const std::string* uts_field(const Utsname& u, size_t i) {
  return uts_field(const_cast<Utsname&>(u), i);
}

// One sub-header field: its offset and width for a layout, and the header
// version that introduced it.
struct Field {
  uint8_t off;
  uint8_t size;
};

struct SubSpec {
  Field phys_base, dump_level, split, start_pfn, end_pfn, offset_vmcoreinfo, size_vmcoreinfo,
      offset_note, size_note, offset_eraseinfo, size_eraseinfo, start_pfn_64, end_pfn_64,
      max_mapnr_64;
  uint8_t total;
  // End of the last field of versions 1..5 (version 6 and later: total).
  std::array<uint8_t, 6> end_for_version;
};

constexpr SubSpec kSub64{
    {0, 8},  {8, 4},  {12, 4}, {16, 8}, {24, 8}, {32, 8}, {40, 8}, {48, 8},
    {56, 8}, {64, 8}, {72, 8}, {80, 8}, {88, 8}, {96, 8}, 104,     {0, 12, 32, 48, 64, 80}};
constexpr SubSpec kSub32Packed{
    {0, 4},  {4, 4},  {8, 4},  {12, 4}, {16, 4}, {20, 8}, {28, 4}, {32, 8},
    {40, 4}, {44, 8}, {52, 4}, {56, 8}, {64, 8}, {72, 8}, 80,      {0, 8, 20, 32, 44, 56}};
constexpr SubSpec kSub32Padded{
    {0, 4},  {4, 4},  {8, 4},  {12, 4}, {16, 4}, {24, 8}, {32, 4}, {40, 8},
    {48, 4}, {56, 8}, {64, 4}, {72, 8}, {80, 8}, {88, 8}, 96,      {0, 8, 20, 36, 52, 68}};

const SubSpec& spec_of(SubLayout l) {
  switch (l) {
    case SubLayout::w64:
      return kSub64;
    case SubLayout::w32_packed:
      return kSub32Packed;
    case SubLayout::w32_padded:
      break;
  }
  return kSub32Padded;
}

uint64_t get(std::span<const std::byte> in, Field f, Endian e) {
  if (static_cast<size_t>(f.off) + f.size > in.size()) return 0;
  return f.size == 8 ? load<uint64_t>(in.data() + f.off, e) : load<uint32_t>(in.data() + f.off, e);
}

void put(std::span<std::byte> out, Field f, uint64_t v, Endian e) {
  if (f.size == 8) {
    store<uint64_t>(out.data() + f.off, v, e);
  } else {
    store<uint32_t>(
        out.data() + f.off,
        static_cast<uint32_t>(std::min<uint64_t>(v, std::numeric_limits<uint32_t>::max())), e);
  }
}

}  // namespace

size_t main_header_size(Word w) { return w == Word::w64 ? 464 : 452; }

size_t sub_header_size(SubLayout l) { return spec_of(l).total; }

size_t sub_header_bytes_for_version(SubLayout l, int32_t version) {
  const SubSpec& s = spec_of(l);
  if (version < 1) return 0;
  if (version >= 6) return s.total;
  return s.end_for_version[static_cast<size_t>(version)];
}

size_t status_offset(Word w) { return timeval_offset(w) + 2 * long_size(w); }

MainHeader decode_main_header(std::span<const std::byte> in, Word w, Endian e) {
  MainHeader h;
  std::memcpy(h.signature, in.data(), sizeof h.signature);
  h.version = load<int32_t>(in.data() + 8, e);
  for (size_t i = 0; i < kUtsCount; ++i) {
    const char* p = reinterpret_cast<const char*>(in.data() + kUtsOffset + i * kUtsFieldSize);
    uts_field(h.uts, i)->assign(p, strnlen(p, kUtsFieldSize));
  }
  size_t t = timeval_offset(w);
  if (w == Word::w64) {
    h.tv_sec = load<int64_t>(in.data() + t, e);
    h.tv_usec = load<int64_t>(in.data() + t + 8, e);
  } else {
    h.tv_sec = load<int32_t>(in.data() + t, e);
    h.tv_usec = load<int32_t>(in.data() + t + 4, e);
  }
  const std::byte* p = in.data() + status_offset(w);
  h.status = load<uint32_t>(p, e);
  h.block_size = load<int32_t>(p + 4, e);
  h.sub_hdr_size = load<int32_t>(p + 8, e);
  h.bitmap_blocks = load<uint32_t>(p + 12, e);
  h.max_mapnr = load<uint32_t>(p + 16, e);
  h.total_ram_blocks = load<uint32_t>(p + 20, e);
  h.device_blocks = load<uint32_t>(p + 24, e);
  h.written_blocks = load<uint32_t>(p + 28, e);
  h.current_cpu = load<uint32_t>(p + 32, e);
  h.nr_cpus = load<int32_t>(p + 36, e);
  return h;
}

void encode_main_header(const MainHeader& h, Word w, Endian e, std::span<std::byte> out) {
  std::memset(out.data(), 0, main_header_size(w));
  std::memcpy(out.data(), h.signature, sizeof h.signature);
  store<int32_t>(out.data() + 8, h.version, e);
  for (size_t i = 0; i < kUtsCount; ++i) {
    const std::string* s = uts_field(h.uts, i);
    // Keep one NUL: the kernel's strings are at most 64 characters.
    std::memcpy(out.data() + kUtsOffset + i * kUtsFieldSize, s->data(),
                std::min(s->size(), kUtsFieldSize - 1));
  }
  size_t t = timeval_offset(w);
  if (w == Word::w64) {
    store<int64_t>(out.data() + t, h.tv_sec, e);
    store<int64_t>(out.data() + t + 8, h.tv_usec, e);
  } else {
    store<int32_t>(out.data() + t, static_cast<int32_t>(h.tv_sec), e);
    store<int32_t>(out.data() + t + 4, static_cast<int32_t>(h.tv_usec), e);
  }
  std::byte* p = out.data() + status_offset(w);
  store<uint32_t>(p, h.status, e);
  store<int32_t>(p + 4, h.block_size, e);
  store<int32_t>(p + 8, h.sub_hdr_size, e);
  store<uint32_t>(p + 12, h.bitmap_blocks, e);
  store<uint32_t>(p + 16, h.max_mapnr, e);
  store<uint32_t>(p + 20, h.total_ram_blocks, e);
  store<uint32_t>(p + 24, h.device_blocks, e);
  store<uint32_t>(p + 28, h.written_blocks, e);
  store<uint32_t>(p + 32, h.current_cpu, e);
  store<int32_t>(p + 36, h.nr_cpus, e);
}

SubHeader decode_sub_header(std::span<const std::byte> in, SubLayout l, Endian e, int32_t version) {
  const SubSpec& s = spec_of(l);
  SubHeader h;
  if (version < 1) return h;
  in = in.first(std::min(in.size(), sub_header_bytes_for_version(l, version)));
  h.phys_base = get(in, s.phys_base, e);
  if (s.phys_base.size == 4) {
    h.phys_base = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(h.phys_base)));
  }
  h.dump_level = static_cast<int32_t>(get(in, s.dump_level, e));
  if (version >= 2) {
    h.split = static_cast<int32_t>(get(in, s.split, e));
    h.start_pfn = get(in, s.start_pfn, e);
    h.end_pfn = get(in, s.end_pfn, e);
  }
  if (version >= 3) {
    h.offset_vmcoreinfo = get(in, s.offset_vmcoreinfo, e);
    h.size_vmcoreinfo = get(in, s.size_vmcoreinfo, e);
  }
  if (version >= 4) {
    h.offset_note = get(in, s.offset_note, e);
    h.size_note = get(in, s.size_note, e);
  }
  if (version >= 5) {
    h.offset_eraseinfo = get(in, s.offset_eraseinfo, e);
    h.size_eraseinfo = get(in, s.size_eraseinfo, e);
  }
  if (version >= 6) {
    h.start_pfn_64 = get(in, s.start_pfn_64, e);
    h.end_pfn_64 = get(in, s.end_pfn_64, e);
    h.max_mapnr_64 = get(in, s.max_mapnr_64, e);
  }
  return h;
}

void encode_sub_header(const SubHeader& h, SubLayout l, Endian e, std::span<std::byte> out) {
  const SubSpec& s = spec_of(l);
  std::memset(out.data(), 0, s.total);
  // phys_base is signed in practice (x86_64 KASLR): keep its low 32 bits as is.
  if (s.phys_base.size == 4) {
    store<uint32_t>(out.data() + s.phys_base.off, static_cast<uint32_t>(h.phys_base), e);
  } else {
    put(out, s.phys_base, h.phys_base, e);
  }
  put(out, s.dump_level, static_cast<uint32_t>(h.dump_level), e);
  put(out, s.split, static_cast<uint32_t>(h.split), e);
  put(out, s.start_pfn, h.start_pfn, e);
  put(out, s.end_pfn, h.end_pfn, e);
  put(out, s.offset_vmcoreinfo, h.offset_vmcoreinfo, e);
  put(out, s.size_vmcoreinfo, h.size_vmcoreinfo, e);
  put(out, s.offset_note, h.offset_note, e);
  put(out, s.size_note, h.size_note, e);
  put(out, s.offset_eraseinfo, h.offset_eraseinfo, e);
  put(out, s.size_eraseinfo, h.size_eraseinfo, e);
  put(out, s.start_pfn_64, h.start_pfn_64, e);
  put(out, s.end_pfn_64, h.end_pfn_64, e);
  put(out, s.max_mapnr_64, h.max_mapnr_64, e);
}

PageDesc decode_page_desc(const std::byte* p, Endian e) {
  PageDesc d;
  d.offset = load<uint64_t>(p, e);
  d.size = load<uint32_t>(p + 8, e);
  d.flags = load<uint32_t>(p + 12, e);
  d.page_flags = load<uint64_t>(p + 16, e);
  return d;
}

void encode_page_desc(const PageDesc& d, Endian e, std::byte* p) {
  store<uint64_t>(p, d.offset, e);
  store<uint32_t>(p + 8, d.size, e);
  store<uint32_t>(p + 12, d.flags, e);
  store<uint64_t>(p + 16, d.page_flags, e);
}

uint64_t bitmap_blocks_for(uint64_t max_mapnr, uint32_t block_size) {
  uint64_t bytes = max_mapnr / 8 + (max_mapnr % 8 != 0);
  uint64_t blocks = bytes / block_size + (bytes % block_size != 0);
  return 2 * std::max<uint64_t>(blocks, 1);
}

std::optional<CodecId> codec_of_flag(uint32_t bit) {
  switch (bit) {
    case kFlagZlib:
      return CodecId::zlib;
    case kFlagLzo:
      return CodecId::lzo;
    case kFlagSnappy:
      return CodecId::snappy;
    case kFlagZstd:
      return CodecId::zstd;
    default:
      return std::nullopt;
  }
}

std::optional<uint32_t> flag_of_codec(CodecId c) {
  switch (c) {
    case CodecId::none:
      return 0u;
    case CodecId::zlib:
      return kFlagZlib;
    case CodecId::lzo:
      return kFlagLzo;
    case CodecId::snappy:
      return kFlagSnappy;
    case CodecId::zstd:
      return kFlagZstd;
    case CodecId::lz4:
      break;
  }
  return std::nullopt;
}

}  // namespace dumpfmt::detail::kdump
