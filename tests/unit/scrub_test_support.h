// Test support for kallsyms, BTF and dumpscrub: a flat fake kernel memory
// (direct map: phys = vaddr - kBase) with a bump allocator, a writer of the
// kernel's compressed kallsyms tables (scripts/kallsyms.c layout, written
// byte by byte here, not by the code under test), and a BTF builder on
// libbpf's writer API.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kallsyms.h"
#include "dumpfmt_filters/scrub_kernel.h"

#if DUMPFMT_HAVE_LIBBPF
#include <bpf/btf.h>
#endif

namespace scrub_test {

using dumpfmt::Endian;
using dumpfmt::Result;
using dumpfmt::Status;

constexpr uint64_t kBase = 0xffff888000000000ULL;
constexpr uint32_t kPage = 4096;

class FakeKernel : public dumpfmt::KernelReader {
 public:
  explicit FakeKernel(size_t bytes = size_t{16} << 20) : mem_(bytes) {}

  Endian endian() const override { return Endian::little; }
  uint32_t page_size() const override { return kPage; }
  uint32_t word_size() const override { return 8; }
  Status read_virt(uint64_t vaddr, std::span<std::byte> out) const override {
    if (vaddr < kBase) return dumpfmt::make_error(dumpfmt::Errc::no_data, "unmapped");
    return read_phys(vaddr - kBase, out);
  }
  Status read_phys(uint64_t paddr, std::span<std::byte> out) const override {
    if (paddr > mem_.size() || out.size() > mem_.size() - paddr) {
      return dumpfmt::make_error(dumpfmt::Errc::no_data,
                                 "beyond fake memory " + dumpfmt::hex(paddr));
    }
    std::memcpy(out.data(), mem_.data() + paddr, out.size());
    return dumpfmt::ok();
  }
  Result<uint64_t> vtop(uint64_t vaddr) const override {
    if (vaddr < kBase || vaddr - kBase >= mem_.size()) {
      return dumpfmt::make_error(dumpfmt::Errc::no_data, "unmapped " + dumpfmt::hex(vaddr));
    }
    return vaddr - kBase;
  }

  /// Zeroed memory; returns its virtual address.
  uint64_t alloc(uint64_t size, uint64_t align = 8) {
    next_ = (next_ + align - 1) / align * align;
    uint64_t p = next_;
    next_ += size;
    if (next_ > mem_.size()) throw std::runtime_error("fake kernel memory exhausted");
    return kBase + p;
  }
  uint64_t alloc_page() { return alloc(kPage, kPage); }

  std::byte* at(uint64_t vaddr) { return mem_.data() + (vaddr - kBase); }
  void w8(uint64_t v, uint8_t x) { *at(v) = std::byte{x}; }
  void w16(uint64_t v, uint16_t x) { dumpfmt::store(at(v), x, Endian::little); }
  void w32(uint64_t v, uint32_t x) { dumpfmt::store(at(v), x, Endian::little); }
  void w64(uint64_t v, uint64_t x) { dumpfmt::store(at(v), x, Endian::little); }
  void wstr(uint64_t v, const std::string& s) { std::memcpy(at(v), s.c_str(), s.size() + 1); }
  void fill(uint64_t v, size_t n, uint8_t b) { std::memset(at(v), b, n); }
  std::string bytes(uint64_t v, size_t n) { return std::string(reinterpret_cast<char*>(at(v)), n); }

  std::vector<std::byte>& phys() { return mem_; }
  size_t size() const { return mem_.size(); }
  dumpfmt::Pfn pfn_of(uint64_t vaddr) const { return (vaddr - kBase) / kPage; }

 private:
  std::vector<std::byte> mem_;
  uint64_t next_ = kPage;  // keep PFN 0 unused
};

/// Writes kallsyms tables as scripts/kallsyms.c lays them out: a 256-entry
/// token table (every byte value stands for itself, a few for longer
/// tokens), names as [len][tokens] with the type letter first (len >= 128
/// in two bytes), offsets relative to kallsyms_relative_base.
struct KallsymsImage {
  struct Sym {
    std::string name;
    uint64_t addr;
    char type;
  };
  std::vector<Sym> syms;
  bool absolute_percpu = true;  // CONFIG_KALLSYMS_ABSOLUTE_PERCPU
  bool export_relative_base = true;
  uint64_t base = 0xffffffff81000000ULL;

