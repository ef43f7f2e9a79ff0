// The registry entry of Fujitsu's sadump format (single partition, disk set,
// media backup).
#include "formats/format_entries.h"

namespace dumpfmt::detail {

const Format kSadumpFormat{
    "sadump",
    "Fujitsu sadump (x86/x86_64 stand-alone dump: single partition, disk set, media backup)",
    &sadump::probe,
    &sadump::open,
    &sadump::create_writer,
    /*writes_sequentially=*/true,
};

}  // namespace dumpfmt::detail
