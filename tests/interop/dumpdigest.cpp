// dumpdigest: libdumpfmt's page view of a dump, in the same terms as the corpus reference
// views (lkdf.json): pages readable, zero pages among them, and sha256 over
// (pfn as little-endian u64 || page bytes) of every readable page in PFN order.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "dumpfmt/format.h"

namespace {

// FIPS 180-4 SHA-256; self-contained so the helper needs nothing beyond libdumpfmt.
class Sha256 {
 public:
  void update(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    total_ += n;
    if (fill_ > 0) {
      size_t take = std::min(n, sizeof buf_ - fill_);
      std::memcpy(buf_ + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ < sizeof buf_) return;
      block(buf_);
      fill_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) block(p);
    std::memcpy(buf_, p, n);
    fill_ = n;
  }

  std::string hex_digest() {
    uint64_t bits = total_ * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (fill_ < 56 ? 56 : 120) - fill_;
    update(pad, padlen);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(len, 8);
    std::string out;
    char tmp[9];
    for (uint32_t w : h_) {
      std::snprintf(tmp, sizeof tmp, "%08x", w);
      out += tmp;
    }
    return out;
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void block(const uint8_t* p) {
    static constexpr uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = uint32_t{p[4 * i]} << 24 | uint32_t{p[4 * i + 1]} << 16 | uint32_t{p[4 * i + 2]} << 8 |
             p[4 * i + 3];
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 =
          h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buf_[64] = {};
  size_t fill_ = 0;
  uint64_t total_ = 0;
};

void usage() {
  std::fprintf(stderr,
               "usage: dumpdigest [--pages LIST] [--elf-tail-excluded] [--selftest] FILE...\n"
               "  Reads every page libdumpfmt reports present (several FILEs = one split set)\n"
               "  and prints JSON: pages_present, present_zero_pages, excluded_in_present,\n"
               "  read_errors, digest_sha256(pfn_le64||page) as in the corpus lkdf.json.\n"
               "  --pages LIST  also writes one line per readable page: <pfn hex> <sha256>\n"
               "  --elf-tail-excluded  ELF bytes past p_filesz are excluded pages, not zero\n"
               "                (OpenOptions::elf_tail_is_zero = false; libkdumpfile's reading)\n");
}

// Known-answer check of the hash itself, so a digest mismatch is never our SHA-256.
bool selftest() {
  Sha256 a;
  a.update("abc", 3);
  Sha256 b;
  std::string m(1000, 'a');
  for (int i = 0; i < 1000; ++i) b.update(m.data(), m.size());
  return a.hex_digest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" &&
         b.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char t[8];
      std::snprintf(t, sizeof t, "\\u%04x", c);
      o += t;
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  std::string pages_path;
  bool elf_tail_is_zero = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--pages" && i + 1 < argc) {
      pages_path = argv[++i];
    } else if (a == "--elf-tail-excluded") {
      elf_tail_is_zero = false;
    } else if (a == "--selftest") {
      bool okay = selftest();
      std::printf("sha256 selftest: %s\n", okay ? "ok" : "FAILED");
      return okay ? 0 : 1;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      usage();
      return 2;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) {
    usage();
    return 2;
  }
  if (!selftest()) {
    std::fprintf(stderr, "dumpdigest: sha256 selftest failed\n");
    return 1;
  }

  std::vector<std::string> warnings;
  dumpfmt::OpenOptions opts;
  opts.elf_tail_is_zero = elf_tail_is_zero;
  opts.warn = [&](const std::string& w) { warnings.push_back(w); };
  auto src = dumpfmt::open_dump(paths, opts);
  if (!src) {
    std::fprintf(stderr, "dumpdigest: %s\n", src.error().message.c_str());
    return 1;
  }
  const dumpfmt::DumpInfo& info = (*src)->info();
  const uint32_t ps = info.page_size;

  FILE* list = nullptr;
  if (!pages_path.empty()) {
    list = std::fopen(pages_path.c_str(), "w");
    if (!list) {
      std::perror(pages_path.c_str());
      return 1;
    }
  }

  Sha256 digest;
  std::vector<std::byte> page(ps);
  const std::vector<std::byte> zero(ps);
  uint64_t present = 0, zeros = 0, excluded = 0, errors = 0;
  std::string first_error;
  (*src)->present().for_each_run([&](dumpfmt::Pfn first, dumpfmt::Pfn end) {
    for (dumpfmt::Pfn pfn = first; pfn < end; ++pfn) {
      auto st = (*src)->read_page(pfn, page);
      if (!st) {
        if (errors++ == 0) first_error = st.error().message;
        continue;
      }
      if (*st == dumpfmt::PageState::excluded) {
        ++excluded;  // present() said carried, read_page disagrees: reported, not hashed
        continue;
      }
      ++present;
      if (std::memcmp(page.data(), zero.data(), ps) == 0) ++zeros;
      uint8_t le[8];
      for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(pfn >> (8 * i));
      digest.update(le, 8);
      digest.update(page.data(), ps);
      if (list) {
        Sha256 one;
        one.update(page.data(), ps);
        std::fprintf(list, "%" PRIx64 " %s\n", pfn, one.hex_digest().c_str());
      }
    }
  });
  if (list && std::fclose(list) != 0) {
    std::perror(pages_path.c_str());
    return 1;
  }

  std::printf("{\n");
  std::printf(" \"files\": [");
  for (size_t i = 0; i < paths.size(); ++i) {
    std::printf("%s\"%s\"", i ? ", " : "", json_escape(paths[i]).c_str());
  }
  std::printf("],\n");
  std::printf(" \"format\": \"%s\",\n", json_escape(info.format).c_str());
  std::printf(" \"variant\": \"%s\",\n", json_escape(info.variant).c_str());
  std::printf(" \"page_size\": %u,\n", ps);
  std::printf(" \"max_pfn\": %" PRIu64 ",\n", info.max_pfn);
  std::printf(" \"pages_present\": %" PRIu64 ",\n", present);
  std::printf(" \"present_zero_pages\": %" PRIu64 ",\n", zeros);
  std::printf(" \"excluded_in_present\": %" PRIu64 ",\n", excluded);
  std::printf(" \"read_errors\": %" PRIu64 ",\n", errors);
  if (errors) std::printf(" \"first_error\": \"%s\",\n", json_escape(first_error).c_str());
  std::printf(" \"warnings\": %zu,\n", warnings.size());
  std::printf(" \"digest_sha256(pfn_le64||page)\": \"%s\"\n", digest.hex_digest().c_str());
  std::printf("}\n");
  return (errors || excluded) ? 1 : 0;
}
