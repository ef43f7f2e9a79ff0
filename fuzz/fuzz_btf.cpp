// Fuzz target: Btf::parse on raw bytes (a .BTF section), then every query over the types it
// holds: kinds, resolution, sizes, spelled names, lookups by name and member searches.
#include <cstdlib>
#include <string>
#include <string_view>

#include "dumpfmt/kernel/btf.h"

#if DUMPFMT_HAVE_LIBBPF
#include <bpf/btf.h>
#endif

using namespace dumpfmt;

namespace {

// Per-type queries for at most this many ids: a blob of 64 KiB holds ~5000 types, and name
// lookups may scan all types sharing a name.
constexpr uint32_t kMaxTypes = 1024;
// Member searches per input: each may visit up to 65536 members (Btf::member's own cap).
constexpr uint32_t kMaxMemberQueries = 128;
uint32_t g_member_queries = 0;
bool member_query() { return g_member_queries++ < kMaxMemberQueries; }

#if DUMPFMT_HAVE_LIBBPF
// A named member of a struct or union with no anonymous member before it is found by
// Btf::member at the offset the type records (or an earlier one of the same name). After an
// anonymous member the search may find a namesake inside it, or give up in a hostile nest of
// anonymous members (Btf::member visits at most 65536), but a hit must match member_path.
// libbpf's own view of the same bytes is the reference.
void check_members(const Btf& b, const struct btf* ref, Btf::TypeId id) {
  const btf_type* t = btf__type_by_id(ref, id);
  if (!t || !btf_is_composite(t)) return;
  const struct btf_member* m = btf_members(t);
  bool anon_before = false;
  const uint16_t n = btf_vlen(t);
  for (uint16_t i = 0; i < n && i < 64; ++i, ++m) {
    const char* name = m->name_off ? btf__name_by_offset(ref, m->name_off) : nullptr;
    if (!name || !*name) {
      anon_before = true;
      continue;
    }
    if (!member_query()) return;
    auto found = b.member(id, name);
    if (!found) {
      if (anon_before) continue;
      std::abort();
    }
    bool earlier_same = false;
    const struct btf_member* e = btf_members(t);
    for (uint16_t j = 0; j < i; ++j, ++e) {
      const char* en = e->name_off ? btf__name_by_offset(ref, e->name_off) : nullptr;
      earlier_same |= en && std::string_view(en) == name;
    }
    if (!anon_before && !earlier_same && found->bit_offset != btf_member_bit_offset(t, i)) {
      std::abort();
    }
    // A path of one member is the member (paths split at dots, which C names never hold).
    if (std::string_view(name).find('.') != std::string_view::npos) continue;
    auto path = b.member_path(id, name);
    if (!path || path->bit_offset != found->bit_offset) std::abort();
  }
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto b = Btf::parse({reinterpret_cast<const std::byte*>(data), size});
  if (!b) return 0;
  g_member_queries = 0;
#if DUMPFMT_HAVE_LIBBPF
  struct btf* ref = btf__new(data, static_cast<uint32_t>(size));
  if (!ref) std::abort();  // the same bytes parsed a moment ago
#endif
  const uint32_t n = b->type_count();
  if (n == 0) std::abort();                                 // id 0 (void) always counts
  for (uint32_t id = 0; id <= n && id < kMaxTypes; ++id) {  // id n: one past the last
    const Btf::Type t = b->type(id);
    if (id == n && t.kind != Btf::Kind::other) std::abort();
    (void)b->resolve(id);
    (void)b->size_of(id);
    if (b->type_name(id).empty()) std::abort();
    if (member_query()) (void)b->member(id, "\x01no such member");  // a full search
#if DUMPFMT_HAVE_LIBBPF
    check_members(*b, ref, id);
#endif
    if (t.name.empty()) continue;
    if (t.kind == Btf::Kind::struct_ || t.kind == Btf::Kind::union_) {
      // A complete definition is preferred over a forward declaration.
      auto s = b->find_struct(t.name);
      if (!s) std::abort();
      const Btf::Kind k = b->type(*s).kind;
      if (k != Btf::Kind::struct_ && k != Btf::Kind::union_) std::abort();
      if (!b->find_type(t.name)) std::abort();
    }
    (void)b->variable(t.name);
    (void)b->size_of(t.name);
  }
#if DUMPFMT_HAVE_LIBBPF
  btf__free(ref);
#endif
  return 0;
}
