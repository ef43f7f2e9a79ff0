// Fuzz target: the printk walkers (read_dmesg: lockless ring, printk_log records, plain ring)
// over a VMCOREINFO text and a kernel memory image from the input (kernel_input.h), then
// makedumpfile's text form of what they found.
#include <algorithm>
#include <cstdlib>

#include "dumpfmt/kernel/printk.h"
#include "kernel_input.h"

namespace {

using namespace dumpfmt;

// Every line format_log_record writes starts with the timestamp and ends in a newline, one
// line per newline in the message.
void check_formatted(const LogRecord& r, const DmesgFormat& f) {
  const std::string s = format_log_record(r, f);
  if (s.empty() || s.front() != '[' || s.back() != '\n') std::abort();
  const auto lines = std::count(s.begin(), s.end(), '\n');
  if (lines != std::count(r.text.begin(), r.text.end(), '\n') + 1) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::KernelInput::parse(data, size, fuzz::kPageAlign);
  if (!in) return 0;
  const fuzz::InputMemory mem(*in);
  // The rings are read whole; nothing in this memory can be larger than the window anyway,
  // but a hostile size must fail at the limit rather than at the allocation.
  DmesgOptions opts;
  opts.max_ring_bytes = 4u << 20;
  auto d = read_dmesg(VmcoreInfo::parse(in->vmcoreinfo), mem, opts);
  if (!d) return 0;

  // Everything the walkers return was read from the memory, and records own disjoint text: no
  // more text in all than the memory holds, no more records than it has bytes (the records
  // walk may add its wrap and cycle steps).
  const uint64_t readable = in->readable();
  if (d->layout == PrintkLayout::plain) {
    if (!d->records.empty() || d->plain.size() > readable) std::abort();
  } else if (!d->plain.empty() || d->records.size() > readable + 3) {
    std::abort();
  }
  DmesgFormat with_caller;
  with_caller.caller_id = true;
  size_t checked = 0;
  uint64_t text_total = 0;
  for (const LogRecord& r : d->records) {
    text_total += r.text.size();
    if (text_total > readable) std::abort();
    if (checked++ < 256) {
      check_formatted(r, {});
      check_formatted(r, with_caller);
    }
  }
  const std::string all = format_dmesg(*d);
  if (d->layout == PrintkLayout::plain && all != d->plain) std::abort();
  return 0;
}
