// dumpinfo end to end on dumps made by dumpgen (independent of libdumpfmt's
// writers): identification of every form (ELF, kdump, flattened, split, s390,
// sadump, gzip/zstd/lz4-wrapped) checked field by field through the JSON,
// parsed with nlohmann; VMCOREINFO byte for byte; the kernel log of a
// synthetic kernel, also against makedumpfile; mem-usage; verify verdicts
// and offsets on truncated and bit-flipped copies; usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "dumpgen.h"
#include "printk_ring_builder.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;
const std::string kRelease = "6.1.0-synthetic";
const std::string kVersion = "#7 SMP PREEMPT_DYNAMIC dumpinfo test";
const std::string kBuildId = "0123456789abcdef0123456789abcdef01234567";

std::string hexs(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

struct Proc {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool have_program(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

// A struct new_utsname: six zero-filled char[65].
std::vector<uint8_t> utsname(const std::string& release, const std::string& version) {
  std::vector<uint8_t> b(390, 0);
  const std::string f[6] = {"Linux", "synth", release, version, "x86_64", "(none)"};
  for (int i = 0; i < 6; ++i) std::memcpy(b.data() + 65 * i, f[i].data(), f[i].size());
  return b;
}

// Memory of a small x86_64 kernel: kRamPages of RAM holding pattern pages, the
// kernel image (phys_base 0) holding init_uts_ns, page tables mapping the
// image, and the lockless printk ring of printk_ring_builder.h.
struct SyntheticKernel {
  static constexpr uint64_t kRamPages = 0x3000;  // 48 MiB
  static constexpr uint64_t kUtsNs = 0xffffffff81e00000ULL;
  static constexpr uint64_t kTopPgt = 0xffffffff81c00000ULL;
  static constexpr uint64_t kMemMap = 0xffffffff81f00000ULL;  // FLATMEM: struct page *mem_map
  printk_ring::FakeMemory mem;
  printk_ring::Lockless ring{8, printk_ring::kBase};
  printk_ring::Records records;  // the 3.5-5.9 layout instead, when `old_log`
  bool old_log;

  explicit SyntheticKernel(bool old_printk_log = false) : old_log(old_printk_log) {
    if (old_log) {
      printk_ring::build_records(mem, records);
    } else {
      printk_ring::build_lockless(mem, ring);
    }
    auto u = utsname(kRelease, kVersion);
    mem.put(kUtsNs + 4, u.data(), u.size());  // after the kref
    // makedumpfile walks the page tables even for the kernel image: PGD[511]
    // -> PUD[510] -> 2 MiB pages mapping the first GiB of the image to 0.
    const uint64_t pud = kTopPgt + 0x1000, pmd = kTopPgt + 0x2000;
    mem.put_int<uint64_t>(kTopPgt + 511 * 8, (pud - kStartKernelMap) | 0x63);
    mem.put_int<uint64_t>(pud + 510 * 8, (pmd - kStartKernelMap) | 0x63);
    for (uint64_t i = 0; i < 512; ++i) mem.put_int<uint64_t>(pmd + i * 8, (i << 21) | 0xe3);
    // makedumpfile wants to know the memory model even for the log.
    mem.put_int<uint64_t>(kMemMap, 0xffffffff82800000ULL);
  }
  std::string vmcoreinfo() const {
    std::string ring_keys = old_log ? records.vmcoreinfo() : ring.vmcoreinfo();
    ring_keys.erase(0, ring_keys.find('\n') + 1);  // the builder's own OSRELEASE line
    return "OSRELEASE=" + kRelease + "\nBUILD-ID=" + kBuildId + "\nPAGESIZE=4096\n" +
           "SYMBOL(init_uts_ns)=" + hexs(kUtsNs).substr(2) + "\nOFFSET(uts_namespace.name)=4\n" +
           "SYMBOL(_stext)=ffffffff81000000\nSYMBOL(init_top_pgt)=" + hexs(kTopPgt).substr(2) +
           "\nNUMBER(pgtable_l5_enabled)=0\nSYMBOL(mem_map)=" + hexs(kMemMap).substr(2) +
           "\nSIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
           "OFFSET(page.mapping)=24\n" +
           ring_keys + "NUMBER(phys_base)=0\nKERNELOFFSET=0\nCRASHTIME=1790000000\n";
  }
  // The dump: special pages as bytes, the rest of RAM in pattern segments.
  dumpgen::DumpSpec spec(dumpgen::Format f) const {
    dumpgen::DumpSpec s;
    s.format = f;
    s.nr_cpus = 2;
    s.vmcoreinfo = vmcoreinfo();
    s.uts.release = kRelease;
    s.elf.vaddr = dumpgen::Vaddr::phys;
    std::set<uint64_t> special;
    for (const auto& [vpn, bytes] : mem.pages()) {
      const uint64_t pfn = ((vpn << 12) - kStartKernelMap) >> 12;
      dumpgen::PageSpec p = dumpgen::page(pfn, dumpgen::PageKind::bytes);
      p.bytes.assign(reinterpret_cast<const uint8_t*>(bytes.data()),
                     reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size());
      s.pages.push_back(std::move(p));
      special.insert(pfn);
    }
    uint64_t run = 0;
    for (uint64_t pfn = 0; pfn <= kRamPages; ++pfn) {
      if (pfn == kRamPages || special.count(pfn)) {
        if (pfn > run)
          s.segments.push_back({run * 4096, (pfn - run) * 4096, dumpgen::Fill::pattern, 1});
        run = pfn + 1;
      }
    }
    return s;
  }
};

class DumpinfoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "dumpinfo-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    dumpgen::write_file(path(name), bytes);
    return path(name);
  }
  // Runs `program args`, capturing stdout and stderr.
  Proc run_program(const std::string& program, const std::string& args) const {
    const std::string out = path("stdout"), err = path("stderr");
    const std::string cmd = program + " " + args + " >" + out + " 2>" + err;
    Proc r;
    int st = std::system(cmd.c_str());
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  Proc run(const std::string& args) const { return run_program(DUMPINFO_BIN, "-q " + args); }
  Json run_json(const std::string& args, int expect_status = 0) const {
    Proc r = run("--json " + args);
    EXPECT_EQ(r.status, expect_status) << r.err;
    try {
      return Json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out;
      return Json();
    }
  }

  std::string dir_;
};

// The facts a DumpSpec fixes, as dumpinfo's JSON must give them.
void expect_identity(const Json& j, const dumpgen::DumpSpec& s, const std::string& format) {
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["format"], format);
  EXPECT_EQ(j["page_size"], s.page_size);
  EXPECT_EQ(j["byte_order"], s.byte_order() == dumpgen::Endian::little ? "little" : "big");
  EXPECT_EQ(j["kernel"]["release"], kRelease);
  EXPECT_EQ(j["kernel"]["vmcoreinfo_osrelease"], kRelease);
  EXPECT_EQ(j["kernel"]["build_id"], kBuildId);
  EXPECT_EQ(j["crash_time"]["seconds"],
            s.format == dumpgen::Format::kdump ? s.crash_time : 1790000000);
  EXPECT_EQ(j["cpus"]["count"], s.nr_cpus);
  ASSERT_EQ(j["cpus"]["states"].size(), static_cast<size_t>(s.nr_cpus));
  for (int c = 0; c < s.nr_cpus; ++c) {
    const Json& st = j["cpus"]["states"][static_cast<size_t>(c)];
    EXPECT_EQ(st["pid"], c + 1);  // dumpgen's pr_pid
    if (s.arch == "x86_64") {
      EXPECT_EQ(st["registers"]["r15"], hexs(dumpgen::prstatus_reg(c, 0)));
      EXPECT_EQ(st["registers"]["rip"], hexs(dumpgen::prstatus_reg(c, 16)));
      EXPECT_EQ(st["pc"], hexs(dumpgen::prstatus_reg(c, 16)));
      EXPECT_EQ(st["sp"], hexs(dumpgen::prstatus_reg(c, 19)));
      EXPECT_EQ(st["registers"].size(), 27u);
    }
  }
  EXPECT_EQ(j["cpus"]["crashing"], 0);
}

TEST_F(DumpinfoCli, IdentifiesElfKdumpAndFlattened) {
  SyntheticKernel k;
  struct Case {
    const char* name;
    dumpgen::Format format;
    bool flat;
    int version;
  };
  for (const Case& c : {Case{"elf", dumpgen::Format::elf, false, 0},
                        Case{"kdump", dumpgen::Format::kdump, false, 6},
                        Case{"kdump-v5", dumpgen::Format::kdump, false, 5},
                        Case{"flat", dumpgen::Format::kdump, true, 6}}) {
    SCOPED_TRACE(c.name);
    dumpgen::DumpSpec s = k.spec(c.format);
    s.flat.enabled = c.flat;
    s.kdump.header_version = c.version;
    s.kdump.dump_level = 17;
    s.eraseinfo = "erase modules.secret size 16\n";
    const std::string f = write(c.name, dumpgen::generate(s));
    Json j = run_json(f);
    expect_identity(j, s, c.format == dumpgen::Format::elf ? "elf" : "kdump");
    EXPECT_EQ(j["files"][0]["path"], f);
    EXPECT_EQ(j["files"][0]["flattened"], c.flat);
    EXPECT_TRUE(j["files"][0]["compression"].is_null());
    EXPECT_EQ(j["arch"], "x86_64");
    // kdump headers carry dumpgen's utsname; ELF dumps need the kernel's own.
    EXPECT_EQ(j["kernel"]["version"],
              c.format == dumpgen::Format::kdump ? s.uts.version : kVersion);
    EXPECT_EQ(j["kernel"]["machine"], "x86_64");
    EXPECT_EQ(j["eraseinfo"], s.eraseinfo);
    EXPECT_EQ(j["incomplete"], false);
    EXPECT_TRUE(j["split"].is_null());
    EXPECT_EQ(j["memory"]["ram_ranges"].size(), 1u);
    EXPECT_EQ(j["memory"]["ram_ranges"][0]["start"], "0x0");
    EXPECT_EQ(j["memory"]["ram_ranges"][0]["end"], hexs(SyntheticKernel::kRamPages * 4096));
    EXPECT_EQ(j["memory"]["present_pages"], SyntheticKernel::kRamPages);
    if (c.format == dumpgen::Format::kdump) {
      EXPECT_EQ(j["header_version"], c.version);
      EXPECT_EQ(j["dump_level"], 17);
      EXPECT_EQ(j["compression"], "zlib");
      EXPECT_EQ(j["kernel"]["release_source"], "VMCOREINFO OSRELEASE");
    } else {
      EXPECT_TRUE(j["header_version"].is_null());
      EXPECT_TRUE(j["dump_level"].is_null());
      EXPECT_EQ(j["kernel"]["version_source"], "init_uts_ns in memory");
    }
    // Text mode names the same facts.
    Proc t = run(f);
    EXPECT_EQ(t.status, 0) << t.err;
    EXPECT_NE(t.out.find("Kernel release:  " + kRelease + " (from VMCOREINFO OSRELEASE)"),
              std::string::npos)
        << t.out;
    EXPECT_NE(t.out.find("Crashing CPU:    0, pid 1"), std::string::npos) << t.out;
  }
}

// struct elf_prstatus of other architectures: dumpgen fills register i of CPU c
// with prstatus_reg(c, i) (cut to 32 bits in 32-bit dumps).
TEST_F(DumpinfoCli, RegistersOfOtherArchitectures) {
  struct Case {
    const char* arch;
    const char* pc;
    int pc_index;
    const char* sp;
    int sp_index;
    size_t count;
  };
  for (const Case& c :
       {Case{"aarch64", "pc", 32, "sp", 31, 34}, Case{"i386", "eip", 12, "esp", 15, 17},
        Case{"arm", "pc", 15, "sp", 13, 18}, Case{"ppc64", "nip", 32, "r1", 1, 44},
        Case{"riscv64", "pc", 0, "sp", 2, 32}}) {
    SCOPED_TRACE(c.arch);
    dumpgen::DumpSpec s = dumpgen::simple_spec(dumpgen::Format::elf, 8);
    s.arch = c.arch;
    s.nr_cpus = 3;
    const bool is32 = s.bits() == 32;
    auto reg = [&](int cpu, int i) {
      const uint64_t v = dumpgen::prstatus_reg(cpu, i);
      return hexs(is32 ? v & 0xffffffffu : v);
    };
    Json j = run_json(write(c.arch, dumpgen::generate(s)));
    ASSERT_EQ(j["cpus"]["states"].size(), 3u) << j.dump(1);
    for (int cpu = 0; cpu < 3; ++cpu) {
      const Json& st = j["cpus"]["states"][static_cast<size_t>(cpu)];
      EXPECT_EQ(st["pid"], cpu + 1);
      EXPECT_EQ(st["registers"][c.pc], reg(cpu, c.pc_index));
      EXPECT_EQ(st["pc"], reg(cpu, c.pc_index));
      EXPECT_EQ(st["sp"], reg(cpu, c.sp_index));
      EXPECT_EQ(st["registers"].size(), c.count);
    }
  }
}

TEST_F(DumpinfoCli, WholeFileCompressedDumps) {
  SyntheticKernel k;
  dumpgen::DumpSpec s = k.spec(dumpgen::Format::kdump);
  const std::string f = write("vmcore", dumpgen::generate(s));
  struct Tool {
    const char* program;
    const char* name;
    const char* cmd;
  };
  int tried = 0;
  for (const Tool& t : {Tool{"gzip", "gzip", "gzip -c"}, Tool{"zstd", "zstd", "zstd -q -c"},
                        Tool{"lz4", "lz4", "lz4 -q -c"}}) {
    if (!have_program(t.program)) continue;
    ++tried;
    SCOPED_TRACE(t.name);
    const std::string z = path(std::string("vmcore.") + t.name);
    ASSERT_EQ(std::system((std::string(t.cmd) + " " + f + " >" + z).c_str()), 0);
    Json j = run_json(z);
    expect_identity(j, s, "kdump");
    EXPECT_EQ(j["files"][0]["compression"], t.name);
    EXPECT_EQ(j["files"][0]["size"], fs::file_size(z));
    Proc v = run("--verify " + z);
    EXPECT_EQ(v.status, 0) << v.out << v.err;
  }
  if (!tried) GTEST_SKIP() << "no gzip, zstd or lz4 program";
}

TEST_F(DumpinfoCli, SplitSetAndOnePart) {
  SyntheticKernel k;
  dumpgen::DumpSpec s = k.spec(dumpgen::Format::kdump);
  auto parts = dumpgen::write_split_files(s, 3, path("split"));
  Json j = run_json(parts[0] + " " + parts[1] + " " + parts[2]);
  expect_identity(j, s, "kdump");
  EXPECT_EQ(j["files"].size(), 3u);
  EXPECT_EQ(j["memory"]["present_pages"], SyntheticKernel::kRamPages);
  Proc v = run("--verify " + parts[0] + " " + parts[1] + " " + parts[2]);
  EXPECT_EQ(v.status, 0) << v.out << v.err;
  Json one = run_json(parts[1]);
  ASSERT_TRUE(one["split"].is_object()) << one.dump(1);
  EXPECT_GT(one["split"]["end_pfn"], one["split"]["start_pfn"]);
}

TEST_F(DumpinfoCli, VmcoreinfoByteForByte) {
  SyntheticKernel k;
  for (auto f : {dumpgen::Format::elf, dumpgen::Format::kdump}) {
    dumpgen::DumpSpec s = k.spec(f);
    const std::string p = write("d", dumpgen::generate(s));
    Proc r = run("--vmcoreinfo " + p);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, *s.vmcoreinfo);
    Json j = run_json("--vmcoreinfo " + p);
    EXPECT_EQ(j["vmcoreinfo"], *s.vmcoreinfo);
    EXPECT_EQ(j["vmcoreinfo_bytes"], s.vmcoreinfo->size());
  }
  dumpgen::DumpSpec none = dumpgen::simple_spec(dumpgen::Format::elf, 16);
  none.with_vmcoreinfo = false;
  Proc r = run("--vmcoreinfo " + write("none", dumpgen::generate(none)));
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("no VMCOREINFO"), std::string::npos) << r.err;
}

