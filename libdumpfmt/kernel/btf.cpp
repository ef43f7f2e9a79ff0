// Btf: kernel type information through libbpf's parser (btf__new), with a
// name index of our own (libbpf's lookups scan every type) and member
// search through anonymous unions; .BTF of a vmlinux through libelf.
#include "dumpfmt/kernel/btf.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "dumpfmt/bytes.h"

#if DUMPFMT_HAVE_LIBBPF
#include <bpf/btf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

namespace dumpfmt {

#if DUMPFMT_HAVE_LIBBPF

struct Btf::Impl {
  struct btf* btf = nullptr;
  std::unordered_multimap<std::string, TypeId> by_name;
  ~Impl() { btf__free(btf); }
};

namespace {

Btf::Kind kind_of(const btf_type* t) {
  switch (btf_kind(t)) {
    case BTF_KIND_INT:
      return Btf::Kind::int_;
    case BTF_KIND_PTR:
      return Btf::Kind::ptr;
    case BTF_KIND_ARRAY:
      return Btf::Kind::array;
    case BTF_KIND_STRUCT:
      return Btf::Kind::struct_;
    case BTF_KIND_UNION:
      return Btf::Kind::union_;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      return Btf::Kind::enum_;
    case BTF_KIND_FWD:
      return Btf::Kind::fwd;
    case BTF_KIND_TYPEDEF:
      return Btf::Kind::typedef_;
    case BTF_KIND_VOLATILE:
      return Btf::Kind::volatile_;
    case BTF_KIND_CONST:
      return Btf::Kind::const_;
    case BTF_KIND_RESTRICT:
      return Btf::Kind::restrict_;
    case BTF_KIND_FUNC:
      return Btf::Kind::func;
    case BTF_KIND_FUNC_PROTO:
      return Btf::Kind::func_proto;
    case BTF_KIND_VAR:
      return Btf::Kind::var;
    case BTF_KIND_DATASEC:
      return Btf::Kind::datasec;
    case BTF_KIND_FLOAT:
      return Btf::Kind::float_;
    case BTF_KIND_TYPE_TAG:
      return Btf::Kind::const_;  // a qualifier for our purposes
    default:
      return Btf::Kind::other;
  }
}

}  // namespace

bool Btf::built() { return true; }

Btf::Btf(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<Btf> Btf::parse(std::span<const std::byte> raw) {
  if (raw.size() > UINT32_MAX) return make_error(Errc::corrupt, "BTF: larger than 4 GiB");
  // libbpf accepts a type section at any offset, then reads its records as
  // 4-byte structs in place; the kernel's BTF always starts it aligned.
  if (raw.size() >= 12) {
    const Endian e =
        load<uint16_t>(raw.data(), Endian::little) == 0xeb9f ? Endian::little : Endian::big;
    const uint64_t types =
        uint64_t{load<uint32_t>(raw.data() + 4, e)} + load<uint32_t>(raw.data() + 8, e);
    if (types % 4 != 0) {
      return make_error(Errc::corrupt,
                        strfmt("BTF: type section at offset %llu is not 4-byte aligned",
                               static_cast<unsigned long long>(types)));
    }
  }
  struct btf* b = btf__new(raw.data(), static_cast<uint32_t>(raw.size()));
  if (!b) {
    int e = errno;
    return make_error(Errc::corrupt, strfmt("BTF: libbpf rejects the data (%zu bytes): %s",
                                            raw.size(), std::strerror(e)));
  }
  auto impl = std::make_unique<Impl>();
  impl->btf = b;
  const uint32_t n = btf__type_cnt(b);
  impl->by_name.reserve(n);
  for (uint32_t id = 1; id < n; ++id) {
    const btf_type* t = btf__type_by_id(b, id);
    if (!t || t->name_off == 0) continue;
    const char* name = btf__name_by_offset(b, t->name_off);
    if (name && *name) impl->by_name.emplace(name, id);
  }
  return Btf(std::move(impl));
}

Result<Btf> Btf::from_vmlinux(const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) {
    return make_error(Errc::unsupported, "libelf: " + std::string(elf_errmsg(-1)));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return make_error(Errc::io, path + ": " + std::strerror(e));
  }
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  auto done = [&](Result<Btf> r) {
    if (elf) elf_end(elf);
    ::close(fd);
    return r;
  };
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    return done(make_error(Errc::unknown_format, path + ": not an ELF file"));
  }
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    return done(make_error(Errc::corrupt, path + ": " + elf_errmsg(-1)));
  }
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (!name || std::strcmp(name, ".BTF") != 0) continue;
    if (sh.sh_type == SHT_NOBITS) break;
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf) {
      return done(make_error(Errc::corrupt, path + ": .BTF: " + elf_errmsg(-1)));
    }
    auto r = parse({static_cast<const std::byte*>(d->d_buf), d->d_size});
    if (!r) return done(with_context(std::move(r).error(), path + ": .BTF"));
    return done(std::move(r));
  }
  return done(make_error(Errc::no_data, path + ": no .BTF section (a kernel built without "
                                               "CONFIG_DEBUG_INFO_BTF?)"));
}

