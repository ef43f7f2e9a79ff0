// The codec table: names, what this build contains, and make_codec dispatch;
// plus the argument checks and error texts shared by every codec file.
#include <array>
#include <string>

#include "codecs/codec_impl.h"
#include "dumpfmt/codec.h"
#include "dumpfmt/config.h"

namespace dumpfmt {
namespace {

struct CodecEntry {
  CodecId id;
  std::string_view name;
  bool built;
  Result<detail::CodecPtr> (*make)(int level);
};

// Indexed by CodecId; every codec is listed whether built or not, so a page
// flag naming a compiled-out codec is reported as such, never as corruption.
constexpr std::array<CodecEntry, 6> kCodecs{{
    {CodecId::none, "none", true, &detail::make_none_codec},
    {CodecId::zlib, "zlib", true, &detail::make_zlib_codec},
    {CodecId::lzo, "lzo", DUMPFMT_HAVE_LZO != 0, &detail::make_lzo_codec},
    {CodecId::snappy, "snappy", DUMPFMT_HAVE_SNAPPY != 0, &detail::make_snappy_codec},
    {CodecId::zstd, "zstd", DUMPFMT_HAVE_ZSTD != 0, &detail::make_zstd_codec},
    {CodecId::lz4, "lz4", DUMPFMT_HAVE_LZ4 != 0, &detail::make_lz4_codec},
}};

const CodecEntry* find_entry(CodecId c) {
  auto i = static_cast<size_t>(c);
  return i < kCodecs.size() ? &kCodecs[i] : nullptr;
}

}  // namespace

std::string_view codec_name(CodecId c) {
  const CodecEntry* e = find_entry(c);
  return e ? e->name : std::string_view("unknown");
}

std::optional<CodecId> codec_from_name(std::string_view n) {
  for (const CodecEntry& e : kCodecs) {
    if (e.name == n) return e.id;
  }
  return std::nullopt;
}

bool codec_built(CodecId c) {
  const CodecEntry* e = find_entry(c);
  return e != nullptr && e->built;
}

std::vector<CodecId> built_codecs() {
  std::vector<CodecId> v;
  for (const CodecEntry& e : kCodecs) {
    if (e.built) v.push_back(e.id);
  }
  return v;
}

Result<std::unique_ptr<Codec>> make_codec(CodecId id, int level) {
  const CodecEntry* e = find_entry(id);
  if (e == nullptr) {
    return make_error(Errc::invalid_argument,
                      "unknown codec id " + std::to_string(static_cast<unsigned>(id)));
  }
  if (!e->built) return detail::codec_not_built(id);
  return e->make(level);
}

namespace detail {

Error codec_not_built(CodecId c) {
  return make_error(Errc::not_built, std::string(codec_name(c)) + ": not built into this dumpfmt");
}

Error codec_corrupt(CodecId c, std::string_view what) {
  std::string m(codec_name(c));
  m += ": corrupt page: ";
  m += what;
  return make_error(Errc::corrupt, std::move(m));
}

Error codec_wrong_size(CodecId c, size_t got, size_t want) {
  return codec_corrupt(
      c, "decompressed to " + std::to_string(got) + " bytes, expected " + std::to_string(want));
}

Status check_no_level(CodecId c, int level) {
  if (level == 0) return ok();
  return make_error(Errc::invalid_argument, std::string(codec_name(c)) +
                                                ": has no compression levels (got level " +
                                                std::to_string(level) + ")");
}

Status check_level_range(CodecId c, int level, int lo, int hi) {
  if (level >= lo && level <= hi) return ok();
  return make_error(Errc::invalid_argument, std::string(codec_name(c)) + ": level " +
                                                std::to_string(level) + " out of range " +
                                                std::to_string(lo) + ".." + std::to_string(hi));
}

Status check_compress_args(const Codec& codec, size_t in_size, size_t out_size, size_t max_in) {
  if (in_size > max_in) {
    return make_error(Errc::invalid_argument, std::string(codec_name(codec.id())) + ": input of " +
                                                  std::to_string(in_size) +
                                                  " bytes is too large to compress");
  }
  size_t bound = codec.max_compressed_size(in_size);
  if (out_size < bound) {
    return make_error(Errc::invalid_argument, std::string(codec_name(codec.id())) +
                                                  ": output buffer of " + std::to_string(out_size) +
                                                  " bytes is below the bound of " +
                                                  std::to_string(bound));
  }
  return ok();
}

}  // namespace detail
}  // namespace dumpfmt
