// Whole-file gzip/zstd/lz4 decompression into an unlinked temporary file (a
// File decorator): one streaming decoder per container, one driver that
// handles chunked input, concatenated frames, trailing padding and errors.
#include "dumpfmt/compressed_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/config.h"
#include "dumpfmt/enum_names.h"
#include "io/fd_file.h"

#if DUMPFMT_HAVE_ZSTD
#include <zstd.h>
#endif
#if DUMPFMT_HAVE_LZ4
#include <lz4frame.h>
#endif

namespace dumpfmt {

namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr uint64_t kMaxPadding = uint64_t{1} << 20;  // zeros accepted after the last frame
// Compressed data barely outgrows what it decodes to, so input consumed beyond
// twice the output plus this slack is hostile: zstd decodes zeros as empty blocks
// and skips skippable frames, and a sparse input can hold terabytes of either.
// The slack covers the largest block a decoder buffers before it emits anything
// (lz4's 4 MiB, the lz4 tool's default) plus one read chunk.
constexpr uint64_t kMaxInputSlack = uint64_t{8} << 20;

const uint8_t kGzipMagic[] = {0x1f, 0x8b, 0x08};
const uint8_t kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};
const uint8_t kLz4Magic[] = {0x04, 0x22, 0x4d, 0x18};

bool starts_with(std::span<const std::byte> b, std::span<const uint8_t> magic) {
  return b.size() >= magic.size() && std::memcmp(b.data(), magic.data(), magic.size()) == 0;
}

// One step of a streaming decoder: how much input it took, how much output it
// made, and whether a frame (gzip member) ended exactly here.
struct Step {
  size_t in_used = 0;
  size_t out_made = 0;
  bool frame_end = false;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::string_view name() const = 0;
  /// Whether `b` (at least 4 bytes when the file has them) starts a frame.
  virtual bool frame_start(std::span<const std::byte> b) const = 0;
  virtual Result<Step> step(std::span<const std::byte> in, std::span<std::byte> out) = 0;
  /// Prepares for the next concatenated frame.
  virtual void reset() = 0;
};

class GzipDecoder final : public Decoder {
 public:
  GzipDecoder() {
    std::memset(&z_, 0, sizeof z_);
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;  // 16: gzip wrapper only
  }
  ~GzipDecoder() override {
    if (ok_) inflateEnd(&z_);
  }
  std::string_view name() const override { return "gzip"; }
  bool frame_start(std::span<const std::byte> b) const override {
    return starts_with(b, kGzipMagic);
  }
  Result<Step> step(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (!ok_) return make_error(Errc::io, "gzip: cannot initialise zlib");
    // zlib's API takes non-const input but does not write to it.
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z_, Z_NO_FLUSH);
    Step s;
    s.in_used = in.size() - z_.avail_in;
    s.out_made = out.size() - z_.avail_out;
    if (rc == Z_STREAM_END) {
      s.frame_end = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return make_error(Errc::corrupt, std::string("gzip: ") + (z_.msg ? z_.msg : zError(rc)));
    }
    return s;
  }
  void reset() override { inflateReset(&z_); }

 private:
  z_stream z_;
  bool ok_ = false;
};

#if DUMPFMT_HAVE_ZSTD
class ZstdDecoder final : public Decoder {
 public:
  ZstdDecoder() : d_(ZSTD_createDCtx()) {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(d_); }
  std::string_view name() const override { return "zstd"; }
  // Skippable frames (which zstd itself accepts between frames) count too.
  bool frame_start(std::span<const std::byte> b) const override {
    if (b.size() < 4) return false;
    const uint32_t magic = load<uint32_t>(b.data(), Endian::little);
    return magic == ZSTD_MAGICNUMBER ||
           (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
  }
  Result<Step> step(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (!d_) return make_error(Errc::io, "zstd: cannot create a decompression context");
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    ZSTD_outBuffer ob{out.data(), out.size(), 0};
    size_t rc = ZSTD_decompressStream(d_, &ob, &ib);
    if (ZSTD_isError(rc))
      return make_error(Errc::corrupt, std::string("zstd: ") + ZSTD_getErrorName(rc));
    Step s;
    s.in_used = ib.pos;
    s.out_made = ob.pos;
    s.frame_end = rc == 0;  // frame decoded and fully flushed
    return s;
  }
  void reset() override { ZSTD_DCtx_reset(d_, ZSTD_reset_session_only); }

 private:
  ZSTD_DCtx* d_;
};
#endif

#if DUMPFMT_HAVE_LZ4
class Lz4Decoder final : public Decoder {
 public:
  Lz4Decoder() {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d_, LZ4F_VERSION))) d_ = nullptr;
  }
  ~Lz4Decoder() override {
    if (d_) LZ4F_freeDecompressionContext(d_);
  }
  std::string_view name() const override { return "lz4"; }
  bool frame_start(std::span<const std::byte> b) const override {
    return starts_with(b, kLz4Magic);
  }
  Result<Step> step(std::span<const std::byte> in, std::span<std::byte> out) override {
    if (!d_) return make_error(Errc::io, "lz4: cannot create a decompression context");
    size_t in_size = in.size(), out_size = out.size();
    size_t rc = LZ4F_decompress(d_, out.data(), &out_size, in.data(), &in_size, nullptr);
    if (LZ4F_isError(rc))
      return make_error(Errc::corrupt, std::string("lz4: ") + LZ4F_getErrorName(rc));
    Step s;
    s.in_used = in_size;
    s.out_made = out_size;
    s.frame_end = rc == 0;  // frame decoded and fully flushed
    return s;
  }
  void reset() override { LZ4F_resetDecompressionContext(d_); }

 private:
  LZ4F_dctx* d_ = nullptr;
};
#endif

