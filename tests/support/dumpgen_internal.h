// dumpgen internals shared by its .cpp files: byte packing, the normalised memory map
// (extents), the in-memory image with its write log, and the per-format builders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dumpgen.h"

namespace dumpgen::detail {

[[noreturn]] void fail(const std::string& msg);  // throws std::invalid_argument

// Stores `v` as `size` bytes (1, 2, 4 or 8) at `off` in the given byte order; grows `b`.
void put_int(std::vector<uint8_t>& b, uint64_t off, uint64_t v, int size, Endian e);
void put_bytes(std::vector<uint8_t>& b, uint64_t off, const void* p, uint64_t n);

inline uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// The spec's memory as sorted, non-overlapping runs of PFNs.
enum class ExtentKind { pattern, random, zero, bytes, sparse_pattern, excluded };
struct Extent {
  uint64_t first_pfn = 0;
  uint64_t count = 0;
  ExtentKind kind = ExtentKind::pattern;
  uint64_t every = 1;              // sparse_pattern
  const PageSpec* page = nullptr;  // extents made from DumpSpec::pages (count 1)
  bool present() const { return kind != ExtentKind::excluded; }
  uint64_t end() const { return first_pfn + count; }
};
// Validates the spec's memory description and returns it sorted. Throws on overlap.
std::vector<Extent> extents_of(const DumpSpec& spec);
// Index of the extent holding `pfn`, or -1.
long find_extent(const std::vector<Extent>& ext, uint64_t pfn);
// Whether page `pfn` of extent `e` is all zeros (without computing it).
bool is_zero_page(const Extent& e, uint64_t pfn);
// Content of page `pfn` of extent `e`.
std::vector<uint8_t> extent_page(const DumpSpec& spec, const Extent& e, uint64_t pfn);
uint64_t max_mapnr_of(const DumpSpec& spec, const std::vector<Extent>& ext);

// The PT_NOTE / kdump note area: CORE notes, VMCOREINFO, extra notes (+ ERASEINFO if asked).
struct NoteArea {
  std::vector<uint8_t> bytes;
  uint64_t vmcoreinfo_desc_off = 0;  // within bytes; 0 with vmcoreinfo_size 0 if none
  uint64_t vmcoreinfo_size = 0;
  int nr_prstatus = 0;
};
NoteArea build_notes(const DumpSpec& spec, bool with_eraseinfo);
std::string vmcoreinfo_text(const DumpSpec& spec);

// A file image plus the writes that made it, in order (for the flattened form).
class Image {
 public:
  explicit Image(bool keep_log, uint64_t record_size)
      : keep_log_(keep_log), record_size_(record_size) {}
  void write(uint64_t off, const std::vector<uint8_t>& data) {
    write(off, data.data(), data.size());
  }
  void write(uint64_t off, const uint8_t* p, uint64_t n);
  // Extends the file with zeros (a hole: never written, so no flattened record).
  void resize(uint64_t n) {
    if (n > bytes.size()) bytes.resize(n, 0);
  }

  struct Record {
    uint64_t off;
    std::vector<uint8_t> data;
  };
  std::vector<uint8_t> bytes;
  std::vector<Record> log;

 private:
  bool keep_log_;
  uint64_t record_size_;
};

// Wraps an image in the flattened format (§4) according to spec.flat.
std::vector<uint8_t> flatten(const DumpSpec& spec, const Image& img);

// Compressed form of `page`, or empty when not smaller than the page (store raw).
std::vector<uint8_t> compress_page(Codec c, const std::vector<uint8_t>& page);

// Builders. Each fills images (one per part) and, if `map` is not null, the page map.
std::vector<Image> build_elf(const DumpSpec& spec, std::vector<PageInfo>* map);
std::vector<Image> build_kdump(const DumpSpec& spec, int parts, std::vector<PageInfo>* map);

// ELF program-header layout, shared by the in-memory builder and the sparse file writer.
struct ElfSegment {
  uint64_t first_pfn = 0;
  uint64_t file_pages = 0;
  uint64_t mem_pages = 0;
  uint64_t offset = 0;  // of the data in the file
  bool zeroed = false;  // header written as zeros (incomplete dump)
};
struct ElfLayout {
  std::vector<uint8_t> head;  // Ehdr, Phdrs, [Shdr], notes
  std::vector<ElfSegment> segs;
  uint64_t file_size = 0;  // after incomplete cut
  uint64_t cut_at = 0;     // incomplete: file offset where writing stopped (else file_size)
};
ElfLayout elf_layout(const DumpSpec& spec, const std::vector<Extent>& ext);

}  // namespace dumpgen::detail
