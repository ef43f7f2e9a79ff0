// File names on a command line: the checks a tool makes before opening them.
#pragma once

#include <string>
#include <vector>

#include "dumpfmt/result.h"

namespace dumpfmt::cli {

/// Refuses a file named twice, or an output that is also an input (the same
/// regular file under another name counts: the output would overwrite what is
/// being read). "-" and names that are not regular files pass, except an
/// output name given twice. Error: invalid_argument naming the files.
Status check_distinct(const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs);

}  // namespace dumpfmt::cli
