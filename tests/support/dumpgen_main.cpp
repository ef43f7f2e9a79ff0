// dumpgen CLI: writes synthetic ELF / kdump dumps for CLI tests, fuzz seeds and benchmarks.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dumpgen.h"

namespace {

const char kUsage[] = R"(usage: dumpgen [options] OUT

Writes a synthetic crash dump to OUT (with --split K: OUT.1 .. OUT.K).
Page contents are dumpgen::page_pattern(seed, pfn) unless --zero-every or
--random-every say otherwise (see tests/support/dumpgen.h).

Format:
  --format elf|kdump      output format (default elf)
  --arch NAME             x86_64 (default), i386, aarch64, arm, ppc64, ppc64le,
                          s390x, s390, riscv64, mips
  --class 32|64           ELF class / kdump 32- or 64-bit layout (default: arch)
  --endian le|be          byte order (default: arch)
  --page-size N           page size (default 4096)
  --version N             kdump header_version 0..6 (default 6)
  --codec C               kdump page codec: none, zlib (default), lzo, snappy, zstd
  --no-zero-page          kdump: do not share one zero page (dump_level 0)
  --flattened             wrap in makedumpfile's flattened format
  --shuffle               flattened records in random order
  --garbage               flattened: junk records that later records overwrite
  --split K               kdump split set of K files OUT.1 .. OUT.K

Memory (pages are described, the rest is holes):
  --pages N               PFNs 0..N-1 (same as --range 0:N)
  --range START:COUNT     PFNs START..START+COUNT-1 (repeatable)
  --ram-only START:COUNT  RAM not carried by the dump (repeatable)
  --zero-every N          a described PFN with pfn % N == 0 is a zero page
  --random-every N        else, with pfn % N == 0, an incompressible page
  --max-mapnr N           kdump max_mapnr (default: highest PFN + 1)
  --seed S                content seed (default 1)
  --sparse-tib N          ELF64 of N TiB at paddr 0, mostly zero (written sparse)
  --sparse-every N        with --sparse-tib: one pattern page every N pages (32768)

ELF:
  --vaddr zero|phys|direct  p_vaddr choice (default direct)
  --segment-pages N       at most N pages per PT_LOAD (N=1 with many pages: PN_XNUM)
  --align                 page-align segment data in the file

Metadata:
  --osrelease STR         utsname release / OSRELEASE
  --vmcoreinfo FILE       VMCOREINFO text from FILE
  --no-vmcoreinfo         no VMCOREINFO note
  --cpus N                number of NT_PRSTATUS notes (default 1)
  --crash-time T          CRASHTIME / kdump timestamp
  --eraseinfo FILE        eraseinfo text

s390 / sadump (instead of --format; several files are OUT.1 .. OUT.K):
  --s390 L                classic, ext, ext-zlib or multi-volume
  --volumes N             multi-volume: N volumes (default 2)
  --lowcore PREFIX        s390 CPU with its lowcore save area at PREFIX (repeatable)
  --sadump V              single, disk-set or media
  --disks N               disk-set: N disks (default 2)

Damage:
  --truncate BYTES        cut the output file(s) to BYTES
  --incomplete-after PFN  dump cut short after PFN (incomplete flag)

Other:
  --print-map             print "pfn status part offset size flags" per page
  --help                  this text

Numbers accept 0x prefixes and K, M, G, T suffixes (powers of 1024).
)";

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "dumpgen: " << msg << "\n(try --help)\n";
  std::exit(2);
}

uint64_t parse_num(const std::string& s) {
  if (s.empty()) usage_error("empty number");
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str()) usage_error("bad number '" + s + "'");
  std::string suffix(end);
  uint64_t mul = 1;
  if (suffix == "K" || suffix == "k")
    mul = 1ull << 10;
  else if (suffix == "M")
    mul = 1ull << 20;
  else if (suffix == "G")
    mul = 1ull << 30;
  else if (suffix == "T")
    mul = 1ull << 40;
  else if (!suffix.empty())
    usage_error("bad number '" + s + "'");
  return v * mul;
}

