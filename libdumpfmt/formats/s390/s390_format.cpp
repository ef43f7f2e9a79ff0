// The registry entry of the s390 stand-alone dump formats (s390-tools
// zgetdump's s390, s390_ext and multi-volume DASD dumps).
#include "formats/format_entries.h"

namespace dumpfmt::detail {

const Format kS390Format{
    "s390",
    "s390 stand-alone dump (zipl/zgetdump: single-volume, s390_ext, multi-volume)",
    &s390::probe,
    &s390::open,
    &s390::create_writer,
    /*writes_sequentially=*/true,
};

}  // namespace dumpfmt::detail
