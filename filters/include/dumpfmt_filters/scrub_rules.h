// Erase rules without vmlinux: makedumpfile's filter-config language
// (makedumpfile.conf(5)) for the part that maps onto kallsyms + BTF, plus a
// type cast for globals (BTF records types of per-CPU variables only) and
// loops over red-black trees:
//
//   [vmlinux]                                  section; other (module) sections are skipped
//   erase SYMBOL                               the whole object (BTF size, else kallsyms extent)
//   erase SYMBOL.member[.member...]            '.' follows pointers, as in makedumpfile
//   erase (struct T)SYMBOL.member              the symbol's type given by hand
//   erase EXPR size N[K|M]  /  size EXPR       explicit size (a number or an integer in memory)
//   erase EXPR nullify                         zero the pointer EXPR instead of what it points to
//   for ID in EXPR within STRUCT:MEMBER        list_head / hlist_head / rb_root(_cached) loop,
//     erase ID.member ...                      chosen by MEMBER's type (list_head, hlist_node,
//   endfor                                     rb_node)
//   for ID in EXPR via NEXT                    NULL- or cycle-terminated chain of structs
//   for ID in ARRAY                            array elements (type from BTF or a cast)
//
// Per-CPU variables (symbols BTF knows as variables) are erased on every CPU.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt_filters/scrub_kernel.h"

namespace dumpfmt::filters {

struct RuleNode;  // parsed form, private to scrub_rules.cpp

struct Rule {
  std::string text;    // the rule as written (a loop: its "for" line)
  std::string source;  // "FILE:LINE", "--erase", "built-in"
  std::shared_ptr<const RuleNode> node;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<std::string> warnings;  // sections skipped, ...
};

/// Parses rule text. Errors: invalid_argument "SOURCE:LINE: ..." for the
/// first syntax error.
Result<RuleSet> parse_rules(std::string_view text, std::string_view source);

/// Appends `more`'s rules and warnings to `to`: several rule files and
/// single rules make one set, in the order given.
void append_rules(RuleSet& to, RuleSet more);

struct RuleReport {
  std::string rule;
  std::string source;
  uint64_t objects = 0;  // erase statements executed (per element, per CPU)
  uint64_t bytes = 0;
  std::string skipped;  // why nothing was done (optional rules only)
};

struct ApplyRulesOptions {
  /// A rule naming a symbol or type this kernel does not have is skipped
  /// (reported in RuleReport::skipped) instead of failing: for built-in
  /// rule sets that cover several kernel versions.
  bool skip_missing = false;
  std::string cls = "rule";               // EraseItem class of the ranges
  uint64_t max_loop = uint64_t{1} << 22;  // elements per loop
};

/// Evaluates every rule and records its ranges in `out`.
Result<std::vector<RuleReport>> apply_rules(const ScrubKernel& k, const RuleSet& rules,
                                            EraseSet& out, const ApplyRulesOptions& opts = {});

/// The rules of --profile upload beyond the object walkers: the random
/// number generator's state (6.1 random.c: base_crng, per-CPU crngs,
/// input_pool, batched entropy, per-CPU fast pools; 4.x-5.16 names too).
std::string_view builtin_rng_rules();

}  // namespace dumpfmt::filters
