#include "common/operands.h"

#include "common/cli.h"

namespace dumpfmt::cli {

std::optional<Operands> input_output(std::string_view tool, const std::vector<std::string>& paths,
                                     bool dry_run) {
  const size_t outputs = dry_run ? 0 : 1;
  if (paths.size() < 1 + outputs) {
    print_error(tool, dry_run ? "need INPUT (see --help)" : "need INPUT and OUTPUT (see --help)");
    return std::nullopt;
  }
  Operands ops;
  ops.inputs.assign(paths.begin(), paths.end() - static_cast<std::ptrdiff_t>(outputs));
  if (!dry_run) ops.output = paths.back();
  return ops;
}

std::unique_ptr<PageSource> open_inputs(std::string_view tool,
                                        const std::vector<std::string>& inputs,
                                        const OpenOptions& oo) {
  auto src = open_dump(inputs, oo);
  if (!src) {
    print_error(tool, src.error());
    return nullptr;
  }
  return std::move(*src);
}

}  // namespace dumpfmt::cli
