// Names (and other values) of enumerators as data: a mapping function is a
// table of {enumerator, value} rows and one lookup, not another switch of the
// same shape. Rows are matched by enumerator, so their order and the enum's
// numbering do not matter.
#pragma once

#include <cstddef>
#include <string_view>

namespace dumpfmt {

template <class E, class V>
struct EnumRow {
  E key;
  V value;
};

template <class E>
using EnumName = EnumRow<E, std::string_view>;

/// The value `table` gives `e`; `fallback` for an enumerator it does not list
/// (a corrupt or newer value read from a dump, or one the mapping leaves out).
/// Unlike -Wswitch on a switch, the compiler does not check that every
/// enumerator has a row: enum_names_test walks the library's public enums.
template <class E, class V, size_t N>
constexpr V enum_lookup(E e, const EnumRow<E, V> (&table)[N], V fallback) {
  for (const EnumRow<E, V>& row : table) {
    if (row.key == e) return row.value;
  }
  return fallback;
}

/// enum_lookup for names, "?" by default.
template <class E, size_t N>
constexpr std::string_view enum_name(E e, const EnumName<E> (&table)[N],
                                     std::string_view unknown = "?") {
  return enum_lookup(e, table, unknown);
}

}  // namespace dumpfmt
