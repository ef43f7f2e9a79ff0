// CPU state from NT_PRSTATUS notes (struct elf_prstatus of the dumped
// architecture, docs/formats.md §1.4) and which CPU crashed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dumpfmt/dump.h"

namespace dumpfmt::dumpinfo {

struct CpuState {
  uint32_t index =
      0;            // position among the NT_PRSTATUS notes (the kernel writes them by CPU number)
  int32_t pid = 0;  // pr_pid: the task on that CPU (0: idle); QEMU writes cpu_index + 1
  /// Registers in pr_reg order, named as the kernel's user_regs_struct; empty
  /// for architectures whose layout is not known here.
  std::vector<std::pair<std::string, uint64_t>> regs;
  std::optional<uint64_t> pc, sp;  // the instruction and stack pointers among regs
};

/// Decodes every NT_PRSTATUS ("CORE", type 1) note. A note too short for
/// its architecture's layout keeps the fields that fit.
std::vector<CpuState> decode_cpu_states(const std::vector<Note>& notes, Arch arch, Endian endian);

/// The crashing CPU: the first whose pr_pid is not 0 (the CPU that ran the
/// panicking task; the others were stopped in their idle task or in whatever
/// task they ran, which the rule cannot tell apart), else the first note.
/// A QEMU dump (`qemu`: it has "QEMU" notes) was taken from a running guest:
/// the first vCPU is named. `rule` receives a description of the rule applied.
std::optional<size_t> crashing_cpu(const std::vector<CpuState>& cpus, bool qemu, std::string* rule);

}  // namespace dumpfmt::dumpinfo
