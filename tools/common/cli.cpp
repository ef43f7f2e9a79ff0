// Shared CLI helpers: error printing, version line, sizes, progress.
#include "common/cli.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "dumpfmt/bytes.h"
#include "dumpfmt/config.h"

namespace dumpfmt::cli {

void print_error(std::string_view tool, const Error& e) { print_error(tool, e.message); }

void print_error(std::string_view tool, std::string_view message) {
  std::fprintf(stderr, "%.*s: error: %.*s\n", static_cast<int>(tool.size()), tool.data(),
               static_cast<int>(message.size()), message.data());
}

void print_warning(std::string_view tool, std::string_view message) {
  std::fprintf(stderr, "%.*s: warning: %.*s\n", static_cast<int>(tool.size()), tool.data(),
               static_cast<int>(message.size()), message.data());
}

std::string version_line(std::string_view tool) {
  std::string s(tool);
  s += " " DUMPFMT_VERSION " (libdumpfmt; codecs built in:";
  for (CodecId c : built_codecs()) {
    if (c == CodecId::none) continue;
    s += " ";
    s += codec_name(c);
    if (c == CodecId::zlib && DUMPFMT_HAVE_LIBDEFLATE) s += " (libdeflate)";
  }
  s += ")";
  return s;
}

Result<CodecId> resolve_codec(const CodecChoice& c, CodecId fallback, std::string_view tool) {
  int letters = c.zlib + c.lzo + c.snappy + c.zstd;
  if (letters > 1 || (letters && !c.name.empty())) {
    return make_error(Errc::invalid_argument, "choose one codec (-c, -l, -p, -z or --codec)");
  }
  CodecId codec = fallback;
  if (c.zlib) codec = CodecId::zlib;
  if (c.lzo) codec = CodecId::lzo;
  if (c.snappy) codec = CodecId::snappy;
  if (c.zstd) codec = CodecId::zstd;
  if (!c.name.empty()) {
    auto id = codec_from_name(c.name);
    if (!id) return make_error(Errc::invalid_argument, "unknown codec '" + c.name + "'");
    codec = *id;
  }
  if (!codec_built(codec)) {
    return make_error(Errc::not_built,
                      strfmt("%s: not built into this %.*s", std::string(codec_name(codec)).c_str(),
                             static_cast<int>(tool.size()), tool.data()));
  }
  return codec;
}

std::optional<uint64_t> parse_size(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end == str.c_str() || !(v >= 0) || !std::isfinite(v)) return std::nullopt;
  std::string_view suffix(end);
  double mult = 1;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'k':
      case 'K':
        mult = 1024.0;
        break;
      case 'm':
      case 'M':
        mult = 1024.0 * 1024;
        break;
      case 'g':
      case 'G':
        mult = 1024.0 * 1024 * 1024;
        break;
      case 't':
      case 'T':
        mult = 1024.0 * 1024 * 1024 * 1024;
        break;
      default:
        return std::nullopt;
    }
    suffix.remove_prefix(1);
    if (suffix == "iB" || suffix == "B" || suffix == "ib" || suffix == "b") suffix = {};
    if (!suffix.empty()) return std::nullopt;
  }
  double bytes = v * mult;
  if (bytes > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? strfmt("%llu B", static_cast<unsigned long long>(n))
                : strfmt("%.1f %s", v, units[u]);
}

OpenOptions open_options(std::string_view tool, std::string_view io, bool quiet) {
  OpenOptions oo;
  oo.io = io == "mmap" ? IoMode::mmap : io == "pread" ? IoMode::pread : IoMode::automatic;
  std::string t(tool);
  oo.warn = [t, quiet](const std::string& m) {
    if (!quiet) print_warning(t, m);
  };
  return oo;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(Errc::io, path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f && !f.eof()) return make_error(Errc::io, path + ": read error");
  return ss.str();
}

double now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Progress::Progress(std::string_view tool, std::string_view what, bool quiet)
    : tool_(tool), what_(what), quiet_(quiet), tty_(::isatty(2) != 0), start_(now_seconds()) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done, uint64_t total) {
  if (quiet_ || finished_) return;
  double t = now_seconds();
  double interval = tty_ ? 0.2 : 5.0;
  if (last_ >= 0 && t - last_ < interval && done != total) return;
  if (last_ < 0 && !tty_ && done != total && t - start_ < interval) return;
  last_ = t;
  double pct = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  if (tty_) {
    int width = 30;
    int fill = static_cast<int>(pct / 100.0 * width);
    std::fprintf(stderr, "\r%s: %s [%.*s%*s] %5.1f%% %llu/%llu pages", tool_.c_str(), what_.c_str(),
                 fill, "##############################", width - fill, "", pct,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  } else {
    std::fprintf(stderr, "%s: %s: %.1f%% (%llu/%llu pages, %.0f s)\n", tool_.c_str(), what_.c_str(),
                 pct, static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 t - start_);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (quiet_ || finished_) return;
  finished_ = true;
  if (tty_ && last_ >= 0) std::fputc('\n', stderr);
}

}  // namespace dumpfmt::cli
