// The dump model's helpers: architecture tables, ELF note areas, VMCOREINFO lookup.
#include "dumpfmt/dump.h"

#include <array>

namespace dumpfmt {

namespace {

struct ArchRow {
  Arch arch;
  std::string_view name;
  std::string_view uts;  // utsname.machine the kernel reports
  uint16_t e_machine;
  bool is64;
};

// EM_* values from the ELF gABI / Linux <elf.h>.
constexpr std::array<ArchRow, 10> kArchRows{{
    {Arch::x86_64, "x86_64", "x86_64", 62, true},
    {Arch::x86, "x86", "i686", 3, false},
    {Arch::arm64, "arm64", "aarch64", 183, true},
    {Arch::arm, "arm", "armv7l", 40, false},
    {Arch::s390x, "s390x", "s390x", 22, true},
    {Arch::s390, "s390", "s390", 22, false},
    {Arch::ppc64, "ppc64", "ppc64", 21, true},
    {Arch::ppc, "ppc", "ppc", 20, false},
    {Arch::riscv64, "riscv64", "riscv64", 243, true},
    {Arch::mips, "mips", "mips", 8, false},
}};

const ArchRow* row_of(Arch a) {
  for (const auto& r : kArchRows) {
    if (r.arch == a) return &r;
  }
  return nullptr;
}

uint32_t align4(uint32_t v) { return (v + 3u) & ~3u; }

}  // namespace

std::string_view arch_name(Arch a) {
  const ArchRow* r = row_of(a);
  return r ? r->name : "unknown";
}

Arch arch_from_uts_machine(std::string_view m) {
  if (m == "x86_64" || m == "amd64") return Arch::x86_64;
  if (m == "i386" || m == "i486" || m == "i586" || m == "i686" || m == "x86") return Arch::x86;
  if (m == "aarch64" || m == "arm64") return Arch::arm64;
  if (m.substr(0, 3) == "arm") return Arch::arm;
  if (m == "s390x") return Arch::s390x;
  if (m == "s390") return Arch::s390;
  if (m == "ppc64" || m == "ppc64le") return Arch::ppc64;
  if (m == "ppc") return Arch::ppc;
  if (m == "riscv64") return Arch::riscv64;
  if (m.substr(0, 4) == "mips") return Arch::mips;
  return Arch::unknown;
}

Arch arch_from_elf_machine(uint16_t e_machine, bool is64) {
  for (const auto& r : kArchRows) {
    if (r.e_machine == e_machine && r.is64 == is64) return r.arch;
  }
  // A 64-bit ELF container may hold a 32-bit machine (QEMU upgrades i386 dumps
  // above 4 GiB to ELF64), so fall back to the machine alone.
  for (const auto& r : kArchRows) {
    if (r.e_machine == e_machine) return r.arch;
  }
  return Arch::unknown;
}

uint16_t elf_machine_of(Arch a) {
  const ArchRow* r = row_of(a);
  return r ? r->e_machine : 0;
}

bool arch_is_64bit(Arch a) {
  const ArchRow* r = row_of(a);
  return r ? r->is64 : true;
}

std::string_view uts_machine_of(Arch a) {
  const ArchRow* r = row_of(a);
  return r ? r->uts : "";
}

Result<std::vector<Note>> parse_notes(std::span<const std::byte> area, Endian e,
                                      uint64_t base_offset, const std::string& file_name) {
  std::vector<Note> notes;
  size_t pos = 0;
  while (area.size() - pos >= 12) {
    uint32_t namesz = load<uint32_t>(area.data() + pos, e);
    uint32_t descsz = load<uint32_t>(area.data() + pos + 4, e);
    uint32_t type = load<uint32_t>(area.data() + pos + 8, e);
    if (namesz == 0 && descsz == 0 && type == 0) break;  // the kernel's final_note terminator
    uint64_t need = 12 + uint64_t{align4(namesz)} + uint64_t{align4(descsz)};
    if (namesz > area.size() || descsz > area.size() || need > area.size() - pos) {
      // The last note's padding may be missing at the very end of the area.
      uint64_t unpadded = 12 + uint64_t{align4(namesz)} + uint64_t{descsz};
      if (namesz > area.size() || descsz > area.size() || unpadded > area.size() - pos) {
        return make_error(
            Errc::corrupt,
            strfmt("%s: offset %s: ELF note (namesz %u, descsz %u) runs past the "
                   "end of the note area",
                   file_name.c_str(), hex(base_offset + pos).c_str(), namesz, descsz));
      }
      need = area.size() - pos;
    }
    Note n;
    const char* name = reinterpret_cast<const char*>(area.data() + pos + 12);
    n.name.assign(name, strnlen(name, namesz));
    n.type = type;
    const std::byte* desc = area.data() + pos + 12 + align4(namesz);
    n.desc.assign(desc, desc + descsz);
    notes.push_back(std::move(n));
    pos += static_cast<size_t>(need);
  }
  return notes;
}

std::vector<std::byte> serialize_notes(const std::vector<Note>& notes, Endian e) {
  std::vector<std::byte> out;
  for (const auto& n : notes) {
    uint32_t namesz = static_cast<uint32_t>(n.name.size() + 1);
    uint32_t descsz = static_cast<uint32_t>(n.desc.size());
    size_t at = out.size();
    out.resize(at + 12 + align4(namesz) + align4(descsz));
    store<uint32_t>(out.data() + at, namesz, e);
    store<uint32_t>(out.data() + at + 4, descsz, e);
    store<uint32_t>(out.data() + at + 8, n.type, e);
    std::memcpy(out.data() + at + 12, n.name.data(), n.name.size());
    if (descsz) std::memcpy(out.data() + at + 12 + align4(namesz), n.desc.data(), descsz);
  }
  return out;
}

std::vector<Note> notes_for_output(const DumpInfo& info) {
  std::vector<Note> notes;
  for (const Note& n : info.notes) {
    if (n.name != "ERASEINFO") notes.push_back(n);
  }
  if (info.vmcoreinfo && !find_vmcoreinfo(notes)) {
    const auto* p = reinterpret_cast<const std::byte*>(info.vmcoreinfo->data());
    notes.push_back({"VMCOREINFO", 0, std::vector<std::byte>(p, p + info.vmcoreinfo->size())});
  }
  return notes;
}

std::optional<std::string> find_vmcoreinfo(const std::vector<Note>& notes) {
  for (const auto& n : notes) {
    if (n.name == "VMCOREINFO") {
      if (n.desc.empty()) return std::string();  // data() may be null: no strnlen on it
      const char* p = reinterpret_cast<const char*>(n.desc.data());
      // Text ends at the first NUL (the kernel pads the note) or at descsz.
      return std::string(p, strnlen(p, n.desc.size()));
    }
  }
  return std::nullopt;
}

Status check_complete(const DumpInfo& info) {
  if (!info.incomplete) return ok();
  std::string why;
  for (const auto& w : info.warnings) {
    if (w.find(" lost ") == std::string::npos && w.find("incomplete") == std::string::npos) {
      continue;
    }
    why += (why.empty() ? "" : "; ") + w;
  }
  return make_error(
      Errc::truncated,
      strfmt("the input is incomplete%s%s",
             info.lost_from ? (": pages from PFN " + hex(*info.lost_from) + " on are lost").c_str()
                            : "",
             why.empty() ? "" : (" (" + why + ")").c_str()));
}

Status check_whole_set(const DumpInfo& info, const std::vector<std::string>& inputs) {
  const std::string first = inputs.empty() ? "<no input>" : inputs[0];
  if (info.split_range) {
    const auto [a, b] = *info.split_range;
    if (a == 0 && b >= info.max_pfn) return ok();
    return make_error(
        Errc::invalid_argument,
        strfmt("%s holds only PFNs %s-%s of %s: the other parts of the split "
               "set are missing",
               first.c_str(), hex(a).c_str(), hex(b).c_str(), hex(info.max_pfn).c_str()));
  }
  if (inputs.size() == 1) {
    return make_error(Errc::invalid_argument,
                      first + ": not a part of a split dump; give every part");
  }
  return ok();
}

Status PageSource::read_pages(Pfn first, std::span<std::byte> out,
                              std::span<PageState> states) const {
  const size_t ps = info().page_size;
  if (out.size() != states.size() * ps) {
    return make_error(Errc::invalid_argument,
                      strfmt("read_pages: buffer of %zu bytes for %zu pages of %zu", out.size(),
                             states.size(), ps));
  }
  for (size_t i = 0; i < states.size(); ++i) {
    DUMPFMT_TRY_ASSIGN(states[i], read_page(first + i, out.subspan(i * ps, ps)));
  }
  return ok();
}

}  // namespace dumpfmt
