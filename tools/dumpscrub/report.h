// dumpscrub's account of what it removed: the stderr summary and --json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dumpfmt_filters/scrub_plan.h"

namespace dumpscrub {

// What the plan did and found (`found`, from filters::plan_scrub), and what
// only the tool knows: the files, the bytes written, every warning.
struct Report {
  std::string input, output, format;
  dumpfmt::filters::ScrubSummary found;
  uint64_t bytes_out = 0;
  std::vector<std::string> warnings;
};

/// Lines for stderr, each prefixed with "dumpscrub: ".
std::string summary_text(const Report& r);
nlohmann::ordered_json summary_json(const Report& r);
/// summary_json() to `path` ('-': stdout). Errors: io "PATH: cannot write
/// the JSON summary".
dumpfmt::Status write_summary_json(const Report& r, const std::string& path);

}  // namespace dumpscrub
