// Error and Result<T>: the error convention of every libdumpfmt API edge.
// Result mirrors std::expected (C++23) so it can become an alias later; the
// library never throws across its API and never prints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dumpfmt {

/// What went wrong, graded: `corrupt`, `no_data` and `not_built` may concern a
/// single page (a tool with --keep-going can continue); the others are fatal
/// for the operation.
enum class Errc : uint8_t {
  io,                // the OS failed a read/write (errno text in message)
  truncated,         // the file ends before a structure it declares
  corrupt,           // a structure is inconsistent (bad magic inside, bad size, ...)
  unknown_format,    // no format recognised this input
  unsupported,       // recognised, but a variant/feature we do not handle
  not_built,         // a codec/feature this build was compiled without
  invalid_argument,  // caller error (bad option, bad PFN, ...)
  no_data,           // the data is legitimately absent (excluded page)
};

std::string_view errc_name(Errc c);

struct Error {
  Errc code = Errc::io;
  std::string message;  // carries its context, outermost first: "vmcore: offset 0x40: ..."
};

/// Builds an Error; `msg` should already name file/offset where known.
inline Error make_error(Errc c, std::string msg) { return Error{c, std::move(msg)}; }

/// Prepends context ("vmcore.1", "page 0x1234") to an error's message.
inline Error with_context(Error e, std::string_view what) {
  std::string m(what);
  m += ": ";
  m += e.message;
  e.message = std::move(m);
  return e;
}

/// Wrapper that lets `return unexpected(err);` read like std::expected code.
struct Unexpected {
  Error error;
};
inline Unexpected unexpected(Error e) { return Unexpected{std::move(e)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }
  template <class U>
  T value_or(U&& u) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(u));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT
  Result(Unexpected u) : err_(std::move(u.error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;
inline Status ok() { return {}; }

}  // namespace dumpfmt

#define DUMPFMT_CONCAT2(a, b) a##b
#define DUMPFMT_CONCAT(a, b) DUMPFMT_CONCAT2(a, b)

/// DUMPFMT_TRY(expr): returns expr's error from the enclosing function.
/// DUMPFMT_TRY_ASSIGN(decl, expr): `decl = *expr` or return its error.
#define DUMPFMT_TRY(expr)                                        \
  do {                                                           \
    auto&& dumpfmt_try_r_ = (expr);                              \
    if (!dumpfmt_try_r_) return std::move(dumpfmt_try_r_).error(); \
  } while (0)

#define DUMPFMT_TRY_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                             \
  if (!tmp) return std::move(tmp).error();       \
  decl = std::move(*tmp)

#define DUMPFMT_TRY_ASSIGN(decl, expr) \
  DUMPFMT_TRY_ASSIGN_IMPL(DUMPFMT_CONCAT(dumpfmt_try_v_, __LINE__), decl, expr)
