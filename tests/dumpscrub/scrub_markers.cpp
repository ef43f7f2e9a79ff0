// scrub_markers: counts the corpus's planted secret markers in every page of a
// dump as libdumpfmt decodes it (each page decompressed; a marker straddling
// two consecutive PFNs is counted too), and compares two dumps page by page.
//   scrub_markers count DUMP...            "USERSECRET- N" lines, then "pages N"
//   scrub_markers diff A B                 PFN ranges whose bytes differ, absent pages
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/format.h"

using namespace dumpfmt;

namespace {

constexpr std::string_view kMarkers[] = {"USERSECRET-", "CACHESECRET-", "FREESECRET-",
                                         "KEYSECRET-"};

int count(const std::vector<std::string>& paths) {
  auto src = open_dump(paths, {});
  if (!src) {
    std::fprintf(stderr, "scrub_markers: %s\n", src.error().message.c_str());
    return 2;
  }
  const PageSource& s = **src;
  const size_t ps = s.info().page_size;
  constexpr size_t kCarry = 16;  // longer than every marker
  std::vector<char> buf(kCarry + ps);
  size_t carry = 0;
  Pfn last = ~Pfn{0};
  uint64_t hits[4] = {}, pages = 0, failed = 0;
  s.present().for_each_run([&](Pfn a, Pfn b) {
    for (Pfn p = a; p < b; ++p) {
      if (p != last + 1) carry = 0;
      std::memmove(buf.data(), buf.data() + kCarry + ps - carry, carry);
      auto st = s.read_page(p, std::as_writable_bytes(std::span(buf.data() + carry, ps)));
      last = p;
      if (!st) {
        failed++;
        carry = 0;
        continue;
      }
      pages++;
      std::string_view v(buf.data(), carry + ps);
      for (size_t m = 0; m < 4; ++m) {
        // Only occurrences that end in this page: those in the carry alone
        // were counted with the previous page.
        for (size_t i = v.find(kMarkers[m]); i != std::string_view::npos;
             i = v.find(kMarkers[m], i + 1)) {
          if (i + kMarkers[m].size() > carry) hits[m]++;
        }
      }
      std::memmove(buf.data() + kCarry + ps - kCarry, buf.data() + carry + ps - kCarry, kCarry);
      carry = kCarry;
    }
  });
  for (size_t m = 0; m < 4; ++m) {
    std::printf("%.*s %llu\n", static_cast<int>(kMarkers[m].size()), kMarkers[m].data(),
                static_cast<unsigned long long>(hits[m]));
  }
  std::printf("pages %llu\nunreadable %llu\n", static_cast<unsigned long long>(pages),
              static_cast<unsigned long long>(failed));
  return failed ? 1 : 0;
}

// Prints "differ PFN LO HI" for each page whose bytes differ (LO..HI: first
// and one past the last differing byte), with "uniform=XX" when B's page is
// one byte value throughout; "only-a"/"only-b PFN" for pages in one dump only.
int diff(const std::string& a, const std::string& b) {
  auto sa = open_dump({a}, {});
  auto sb = open_dump({b}, {});
  if (!sa || !sb) {
    std::fprintf(stderr, "scrub_markers: %s\n", (!sa ? sa : sb).error().message.c_str());
    return 2;
  }
  const size_t ps = (*sa)->info().page_size;
  std::vector<std::byte> pa(ps), pb(ps);
  PfnSet all = (*sa)->present();
  all.add((*sb)->present());
  int rc = 0;
  all.for_each_run([&](Pfn x, Pfn y) {
    for (Pfn p = x; p < y; ++p) {
      bool ina = (*sa)->present().contains(p), inb = (*sb)->present().contains(p);
      if (ina != inb) {
        std::printf("%s %llx\n", ina ? "only-a" : "only-b", static_cast<unsigned long long>(p));
        continue;
      }
      if (!(*sa)->read_page(p, pa) || !(*sb)->read_page(p, pb)) {
        std::printf("unreadable %llx\n", static_cast<unsigned long long>(p));
        rc = 1;
        continue;
      }
      if (std::memcmp(pa.data(), pb.data(), ps) == 0) continue;
      size_t lo = 0, hi = ps;
      while (pa[lo] == pb[lo]) ++lo;
      while (pa[hi - 1] == pb[hi - 1]) --hi;
      bool uniform = std::all_of(pb.begin(), pb.end(), [&](std::byte c) { return c == pb[0]; });
      std::printf("differ %llx %zu %zu", static_cast<unsigned long long>(p), lo, hi);
      if (uniform) std::printf(" uniform=%02x", std::to_integer<unsigned>(pb[0]));
      std::printf("\n");
    }
  });
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string_view(argv[1]) == "count") {
    return count(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc == 4 && std::string_view(argv[1]) == "diff") return diff(argv[2], argv[3]);
  std::fprintf(stderr, "usage: scrub_markers count DUMP... | diff A B\n");
  return 2;
}
