// Each warning once (see warn_once.h).
#include "common/warn_once.h"

#include <memory>
#include <mutex>
#include <set>

#include "common/cli.h"

namespace dumpfmt::cli {

std::function<void(const std::string&)> warn_once(std::string_view tool) {
  struct Seen {
    std::string tool;
    std::mutex mu;
    std::set<std::string> said;
  };
  auto seen = std::make_shared<Seen>();
  seen->tool = tool;
  return [seen](const std::string& m) {
    std::lock_guard<std::mutex> lock(seen->mu);
    if (seen->said.insert(m).second) print_warning(seen->tool, m);
  };
}

}  // namespace dumpfmt::cli
