// struct elf_prstatus layouts per architecture: where pr_pid and pr_reg are
// and the order of pr_reg (each arch's user_regs_struct / elf_gregset_t).
#include "cpu_state.h"

#include <array>

#include "dumpfmt/bytes.h"

namespace dumpfmt::dumpinfo {

namespace {

struct Layout {
  uint32_t pid_off = 32;
  uint32_t reg_off = 112;
  uint32_t reg_size = 8;
  std::vector<std::string> names;
  std::string pc, sp;
  // s390 access registers are 4 bytes between 8-byte ones: names from this
  // index on (up to acr_end) are 4 bytes wide.
  size_t narrow_from = SIZE_MAX, narrow_end = SIZE_MAX;

  // The 32-bit elf_prstatus: 4-byte longs and registers move pr_pid and pr_reg up.
  void prstatus32() {
    pid_off = 24;
    reg_off = 72;
    reg_size = 4;
  }
};

std::vector<std::string> numbered(const char* prefix, int first, int count) {
  std::vector<std::string> v;
  for (int i = 0; i < count; ++i) v.push_back(prefix + std::to_string(first + i));
  return v;
}

void append(std::vector<std::string>& v, std::initializer_list<const char*> names) {
  for (const char* n : names) v.emplace_back(n);
}

Layout layout_of(Arch arch) {
  Layout l;
  switch (arch) {
    case Arch::x86_64:
      append(l.names,
             {"r15",    "r14", "r13", "r12",     "rbp",     "rbx", "r11",      "r10", "r9",
              "r8",     "rax", "rcx", "rdx",     "rsi",     "rdi", "orig_rax", "rip", "cs",
              "eflags", "rsp", "ss",  "fs_base", "gs_base", "ds",  "es",       "fs",  "gs"});
      l.pc = "rip";
      l.sp = "rsp";
      break;
    case Arch::x86:
      l.prstatus32();
      append(l.names, {"ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs",
                       "orig_eax", "eip", "cs", "eflags", "esp", "ss"});
      l.pc = "eip";
      l.sp = "esp";
      break;
    case Arch::arm64:
      l.names = numbered("x", 0, 31);
      append(l.names, {"sp", "pc", "pstate"});
      l.pc = "pc";
      l.sp = "sp";
      break;
    case Arch::arm:
      l.prstatus32();
      l.names = numbered("r", 0, 13);
      append(l.names, {"sp", "lr", "pc", "cpsr", "orig_r0"});
      l.pc = "pc";
      l.sp = "sp";
      break;
    case Arch::s390x:
      append(l.names, {"psw_mask", "psw_addr"});
      for (auto& n : numbered("r", 0, 16)) l.names.push_back(n);
      l.narrow_from = l.names.size();
      for (auto& n : numbered("a", 0, 16)) l.names.push_back(n);
      l.narrow_end = l.names.size();
      l.names.emplace_back("orig_gpr2");
      l.pc = "psw_addr";
      l.sp = "r15";
      break;
    case Arch::ppc64:
      l.names = numbered("r", 0, 32);
      append(l.names, {"nip", "msr", "orig_gpr3", "ctr", "link", "xer", "ccr", "softe", "trap",
                       "dar", "dsisr", "result"});
      l.pc = "nip";
      l.sp = "r1";
      break;
    case Arch::riscv64:
      append(l.names, {"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"});
      for (auto& n : numbered("a", 0, 8)) l.names.push_back(n);
      for (auto& n : numbered("s", 2, 10)) l.names.push_back(n);
      for (auto& n : numbered("t", 3, 4)) l.names.push_back(n);
      l.pc = "pc";
      l.sp = "sp";
      break;
    default:
      // pr_pid sits after pr_info, pr_cursig and two signal words.
      if (!arch_is_64bit(arch)) l.pid_off = 24;
      break;
  }
  return l;
}

}  // namespace

std::vector<CpuState> decode_cpu_states(const std::vector<Note>& notes, Arch arch, Endian endian) {
  const Layout l = layout_of(arch);
  std::vector<CpuState> out;
  for (const auto& n : notes) {
    if (n.name != "CORE" || n.type != kNtPrstatus) continue;
    CpuState c;
    c.index = static_cast<uint32_t>(out.size());
    const auto& d = n.desc;
    if (d.size() >= l.pid_off + 4) {
      c.pid = static_cast<int32_t>(load<uint32_t>(d.data() + l.pid_off, endian));
    }
    uint64_t off = l.reg_off;
    for (size_t i = 0; i < l.names.size(); ++i) {
      const uint32_t size = i >= l.narrow_from && i < l.narrow_end ? 4 : l.reg_size;
      if (off + size > d.size()) break;
      const uint64_t v = size == 4 ? load<uint32_t>(d.data() + off, endian)
                                   : load<uint64_t>(d.data() + off, endian);
      c.regs.emplace_back(l.names[i], v);
      if (l.names[i] == l.pc) c.pc = v;
      if (l.names[i] == l.sp) c.sp = v;
      off += size;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<size_t> crashing_cpu(const std::vector<CpuState>& cpus, bool qemu,
                                   std::string* rule) {
  if (cpus.empty()) return std::nullopt;
  if (qemu) {
    if (rule)
      *rule = "QEMU dump-guest-memory: no CPU crashed, pr_pid is the vCPU number + 1; the first";
    return 0;
  }
  for (size_t i = 0; i < cpus.size(); ++i) {
    if (cpus[i].pid != 0) {
      if (rule) *rule = "first NT_PRSTATUS note with a non-zero pr_pid";
      return i;
    }
  }
  if (rule) *rule = "every pr_pid is 0: the first NT_PRSTATUS note";
  return 0;
}

}  // namespace dumpfmt::dumpinfo
