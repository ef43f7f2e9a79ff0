// Names of enumerators as data: a name function is a table of {value, name}
// rows and one lookup, not another switch of the same shape. Rows are
// matched by value, so their order and the enum's numbering do not matter.
#pragma once

#include <cstddef>
#include <string_view>

namespace dumpfmt {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

/// The name `table` gives `e`; `unknown` for a value it does not list (a
/// corrupt or newer value read from a dump). Unlike -Wswitch on a switch, the
/// compiler does not check that every enumerator has a row: enum_names_test
/// walks the library's public enums.
template <class E, size_t N>
constexpr std::string_view enum_name(E e, const EnumName<E> (&table)[N],
                                     std::string_view unknown = "?") {
  for (const EnumName<E>& row : table) {
    if (row.value == e) return row.name;
  }
  return unknown;
}

}  // namespace dumpfmt