TEST_F(DumpinfoCli, DmesgOfASyntheticKernel) {
  const bool mdf = have_program("makedumpfile");
  for (bool old_log : {false, true}) {
    SyntheticKernel k(old_log);
    const std::string& expect = old_log ? printk_ring::kRecordsText : printk_ring::kLocklessText;
    for (auto f : {dumpgen::Format::elf, dumpgen::Format::kdump}) {
      SCOPED_TRACE(std::string(old_log ? "printk_log " : "lockless ") +
                   (f == dumpgen::Format::elf ? "elf" : "kdump"));
      const std::string p = write("k", dumpgen::generate(k.spec(f)));
      Proc r = run("--dmesg " + p);
      EXPECT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(r.out, expect);
      Json j = run_json("--dmesg " + p);
      EXPECT_EQ(j["dmesg"]["layout"], old_log ? "records" : "lockless");
      EXPECT_EQ(j["dmesg"]["text"], expect);
      ASSERT_EQ(j["dmesg"]["records"].size(), 4u);
      EXPECT_EQ(j["dmesg"]["records"][1]["text"], old_log ? "second\nline" : "line1\nline2");
      if (mdf) {
        // makedumpfile reads the same buffer from the same file.
        const std::string out = path("mdf-dmesg.txt");
        fs::remove(out);
        Proc m = run_program("makedumpfile", "--dump-dmesg " + p + " " + out);
        ASSERT_EQ(m.status, 0) << m.out << m.err;
        EXPECT_EQ(slurp(out), r.out);
      }
    }
  }
  if (!mdf) GTEST_SKIP() << "makedumpfile not installed: compared with the expected text only";
}

