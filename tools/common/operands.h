// The file operands of the tools that read a dump and write one (INPUT...
// OUTPUT): the usage check and opening the inputs, each said the same way by
// every tool.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/format.h"

namespace dumpfmt::cli {

/// INPUT... OUTPUT split: every operand but the last is a file of the dump
/// (several: the parts of a split dump), the last is the output; with
/// `dry_run` there is no output and every operand is an input.
struct Operands {
  std::vector<std::string> inputs;
  std::string output;  // empty with dry_run
};

/// The operands, or nothing after printing "need INPUT and OUTPUT (see
/// --help)" ("need INPUT ..." with dry_run): the tool then exits kExitUsage.
std::optional<Operands> input_output(std::string_view tool, const std::vector<std::string>& paths,
                                     bool dry_run = false);

/// open_dump(inputs, oo), or null after printing why it failed: the tool then
/// exits kExitFailure.
std::unique_ptr<PageSource> open_inputs(std::string_view tool,
                                        const std::vector<std::string>& inputs,
                                        const OpenOptions& oo);

}  // namespace dumpfmt::cli
