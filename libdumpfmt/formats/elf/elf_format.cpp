// The registry entry of the ELF vmcore format.
#include "formats/format_entries.h"

namespace dumpfmt::detail {

const Format kElfFormat{
    "elf",
    "ELF core file (/proc/vmcore, makedumpfile -E, QEMU dump-guest-memory)",
    &elf::probe,
    &elf::open,
    &elf::create_writer,
    /*writes_sequentially=*/true,
};

}  // namespace dumpfmt::detail
