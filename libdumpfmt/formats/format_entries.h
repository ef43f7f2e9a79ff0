// Private: the registry entry each format folder defines. format.cpp lists
// them in probe order.
#pragma once

#include "dumpfmt/format.h"

namespace dumpfmt::detail {

extern const Format kKdumpFormat;  // formats/kdump/
extern const Format kElfFormat;    // formats/elf/
extern const Format kS390Format;   // formats/s390/
extern const Format kSadumpFormat;  // formats/sadump/

}  // namespace dumpfmt::detail