  // The multi-character tokens and the byte values standing for them.
  static const std::map<uint8_t, std::string>& long_tokens() {
    static const std::map<uint8_t, std::string> t = {
        {0x01, "_stext"}, {0x02, "tty_"}, {0x03, "kmem_cache"}, {0x04, "per_cpu"}};
    return t;
  }

  /// Writes the tables into `k`; returns the VMCOREINFO lines naming them.
  std::string write(FakeKernel& k) const {
    std::string tokens;
    std::vector<uint16_t> index(256);
    for (int b = 0; b < 256; ++b) {
      index[b] = static_cast<uint16_t>(tokens.size());
      auto it = long_tokens().find(static_cast<uint8_t>(b));
      if (it != long_tokens().end()) {
        tokens += it->second;
      } else {
        tokens += static_cast<char>(b == 0 ? 0x7f : b);  // a token is never empty
      }
      tokens += '\0';
    }
    std::string names;
    std::vector<int32_t> offs;
    for (const Sym& s : syms) {
      std::string full = std::string(1, s.type) + s.name;
      std::string enc;
      for (size_t i = 0; i < full.size();) {
        bool matched = false;
        for (const auto& [b, t] : long_tokens()) {
          if (full.compare(i, t.size(), t) == 0) {
            enc += static_cast<char>(b);
            i += t.size();
            matched = true;
            break;
          }
        }
        if (!matched) enc += full[i++];
      }
      if (enc.size() < 0x80) {
        names += static_cast<char>(enc.size());
      } else {
        names += static_cast<char>(0x80 | (enc.size() & 0x7f));
        names += static_cast<char>(enc.size() >> 7);
      }
      names += enc;
      if (absolute_percpu) {
        offs.push_back(s.addr < base
                           ? static_cast<int32_t>(s.addr)
                           : static_cast<int32_t>(-static_cast<int64_t>(s.addr - base) - 1));
      } else {
        offs.push_back(static_cast<int32_t>(static_cast<uint32_t>(s.addr - base)));
      }
    }
    uint64_t a_num = k.alloc(8), a_base = k.alloc(8);
    uint64_t a_names = k.alloc(names.size() + 1);
    uint64_t a_tokens = k.alloc(tokens.size());
    uint64_t a_index = k.alloc(512);
    uint64_t a_offs = k.alloc(4 * offs.size() + 4);
    k.w32(a_num, static_cast<uint32_t>(syms.size()));
    k.w64(a_base, base);
    std::memcpy(k.at(a_names), names.data(), names.size());
    std::memcpy(k.at(a_tokens), tokens.data(), tokens.size());
    for (int b = 0; b < 256; ++b) k.w16(a_index + 2 * b, index[b]);
    for (size_t i = 0; i < offs.size(); ++i) k.w32(a_offs + 4 * i, static_cast<uint32_t>(offs[i]));
    auto hexs = [](uint64_t v) {
      return dumpfmt::strfmt("%llx", static_cast<unsigned long long>(v));
    };
    std::string vmi = "SYMBOL(kallsyms_names)=" + hexs(a_names) + "\n" +
                      "SYMBOL(kallsyms_num_syms)=" + hexs(a_num) + "\n" +
                      "SYMBOL(kallsyms_token_table)=" + hexs(a_tokens) + "\n" +
                      "SYMBOL(kallsyms_token_index)=" + hexs(a_index) + "\n" +
                      "SYMBOL(kallsyms_offsets)=" + hexs(a_offs) + "\n";
    if (export_relative_base) vmi += "SYMBOL(kallsyms_relative_base)=" + hexs(a_base) + "\n";
    for (const Sym& s : syms) {
      if (s.name == "_stext") vmi += "SYMBOL(_stext)=" + hexs(s.addr) + "\n";
    }
    return vmi;
  }
};

// The kallsyms sample the kallsyms tests and the fuzz seeds share: text,
// data and bss symbols, a per-CPU (absolute) one, a duplicated static name.
inline KallsymsImage sample_kallsyms() {
  KallsymsImage img;
  img.syms = {
      {"_stext", 0xffffffff81000000ULL, 'T'},
      {"start_kernel", 0xffffffff81234560ULL, 'T'},
      {"tty_drivers", 0xffffffff82000100ULL, 'D'},
      {"kmem_cache_alloc", 0xffffffff81300000ULL, 't'},
      {"crngs", 0x2f3c0, 'A'},  // per-CPU: absolute
      {"name.0", 0xffffffff82000120ULL, 'd'},
      {"name.0", 0xffffffff82000140ULL, 'd'},
      {"last_symbol", 0xffffffff82000200ULL, 'b'},
  };
  return img;
}

#if DUMPFMT_HAVE_LIBBPF
/// BTF through libbpf's writer (an implementation independent of our parser).
class BtfBuilder {
 public:
  BtfBuilder() : b_(btf__new_empty()) {}
  ~BtfBuilder() { btf__free(b_); }
  BtfBuilder(const BtfBuilder&) = delete;
  BtfBuilder& operator=(const BtfBuilder&) = delete;