uint32_t Btf::type_count() const { return btf__type_cnt(impl_->btf); }

Btf::Type Btf::type(TypeId id) const {
  Type out;
  if (id == 0) return out;
  const btf_type* t = btf__type_by_id(impl_->btf, id);
  if (!t) {
    out.kind = Kind::other;
    return out;
  }
  out.kind = kind_of(t);
  if (t->name_off) {
    if (const char* n = btf__name_by_offset(impl_->btf, t->name_off)) out.name = n;
  }
  // Grouped by the btf_type field each kind uses (size or type); the two
  // long case lists look alike only as lists.
  switch (out.kind) {
    case Kind::int_:
    case Kind::struct_:
    case Kind::union_:
    case Kind::enum_:
    case Kind::float_:
    case Kind::datasec:
      out.size = t->size;
      break;
    case Kind::ptr:
      out.size = btf__pointer_size(impl_->btf);
      if (out.size == 0) out.size = 8;
      out.target = t->type;
      break;
    case Kind::array: {
      const struct btf_array* a = btf_array(t);
      out.target = a->type;
      out.nelems = a->nelems;
      __s64 s = btf__resolve_size(impl_->btf, id);
      out.size = s > 0 ? static_cast<uint64_t>(s) : 0;
      break;
    }
    case Kind::typedef_:
    case Kind::volatile_:
    case Kind::const_:
    case Kind::restrict_:
    case Kind::var:
    case Kind::func:
      out.target = t->type;
      break;
    default:
      break;
  }
  return out;
}

Btf::TypeId Btf::resolve(TypeId id) const {
  for (int depth = 0; depth < 64 && id != 0; ++depth) {
    const btf_type* t = btf__type_by_id(impl_->btf, id);
    if (!t) return id;
    switch (btf_kind(t)) {
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
        id = t->type;
        break;
      default:
        return id;
    }
  }
  return id;
}

Result<uint64_t> Btf::size_of(TypeId id) const {
  __s64 s = btf__resolve_size(impl_->btf, id);
  if (s < 0) {
    return make_error(Errc::corrupt, "BTF: type " + type_name(id) + " has no size");
  }
  return static_cast<uint64_t>(s);
}

Result<Btf::TypeId> Btf::find_struct(std::string_view name) const {
  auto [lo, hi] = impl_->by_name.equal_range(std::string(name));
  std::optional<TypeId> fwd;
  for (auto it = lo; it != hi; ++it) {
    const btf_type* t = btf__type_by_id(impl_->btf, it->second);
    if (btf_is_composite(t)) return it->second;
    if (btf_is_fwd(t)) fwd = it->second;
  }
  if (fwd) return *fwd;
  return make_error(Errc::no_data, "BTF: no struct or union named '" + std::string(name) + "'");
}

Result<Btf::TypeId> Btf::find_type(std::string_view name) const {
  if (auto s = find_struct(name); s && type(*s).kind != Kind::fwd) return *s;
  auto [lo, hi] = impl_->by_name.equal_range(std::string(name));
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = lo; it != hi; ++it) {
      Kind k = kind_of(btf__type_by_id(impl_->btf, it->second));
      if (pass == 0 ? k == Kind::typedef_
                    : (k == Kind::int_ || k == Kind::enum_ || k == Kind::float_)) {
        return it->second;
      }
    }
  }
  return make_error(Errc::no_data, "BTF: no type named '" + std::string(name) + "'");
}

std::optional<Btf::TypeId> Btf::variable(std::string_view name) const {
  auto [lo, hi] = impl_->by_name.equal_range(std::string(name));
  for (auto it = lo; it != hi; ++it) {
    const btf_type* t = btf__type_by_id(impl_->btf, it->second);
    if (btf_is_var(t)) return t->type;
  }
  return std::nullopt;
}

