// Identification: wrappers, kernel release (VMCOREINFO, header, init_uts_ns,
// memory scan, in that order of trust), CPUs, memory ranges, damage flags.
#include "identify.h"

#include <algorithm>

#include "common/cli.h"
#include "dumpfmt/compressed_file.h"
#include "dumpfmt/flattened.h"
#include "dumpfmt/kernel/vmcoreinfo.h"

namespace dumpfmt::dumpinfo {

Result<OpenedDump> open_for_info(const std::vector<std::string>& paths, const OpenOptions& oo,
                                 const std::function<void(uint64_t, uint64_t)>& progress) {
  OpenedDump d;
  std::vector<std::unique_ptr<File>> files;
  for (const auto& p : paths) {
    DUMPFMT_TRY_ASSIGN(auto f, open_input(p, oo.io));
    InputFile in;
    in.path = p;
    in.size = f->size();
    if (auto c = detect_whole_file_compression(*f); c != WholeFileCompression::none) {
      in.compression = std::string(whole_file_compression_name(c));
      DecompressOptions dopt;
      dopt.progress = progress;
      DUMPFMT_TRY_ASSIGN(f, open_decompressed(std::move(f), dopt));
    }
    in.flattened = is_flattened(*f);
    d.files.push_back(std::move(in));
    files.push_back(std::move(f));
  }
  DUMPFMT_TRY_ASSIGN(d.src, open_dump_files(std::move(files), oo));
  return d;
}

namespace {

void set(std::optional<std::string>& field, std::string& source, const std::string& value,
         const char* from) {
  if (field || value.empty()) return;
  field = value;
  source = from;
}

void identify_kernel(const OpenedDump& d, const KernelMemory* km, const IdentifyOptions& opts,
                     Identity& id) {
  KernelIdentity& k = id.kernel;
  const DumpInfo& info = id.info;
  if (info.vmcoreinfo) {
    const VmcoreInfo vmi = VmcoreInfo::parse(*info.vmcoreinfo);
    if (auto r = vmi.osrelease()) {
      k.osrelease = std::string(*r);
      set(k.release, k.release_source, std::string(*r), "VMCOREINFO OSRELEASE");
    }
    if (auto b = vmi.build_id()) k.build_id = std::string(*b);
  }
  set(k.release, k.release_source, info.uts.release, "kdump header utsname");
  set(k.version, k.version_source, info.uts.version, "kdump header utsname");
  if (!info.uts.nodename.empty()) k.nodename = info.uts.nodename;
  if (!info.uts.machine.empty()) k.machine = info.uts.machine;

  if (km && (!k.version || !k.nodename)) {
    if (auto u = read_kernel_utsname(*km)) {
      set(k.release, k.release_source, u->release, "init_uts_ns in memory");
      set(k.version, k.version_source, u->version, "init_uts_ns in memory");
      if (!k.nodename && !u->nodename.empty()) k.nodename = u->nodename;
      if (!k.machine) k.machine = u->machine;
    } else {
      id.warnings.push_back("kernel utsname not read from memory: " + u.error().message);
    }
  }

  // Only an unknown release justifies reading memory wholesale.
  if (!k.release || opts.force_scan) {
    auto scan = scan_kernel_release(*d.src, opts.scan);
    if (!scan) {
      id.warnings.push_back("memory scan for the kernel release failed: " + scan.error().message);
      return;
    }
    k.scan = std::move(*scan);
    const ReleaseScanResult& s = *k.scan;
    if (s.uts) {
      set(k.release, k.release_source, s.uts->release,
          ("memory scan: struct new_utsname at physical " + hex(s.uts_paddr)).c_str());
      set(k.version, k.version_source, s.uts->version,
          ("memory scan: struct new_utsname at physical " + hex(s.uts_paddr)).c_str());
      if (!k.nodename && !s.uts->nodename.empty()) k.nodename = s.uts->nodename;
      if (!k.machine) k.machine = s.uts->machine;
    }
    if (s.banner) {
      const std::string where = "memory scan: banner at physical " + hex(s.banner_paddr);
      set(k.release, k.release_source, banner_release(*s.banner).value_or(""), where.c_str());
      set(k.version, k.version_source, banner_version(*s.banner).value_or(""), where.c_str());
    }
    if (!s.release()) {
      id.warnings.push_back(
          strfmt("no kernel utsname or banner found in %s of memory%s",
                 cli::human_bytes(s.bytes_scanned).c_str(),
                 s.complete ? "" : " (the scan limit; --scan-limit all examines everything)"));
    } else if (k.osrelease && *s.release() != *k.osrelease) {
      id.warnings.push_back("the memory scan finds kernel release " + *s.release() +
                            " but VMCOREINFO says " + *k.osrelease);
    }
  }
}

}  // namespace

Identity identify(const OpenedDump& d, const KernelMemory* km, const IdentifyOptions& opts) {
  Identity id;
  id.files = d.files;
  const PageSource& src = *d.src;
  id.info = src.info();
  id.warnings = id.info.warnings;

  id.crash_time = id.info.crash_time;
  if (!id.crash_time && id.info.vmcoreinfo) {
    id.crash_time = VmcoreInfo::parse(*id.info.vmcoreinfo).crash_time();
  }
  identify_kernel(d, km, opts, id);

  id.cpus = decode_cpu_states(id.info.notes, id.info.arch, id.info.endian);
  // QEMU's dump-guest-memory adds "QEMU" notes; the sadump reader makes such
  // notes from SMRAM state too, but sadump is a real crash dump.
  const bool qemu =
      id.info.format != "sadump" && std::any_of(id.info.notes.begin(), id.info.notes.end(),
                                                [](const Note& n) { return n.name == "QEMU"; });
  id.crash_cpu = crashing_cpu(id.cpus, qemu, &id.crash_cpu_rule);

  const uint64_t ps = id.info.page_size;
  src.ram().for_each_run([&](Pfn a, Pfn b) { id.ram.push_back({a * ps, b * ps}); });
  id.ram_pages = src.ram().count();
  id.present_pages = src.present().count();
  return id;
}

}  // namespace dumpfmt::dumpinfo