// The decompressed data: positioned reads on the unlinked temporary file.
class DecompressedFile final : public detail::FdFile {
 public:
  using FdFile::FdFile;

 private:
  Error out_of_bounds(uint64_t off, size_t n) const override {
    return detail::past_end(*this, off, n, "decompressed data");
  }
  Error ended_early(uint64_t off, size_t) const override {
    return file_error(Errc::io, *this, off, "temporary file shrank");
  }
};

using MakeDecoder = std::unique_ptr<Decoder> (*)();

template <class D>
std::unique_ptr<Decoder> new_decoder() {
  return std::make_unique<D>();
}

// The decoders this build has; a compression it lacks is not listed.
constexpr EnumRow<WholeFileCompression, MakeDecoder> kDecoders[] = {
    {WholeFileCompression::gzip, &new_decoder<GzipDecoder>},
#if DUMPFMT_HAVE_ZSTD
    {WholeFileCompression::zstd, &new_decoder<ZstdDecoder>},
#endif
#if DUMPFMT_HAVE_LZ4
    {WholeFileCompression::lz4, &new_decoder<Lz4Decoder>},
#endif
};

Result<std::unique_ptr<Decoder>> make_decoder(WholeFileCompression c) {
  if (c == WholeFileCompression::none) {
    return make_error(Errc::invalid_argument, "not a compressed file");
  }
  if (MakeDecoder make = enum_lookup(c, kDecoders, MakeDecoder{nullptr})) return make();
  return make_error(Errc::not_built,
                    std::string(whole_file_compression_name(c)) + ": not built into this dumpfmt");
}

Status write_all(int fd, const std::byte* p, size_t n, const std::string& tmp_name) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      return make_error(Errc::io, strfmt("%s: writing the decompressed dump: %s", tmp_name.c_str(),
                                         std::strerror(errno)));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return ok();
}