std::pair<uint64_t, uint64_t> parse_range(const std::string& s) {
  auto colon = s.find(':');
  if (colon == std::string::npos) usage_error("range must be START:COUNT, got '" + s + "'");
  return {parse_num(s.substr(0, colon)), parse_num(s.substr(colon + 1))};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* status_name(dumpgen::PageStatus s) {
  switch (s) {
    case dumpgen::PageStatus::absent:
      return "absent";
    case dumpgen::PageStatus::excluded:
      return "excluded";
    case dumpgen::PageStatus::present:
      return "present";
    case dumpgen::PageStatus::lost:
      return "lost";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dumpgen;
  DumpSpec spec;
  std::vector<std::pair<uint64_t, uint64_t>> ranges, ram_only;
  uint64_t zero_every = 0, random_every = 0, sparse_tib = 0, sparse_every = 32768;
  int split = 0;
  bool print_map = false;
  std::string s390_layout, sadump_variant;  // --s390 / --sadump
  S390Options s390;
  SadumpOptions sadump;
  std::string out;

  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--format") {
      std::string v = value();
      if (v == "elf")
        spec.format = Format::elf;
      else if (v == "kdump")
        spec.format = Format::kdump;
      else
        usage_error("unknown format '" + v + "'");
    } else if (a == "--arch") {
      spec.arch = value();
    } else if (a == "--class") {
      spec.word_bits = static_cast<int>(parse_num(value()));
    } else if (a == "--endian") {
      std::string v = value();
      if (v == "le")
        spec.endian = Endian::little;
      else if (v == "be")
        spec.endian = Endian::big;
      else
        usage_error("endian must be le or be");
    } else if (a == "--page-size") {
      spec.page_size = static_cast<uint32_t>(parse_num(value()));
    } else if (a == "--version") {
      spec.kdump.header_version = static_cast<int>(parse_num(value()));
    } else if (a == "--codec") {
      std::string v = value();
      auto c = codec_from_name(v);
      if (!c) usage_error("unknown codec '" + v + "'");
      spec.kdump.codec = *c;
    } else if (a == "--no-zero-page") {
      spec.kdump.shared_zero_page = false;
    } else if (a == "--flattened") {
      spec.flat.enabled = true;
    } else if (a == "--shuffle") {
      spec.flat.shuffle = true;
    } else if (a == "--garbage") {
      spec.flat.garbage_overlap = true;
    } else if (a == "--split") {
      split = static_cast<int>(parse_num(value()));
    } else if (a == "--pages") {
      ranges.emplace_back(0, parse_num(value()));
    } else if (a == "--range") {
      ranges.push_back(parse_range(value()));
    } else if (a == "--ram-only") {
      ram_only.push_back(parse_range(value()));
    } else if (a == "--zero-every") {
      zero_every = parse_num(value());
    } else if (a == "--random-every") {
      random_every = parse_num(value());
    } else if (a == "--max-mapnr") {
      spec.max_mapnr = parse_num(value());
    } else if (a == "--seed") {
      spec.seed = parse_num(value());
    } else if (a == "--sparse-tib") {
      sparse_tib = parse_num(value());
    } else if (a == "--sparse-every") {
      sparse_every = parse_num(value());
    } else if (a == "--vaddr") {
      std::string v = value();
      if (v == "zero")
        spec.elf.vaddr = Vaddr::zero;
      else if (v == "phys")
        spec.elf.vaddr = Vaddr::phys;
      else if (v == "direct")
        spec.elf.vaddr = Vaddr::direct_map;
      else
        usage_error("vaddr must be zero, phys or direct");
    } else if (a == "--segment-pages") {
      spec.elf.max_segment_pages = parse_num(value());
    } else if (a == "--align") {
      spec.elf.align_data = true;
    } else if (a == "--osrelease") {
      spec.uts.release = value();
    } else if (a == "--vmcoreinfo") {
      spec.vmcoreinfo = read_text(value());
    } else if (a == "--no-vmcoreinfo") {
      spec.with_vmcoreinfo = false;
    } else if (a == "--cpus") {
      spec.nr_cpus = static_cast<int>(parse_num(value()));
    } else if (a == "--crash-time") {
      spec.crash_time = static_cast<int64_t>(parse_num(value()));
    } else if (a == "--eraseinfo") {
      spec.eraseinfo = read_text(value());
    } else if (a == "--truncate") {
      spec.truncate_bytes = parse_num(value());
    } else if (a == "--incomplete-after") {
      spec.incomplete_after_pfn = parse_num(value());
    } else if (a == "--s390") {
      s390_layout = value();
    } else if (a == "--volumes") {
      s390.volumes = static_cast<int>(parse_num(value()));
    } else if (a == "--lowcore") {
      s390.cpu_prefixes.push_back(static_cast<uint32_t>(parse_num(value())));
    } else if (a == "--sadump") {
      sadump_variant = value();
    } else if (a == "--disks") {
      sadump.disks = static_cast<int>(parse_num(value()));
    } else if (a == "--print-map") {
      print_map = true;
    } else if (!a.empty() && a[0] == '-') {
      usage_error("unknown option " + a);
    } else if (out.empty()) {
      out = a;
    } else {
      usage_error("more than one output file");
    }
  }
  if (out.empty()) usage_error("no output file");

  for (auto [start, count] : ranges) {
    for (uint64_t pfn = start; pfn < start + count; ++pfn) {
      PageKind kind = PageKind::pattern;
      if (zero_every && pfn % zero_every == 0)
        kind = PageKind::zero;
      else if (random_every && pfn % random_every == 0)
        kind = PageKind::random;
      spec.pages.push_back(page(pfn, kind));
    }
  }
  for (auto [start, count] : ram_only)
    for (uint64_t pfn = start; pfn < start + count; ++pfn) spec.ram_only.push_back(pfn);
  if (sparse_tib) {
    if (spec.format != Format::elf) usage_error("--sparse-tib is for ELF");
    spec.word_bits = 64;
    spec.elf.align_data = true;
    spec.segments.push_back(
        SegmentSpec{0, sparse_tib << 40, Fill::sparse_pattern, sparse_every ? sparse_every : 1});
  }

  try {
    if (!s390_layout.empty() || !sadump_variant.empty()) {
      std::vector<std::vector<uint8_t>> files;
      if (!s390_layout.empty()) {
        const char* names[] = {"classic", "ext", "ext-zlib", "multi-volume"};
        const S390Layout layouts[] = {S390Layout::classic, S390Layout::ext, S390Layout::ext_zlib,
                                      S390Layout::multi_volume};
        size_t i = 0;
        while (i < 4 && s390_layout != names[i]) ++i;
        if (i == 4) usage_error("unknown --s390 layout '" + s390_layout + "'");
        s390.layout = layouts[i];
        files = generate_s390(spec, s390);
      } else {
        if (sadump_variant == "single")
          sadump.variant = SadumpVariant::single;
        else if (sadump_variant == "disk-set")
          sadump.variant = SadumpVariant::disk_set;
        else if (sadump_variant == "media")
          sadump.variant = SadumpVariant::media;
        else
          usage_error("unknown --sadump variant '" + sadump_variant + "'");
        files = generate_sadump(spec, sadump);
      }
      for (size_t i = 0; i < files.size(); ++i) {
        write_file(files.size() == 1 ? out : out + "." + std::to_string(i + 1), files[i]);
      }
    } else if (split > 1) {
      write_split_files(spec, split, out);
    } else {
      generate_to_file(spec, out);
    }
    if (print_map) {
      for (const PageInfo& p : page_map(spec, split > 1 ? split : 1)) {
        std::printf("%llu %s %d 0x%llx %llu 0x%x\n", static_cast<unsigned long long>(p.pfn),
                    status_name(p.status), p.part, static_cast<unsigned long long>(p.offset),
                    static_cast<unsigned long long>(p.size), p.flags);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