TEST_F(DumpinfoCli, DmesgNeedsVmcoreinfo) {
  dumpgen::DumpSpec s = dumpgen::simple_spec(dumpgen::Format::kdump, 16);
  s.with_vmcoreinfo = false;
  const std::string p = write("novmci", dumpgen::generate(s));
  Proc r = run("--dmesg " + p);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("dmesg:"), std::string::npos) << r.err;
  Json j = run_json("--dmesg " + p, 1);
  EXPECT_TRUE(j["dmesg"]["error"].is_object()) << j.dump(1);
  EXPECT_EQ(j["format"], "kdump");  // identification is still there
}

// s390 and sadump carry no VMCOREINFO: the release comes from the memory scan.
TEST_F(DumpinfoCli, S390AndSadumpReleaseFromMemory) {
  const std::string banner = "Linux version " + kRelease + " (dev@host) (gcc 12) " + kVersion;
  auto spec_with = [&](const std::string& arch) {
    dumpgen::DumpSpec s;
    s.arch = arch;
    s.nr_cpus = 2;
    s.segments.push_back({0, 64 * 4096, dumpgen::Fill::pattern, 1});
    dumpgen::PageSpec u = dumpgen::page(70, dumpgen::PageKind::bytes);
    u.bytes.assign(100, 0xee);
    auto un = utsname(kRelease, kVersion);
    u.bytes.insert(u.bytes.end(), un.begin(), un.end());
    u.bytes.insert(u.bytes.end(), banner.begin(), banner.end());
    u.bytes.push_back('\n');
    u.bytes.push_back(0);
    s.pages.push_back(u);
    s.segments.push_back({71 * 4096, 57 * 4096, dumpgen::Fill::pattern, 1});
    s.pages.push_back(dumpgen::page(64));
    for (uint64_t p = 65; p < 70; ++p) s.pages.push_back(dumpgen::page(p, dumpgen::PageKind::zero));
    return s;
  };
  {
    dumpgen::DumpSpec s = spec_with("s390x");
    dumpgen::S390Options o;
    o.cpu_prefixes = {0x10000, 0x12000};
    auto files = dumpgen::generate_s390(s, o);
    const std::string p = write("s390", files.at(0));
    Json j = run_json(p);
    EXPECT_EQ(j["format"], "s390");
    EXPECT_EQ(j["arch"], "s390x");
    EXPECT_EQ(j["byte_order"], "big");
    EXPECT_EQ(j["kernel"]["release"], kRelease);
    EXPECT_EQ(j["kernel"]["version"], kVersion);
    EXPECT_NE(j["kernel"]["release_source"].get<std::string>().find(
                  "memory scan: struct new_utsname at physical " + hexs(70 * 4096 + 100)),
              std::string::npos)
        << j["kernel"].dump(1);
    EXPECT_EQ(j["kernel"]["scan"]["banner"]["paddr"], hexs(70 * 4096 + 100 + 390));
    ASSERT_EQ(j["cpus"]["states"].size(), 2u);
    EXPECT_EQ(j["cpus"]["states"][1]["registers"]["psw_addr"], hexs(dumpgen::prstatus_reg(1, 101)));
    EXPECT_EQ(j["cpus"]["states"][1]["registers"]["r15"], hexs(dumpgen::prstatus_reg(1, 15)));
  }
  for (auto variant : {dumpgen::SadumpVariant::single, dumpgen::SadumpVariant::media}) {
    dumpgen::DumpSpec s = spec_with("x86_64");
    dumpgen::SadumpOptions o;
    o.variant = variant;
    auto files = dumpgen::generate_sadump(s, o);
    const std::string p = write("sadump", files.at(0));
    Json j = run_json(p);
    EXPECT_EQ(j["format"], "sadump");
    EXPECT_EQ(j["kernel"]["release"], kRelease);
    EXPECT_EQ(j["kernel"]["scan"]["utsname"]["paddr"], hexs(70 * 4096 + 100));
    ASSERT_EQ(j["cpus"]["states"].size(), 2u);
    EXPECT_EQ(j["cpus"]["states"][0]["registers"]["rip"], hexs(dumpgen::prstatus_reg(0, 16)));
    Proc v = run("--verify " + p);
    EXPECT_EQ(v.status, 0) << v.out << v.err;
  }
  // A scan limit below the utsname finds nothing, and says so.
  dumpgen::DumpSpec s = spec_with("x86_64");
  const std::string p = write("sadump-limit", dumpgen::generate_sadump(s, {}).at(0));
  Json j = run_json("--scan-limit 64K " + p);
  EXPECT_TRUE(j["kernel"]["release"].is_null());
  EXPECT_EQ(j["kernel"]["scan"]["bytes_scanned"], 65536);
  EXPECT_EQ(j["kernel"]["scan"]["complete"], false);
}

