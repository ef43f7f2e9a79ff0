// What every dumpfmt tool shares but the library must not contain: error
// printing, exit codes, progress on stderr, option helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dumpfmt/codec.h"
#include "dumpfmt/format.h"
#include "dumpfmt/result.h"

namespace dumpfmt::cli {

/// Exit codes shared by every tool (documented in each man page).
enum Exit : int {
  kExitOk = 0,
  kExitFailure = 1,      // the operation failed (bad input, I/O error)
  kExitUsage = 2,        // bad command line
  kExitPartial = 3,      // finished, but some pages could not be read (--keep-going)
};

/// Prints "TOOL: error: MESSAGE" on stderr.
void print_error(std::string_view tool, const Error& e);
void print_error(std::string_view tool, std::string_view message);
void print_warning(std::string_view tool, std::string_view message);

/// "dumpconv 0.1.0 (libdumpfmt; codecs: zlib (libdeflate), lzo, snappy, zstd, lz4)".
std::string version_line(std::string_view tool);

/// The page-codec choice of the tools' command lines: makedumpfile's letters
/// (-c zlib, -l lzo, -p snappy, -z zstd) or --codec NAME.
struct CodecChoice {
  bool zlib = false, lzo = false, snappy = false, zstd = false;
  std::string name;  // --codec
};
/// The chosen codec, `fallback` when none was chosen; an error when several
/// were, the name is unknown, or the codec is not built into this `tool`.
Result<CodecId> resolve_codec(const CodecChoice& c, CodecId fallback, std::string_view tool);

/// Parses "4096", "64K", "1.5G", "2T" (powers of 1024) into bytes.
std::optional<uint64_t> parse_size(std::string_view s);

/// "1.5 GiB" for humans.
std::string human_bytes(uint64_t n);

/// Progress on stderr: a bar redrawn in place on a terminal, a line every
/// few seconds otherwise, nothing when quiet. Call update() as often as you
/// like; it rate-limits itself.
class Progress {
 public:
  Progress(std::string_view tool, std::string_view what, bool quiet);
  ~Progress();
  void update(uint64_t done, uint64_t total);
  void finish();

 private:
  std::string tool_;
  std::string what_;
  bool quiet_;
  bool tty_;
  bool finished_ = false;
  double start_ = 0;
  double last_ = -1;
};

/// OpenOptions for a tool's --io choice (auto, mmap, pread), with reader
/// warnings printed as "TOOL: warning: ..." as they arise (once: tools must
/// not print info().warnings again).
OpenOptions open_options(std::string_view tool, std::string_view io, bool quiet = false);

/// The whole of a (small) text file. Errors: io "PATH: cannot open",
/// "PATH: read error".
Result<std::string> read_text_file(const std::string& path);

/// Monotonic seconds.
double now_seconds();

}  // namespace dumpfmt::cli