namespace {

// Members one search may look at: the kernel's largest structs, anonymous
// members included, have a few hundred; without a cap, anonymous members that
// repeat a type (or contain their own struct, which libbpf 1.1 accepts) make
// the search exponential in the depth.
constexpr uint32_t kMaxMemberVisits = 1u << 16;

// Depth-first search through anonymous members; `base` is the bit offset of
// the struct being searched, `budget` the members left to look at.
bool find_member(const struct btf* b, uint32_t id, std::string_view name, uint64_t base,
                 Btf::Member* out, int depth, uint32_t* budget) {
  if (depth > 32) return false;
  const btf_type* t = btf__type_by_id(b, id);
  // Bounded like resolve(): libbpf 1.1 accepts a qualifier that refers to itself.
  for (int hops = 0; t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t)); ++hops) {
    if (hops == 64) return false;
    t = btf__type_by_id(b, t->type);
  }
  if (!t || !btf_is_composite(t)) return false;
  const struct btf_member* m = btf_members(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
    if (*budget == 0) return false;
    --*budget;
    const uint64_t off = base + btf_member_bit_offset(t, i);
    const char* mn = m->name_off ? btf__name_by_offset(b, m->name_off) : "";
    if (mn && *mn) {
      if (name == mn) {
        out->bit_offset = off;
        out->bit_size = btf_member_bitfield_size(t, i);
        out->type = m->type;
        return true;
      }
    } else if (find_member(b, m->type, name, off, out, depth + 1, budget)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Btf::Member> Btf::member(TypeId t, std::string_view name) const {
  Member m;
  uint32_t budget = kMaxMemberVisits;
  if (find_member(impl_->btf, t, name, 0, &m, 0, &budget)) return m;
  return make_error(Errc::no_data,
                    "BTF: " + type_name(t) + " has no member '" + std::string(name) + "'");
}

Result<Btf::Member> Btf::member_path(TypeId t, std::string_view path) const {
  Member acc;
  acc.type = t;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    DUMPFMT_TRY_ASSIGN(Member m, member(acc.type, part));
    acc.bit_offset += m.bit_offset;
    acc.bit_size = m.bit_size;
    acc.type = m.type;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return acc;
}

Result<uint64_t> Btf::offset_of(std::string_view type_name_, std::string_view path) const {
  DUMPFMT_TRY_ASSIGN(TypeId t, find_struct(type_name_));
  DUMPFMT_TRY_ASSIGN(Member m, member_path(t, path));
  return m.byte_offset();
}

Result<uint64_t> Btf::size_of(std::string_view type_name_) const {
  DUMPFMT_TRY_ASSIGN(TypeId t, find_type(type_name_));
  return size_of(t);
}

std::string Btf::type_name(TypeId id) const {
  std::string suffix;
  for (int depth = 0; depth < 32; ++depth) {
    Type t = type(id);
    switch (t.kind) {
      case Kind::void_:
        return "void" + suffix;
      case Kind::ptr:
        suffix = " *" + suffix;
        id = t.target;
        continue;
      case Kind::array:
        suffix += "[" + std::to_string(t.nelems) + "]";
        id = t.target;
        continue;
      case Kind::const_:
      case Kind::volatile_:
      case Kind::restrict_:
        id = t.target;
        continue;
      case Kind::struct_:
        return "struct " + (t.name.empty() ? "<anon>" : t.name) + suffix;
      case Kind::union_:
        return "union " + (t.name.empty() ? "<anon>" : t.name) + suffix;
      case Kind::enum_:
        return "enum " + (t.name.empty() ? "<anon>" : t.name) + suffix;
      case Kind::func_proto:
        return "function" + suffix;
      default:
        return (t.name.empty() ? "<anon>" : t.name) + suffix;
    }
  }
  return "<deep type>";
}

#else  // !DUMPFMT_HAVE_LIBBPF

struct Btf::Impl {};

namespace {
Error not_built() {
  return make_error(Errc::not_built,
                    "BTF: this build has no libbpf (install libbpf-dev and reconfigure)");
}
}  // namespace

bool Btf::built() { return false; }
Btf::Btf(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Result<Btf> Btf::parse(std::span<const std::byte>) { return not_built(); }
Result<Btf> Btf::from_vmlinux(const std::string&) { return not_built(); }
uint32_t Btf::type_count() const { return 0; }
Btf::Type Btf::type(TypeId) const { return {}; }
Btf::TypeId Btf::resolve(TypeId id) const { return id; }
Result<uint64_t> Btf::size_of(TypeId) const { return not_built(); }
Result<Btf::TypeId> Btf::find_struct(std::string_view) const { return not_built(); }
Result<Btf::TypeId> Btf::find_type(std::string_view) const { return not_built(); }
std::optional<Btf::TypeId> Btf::variable(std::string_view) const { return std::nullopt; }
Result<Btf::Member> Btf::member(TypeId, std::string_view) const { return not_built(); }
Result<Btf::Member> Btf::member_path(TypeId, std::string_view) const { return not_built(); }
Result<uint64_t> Btf::offset_of(std::string_view, std::string_view) const { return not_built(); }
Result<uint64_t> Btf::size_of(std::string_view) const { return not_built(); }
std::string Btf::type_name(TypeId) const { return "?"; }

#endif

Btf::Btf(Btf&&) noexcept = default;
Btf& Btf::operator=(Btf&&) noexcept = default;
Btf::~Btf() = default;

Result<Btf> Btf::from_kernel(const Kallsyms& syms, const KernelReader& mem, uint64_t max_bytes) {
  auto start = syms.address("__start_BTF");
  auto stop = syms.address("__stop_BTF");
  if (!start || !stop) {
    return make_error(Errc::unsupported,
                      "kallsyms has no __start_BTF/__stop_BTF: the kernel was built without "
                      "CONFIG_DEBUG_INFO_BTF (give --vmlinux with a .BTF section)");
  }
  if (*stop <= *start || *stop - *start > max_bytes) {
    return make_error(Errc::corrupt, strfmt("BTF: __start_BTF %s .. __stop_BTF %s is not a "
                                            "plausible range",
                                            hex(*start).c_str(), hex(*stop).c_str()));
  }
  if (!built()) return parse({});
  std::vector<std::byte> raw(*stop - *start);
  if (auto s = mem.read_virt(*start, raw); !s) {
    return with_context(std::move(s).error(), "BTF at __start_BTF " + hex(*start));
  }
  return parse(raw);
}

}  // namespace dumpfmt
