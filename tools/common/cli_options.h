// Command-line options every dumpfmt tool spells the same way (CLI11).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/cli.h"

namespace dumpfmt::cli {

/// makedumpfile's codec letters and --codec NAME, into `c` (see resolve_codec).
inline void add_codec_options(CLI::App& app, CodecChoice& c, const std::string& output_kind) {
  app.add_flag("-c", c.zlib, output_kind + ", zlib pages (default)");
  app.add_flag("-l", c.lzo, output_kind + ", lzo pages");
  app.add_flag("-p", c.snappy, output_kind + ", snappy pages");
  app.add_flag("-z", c.zstd, output_kind + ", zstd pages");
  app.add_option("--codec", c.name, "page codec by name: none, zlib, lzo, snappy, zstd, lz4");
}

/// --io auto|mmap|pread into `io` (see open_options).
inline void add_io_option(CLI::App& app, std::string& io) {
  app.add_option("--io", io,
                 "input access: auto (mmap for /proc/vmcore, pread otherwise), mmap, pread")
      ->check(CLI::IsMember({"auto", "mmap", "pread"}));
}

/// -V/--version: prints version_line(tool) and exits 0.
inline void add_version_flag(CLI::App& app, const std::string& tool) {
  app.add_flag_callback(
      "-V,--version",
      [tool] {
        std::printf("%s\n", version_line(tool).c_str());
        std::exit(0);
      },
      "print version and built-in codecs");
}

}  // namespace dumpfmt::cli
