// Text and JSON rendering of identification, dmesg, mem-usage and verify
// results. Field names here are the JSON schema of dumpinfo(1): change both.
#include "report.h"

#include <ctime>

#include "common/cli.h"
#include "dumpfmt/enum_names.h"

namespace dumpfmt::dumpinfo {

namespace {

Json opt_str(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }
template <class T>
Json opt_num(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json opt_hex(const std::optional<uint64_t>& v) { return v ? Json(hex(*v)) : Json(nullptr); }

std::string endian_word(Endian e) { return e == Endian::little ? "little" : "big"; }

std::string or_dash(const std::optional<std::string>& s) { return s ? *s : "-"; }

// The registers of one CPU, `per_line` to a line, indented.
std::string register_lines(const CpuState& c, size_t per_line) {
  std::string s;
  for (size_t i = 0; i < c.regs.size(); ++i) {
    s += i % per_line == 0 ? "    " : "  ";
    s += strfmt("%-8s %-18s", c.regs[i].first.c_str(), hex(c.regs[i].second).c_str());
    if (i % per_line == per_line - 1 || i + 1 == c.regs.size()) {
      while (!s.empty() && s.back() == ' ') s.pop_back();
      s += "\n";
    }
  }
  return s;
}

void line(std::string& out, const char* label, const std::string& value) {
  out += strfmt("%-16s %s\n", label, value.c_str());
}

}  // namespace

std::string utc_time(int64_t seconds) {
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  if (!gmtime_r(&t, &tm)) return "?";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string identity_text(const Identity& id, size_t max_ranges) {
  const DumpInfo& in = id.info;
  std::string s;
  for (const auto& f : id.files) {
    std::string wrap;
    if (!f.compression.empty()) wrap += ", " + f.compression + "-compressed";
    if (f.flattened) wrap += ", flattened";
    line(s, "File:",
         strfmt("%s (%llu bytes%s)", f.path.c_str(), static_cast<unsigned long long>(f.size),
                wrap.c_str()));
  }
  line(s, "Format:", in.format + " (" + in.variant + ")");
  line(s, "Header version:", in.header_version ? std::to_string(*in.header_version) : "-");
  line(s, "Architecture:",
       strfmt("%s, %s-endian, %u-byte pages", std::string(arch_name(in.arch)).c_str(),
              endian_word(in.endian).c_str(), in.page_size));
  const KernelIdentity& k = id.kernel;
  line(s,
       "Kernel release:", k.release ? *k.release + " (from " + k.release_source + ")" : "unknown");
  line(s,
       "Kernel version:", k.version ? *k.version + " (from " + k.version_source + ")" : "unknown");
  line(s, "Machine:", or_dash(k.machine));
  line(s, "Node name:", or_dash(k.nodename));
  line(s, "Build ID:", or_dash(k.build_id));
  line(s, "Crash time:",
       id.crash_time
           ? utc_time(*id.crash_time) + strfmt(" (%lld)", static_cast<long long>(*id.crash_time))
           : "unknown");
  std::string cpus =
      strfmt("%u in the header/notes, %zu with saved registers", in.nr_cpus, id.cpus.size());
  line(s, "CPUs:", cpus);
  if (id.crash_cpu) {
    const CpuState& c = id.cpus[*id.crash_cpu];
    line(s, "Crashing CPU:", strfmt("%u, pid %d (%s)", c.index, c.pid, id.crash_cpu_rule.c_str()));
    s += register_lines(c, 3);
    for (const auto& o : id.cpus) {
      if (o.index == c.index) continue;
      std::string regs;
      if (o.pc) regs += "  pc " + hex(*o.pc);
      if (o.sp) regs += "  sp " + hex(*o.sp);
      line(s, "Other CPU:", strfmt("%u, pid %d%s", o.index, o.pid, regs.c_str()));
    }
  }
  uint64_t ram_bytes = 0;
  for (const auto& r : id.ram) ram_bytes += r.end - r.start;
  line(s, "Memory:",
       strfmt("%s of RAM in %zu range(s), %llu pages (%s) carried by the dump",
              cli::human_bytes(ram_bytes).c_str(), id.ram.size(),
              static_cast<unsigned long long>(id.present_pages),
              cli::human_bytes(id.present_pages * in.page_size).c_str()));
  for (size_t i = 0; i < id.ram.size(); ++i) {
    if (max_ranges && i == max_ranges) {
      s += strfmt("    ... %zu more (--all-ranges lists them)\n", id.ram.size() - i);
      break;
    }
    s += strfmt("    0x%016llx-0x%016llx  %s\n", static_cast<unsigned long long>(id.ram[i].start),
                static_cast<unsigned long long>(id.ram[i].end - 1),
                cli::human_bytes(id.ram[i].end - id.ram[i].start).c_str());
  }
  line(s, "Max PFN:", hex(in.max_pfn));
  line(s, "Dump level:", in.dump_level ? std::to_string(*in.dump_level) : "-");
  line(s, "Compression:", in.compression.empty() ? "-" : in.compression);
  if (in.split_range) {
    line(s, "Split part:",
         "PFNs " + hex(in.split_range->first) + "-" + hex(in.split_range->second) + " (half-open)");
  } else {
    line(s, "Split part:", "no");
  }
  std::string inc = in.incomplete ? "yes" : "no";
  if (in.lost_from) inc += ", data lost from PFN " + hex(*in.lost_from);
  line(s, "Incomplete:", inc);
  line(s, "VMCOREINFO:", in.vmcoreinfo ? strfmt("%zu bytes", in.vmcoreinfo->size()) : "none");
  if (in.eraseinfo.empty()) {
    line(s, "Eraseinfo:", "none");
  } else {
    line(s, "Eraseinfo:", strfmt("%zu bytes:", in.eraseinfo.size()));
    std::string e = in.eraseinfo;
    if (!e.empty() && e.back() != '\n') e += '\n';
    for (size_t p = 0; p < e.size();) {
      size_t nl = e.find('\n', p);
      s += "    " + e.substr(p, nl - p) + "\n";
      p = nl + 1;
    }
  }
  for (const auto& w : id.warnings) line(s, "Warning:", w);
  return s;
}

Json identity_json(const Identity& id) {
  const DumpInfo& in = id.info;
  Json j;
  j["schema_version"] = kJsonSchemaVersion;
  Json files = Json::array();
  for (const auto& f : id.files) {
    files.push_back({{"path", f.path},
                     {"size", f.size},
                     {"compression", f.compression.empty() ? Json(nullptr) : Json(f.compression)},
                     {"flattened", f.flattened}});
  }
  j["files"] = files;
  j["format"] = in.format;
  j["variant"] = in.variant;
  j["header_version"] = opt_num(in.header_version);
  j["arch"] = std::string(arch_name(in.arch));
  j["byte_order"] = endian_word(in.endian);
  j["page_size"] = in.page_size;
  const KernelIdentity& k = id.kernel;
  Json kj;
  kj["release"] = opt_str(k.release);
  kj["release_source"] = k.release ? Json(k.release_source) : Json(nullptr);
  kj["version"] = opt_str(k.version);
  kj["version_source"] = k.version ? Json(k.version_source) : Json(nullptr);
  kj["machine"] = opt_str(k.machine);
  kj["nodename"] = opt_str(k.nodename);
  kj["build_id"] = opt_str(k.build_id);
  kj["vmcoreinfo_osrelease"] = opt_str(k.osrelease);
  if (k.scan) {
    const ReleaseScanResult& sc = *k.scan;
    Json sj;
    sj["release"] = opt_str(sc.release());
    if (sc.uts) {
      sj["utsname"] = {{"paddr", hex(sc.uts_paddr)},      {"sysname", sc.uts->sysname},
                       {"nodename", sc.uts->nodename},    {"release", sc.uts->release},
                       {"version", sc.uts->version},      {"machine", sc.uts->machine},
                       {"domainname", sc.uts->domainname}};
    } else {
      sj["utsname"] = nullptr;
    }
    sj["banner"] =
        sc.banner ? Json({{"paddr", hex(sc.banner_paddr)}, {"text", *sc.banner}}) : Json(nullptr);
    sj["bytes_scanned"] = sc.bytes_scanned;
    sj["complete"] = sc.complete;
    kj["scan"] = sj;
  } else {
    kj["scan"] = nullptr;
  }
  j["kernel"] = kj;
  if (id.crash_time) {
    j["crash_time"] = {{"seconds", *id.crash_time}, {"utc", utc_time(*id.crash_time)}};
  } else {
    j["crash_time"] = nullptr;
  }
  Json cj;
  cj["count"] = in.nr_cpus;
  cj["crashing"] = id.crash_cpu ? Json(id.cpus[*id.crash_cpu].index) : Json(nullptr);
  cj["crashing_rule"] = id.crash_cpu ? Json(id.crash_cpu_rule) : Json(nullptr);
  Json states = Json::array();
  for (const auto& c : id.cpus) {
    Json regs = Json::object();
    for (const auto& [name, v] : c.regs) regs[name] = hex(v);
    states.push_back({{"index", c.index},
                      {"pid", c.pid},
                      {"pc", opt_hex(c.pc)},
                      {"sp", opt_hex(c.sp)},
                      {"registers", regs}});
  }
  cj["states"] = states;
  j["cpus"] = cj;
  Json mj;
  Json ranges = Json::array();
  uint64_t ram_bytes = 0;
  for (const auto& r : id.ram) {
    ranges.push_back({{"start", hex(r.start)}, {"end", hex(r.end)}, {"bytes", r.end - r.start}});
    ram_bytes += r.end - r.start;
  }
  mj["max_pfn"] = in.max_pfn;
  mj["ram_ranges"] = ranges;
  mj["ram_bytes"] = ram_bytes;
  mj["ram_pages"] = id.ram_pages;
  mj["present_pages"] = id.present_pages;
  mj["present_bytes"] = id.present_pages * in.page_size;
  j["memory"] = mj;
  j["dump_level"] = opt_num(in.dump_level);
  j["compression"] = in.compression.empty() ? Json(nullptr) : Json(in.compression);
  j["split"] =
      in.split_range
          ? Json({{"start_pfn", in.split_range->first}, {"end_pfn", in.split_range->second}})
          : Json(nullptr);
  j["incomplete"] = in.incomplete;
  j["lost_from_pfn"] = opt_num(in.lost_from);
  j["eraseinfo"] = in.eraseinfo.empty() ? Json(nullptr) : Json(in.eraseinfo);
  j["vmcoreinfo_bytes"] = in.vmcoreinfo ? Json(in.vmcoreinfo->size()) : Json(nullptr);
  j["warnings"] = id.warnings;
  return j;
}

Json dmesg_json(const Dmesg& d, const DmesgFormat& f) {
  Json j;
  j["layout"] = std::string(printk_layout_name(d.layout));
  Json recs = Json::array();
  for (const auto& r : d.records) {
    recs.push_back({{"seq", r.seq},
                    {"ts_nsec", r.ts_nsec},
                    {"caller_id", opt_num(r.caller_id)},
                    {"text", r.text}});
  }
  j["records"] = recs;
  j["text"] = format_dmesg(d, f);
  j["warnings"] = d.warnings;
  return j;
}

Json mem_usage_json(const MemUsage& u) {
  Json j;
  j["page_size"] = u.page_size;
  j["classified"] = u.classified;
  j["not_classified_why"] = u.classified ? Json(nullptr) : Json(u.not_classified_why);
  Json pages;
  for (PageClass c :
       {PageClass::zero, PageClass::cache, PageClass::cache_private, PageClass::user,
        PageClass::free, PageClass::hwpoison, PageClass::offline, PageClass::kernel}) {
    pages[std::string(page_class_name(c))] = u.classes[c];
  }
  pages["not_in_dump"] = u.not_in_dump;
  j["pages"] = pages;
  j["beyond_mem_map"] = u.beyond_mem_map;
  j["total_pages"] = u.total;
  j["total_bytes"] = u.total * u.page_size;
  j["warnings"] = u.warnings;
  return j;
}

std::string verify_text(const VerifyReport& r) {
  std::string s;
  for (const auto& w : r.reader_warnings) s += "verify: note: " + w + "\n";
  for (const auto& f : r.failures) {
    s += "verify: PFN " + hex(f.pfn) + ": " + f.message + "\n";
  }
  if (r.pages_failed > r.failures.size()) {
    s += strfmt("verify: ... and %llu more\n",
                static_cast<unsigned long long>(r.pages_failed - r.failures.size()));
  }
  if (r.ok()) {
    s += strfmt("verify: OK: %llu pages read, every one decodes\n",
                static_cast<unsigned long long>(r.pages_checked));
    return s;
  }
  std::string why;
  if (r.pages_failed) {
    why =
        strfmt("%llu of %llu pages do not decode", static_cast<unsigned long long>(r.pages_failed),
               static_cast<unsigned long long>(r.pages_checked));
  }
  if (r.incomplete || r.lost_from) {
    if (!why.empty()) why += "; ";
    why += r.incomplete ? "the dump is incomplete" : "the dump has lost pages";
    if (r.lost_from) why += ", data lost from PFN " + hex(*r.lost_from);
  }
  s += "verify: FAILED: " + why;
  if (r.first_bad) s += "; first bad PFN " + hex(*r.first_bad);
  s += "; last good PFN " + (r.last_good ? hex(*r.last_good) : std::string("none"));
  if (!r.failures.empty() && r.failures.front().pfn == r.first_bad) {
    s += " (" + r.failures.front().message + ")";
  }
  s += "\n";
  return s;
}

Json verify_json(const VerifyReport& r) {
  Json j;
  j["ok"] = r.ok();
  j["pages_checked"] = r.pages_checked;
  j["pages_failed"] = r.pages_failed;
  j["incomplete"] = r.incomplete;
  j["lost_from_pfn"] = opt_num(r.lost_from);
  j["first_bad_pfn"] = opt_num(r.first_bad);
  j["last_good_pfn"] = opt_num(r.last_good);
  Json fails = Json::array();
  for (const auto& f : r.failures) fails.push_back({{"pfn", f.pfn}, {"message", f.message}});
  j["failures"] = fails;
  j["open_error"] = nullptr;
  j["notes"] = r.reader_warnings;
  return j;
}

std::string verify_open_failure_text(const Error& e) {
  return "verify: FAILED: the dump cannot be opened: " + e.message + "\n";
}

Json verify_open_failure_json(const Error& e) {
  Json j;
  j["ok"] = false;
  j["pages_checked"] = 0;
  j["pages_failed"] = 0;
  j["incomplete"] = false;
  j["lost_from_pfn"] = nullptr;
  j["first_bad_pfn"] = nullptr;
  j["last_good_pfn"] = nullptr;
  j["failures"] = Json::array();
  j["open_error"] = error_json(e);
  j["notes"] = Json::array();
  return j;
}

// Stable identifiers for the JSON (errc_name() is for humans).
std::string_view errc_id(Errc c) {
  static constexpr EnumName<Errc> kIds[] = {{Errc::io, "io"},
                                            {Errc::truncated, "truncated"},
                                            {Errc::corrupt, "corrupt"},
                                            {Errc::unknown_format, "unknown_format"},
                                            {Errc::unsupported, "unsupported"},
                                            {Errc::not_built, "not_built"},
                                            {Errc::invalid_argument, "invalid_argument"},
                                            {Errc::no_data, "no_data"}};
  return enum_name(c, kIds, "io");
}

Json error_json(const Error& e) { return {{"code", errc_id(e.code)}, {"message", e.message}}; }

}  // namespace dumpfmt::dumpinfo
