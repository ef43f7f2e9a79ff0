// The dumped kernel's type information (BTF, LINUX Documentation/bpf/btf.rst)
// as a vmlinux-free substitute for DWARF: read from the dump's own memory
// (__start_BTF..__stop_BTF, found through kallsyms) or from a vmlinux's .BTF
// section, parsed with libbpf. Struct layouts, member offsets (through
// anonymous unions), sizes, and the types of per-CPU variables.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dumpfmt/kernel/kallsyms.h"
#include "dumpfmt/result.h"

namespace dumpfmt {

class Btf {
 public:
  using TypeId = uint32_t;  // 0 is void

  enum class Kind : uint8_t {
    void_,
    int_,
    ptr,
    array,
    struct_,
    union_,
    enum_,
    fwd,
    typedef_,
    volatile_,
    const_,
    restrict_,
    func,
    func_proto,
    var,
    datasec,
    float_,
    other
  };

  struct Type {
    Kind kind = Kind::void_;
    std::string name;     // empty for anonymous types
    uint64_t size = 0;    // bytes (int, struct, union, enum, ptr; array: whole array)
    TypeId target = 0;    // ptr/typedef/const/volatile/var: referenced type; array: element
    uint32_t nelems = 0;  // array: element count
  };

  struct Member {
    uint64_t bit_offset = 0;  // from the start of the outermost struct asked about
    uint32_t bit_size = 0;    // bitfields: width in bits; else 0
    TypeId type = 0;
    uint64_t byte_offset() const { return bit_offset / 8; }
  };

  /// Whether this build can parse BTF (libbpf was found at configure time).
  static bool built();
  /// Parses a raw BTF blob (the contents of a .BTF section). Errors: not_built
  /// without libbpf, corrupt when libbpf rejects the data.
  static Result<Btf> parse(std::span<const std::byte> raw);
  /// Reads the kernel's BTF from its memory: [__start_BTF, __stop_BTF) by
  /// kallsyms. Errors: unsupported when the symbols are absent (kernel built
  /// without CONFIG_DEBUG_INFO_BTF), corrupt when the range is implausible
  /// (more than `max_bytes`).
  static Result<Btf> from_kernel(const Kallsyms& syms, const KernelReader& mem,
                                 uint64_t max_bytes = uint64_t{64} << 20);
  /// Reads the .BTF section of an ELF file (a vmlinux) with libelf.
  static Result<Btf> from_vmlinux(const std::string& path);

  Btf(Btf&&) noexcept;
  Btf& operator=(Btf&&) noexcept;
  ~Btf();

  /// Number of type ids (the highest id + 1).
  uint32_t type_count() const;
  /// The type `id` as stored (no typedef resolution). Unknown ids: Kind::other.
  Type type(TypeId id) const;
  /// Strips typedef, const, volatile, restrict and type tags.
  TypeId resolve(TypeId id) const;
  /// sizeof the type (typedefs and qualifiers resolved). Errors: corrupt for
  /// a type without a size (void, function, forward declaration).
  Result<uint64_t> size_of(TypeId id) const;

  /// A struct or union by name (a complete definition preferred over a
  /// forward declaration). Errors: no_data when there is none.
  Result<TypeId> find_struct(std::string_view name) const;
  /// Any named type: struct/union, then typedef, int, enum, float.
  Result<TypeId> find_type(std::string_view name) const;
  /// The type of a variable BTF records (per-CPU variables only, in vmlinux).
  std::optional<TypeId> variable(std::string_view name) const;

  /// The member `name` of struct/union `t` (typedefs resolved), found also
  /// inside anonymous struct/union members. Errors: no_data naming the type.
  Result<Member> member(TypeId t, std::string_view name) const;
  /// A dotted path of members "a.b.c" without pointer dereferences.
  Result<Member> member_path(TypeId t, std::string_view path) const;
  /// Convenience: byte offset of `path` in struct `type_name`.
  Result<uint64_t> offset_of(std::string_view type_name, std::string_view path) const;
  /// Convenience: sizeof struct/union or named type `type_name`.
  Result<uint64_t> size_of(std::string_view type_name) const;

  /// C-like spelling for messages: "struct key *", "char[32]", "unsigned long".
  std::string type_name(TypeId id) const;

 private:
  struct Impl;
  explicit Btf(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dumpfmt
