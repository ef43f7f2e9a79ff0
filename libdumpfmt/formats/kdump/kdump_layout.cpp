// Encoding and decoding of the kdump-compressed headers (makedumpfile's
// diskdump_mod.h; offsets from docs/formats.md §3.2, §3.4, §3.6).
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

uint64_t get(ByteReader& r, Field f) {
  return f.size == 8 ? r.field<uint64_t>(f.off) : r.field<uint32_t>(f.off);
}

// A 4-byte field holds min(v, UINT32_MAX).
void put(ByteWriter& w, Field f, uint64_t v) {
  if (f.size == 8) {
    w.put<uint64_t>(f.off, v);
  } else {
    w.put<uint32_t>(
        f.off, static_cast<uint32_t>(std::min<uint64_t>(v, std::numeric_limits<uint32_t>::max())));
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

Result<MainHeader> decode_main_header(std::span<const std::byte> in, Word w, Endian e) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(in, e);
  MainHeader h;
  const auto sig = r.field_array<sizeof h.signature>(0);
  std::memcpy(h.signature, sig.data(), sig.size());
  h.version = r.field<int32_t>(8);
  for (size_t i = 0; i < kUtsCount; ++i) {
    std::span<const std::byte> f = r.field_bytes(kUtsOffset + i * kUtsFieldSize, kUtsFieldSize);
    if (f.empty()) continue;  // a miss: finish() reports it
    const char* p = reinterpret_cast<const char*>(f.data());
    uts_field(h.uts, i)->assign(p, strnlen(p, f.size()));
  }
  const size_t t = timeval_offset(w);
  if (w == Word::w64) {
    h.tv_sec = r.field<int64_t>(t);
    h.tv_usec = r.field<int64_t>(t + 8);
  } else {
    h.tv_sec = r.field<int32_t>(t);
    h.tv_usec = r.field<int32_t>(t + 4);
  }
  const size_t p = status_offset(w);
  h.status = r.field<uint32_t>(p);
  h.block_size = r.field<int32_t>(p + 4);
  h.sub_hdr_size = r.field<int32_t>(p + 8);
  h.bitmap_blocks = r.field<uint32_t>(p + 12);
  h.max_mapnr = r.field<uint32_t>(p + 16);
  h.total_ram_blocks = r.field<uint32_t>(p + 20);
  h.device_blocks = r.field<uint32_t>(p + 24);
  h.written_blocks = r.field<uint32_t>(p + 28);
  h.current_cpu = r.field<uint32_t>(p + 32);
  h.nr_cpus = r.field<int32_t>(p + 36);
  return r.finish(std::move(h));
}

void encode_main_header(const MainHeader& h, Word w, Endian e, std::span<std::byte> out) {
  ByteWriter o(out, e);
  o.zero(0, main_header_size(w));
  o.put_bytes(0, std::as_bytes(std::span(h.signature)));
  o.put<int32_t>(8, h.version);
  for (size_t i = 0; i < kUtsCount; ++i) {
    const std::string* s = uts_field(h.uts, i);
    // Keep one NUL: the kernel's strings are at most 64 characters.
    o.put_bytes(kUtsOffset + i * kUtsFieldSize,
                as_bytes(std::string_view(*s).substr(0, kUtsFieldSize - 1)));
  }
  const size_t t = timeval_offset(w);
  if (w == Word::w64) {
    o.put<int64_t>(t, h.tv_sec);
    o.put<int64_t>(t + 8, h.tv_usec);
  } else {
    o.put<int32_t>(t, static_cast<int32_t>(h.tv_sec));
    o.put<int32_t>(t + 4, static_cast<int32_t>(h.tv_usec));
  }
  const size_t p = status_offset(w);
  o.put<uint32_t>(p, h.status);
  o.put<int32_t>(p + 4, h.block_size);
  o.put<int32_t>(p + 8, h.sub_hdr_size);
  o.put<uint32_t>(p + 12, h.bitmap_blocks);
  o.put<uint32_t>(p + 16, h.max_mapnr);
  o.put<uint32_t>(p + 20, h.total_ram_blocks);
  o.put<uint32_t>(p + 24, h.device_blocks);
  o.put<uint32_t>(p + 28, h.written_blocks);
  o.put<uint32_t>(p + 32, h.current_cpu);
  o.put<int32_t>(p + 36, h.nr_cpus);
}

Result<SubHeader> decode_sub_header(std::span<const std::byte> in, SubLayout l, Endian e,
                                    int32_t version) {
  const SubSpec& s = spec_of(l);
  SubHeader h;
  if (version < 1) return h;
  ByteReader r(in.first(std::min(in.size(), sub_header_bytes_for_version(l, version))), e);
  h.phys_base = get(r, s.phys_base);
  if (s.phys_base.size == 4) {
    h.phys_base = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(h.phys_base)));
  }
  h.dump_level = static_cast<int32_t>(get(r, s.dump_level));
  // A field newer than `version` is not in `in`: it is not read and stays 0.
  auto since = [&](int32_t v, Field f) { return version >= v ? get(r, f) : uint64_t{0}; };
  h.split = static_cast<int32_t>(since(2, s.split));
  h.start_pfn = since(2, s.start_pfn);
  h.end_pfn = since(2, s.end_pfn);
  h.offset_vmcoreinfo = since(3, s.offset_vmcoreinfo);
  h.size_vmcoreinfo = since(3, s.size_vmcoreinfo);
  h.offset_note = since(4, s.offset_note);
  h.size_note = since(4, s.size_note);
  h.offset_eraseinfo = since(5, s.offset_eraseinfo);
  h.size_eraseinfo = since(5, s.size_eraseinfo);
  h.start_pfn_64 = since(6, s.start_pfn_64);
  h.end_pfn_64 = since(6, s.end_pfn_64);
  h.max_mapnr_64 = since(6, s.max_mapnr_64);
  return r.finish(h);
}

