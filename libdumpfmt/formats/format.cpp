// The format registry and open_dump: unwraps flattened streams, probes the
// formats in order, and hands split sets to the format that claims them.
#include <array>

#include "dumpfmt/bytes.h"
#include "dumpfmt/compressed_file.h"
#include "dumpfmt/flattened.h"
#include "dumpfmt/format.h"
#include "formats/format_entries.h"

namespace dumpfmt {

namespace {

// Probe order: formats with strong magic first; ELF last because its magic
// is the most common (a vmlinux is ELF too, and must be told apart).
const std::array<const Format*, 4> kFormats{&detail::kKdumpFormat, &detail::kS390Format,
                                            &detail::kSadumpFormat, &detail::kElfFormat};

}  // namespace

std::span<const Format> formats() {
  static const std::vector<Format> all = [] {
    std::vector<Format> v;
    for (const Format* f : kFormats) v.push_back(*f);
    return v;
  }();
  return all;
}

const Format* find_format(std::string_view name) {
  for (const Format& f : formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<std::unique_ptr<PageSource>> open_dump_files(std::vector<std::unique_ptr<File>> files,
                                                    const OpenOptions& opts) {
  if (files.empty()) return make_error(Errc::invalid_argument, "no input file given");
  for (auto& f : files) {
    // A dump compressed whole (gzip, zstd, lz4) is decompressed to a temporary file first.
    if (detect_whole_file_compression(*f) != WholeFileCompression::none) {
      DecompressOptions dopts;
      dopts.max_output = opts.max_decompressed;
      DUMPFMT_TRY_ASSIGN(f, open_decompressed(std::move(f), dopts));
    }
    if (is_flattened(*f)) {
      DUMPFMT_TRY_ASSIGN(f, open_flattened(std::move(f)));
    }
  }
  for (const Format& fmt : formats()) {
    DUMPFMT_TRY_ASSIGN(bool mine, fmt.probe(*files.front()));
    if (!mine) continue;
    // Every part of a set must be the same format.
    for (size_t i = 1; i < files.size(); ++i) {
      DUMPFMT_TRY_ASSIGN(bool same, fmt.probe(*files[i]));
      if (!same) {
        return make_error(Errc::invalid_argument,
                          strfmt("%s: not a %.*s dump like %s; a set of files must be parts of one dump",
                                 files[i]->name().c_str(), static_cast<int>(fmt.name.size()),
                                 fmt.name.data(), files.front()->name().c_str()));
      }
    }
    return fmt.open(std::move(files), opts);
  }
  return make_error(Errc::unknown_format,
                    files.front()->name() +
                        ": unknown format (not an ELF vmcore, kdump-compressed, flattened, s390 "
                        "or sadump dump)");
}

Result<std::unique_ptr<PageSource>> open_dump(const std::vector<std::string>& paths,
                                              const OpenOptions& opts) {
  std::vector<std::unique_ptr<File>> files;
  for (const auto& p : paths) {
    DUMPFMT_TRY_ASSIGN(auto f, open_input(p, opts.io));
    files.push_back(std::move(f));
  }
  return open_dump_files(std::move(files), opts);
}

}  // namespace dumpfmt
