// dumpinfo's sections: each one run and printed, as text on stdout or into
// one JSON document, and what is printed when the dump cannot be opened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dumpfmt/kernel/kernel_memory.h"
#include "identify.h"
#include "report.h"

namespace dumpfmt::dumpinfo {

constexpr const char* kTool = "dumpinfo";

/// Where the sections go. Text mode prints a heading only when it prints
/// more than one section, so a single section's output is exactly that
/// section; JSON mode gathers them into one document written at the end.
class Printer {
 public:
  Printer(bool json, int sections) : json_(json), sections_(sections) {}
  bool json() const { return json_; }
  Json& doc() { return doc_; }
  void text(const char* heading, const std::string& body);
  /// A section that could not be made: the error on stderr (and in JSON
  /// under `what`); the exit status becomes failure.
  void fail(const char* what, const Error& e);
  void set_failed();
  /// Writes the JSON document (in JSON mode); returns the exit status.
  int finish();

 private:
  bool json_;
  int sections_;
  int printed_ = 0;
  int rc_ = 0;
  Json doc_;
};

/// The dump could not be opened: with --verify the verify section says so,
/// otherwise the error goes to stderr (and into the JSON document). Returns
/// the exit status.
int print_open_failure(Printer& out, const Error& e, bool verify);

/// The identification; `max_ranges` as identity_text(). The memory scan
/// shows its progress unless `quiet`.
void identification_section(Printer& out, const OpenedDump& d, const KernelMemory* km,
                            const IdentifyOptions& opts, size_t max_ranges, bool quiet);

/// The raw VMCOREINFO text.
void vmcoreinfo_section(Printer& out, const PageSource& src);

/// The kernel log; `km` is the kernel model or why there is none.
void dmesg_section(Printer& out, const Result<std::unique_ptr<KernelMemory>>& km, bool caller_id);

/// Pages per class, with progress per phase unless `quiet`.
void mem_usage_section(Printer& out, const PageSource& src, const KernelMemory* km,
                       unsigned threads, bool quiet);

/// The full read check; a damaged dump makes the exit status failure.
void verify_section(Printer& out, const OpenedDump& d, unsigned threads, bool quiet);

}  // namespace dumpfmt::dumpinfo
