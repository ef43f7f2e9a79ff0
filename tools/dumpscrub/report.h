// dumpscrub's account of what it removed: the stderr summary and --json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt_filters/scrub.h"
#include "dumpfmt_filters/scrub_rules.h"

namespace dumpscrub {

struct Report {
  std::string input, output, format;
  std::string profile;  // "share", "upload" or "" (rules only)
  bool keep_layout = false;
  uint8_t fill = 0x58;
  std::string btf_source;            // "dump", "vmlinux PATH", "" (none)
  dumpfmt::PageClassCounts dropped;  // pages excluded (or filled) by class
  uint64_t pcp_free = 0;             // pages on per-CPU free lists dropped
  uint64_t pages_in = 0, pages_out = 0, bytes_out = 0;
  std::vector<dumpfmt::filters::ClassReport> classes;
  std::vector<dumpfmt::filters::RuleReport> rules;
  std::vector<dumpfmt::filters::EraseItem> items;
  std::vector<std::string> warnings;
};

/// Lines for stderr, each prefixed with "dumpscrub: ".
std::string summary_text(const Report& r);
nlohmann::ordered_json summary_json(const Report& r);

}  // namespace dumpscrub
