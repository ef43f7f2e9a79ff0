// Kernel release without VMCOREINFO: a bounded scan of physical memory for
// struct new_utsname (include/uapi/linux/utsname.h) and linux_banner
// (init/version.c), plus the utsname read at init_uts_ns through VMCOREINFO.
#include "dumpfmt/kernel/release_scan.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dumpfmt/bytes.h"

namespace dumpfmt {

namespace {

constexpr std::string_view kSysname = "Linux";
constexpr std::string_view kBannerPrefix = "Linux version ";
// A page is scanned with this much of the next one, so that a utsname or a
// banner line crossing the page boundary is still seen.
constexpr size_t kLookahead = 1024;
constexpr size_t kMaxBannerLine = kLookahead;

bool printable(char c) { return c >= 0x20 && c < 0x7f; }

bool release_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
         c == '-' || c == '_' || c == '+' || c == '~';
}

bool machine_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// "<digits>.<digits>" then release characters, shorter than the field.
bool looks_like_release(std::string_view s) {
  size_t dot = s.find('.');
  if (s.empty() || s.size() >= kUtsFieldLen || dot == 0 || dot == std::string_view::npos ||
      dot + 1 >= s.size() || s[dot + 1] < '0' || s[dot + 1] > '9') {
    return false;
  }
  if (!std::all_of(s.begin(), s.begin() + static_cast<ptrdiff_t>(dot),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), release_char);
}

// A kernel image can hold a copy of its utsname and banner whose version lacks
// the build number ("# SMP ..."); the live one has it ("#1 SMP ...").
bool numbered(std::string_view version) {
  return version.size() >= 2 && version[0] == '#' && version[1] >= '0' && version[1] <= '9';
}

bool numbered_banner(std::string_view line) {
  const size_t h = line.find(" #");
  return h != std::string_view::npos && numbered(line.substr(h + 1));
}

bool scan_is_done(const ReleaseScanResult& r) {
  return r.uts && numbered(r.uts->version) && r.banner && numbered_banner(*r.banner);
}

}  // namespace

std::optional<Utsname> parse_new_utsname(std::span<const std::byte> b) {
  if (b.size() < kNewUtsnameSize) return std::nullopt;
  std::string field[6];
  for (size_t i = 0; i < 6; ++i) {
    const char* p = reinterpret_cast<const char*>(b.data()) + i * kUtsFieldLen;
    const size_t n = strnlen(p, kUtsFieldLen);
    // Every field but domainname ends within its array.
    if (n == kUtsFieldLen && i != 5) return std::nullopt;
    field[i].assign(p, n);
    if (!std::all_of(field[i].begin(), field[i].end(), printable)) return std::nullopt;
    // The kernel zero-fills each array behind its string (static
    // initialisation, sethostname); string tables and stray text do not.
    if (!std::all_of(p + n, p + kUtsFieldLen, [](char c) { return c == '\0'; })) {
      return std::nullopt;
    }
  }
  // UTS_VERSION always starts with the build number: "#1 SMP ...".
  if (field[0] != kSysname || !looks_like_release(field[2]) || field[3].size() < 2 ||
      field[3][0] != '#' || field[4].empty() ||
      !std::all_of(field[4].begin(), field[4].end(), machine_char)) {
    return std::nullopt;
  }
  Utsname u;
  u.sysname = field[0];
  u.nodename = field[1];
  u.release = field[2];
  u.version = field[3];
  u.machine = field[4];
  u.domainname = field[5];
  return u;
}

std::optional<std::string> banner_release(std::string_view line) {
  if (line.substr(0, kBannerPrefix.size()) != kBannerPrefix) return std::nullopt;
  std::string_view rest = line.substr(kBannerPrefix.size());
  std::string_view rel = rest.substr(0, rest.find(' '));
  if (!looks_like_release(rel) || line.find(" #") == std::string_view::npos) return std::nullopt;
  if (!std::all_of(line.begin(), line.end(), [](char c) { return printable(c) || c == '\t'; })) {
    return std::nullopt;
  }
  return std::string(rel);
}

std::optional<std::string> banner_version(std::string_view line) {
  if (!banner_release(line)) return std::nullopt;
  return std::string(line.substr(line.find(" #") + 1));
}

std::optional<std::string> ReleaseScanResult::release() const {
  if (uts) return uts->release;
  if (banner) return banner_release(*banner);
  return std::nullopt;
}

