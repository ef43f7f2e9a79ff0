// The names of the error codes (result.h).
#include "dumpfmt/result.h"

namespace dumpfmt {

std::string_view errc_name(Errc c) {
  switch (c) {
    case Errc::io: return "I/O error";
    case Errc::truncated: return "truncated";
    case Errc::corrupt: return "corrupt";
    case Errc::unknown_format: return "unknown format";
    case Errc::unsupported: return "unsupported";
    case Errc::not_built: return "not built in";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::no_data: return "no data";
  }
  return "error";
}

}  // namespace dumpfmt
