// Identification of a dump: how it is wrapped and stored, which kernel and
// machine it comes from, CPUs, memory, and damage flags. Reads headers, notes
// and a few kernel pages; only a dump without VMCOREINFO costs a bounded scan.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpu_state.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/format.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/release_scan.h"

namespace dumpfmt::dumpinfo {

struct InputFile {
  std::string path;
  uint64_t size = 0;        // bytes on disk (compressed, when compressed)
  std::string compression;  // whole-file compression: "", "gzip", "zstd", "lz4"
  bool flattened = false;   // makedumpfile's flattened form (inside the compression)
};

/// The dump's files opened and unwrapped, and the dump read from them.
struct OpenedDump {
  std::vector<InputFile> files;
  std::unique_ptr<PageSource> src;
};

/// Opens `paths` as one dump, noting each file's wrappers on the way.
/// `progress` reports decompression of whole-file compressed inputs.
Result<OpenedDump> open_for_info(const std::vector<std::string>& paths, const OpenOptions& oo,
                                 const std::function<void(uint64_t, uint64_t)>& progress);

struct KernelIdentity {
  std::optional<std::string> release;
  std::string
      release_source;  // "VMCOREINFO OSRELEASE", "kdump header", "init_uts_ns", "memory scan ..."
  std::optional<std::string> version;  // "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)"
  std::string version_source;
  std::optional<std::string> nodename;
  std::optional<std::string> machine;
  std::optional<std::string> build_id;    // VMCOREINFO BUILD-ID
  std::optional<std::string> osrelease;   // VMCOREINFO OSRELEASE, as found
  std::optional<ReleaseScanResult> scan;  // when memory was scanned
};

struct MemoryRange {
  uint64_t start = 0;  // bytes, [start, end)
  uint64_t end = 0;
};

struct Identity {
  std::vector<InputFile> files;
  DumpInfo info;
  KernelIdentity kernel;
  std::vector<CpuState> cpus;
  std::optional<size_t> crash_cpu;
  std::string crash_cpu_rule;
  std::vector<MemoryRange> ram;  // runs of src.ram()
  uint64_t ram_pages = 0;
  uint64_t present_pages = 0;
  std::optional<int64_t> crash_time;
  std::vector<std::string> warnings;  // the reader's and our own
};

struct IdentifyOptions {
  /// Scan memory for the kernel release even when VMCOREINFO names it.
  bool force_scan = false;
  ReleaseScanOptions scan;
};

/// Never fails: what cannot be found is left unset and explained in warnings.
/// `km` is the kernel model when VMCOREINFO allowed building one.
Identity identify(const OpenedDump& d, const KernelMemory* km, const IdentifyOptions& opts);

}  // namespace dumpfmt::dumpinfo