void scan_memory_for_release(std::span<const std::byte> buf, size_t scan_len, uint64_t paddr,
                             ReleaseScanResult& r) {
  const char* base = reinterpret_cast<const char*>(buf.data());
  const size_t size = buf.size();
  scan_len = std::min(scan_len, size);
  size_t pos = 0;
  while (pos < scan_len && !scan_is_done(r)) {
    const void* hit = memmem(base + pos, size - pos, kSysname.data(), kSysname.size());
    if (!hit) break;
    const size_t i = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (i >= scan_len) break;
    pos = i + 1;
    // A numbered candidate replaces an earlier unnumbered one.
    const bool want_uts = !r.uts || !numbered(r.uts->version);
    if (want_uts && size - i >= kNewUtsnameSize && base[i + kSysname.size()] == '\0') {
      if (auto u = parse_new_utsname(buf.subspan(i)); u && (!r.uts || numbered(u->version))) {
        r.uts = std::move(*u);
        r.uts_paddr = paddr + i;
        continue;
      }
    }
    const bool want_banner = !r.banner || !numbered_banner(*r.banner);
    if (want_banner &&
        std::string_view(base + i, size - i).substr(0, kBannerPrefix.size()) == kBannerPrefix) {
      const size_t limit = std::min(size - i, kMaxBannerLine);
      std::string_view text(base + i, limit);
      const size_t end = text.find_first_of(std::string_view("\n\0", 2));
      if (end == std::string_view::npos) continue;  // no end within reach: not a banner
      std::string_view line = text.substr(0, end);
      if (banner_release(line) && (!r.banner || numbered_banner(line))) {
        r.banner = std::string(line);
        r.banner_paddr = paddr + i;
      }
    }
  }
}

Result<ReleaseScanResult> scan_kernel_release(const PageSource& src,
                                              const ReleaseScanOptions& opts) {
  const uint32_t ps = src.info().page_size;
  std::vector<std::pair<Pfn, Pfn>> runs;
  src.present().for_each_run([&](Pfn a, Pfn b) { runs.emplace_back(a, b); });

  ReleaseScanResult r;
  std::vector<std::byte> win(ps + std::min<size_t>(kLookahead, ps));
  std::vector<std::byte> cur(ps);
  bool have_prev = false;  // win[0, ps) holds the page at prev_pfn
  Pfn prev_pfn = 0;
  const uint64_t limit = opts.max_bytes;
  auto done = [&] { return scan_is_done(r); };
  auto scan_prev = [&](bool with_lookahead) {
    size_t n = with_lookahead ? win.size() : ps;
    scan_memory_for_release(std::span(win).first(n), ps, prev_pfn * ps, r);
  };

  bool stopped = false;
  for (const auto& [first, end] : runs) {
    for (Pfn pfn = first; pfn < end; ++pfn) {
      if (done() || (limit && r.bytes_scanned >= limit)) {
        stopped = true;
        break;
      }
      auto st = src.read_page(pfn, cur);
      r.bytes_scanned += ps;
      if (opts.progress && (r.bytes_scanned & ((uint64_t{64} << 20) - 1)) == 0) {
        opts.progress(r.bytes_scanned, limit);
      }
      const bool readable = st && *st != PageState::excluded;
      if (have_prev) {
        const bool contiguous = readable && pfn == prev_pfn + 1;
        if (contiguous) std::memcpy(win.data() + ps, cur.data(), win.size() - ps);
        scan_prev(contiguous);
        have_prev = false;
      }
      if (readable) {
        std::memcpy(win.data(), cur.data(), ps);
        prev_pfn = pfn;
        have_prev = true;
      }
    }
    if (stopped) break;
  }
  if (have_prev && !done()) scan_prev(false);
  r.complete = !stopped;
  return r;
}

Result<Utsname> read_kernel_utsname(const KernelMemory& km) {
  const VmcoreInfo& vmi = km.vmcoreinfo();
  uint64_t at = 0;
  if (auto ns = vmi.symbol("init_uts_ns")) {
    if (auto off = vmi.offset("uts_namespace.name")) {
      at = *ns + *off;
    } else {
      // The name follows a struct kref (and, in later kernels, more) whose
      // size VMCOREINFO does not give: look for the sysname in the first bytes.
      std::vector<std::byte> head(2 * kUtsFieldLen + kSysname.size() + 1);
      DUMPFMT_TRY(km.read_virt(*ns, head));
      const void* hit = memmem(head.data(), head.size(), "Linux", kSysname.size() + 1);
      if (!hit) {
        return make_error(Errc::corrupt, "init_uts_ns at " + hex(*ns) + " holds no utsname");
      }
      at = *ns + static_cast<uint64_t>(static_cast<const std::byte*>(hit) - head.data());
    }
  } else if (auto s = vmi.symbol("system_utsname")) {
    at = *s;
  } else {
    return make_error(Errc::unsupported, "VMCOREINFO has no SYMBOL(init_uts_ns)");
  }
  std::vector<std::byte> b(kNewUtsnameSize);
  DUMPFMT_TRY(km.read_virt(at, b));
  auto u = parse_new_utsname(b);
  if (!u)
    return make_error(Errc::corrupt, "the bytes at " + hex(at) + " are not a struct new_utsname");
  return *u;
}

}  // namespace dumpfmt
