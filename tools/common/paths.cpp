// File-name checks for command lines (see paths.h).
#include "common/paths.h"

#include <sys/stat.h>

#include "dumpfmt/bytes.h"

namespace dumpfmt::cli {

Status check_distinct(const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs) {
  struct Seen {
    std::string path;
    dev_t dev;
    ino_t ino;
    bool output;
  };
  std::vector<Seen> seen;
  auto add = [&](const std::string& p, bool output) -> Status {
    struct stat st {};
    if (p == "-" || ::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (!output || p == "-") return ok();
      for (const Seen& s : seen) {
        if (s.output && s.path == p) {
          return make_error(Errc::invalid_argument, p + " is named twice as an output");
        }
      }
      seen.push_back({p, 0, 0, true});
      return ok();
    }
    for (const Seen& s : seen) {
      if (s.ino != st.st_ino || s.dev != st.st_dev || s.path.empty()) continue;
      if (!s.output && !output) {
        return make_error(Errc::invalid_argument,
                          strfmt("%s and %s are the same file: a part was given twice",
                                 s.path.c_str(), p.c_str()));
      }
      return make_error(Errc::invalid_argument,
                        strfmt(output && !s.output ? "%s is an input too; choose another output"
                                                   : "%s is named twice as an output",
                               p.c_str()));
    }
    seen.push_back({p, st.st_dev, st.st_ino, output});
    return ok();
  };
  for (const auto& p : inputs) DUMPFMT_TRY(add(p, false));
  for (const auto& p : outputs) DUMPFMT_TRY(add(p, true));
  return ok();
}

}  // namespace dumpfmt::cli
