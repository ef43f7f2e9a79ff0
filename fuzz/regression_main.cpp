// Plain driver for the fuzz targets when libFuzzer is not used: replays every file given on
// the command line (directories recursively, in sorted order) through LLVMFuzzerTestOneInput,
// each in a heap buffer of exactly its size so that ASan catches any read past the end.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "regression: cannot read %s\n", p.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A fresh allocation of exactly this size (none at all for an empty input).
  std::unique_ptr<uint8_t[]> buf(bytes.empty() ? nullptr : new uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), buf.get());
  std::fprintf(stderr, "regression: %s (%zu bytes)\n", p.c_str(), bytes.size());
  LLVMFuzzerTestOneInput(buf.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p = argv[i];
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (std::filesystem::exists(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "regression: no such file or directory: %s\n", argv[i]);
      ok = false;
    }
    if (ec) {
      std::fprintf(stderr, "regression: %s: %s\n", argv[i], ec.message().c_str());
      ok = false;
    }
  }
  std::sort(files.begin(), files.end());
  // The empty input is always worth a run.
  LLVMFuzzerTestOneInput(nullptr, 0);
  size_t n = 0;
  for (const auto& f : files) n += run_file(f) ? 1 : 0;
  std::fprintf(stderr, "regression: %zu input(s) replayed without a crash\n", n);
  return ok ? 0 : 1;
}
