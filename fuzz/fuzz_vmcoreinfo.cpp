// Fuzz target: vmcoreinfo_value on random text. The input's first line is the key, the rest
// the VMCOREINFO text; a value found must be exactly the rest of a "KEY=" line.
#include <string_view>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string_view key = in.substr(0, nl);
  std::string_view text = in.substr(nl + 1);
  auto v = dumpfmt::vmcoreinfo_value(text, key);
  if (!v) return 0;
  if (v->find('\n') != std::string::npos) std::abort();
  std::string line = std::string(key) + "=" + *v;
  bool first = text.substr(0, line.size()) == line &&
               (text.size() == line.size() || text[line.size()] == '\n');
  bool later = false;
  for (size_t pos = text.find("\n" + line); pos != std::string_view::npos && !later;
       pos = text.find("\n" + line, pos + 1)) {
    size_t end = pos + 1 + line.size();
    later = end == text.size() || text[end] == '\n';
  }
  if (!first && !later) std::abort();
  return 0;
}