TEST_F(DumpinfoCli, MemUsageWithoutVmcoreinfoCountsZeroPages) {
  dumpgen::DumpSpec s = dumpgen::simple_spec(dumpgen::Format::kdump, 100);
  s.with_vmcoreinfo = false;
  for (uint64_t p = 0; p < 100; p += 4) s.pages[p].kind = dumpgen::PageKind::zero;
  const std::string p = write("zeros", dumpgen::generate(s));
  Json j = run_json("--mem-usage " + p);
  EXPECT_EQ(j["mem_usage"]["classified"], false);
  EXPECT_EQ(j["mem_usage"]["pages"]["zero"], 25);
  EXPECT_EQ(j["mem_usage"]["pages"]["kernel"], 75);
  EXPECT_EQ(j["mem_usage"]["total_pages"], 100);
  Proc r = run("--mem-usage " + p);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("ZERO\t\t25              \tyes\t\tPages filled with zero\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Total pages on system:\t100             \n"), std::string::npos);
}

TEST_F(DumpinfoCli, VerifyVerdictsAndOffsets) {
  dumpgen::DumpSpec s = dumpgen::simple_spec(dumpgen::Format::kdump, 400);
  const std::vector<uint8_t> good = dumpgen::generate(s);
  const std::string g = write("good", good);
  Proc ok = run("--verify " + g);
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.out, "verify: OK: 400 pages read, every one decodes\n");

  // A bit flip inside the compressed data of PFN 250.
  const auto map = dumpgen::page_map(s);
  const dumpgen::PageInfo& pi = map.at(250);
  ASSERT_EQ(pi.pfn, 250u);
  ASSERT_NE(pi.flags, 0u);  // stored compressed
  std::vector<uint8_t> flipped = good;
  flipped.at(pi.offset + pi.size / 2) ^= 0x04;
  const std::string f = write("flipped", flipped);
  Proc bad = run("--verify " + f);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("FAILED: 1 of 400 pages do not decode; first bad PFN 0xfa; last good PFN "
                         "0xf9"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find(f + ": offset " + hexs(pi.offset) + ": PFN 0xfa"), std::string::npos)
      << bad.out;
  Json j = run_json("--verify " + f, 1);
  EXPECT_EQ(j["verify"]["ok"], false);
  EXPECT_EQ(j["verify"]["first_bad_pfn"], 250);
  EXPECT_EQ(j["verify"]["last_good_pfn"], 249);
  EXPECT_EQ(j["verify"]["failures"][0]["pfn"], 250);

  // Cut inside the data of PFN 300: data is lost from there on.
  const dumpgen::PageInfo& cut_at = map.at(300);
  std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(cut_at.offset + 10));
  const std::string t = write("truncated", cut);
  Proc tr = run("--verify " + t);
  EXPECT_EQ(tr.status, 1);
  EXPECT_NE(tr.out.find("data lost from PFN 0x12c; first bad PFN 0x12c; last good PFN 0x12b"),
            std::string::npos)
      << tr.out;
  EXPECT_NE(tr.out.find(t + ": the file ends at offset " + hexs(cut.size())), std::string::npos)
      << tr.out;

  // An ELF cut in a segment, and a dump marked incomplete by its writer.
  dumpgen::DumpSpec e = dumpgen::simple_spec(dumpgen::Format::elf, 100);
  e.truncate_bytes = 4096 * 40 + 123;
  Proc te = run("--verify " + write("cut.elf", dumpgen::generate(e)));
  EXPECT_EQ(te.status, 1);
  EXPECT_NE(te.out.find("ends at offset " + hexs(*e.truncate_bytes)), std::string::npos) << te.out;
  dumpgen::DumpSpec inc = dumpgen::simple_spec(dumpgen::Format::kdump, 100);
  inc.incomplete_after_pfn = 60;
  const std::string ip = write("incomplete", dumpgen::generate(inc));
  Json ij = run_json(ip);
  EXPECT_EQ(ij["incomplete"], true);
  EXPECT_EQ(ij["lost_from_pfn"], 61);
  Proc ir = run("--verify " + ip);
  EXPECT_EQ(ir.status, 1);
  EXPECT_NE(ir.out.find("the dump is incomplete, data lost from PFN 0x3d; first bad PFN 0x3d; "
                        "last good PFN 0x3c"),
            std::string::npos)
      << ir.out;

  // Not a dump at all.
  const std::string junk = write("junk", std::vector<uint8_t>(8192, 0x5a));
  Proc jr = run("--verify " + junk);
  EXPECT_EQ(jr.status, 1);
  EXPECT_NE(jr.out.find("verify: FAILED: the dump cannot be opened: " + junk), std::string::npos)
      << jr.out;
  Json jj = run_json("--verify " + junk, 1);
  EXPECT_EQ(jj["verify"]["ok"], false);
  EXPECT_EQ(jj["error"]["code"], "unknown_format");
}

TEST_F(DumpinfoCli, UsageAndErrors) {
  EXPECT_EQ(run("").status, 2);
  EXPECT_EQ(run("--no-such-option x").status, 2);
  const std::string p =
      write("d", dumpgen::generate(dumpgen::simple_spec(dumpgen::Format::elf, 8)));
  EXPECT_EQ(run("--caller-id " + p).status, 2);
  EXPECT_EQ(run("--scan-limit lots " + p).status, 2);
  Proc missing = run(path("missing"));
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
  Json j = run_json(path("missing"), 1);
  EXPECT_EQ(j["error"]["code"], "io");
  // Several sections in text mode get headings.
  Proc two = run("--vmcoreinfo --verify " + p);
  EXPECT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(two.out.rfind("== vmcoreinfo ==\n", 0), 0u) << two.out;
  EXPECT_NE(two.out.find("\n== verify ==\nverify: OK"), std::string::npos) << two.out;
}

}  // namespace