void encode_sub_header(const SubHeader& h, SubLayout l, Endian e, std::span<std::byte> out) {
  const SubSpec& s = spec_of(l);
  ByteWriter w(out, e);
  w.zero(0, s.total);
  // phys_base is signed in practice (x86_64 KASLR): keep its low 32 bits as is.
  if (s.phys_base.size == 4) {
    w.put<uint32_t>(s.phys_base.off, static_cast<uint32_t>(h.phys_base));
  } else {
    put(w, s.phys_base, h.phys_base);
  }
  put(w, s.dump_level, static_cast<uint32_t>(h.dump_level));
  put(w, s.split, static_cast<uint32_t>(h.split));
  put(w, s.start_pfn, h.start_pfn);
  put(w, s.end_pfn, h.end_pfn);
  put(w, s.offset_vmcoreinfo, h.offset_vmcoreinfo);
  put(w, s.size_vmcoreinfo, h.size_vmcoreinfo);
  put(w, s.offset_note, h.offset_note);
  put(w, s.size_note, h.size_note);
  put(w, s.offset_eraseinfo, h.offset_eraseinfo);
  put(w, s.size_eraseinfo, h.size_eraseinfo);
  put(w, s.start_pfn_64, h.start_pfn_64);
  put(w, s.end_pfn_64, h.end_pfn_64);
  put(w, s.max_mapnr_64, h.max_mapnr_64);
}

Result<PageDesc> decode_page_desc(std::span<const std::byte> in, Endian e) {
  // One read per on-disk field: the likeness with other decoders is the layout.
  ByteReader r(in, e);
  PageDesc d;
  d.offset = r.field<uint64_t>(0);
  d.size = r.field<uint32_t>(8);
  d.flags = r.field<uint32_t>(12);
  d.page_flags = r.field<uint64_t>(16);
  return r.finish(d);
}

void encode_page_desc(const PageDesc& d, Endian e, std::span<std::byte> out) {
  ByteWriter w(out, e);
  w.put<uint64_t>(0, d.offset);
  w.put<uint32_t>(8, d.size);
  w.put<uint32_t>(12, d.flags);
  w.put<uint64_t>(16, d.page_flags);
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
