// DumpWriter's defaults: windowed writing is for the formats that offer it.
#include "dumpfmt/dump_writer.h"

namespace dumpfmt {

namespace {
Error no_windows() {
  return make_error(Errc::unsupported,
                    "this output format needs the whole page set at once; it cannot be written "
                    "in windows");
}
}  // namespace

Status DumpWriter::begin_windows(const DumpInfo&, Pfn, uint64_t) { return no_windows(); }

Status DumpWriter::begin_window(Pfn, Pfn, const PfnSet&, const PfnSet&) { return no_windows(); }

}  // namespace dumpfmt
