// expect_read_pages_agree: a PageSource's read_pages (which formats override
// to fetch runs of pages at once) must give what read_page gives, page for
// page, for every window of the present set.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <utility>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/dump.h"

namespace dumpfmt {

inline void expect_read_pages_agree(const PageSource& s) {
  const size_t ps = s.info().page_size;
  std::vector<std::pair<Pfn, Pfn>> runs;
  s.present().for_each_run([&](Pfn a, Pfn b) { runs.emplace_back(a, b); });
  for (auto [a, b] : runs) {
    // Every start near the ends of a run (where runs of the file's own
    // layout begin and end), every 97th in between.
    for (Pfn first = a; first < b; first += (first - a < 40 || b - first < 40) ? 1 : 97) {
      for (uint64_t n : {2, 3, 5, 17}) {
        if (first + n > b) break;
        SCOPED_TRACE(strfmt("read_pages(%s, %llu)", hex(first).c_str(),
                            static_cast<unsigned long long>(n)));
        std::vector<std::byte> got(n * ps, std::byte{0x5a});
        std::vector<PageState> states(n);
        auto st = s.read_pages(first, got, states);
        bool any_failed = false;
        for (uint64_t k = 0; k < n; ++k) {
          std::vector<std::byte> want(ps);
          auto w = s.read_page(first + k, want);
          if (!w) {
            any_failed = true;
            continue;
          }
          if (!st) continue;
          EXPECT_EQ(states[k], *w) << k;
          EXPECT_EQ(std::memcmp(got.data() + k * ps, want.data(), ps), 0) << k;
        }
        // read_pages may fail only where some page of it fails alone.
        if (!st) {
          EXPECT_TRUE(any_failed) << st.error().message;
        } else {
          EXPECT_FALSE(any_failed);
        }
      }
    }
  }
  // A buffer that does not fit the count is refused, not overrun.
  std::vector<std::byte> small(ps);
  std::vector<PageState> two(2);
  if (!runs.empty()) {
    EXPECT_FALSE(s.read_pages(runs.front().first, small, two));
  }
}

}  // namespace dumpfmt