// Streams `in` through `dec` into `fd`; returns the decompressed size.
Result<uint64_t> decompress_all(const File& in, Decoder& dec, int fd, const std::string& tmp_name,
                                const DecompressOptions& opts) {
  std::vector<std::byte> ibuf(kChunk), obuf(kChunk);
  const uint64_t total = in.size();
  uint64_t file_off = 0;    // next byte of `in` to load
  size_t pos = 0, len = 0;  // unconsumed input is ibuf[pos, len)
  uint64_t produced = 0;
  bool at_boundary = true, started = false;

  // Keeps at least `want` bytes buffered when the file has them.
  auto fill = [&](size_t want) -> Status {
    if (len - pos >= want || file_off >= total) return ok();
    std::memmove(ibuf.data(), ibuf.data() + pos, len - pos);
    len -= pos;
    pos = 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(ibuf.size() - len, total - file_off));
    DUMPFMT_TRY(in.read_at(file_off, std::span(ibuf).subspan(len, n)));
    file_off += n;
    len += n;
    if (opts.progress) opts.progress(file_off, total);
    return ok();
  };
  auto in_offset = [&] { return file_off - (len - pos); };

  for (;;) {
    DUMPFMT_TRY(fill(at_boundary ? 8 : 1));
    std::span<const std::byte> avail(ibuf.data() + pos, len - pos);
    if (at_boundary) {
      if (avail.empty()) break;  // clean end after the last frame
      if (!dec.frame_start(avail)) {
        // Tape and block devices pad the last block with zeros; anything
        // else after the last frame is an error, as for gzip -t. A block is
        // at most kMaxPadding: more is not padding (and a sparse input, such
        // as a rearranged flattened stream, could have terabytes of it).
        bool zeros = started && total - in_offset() <= kMaxPadding;
        for (uint64_t off = in_offset(); zeros && off < total;) {
          std::byte b[4096];
          size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof b, total - off));
          DUMPFMT_TRY(in.read_at(off, std::span(b, n)));
          zeros = is_zero(std::span<const std::byte>(b, n));
          off += n;
        }
        if (zeros) break;
        return file_error(Errc::corrupt, in, in_offset(),
                          started ? "data after the last " + std::string(dec.name()) + " frame"
                                  : "not a " + std::string(dec.name()) + " stream");
      }
      at_boundary = false;
      started = true;
    }
    auto st = dec.step(avail, obuf);
    if (!st) return file_error(st.error().code, in, in_offset(), st.error().message);
    if (opts.max_output && produced + st->out_made > opts.max_output) {
      return file_error(Errc::unsupported, in, in_offset(),
                        strfmt("decompresses to more than the limit of %llu bytes",
                               static_cast<unsigned long long>(opts.max_output)));
    }
    DUMPFMT_TRY(write_all(fd, obuf.data(), st->out_made, tmp_name));
    produced += st->out_made;
    pos += st->in_used;
    if (in_offset() > kMaxInputSlack + 2 * produced) {
      return file_error(
          Errc::corrupt, in, in_offset(),
          strfmt("%s data decodes to only %llu bytes by here (not a compressed dump)",
                 std::string(dec.name()).c_str(), static_cast<unsigned long long>(produced)));
    }
    if (st->frame_end) {
      dec.reset();
      at_boundary = true;
      continue;
    }
    if (st->in_used == 0 && st->out_made == 0) {
      if (avail.empty() && file_off >= total) {
        return file_error(Errc::truncated, in, total,
                          std::string(dec.name()) +
                              " stream ends before its end marker "
                              "(the compressed file is truncated)");
      }
      if (!avail.empty() && len - pos == ibuf.size()) {
        return file_error(Errc::corrupt, in, in_offset(),
                          std::string(dec.name()) + " decoder makes no progress");
      }
      if (file_off >= total && !avail.empty()) {
        return file_error(Errc::truncated, in, total,
                          std::string(dec.name()) +
                              " stream ends in the middle of a block "
                              "(the compressed file is truncated)");
      }
      DUMPFMT_TRY(fill(len - pos + 1));
    }
  }
  return produced;
}

}  // namespace

std::string_view whole_file_compression_name(WholeFileCompression c) {
  static constexpr EnumName<WholeFileCompression> kNames[] = {{WholeFileCompression::none, "none"},
                                                              {WholeFileCompression::gzip, "gzip"},
                                                              {WholeFileCompression::zstd, "zstd"},
                                                              {WholeFileCompression::lz4, "lz4"}};
  return enum_name(c, kNames);
}

WholeFileCompression detect_whole_file_compression(const File& f) {
  std::byte head[4];
  if (f.size() < sizeof head || !f.read_at(0, head)) return WholeFileCompression::none;
  if (starts_with(head, kGzipMagic)) return WholeFileCompression::gzip;
  if (starts_with(head, kZstdMagic)) return WholeFileCompression::zstd;
  if (starts_with(head, kLz4Magic)) return WholeFileCompression::lz4;
  return WholeFileCompression::none;
}

Result<std::unique_ptr<File>> open_decompressed(std::unique_ptr<File> compressed,
                                                const DecompressOptions& opts) {
  DUMPFMT_TRY_ASSIGN(auto dec, make_decoder(detect_whole_file_compression(*compressed)));
  std::string dir = opts.tmpdir;
  if (dir.empty()) {
    const char* env = std::getenv("TMPDIR");
    dir = env && *env ? env : "/tmp";
  }
  std::string tmpl = dir + "/dumpfmt-decompressed-XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    return make_error(
        Errc::io, strfmt("%s: cannot create a temporary file to decompress %s: %s", tmpl.c_str(),
                         compressed->name().c_str(), std::strerror(errno)));
  }
  ::unlink(tmpl.c_str());
  auto size = decompress_all(*compressed, *dec, fd, tmpl, opts);
  if (!size) {
    ::close(fd);
    return std::move(size).error();
  }
  return std::unique_ptr<File>(
      new DecompressedFile(fd, compressed->name() + " (decompressed)", *size));
}

}  // namespace dumpfmt
