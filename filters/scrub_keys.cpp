// Keyring payloads: every struct key in key_serial_tree (security/keys/key.c)
// and the secret its payload points to.
#include "dumpfmt/bytes.h"
#include "dumpfmt_filters/scrub.h"

namespace dumpfmt::filters {

namespace {

constexpr uint64_t kMaxKeys = uint64_t{1} << 24;
constexpr uint64_t kPayloadWords = 4;  // union key_payload { void *data[4]; ... }

}  // namespace

Result<ClassReport> erase_key_payloads(const ScrubKernel& k, EraseSet& out) {
  ClassReport rep;
  rep.cls = "key";
  DUMPFMT_TRY(k.need_btf("the key walk"));
  DUMPFMT_TRY_ASSIGN(uint64_t root, k.symbol("key_serial_tree"));
  DUMPFMT_TRY_ASSIGN(uint64_t node_off, k.offset("key", "serial_node"));
  DUMPFMT_TRY_ASSIGN(uint64_t serial_off, k.offset("key", "serial"));
  DUMPFMT_TRY_ASSIGN(uint64_t type_off, k.offset("key", "type"));
  DUMPFMT_TRY_ASSIGN(uint64_t payload_off, k.offset("key", "payload"));
  DUMPFMT_TRY_ASSIGN(uint64_t tname_off, k.offset("key_type", "name"));
  DUMPFMT_TRY_ASSIGN(uint64_t ukp_len_off, k.offset("user_key_payload", "datalen"));
  DUMPFMT_TRY_ASSIGN(uint64_t ukp_data_off, k.offset("user_key_payload", "data"));
  SlabIndex slabs(k);

  DUMPFMT_TRY(k.walk_rbtree(root, kMaxKeys, [&](uint64_t node) -> Status {
    const uint64_t key = node - node_off;
    DUMPFMT_TRY_ASSIGN(uint32_t serial, k.u32(key + serial_off));
    DUMPFMT_TRY_ASSIGN(uint64_t type, k.ptr(key + type_off));
    std::string tname = "?";
    if (type) {
      if (auto np = k.ptr(type + tname_off); np && *np) {
        if (auto n = k.cstring(*np, 32)) tname = *n;
      }
    }
    // A keyring's payload is the index of the keys it holds, not a secret.
    if (tname == "keyring") return ok();
    const std::string what = strfmt("key(%u).payload", serial);
    bool erased = false;
    if (tname == "user" || tname == "logon") {
      // struct user_key_payload: the data after rcu_head and datalen.
      DUMPFMT_TRY_ASSIGN(uint64_t ukp, k.ptr(key + payload_off));
      if (ukp == 0) return ok();  // revoked or not instantiated
      DUMPFMT_TRY_ASSIGN(uint16_t len, k.u16(ukp + ukp_len_off));
      if (auto st = out.add_virt(k.mem(), ukp + ukp_data_off, len, "key", what + ".data"); !st) {
        rep.note(strfmt("key %u (%s): ", serial, tname.c_str()) + st.error().message);
        return ok();
      }
      rep.bytes += len;
      erased = true;
    } else {
      // Other types keep their secrets in objects payload.data[] points to;
      // erase each whole slab object (an unknown layout).
      for (uint64_t i = 0; i < kPayloadWords; ++i) {
        DUMPFMT_TRY_ASSIGN(uint64_t p, k.ptr(key + payload_off + 8 * i));
        if (p == 0) continue;
        auto o = slabs.object_at(p);
        if (!o || !*o) continue;  // not a pointer into a slab object
        const auto& obj = **o;
        std::string w = strfmt("%s.data[%llu]", what.c_str(), static_cast<unsigned long long>(i));
        if (auto st = out.add_virt(k.mem(), obj.start, obj.object_size, "key", w); !st) {
          rep.note(strfmt("key %u (%s): ", serial, tname.c_str()) + st.error().message);
          continue;
        }
        rep.bytes += obj.object_size;
        erased = true;
      }
      if (!erased) {
        rep.note(
            strfmt("key %u (type %s): payload holds no pointer to a slab object; nothing erased",
                   serial, tname.c_str()));
      }
    }
    if (erased) rep.objects++;
    return ok();
  }));
  return rep;
}

}  // namespace dumpfmt::filters
