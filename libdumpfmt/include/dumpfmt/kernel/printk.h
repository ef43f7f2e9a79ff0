// The kernel log (dmesg) from VMCOREINFO alone: the lockless printk ring
// buffer (5.10 and later), the 3.5-5.9 record buffer (struct printk_log, named
// struct log before 3.11) and the plain character ring of older kernels; and
// its text exactly as makedumpfile --dump-dmesg writes it (docs/formats.md §2.4).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/kernel/vmcoreinfo.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

enum class PrintkLayout : uint8_t {
  lockless,  // struct printk_ringbuffer (SYMBOL(prb)), 5.10+
  records,   // struct printk_log / struct log records in log_buf, 3.5-5.9
  plain,     // a plain character ring in log_buf, before 3.5
};
/// "lockless", "records", "plain".
std::string_view printk_layout_name(PrintkLayout l);

struct LogRecord {
  uint64_t seq = 0;                   // lockless: printk_info.seq; records: position in the walk
  uint64_t ts_nsec = 0;               // local clock at the time of the message
  std::string text;                   // the message bytes as stored (no trailing newline)
  std::optional<uint32_t> caller_id;  // bit 31: CPU number, else task id (when recorded)
};

struct Dmesg {
  PrintkLayout layout = PrintkLayout::lockless;
  std::vector<LogRecord> records;  // lockless and records layouts, oldest first
  std::string plain;               // plain layout: the buffer's text, oldest first
  /// Damage found and worked around (records skipped, a cycle in the record chain).
  std::vector<std::string> warnings;
};

struct DmesgOptions {
  /// The largest ring (descriptors, infos or text) read into memory; larger
  /// sizes in a damaged dump are refused instead of allocated.
  uint64_t max_ring_bytes = uint64_t{256} << 20;
};

/// Reads the log. The layout is chosen as makedumpfile chooses it: SYMBOL(prb)
/// means lockless; otherwise SYMBOL(log_buf) and SYMBOL(log_buf_len) with
/// SYMBOL(log_first_idx)/SYMBOL(log_next_idx) and SIZE/OFFSET of printk_log (or
/// log) mean records, and SYMBOL(log_end) or an OSRELEASE below 3.5 means
/// plain. Errors: unsupported when VMCOREINFO lacks the keys (the message
/// names them), no_data when the buffer's pages are not in the dump, corrupt
/// for sizes or indices that cannot be right.
Result<Dmesg> read_dmesg(const VmcoreInfo& vmi, const KernelReader& mem,
                         const DmesgOptions& opts = {});
Result<Dmesg> read_dmesg(const KernelMemory& km, const DmesgOptions& opts = {});

struct DmesgFormat {
  /// Prefix each record with its caller ("[    T123] "), as makedumpfile
  /// 1.7.5 and later do when the kernel records it. Off: makedumpfile 1.7.2.
  bool caller_id = false;
};

/// The text makedumpfile --dump-dmesg writes: "[%5llu.%06lu] " then the
/// message, a newline inside a message followed by spaces up to the text
/// column, other unprintable bytes as \xNN (bytes above 0x7f as
/// \xffffffNN, makedumpfile's sign extension); the plain layout as stored.
std::string format_dmesg(const Dmesg& d, const DmesgFormat& f = {});
/// One record in that form, with its newline.
std::string format_log_record(const LogRecord& r, const DmesgFormat& f = {});

}  // namespace dumpfmt
