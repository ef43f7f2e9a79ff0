// The kdump-compressed format's registry entry (makedumpfile's diskdump_mod.h
// format, also written by QEMU's dump-guest-memory).
#include "formats/format_entries.h"

namespace dumpfmt::detail {

const Format kKdumpFormat{
    "kdump",
    "kdump-compressed (makedumpfile, QEMU; also old diskdump and split sets)",
    &kdump::probe,
    &kdump::open,
    &kdump::create_writer,
};

}  // namespace dumpfmt::detail