  /// The id the next type added gets (for self-referencing pointers).
  int next_id() const { return static_cast<int>(btf__type_cnt(b_)); }
  /// A pointer to the type added right after it.
  int ptr_to_next() { return btf__add_ptr(b_, next_id() + 1); }
  int int_type(const char* name, size_t size, bool is_signed = false) {
    return btf__add_int(b_, name, size, is_signed ? BTF_INT_SIGNED : 0);
  }
  int ptr(int to) { return btf__add_ptr(b_, to); }
  int array(int elem, uint32_t n) { return btf__add_array(b_, u32(), elem, n); }
  int typedef_(const char* name, int to) { return btf__add_typedef(b_, name, to); }
  struct Field {
    const char* name;  // "" for an anonymous member
    int type;
    uint32_t byte_off;
    uint32_t bit_size = 0;
    uint32_t bit_off = 0;  // added to byte_off * 8
  };
  int struct_(const char* name, uint32_t size, std::initializer_list<Field> fields,
              bool is_union = false) {
    int id = is_union ? btf__add_union(b_, name, size) : btf__add_struct(b_, name, size);
    for (const Field& f : fields) {
      btf__add_field(b_, f.name, f.type, f.byte_off * 8 + f.bit_off, f.bit_size);
    }
    return id;
  }
  /// A per-CPU variable (VAR in a .data..percpu DATASEC, as pahole emits).
  void percpu_var(const char* name, int type, uint32_t size) {
    int v = btf__add_var(b_, name, BTF_VAR_GLOBAL_ALLOCATED, type);
    percpu_.push_back({v, size});
  }
  std::vector<std::byte> raw() {
    if (!percpu_.empty()) {
      uint32_t total = 0;
      for (auto& p : percpu_) total += p.second;
      btf__add_datasec(b_, ".data..percpu", total);
      uint32_t off = 0;
      for (auto& p : percpu_) {
        btf__add_datasec_var_info(b_, p.first, off, p.second);
        off += p.second;
      }
      percpu_.clear();
    }
    uint32_t n = 0;
    const void* d = btf__raw_data(b_, &n);
    const auto* p = static_cast<const std::byte*>(d);
    return std::vector<std::byte>(p, p + n);
  }
  int u32() {
    if (!u32_) u32_ = int_type("unsigned int", 4);
    return u32_;
  }

 private:
  struct btf* b_;
  int u32_ = 0;
  std::vector<std::pair<int, uint32_t>> percpu_;
};

// The BTF sample the BTF tests and the fuzz seeds share:
// struct inner { int x; union { long l; char c[16]; }; unsigned int f1:3, f2:5; };
// struct outer { struct inner *p; struct inner in; unsigned long arr[4]; counter_t cnt; };
// typedef unsigned int counter_t;  per-CPU: struct outer pcpu_outer;
inline std::vector<std::byte> sample_btf() {
  BtfBuilder b;
  int i32 = b.int_type("int", 4, true);
  int u32 = b.u32();
  int i64 = b.int_type("long", 8, true);
  int u64 = b.int_type("long unsigned int", 8);
  int chr = b.int_type("char", 1, true);
  int c16 = b.array(chr, 16);
  int uni = b.struct_("", 16, {{"l", i64, 0}, {"c", c16, 0}}, true);
  int inner = b.struct_(
      "inner", 32, {{"x", i32, 0}, {"", uni, 8}, {"f1", u32, 24, 3, 0}, {"f2", u32, 24, 5, 3}});
  int pinner = b.ptr(inner);
  int arr = b.array(u64, 4);
  int cnt = b.typedef_("counter_t", u32);
  int outer = b.struct_("outer", 80,
                        {{"p", pinner, 0}, {"in", inner, 8}, {"arr", arr, 40}, {"cnt", cnt, 72}});
  b.percpu_var("pcpu_outer", outer, 80);
  return b.raw();
}
#endif

#if DUMPFMT_HAVE_LIBBPF
/// A synthetic kernel for the scrub walkers and rules: objects placed in a
/// FakeKernel, symbols for them in kallsyms tables, types in BTF, a struct
/// page array over all of the fake memory and per-CPU areas. Tests add
/// types and symbols, then call finish() to get a ScrubKernel.
class SynthKernel {
 public:
  static constexpr uint32_t kCpus = 2;
  static constexpr uint64_t kPerCpuSize = 0x4000;
  static constexpr uint64_t kPageStruct = 64;

  SynthKernel() : mem(size_t{16} << 20) {
    npages = mem.size() / kPage;
    memmap = mem.alloc(npages * kPageStruct, kPage);
    for (uint32_t c = 0; c < kCpus; ++c) cpu_area[c] = mem.alloc(kPerCpuSize, kPage);
    uint64_t offs = global("__per_cpu_offset", 8 * kCpus, 'D');
    for (uint32_t c = 0; c < kCpus; ++c) mem.w64(offs + 8 * c, cpu_area[c]);
    mem.w32(global("nr_cpu_ids", 4, 'D'), kCpus);
    syms.push_back({"__per_cpu_start", 0, 'A'});
    syms.push_back({"__per_cpu_end", kPerCpuSize, 'A'});
    syms.push_back({"_stext", mem.alloc(16), 'T'});
  }

  /// A global object of `size` bytes named `name`; returns its address.
  uint64_t global(const std::string& name, uint64_t size, char type = 'd') {
    uint64_t a = mem.alloc(size, 64);
    syms.push_back({name, a, type});
    // Kallsyms extents end at the next symbol: a guard symbol after each object.
    syms.push_back({name + "__end", a + size, 'd'});
    return a;
  }
  /// A per-CPU variable at per-CPU offset `off`; returns its offset.
  uint64_t percpu(const std::string& name, uint64_t off) {
    syms.push_back({name, off, 'A'});
    return off;
  }
  uint64_t percpu_addr(uint32_t cpu, uint64_t off) const { return cpu_area[cpu] + off; }
  /// The struct page of PFN `pfn` / of the page holding `vaddr`.
  uint64_t page_struct(dumpfmt::Pfn pfn) const { return memmap + pfn * kPageStruct; }

  /// Builds the kallsyms tables, parses the BTF and creates the ScrubKernel.
  dumpfmt::filters::ScrubKernel& finish(const std::string& extra_vmcoreinfo = "") {
    KallsymsImage img;
    img.syms = syms;
    img.base = kBase;
    std::string v = img.write(mem) + extra_vmcoreinfo;
    vmi = dumpfmt::VmcoreInfo::parse(v);
    auto ks = dumpfmt::Kallsyms::read(vmi, mem);
    if (!ks) throw std::runtime_error("kallsyms: " + ks.error().message);
    kallsyms.emplace(std::move(*ks));
    auto raw = btf.raw();
    auto b = dumpfmt::Btf::parse(raw);
    if (!b) throw std::runtime_error("btf: " + b.error().message);
    types.emplace(std::move(*b));
    dumpfmt::MemMap mm;
    mm.model = dumpfmt::MemoryModel::vmemmap;
    mm.page_struct_size = kPageStruct;
    mm.ranges.push_back({0, npages, memmap});
    kernel = std::make_unique<dumpfmt::filters::ScrubKernel>(mem, *kallsyms, &*types, vmi, mm);
    return *kernel;
  }

  /// Applies an EraseSet to the fake memory (as the pipeline would to pages).
  void apply(const dumpfmt::filters::EraseSet& e, uint8_t fill = 'X') {
    e.pages().for_each_run([&](dumpfmt::Pfn a, dumpfmt::Pfn b) {
      for (dumpfmt::Pfn p = a; p < b; ++p) {
        e.apply(p, std::span(mem.phys().data() + p * kPage, kPage), std::byte{fill});
      }
    });
  }

  FakeKernel mem;
  BtfBuilder btf;
  std::vector<KallsymsImage::Sym> syms;
  uint64_t npages = 0;
  uint64_t memmap = 0;
  uint64_t cpu_area[kCpus] = {};
  dumpfmt::VmcoreInfo vmi;
  std::optional<dumpfmt::Kallsyms> kallsyms;
  std::optional<dumpfmt::Btf> types;
  std::unique_ptr<dumpfmt::filters::ScrubKernel> kernel;
};
#endif

}  // namespace scrub_test
