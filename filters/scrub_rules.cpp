// Erase rules: the parser of makedumpfile's filter-config syntax (subset and
// extensions listed in scrub_rules.h) and its evaluation over kallsyms + BTF.
#include "dumpfmt_filters/scrub_rules.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

#include "dumpfmt/bytes.h"

namespace dumpfmt::filters {

// ---- parsed form ----

struct Expr {
  std::string cast;                  // "struct foo", "union bar", "foo" (typedef/int) or ""
  std::string base;                  // symbol, or the loop variable
  std::vector<std::string> members;  // .a.b.c
  std::string text;                  // as written (for messages and eraseinfo)
};

struct EraseStmt {
  Expr target;
  enum class SizeKind : uint8_t { none, number, expr, nullify } size_kind = SizeKind::none;
  uint64_t size = 0;
  Expr size_expr;
  std::string text;
};

struct RuleNode {
  enum class Kind : uint8_t { erase, loop } kind = Kind::erase;
  EraseStmt erase;  // Kind::erase
  // Kind::loop
  std::string id;
  Expr head;
  enum class LoopKind : uint8_t { within, via, array } loop_kind = LoopKind::array;
  std::string struct_name, member;  // within STRUCT:MEMBER; via MEMBER (in `member`)
  std::vector<EraseStmt> body;
};

namespace {

constexpr uint64_t kMaxEraseSize = uint64_t{1} << 30;
constexpr uint64_t kMaxExtentSize = uint64_t{16} << 20;
constexpr size_t kMaxString = 1024;  // makedumpfile's limit for char * strings

// The expression without its cast: eraseinfo lines are split at spaces.
std::string plain(const Expr& e) {
  std::string s = e.base;
  for (const auto& m : e.members) s += "." + m;
  return s;
}

// ---- lexer ----

struct Lexer {
  std::string_view s;
  size_t i = 0;

  void skip_ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool at_end() {
    skip_ws();
    return i >= s.size();
  }
  bool peek_char(char c) {
    skip_ws();
    return i < s.size() && s[i] == c;
  }
  bool eat_char(char c) {
    if (!peek_char(c)) return false;
    ++i;
    return true;
  }
  // A C identifier ('$' too: some kallsyms names have it).
  std::string word() {
    skip_ws();
    size_t b = i;
    while (i < s.size() &&
           (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) {
      ++i;
    }
    return std::string(s.substr(b, i - b));
  }
  std::string rest() {
    skip_ws();
    return std::string(s.substr(i));
  }
};

Error syntax(std::string_view where, const std::string& msg) {
  return make_error(Errc::invalid_argument, std::string(where) + ": " + msg);
}

Result<Expr> parse_expr(Lexer& lx, std::string_view where) {
  Expr e;
  const size_t start = (lx.skip_ws(), lx.i);
  if (lx.eat_char('(')) {
    std::string w = lx.word();
    if (w == "struct" || w == "union") {
      std::string n = lx.word();
      if (n.empty()) return syntax(where, "type name expected after '" + w + "'");
      e.cast = w + " " + n;
    } else if (!w.empty()) {
      e.cast = w;
    } else {
      return syntax(where, "type name expected after '('");
    }
    if (!lx.eat_char(')')) return syntax(where, "')' expected after the type");
  }
  e.base = lx.word();
  if (e.base.empty()) return syntax(where, "symbol name expected");
  // A local static in kallsyms: "name.0", "name.12".
  while (lx.i + 1 < lx.s.size() && lx.s[lx.i] == '.' &&
         std::isdigit(static_cast<unsigned char>(lx.s[lx.i + 1]))) {
    size_t b = lx.i++;
    while (lx.i < lx.s.size() && std::isdigit(static_cast<unsigned char>(lx.s[lx.i]))) ++lx.i;
    e.base += std::string(lx.s.substr(b, lx.i - b));
  }
  while (lx.i < lx.s.size() && lx.s[lx.i] == '.') {
    ++lx.i;
    std::string m = lx.word();
    if (m.empty()) return syntax(where, "member name expected after '.'");
    e.members.push_back(std::move(m));
  }
  e.text = std::string(lx.s.substr(start, lx.i - start));
  while (!e.text.empty() && std::isspace(static_cast<unsigned char>(e.text.front()))) {
    e.text.erase(e.text.begin());
  }
  return e;
}

Result<EraseStmt> parse_erase(Lexer& lx, std::string_view where) {
  EraseStmt st;
  DUMPFMT_TRY_ASSIGN(st.target, parse_expr(lx, where));
  if (lx.at_end()) return st;
  std::string kw = lx.word();
  if (kw == "nullify") {
    st.size_kind = EraseStmt::SizeKind::nullify;
  } else if (kw == "size") {
    lx.skip_ws();
    if (lx.i < lx.s.size() && std::isdigit(static_cast<unsigned char>(lx.s[lx.i]))) {
      size_t b = lx.i;
      while (lx.i < lx.s.size() && std::isalnum(static_cast<unsigned char>(lx.s[lx.i]))) ++lx.i;
      std::string num(lx.s.substr(b, lx.i - b));
      uint64_t mult = 1;
      if (!num.empty() && (num.back() == 'K' || num.back() == 'k')) mult = 1024;
      if (!num.empty() && (num.back() == 'M' || num.back() == 'm')) mult = 1024 * 1024;
      if (mult != 1) num.pop_back();
      auto v = parse_vmcoreinfo_number(num);
      if (!v || *v <= 0) return syntax(where, "size: '" + num + "' is not a positive number");
      st.size = static_cast<uint64_t>(*v) * mult;
      if (st.size > kMaxEraseSize) return syntax(where, "size: more than 1 GiB");
      st.size_kind = EraseStmt::SizeKind::number;
    } else {
      DUMPFMT_TRY_ASSIGN(st.size_expr, parse_expr(lx, where));
      st.size_kind = EraseStmt::SizeKind::expr;
    }
  } else {
    return syntax(where, "'size' or 'nullify' expected, not '" + kw + "'");
  }
  if (!lx.at_end()) return syntax(where, "unexpected '" + lx.rest() + "'");
  return st;
}

}  // namespace

void append_rules(RuleSet& to, RuleSet more) {
  for (auto& r : more.rules) to.rules.push_back(std::move(r));
  for (auto& w : more.warnings) to.warnings.push_back(std::move(w));
}

Result<RuleSet> parse_rules(std::string_view text, std::string_view source) {
  RuleSet rs;
  bool in_module = false;
  std::shared_ptr<RuleNode> loop;
  Rule loop_rule;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (auto h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
    Lexer lx{line};
    if (lx.at_end()) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    if (lx.eat_char('[')) {
      std::string sect = lx.word();
      if (!lx.eat_char(']') || !lx.at_end()) return syntax(where, "section: '[NAME]' expected");
      in_module = sect != "vmlinux";
      if (in_module) {
        rs.warnings.push_back(where + ": section [" + sect +
                              "]: module symbols are not implemented; its rules are skipped");
      }
      continue;
    }
    std::string kw = lx.word();
    if (kw == "endfor") {
      if (!loop) return syntax(where, "'endfor' without 'for'");
      if (!lx.at_end()) return syntax(where, "unexpected text after 'endfor'");
      if (!in_module) rs.rules.push_back(loop_rule);
      loop.reset();
      continue;
    }
    if (kw == "erase") {
      DUMPFMT_TRY_ASSIGN(EraseStmt st, parse_erase(lx, where));
      st.text = std::string(line);
      while (!st.text.empty() && std::isspace(static_cast<unsigned char>(st.text.front()))) {
        st.text.erase(st.text.begin());
      }
      while (!st.text.empty() && std::isspace(static_cast<unsigned char>(st.text.back()))) {
        st.text.pop_back();
      }
      if (loop) {
        if (st.target.base == loop->id && !st.target.cast.empty()) {
          return syntax(where, "the loop variable's type comes from the loop; no cast");
        }
        loop->body.push_back(std::move(st));
        continue;
      }
      auto node = std::make_shared<RuleNode>();
      node->kind = RuleNode::Kind::erase;
      node->erase = std::move(st);
      if (!in_module) rs.rules.push_back({node->erase.text, where, node});
      continue;
    }
    if (kw == "for") {
      if (loop) return syntax(where, "loops do not nest");
      loop = std::make_shared<RuleNode>();
      loop->kind = RuleNode::Kind::loop;
      loop->id = lx.word();
      if (loop->id.empty()) return syntax(where, "loop variable expected after 'for'");
      if (lx.word() != "in") return syntax(where, "'in' expected");
      DUMPFMT_TRY_ASSIGN(loop->head, parse_expr(lx, where));
      if (lx.at_end()) {
        loop->loop_kind = RuleNode::LoopKind::array;
      } else {
        std::string how = lx.word();
        if (how == "within") {
          loop->loop_kind = RuleNode::LoopKind::within;
          loop->struct_name = lx.word();
          if (loop->struct_name == "struct") loop->struct_name = lx.word();
          if (loop->struct_name.empty() || !lx.eat_char(':')) {
            return syntax(where, "'within STRUCT:MEMBER' expected");
          }
          loop->member = lx.word();
          if (loop->member.empty()) return syntax(where, "member expected after ':'");
        } else if (how == "via") {
          loop->loop_kind = RuleNode::LoopKind::via;
          loop->member = lx.word();
          if (loop->member.empty()) return syntax(where, "member expected after 'via'");
        } else {
          return syntax(where, "'within' or 'via' expected, not '" + how + "'");
        }
        if (!lx.at_end()) return syntax(where, "unexpected '" + lx.rest() + "'");
      }
      std::string t(line);
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
      loop_rule = {t, where, loop};
      continue;
    }
    return syntax(where, "'erase', 'for', 'endfor' or '[section]' expected, not '" + kw + "'");
  }
  if (loop) return syntax(std::string(source) + ":" + std::to_string(line_no), "missing 'endfor'");
  return rs;
}

// ---- evaluation ----

namespace {

// A located object: its address and (when known) its BTF type.
struct Value {
  uint64_t addr = 0;
  Btf::TypeId type = 0;
  bool typed = false;
  std::optional<uint64_t> extent;  // kallsyms extent of an untyped symbol
};

// Missing symbols/types/members: skippable for built-in rules.
struct Missing {
  std::string why;
};

class Evaluator {
 public:
  Evaluator(const ScrubKernel& k, EraseSet& out, const ApplyRulesOptions& opts)
      : k_(k), out_(out), opts_(opts) {}

  // Runs one rule; Missing -> `missing` is set and the status is ok.
  Status run(const RuleNode& n, RuleReport& rep) {
    rep_ = &rep;
    missing_.reset();
    Status st = n.kind == RuleNode::Kind::erase ? run_erase_top(n.erase) : run_loop(n);
    if (missing_ && st) {
      if (!opts_.skip_missing) return make_error(Errc::invalid_argument, missing_->why);
      rep.skipped = missing_->why;
    }
    return st;
  }

 private:
  const Btf* btf() const { return k_.btf(); }

  // Records "cannot resolve" and returns false.
  bool miss(std::string why) {
    if (!missing_) missing_ = Missing{std::move(why)};
    return false;
  }

  // The CPUs' copies of a per-CPU symbol, or just the symbol.
  Result<std::vector<Value>> resolve_base(const Expr& e) {
    std::vector<Value> out;
    auto all = k_.syms().find_all(e.base);
    std::optional<uint64_t> addr;
    const KernelSymbol* sym = nullptr;
    if (auto v = k_.vmcoreinfo().symbol(e.base)) {
      addr = *v;
    } else if (all.size() == 1) {
      sym = all[0];
      addr = sym->address;
    } else if (all.size() > 1) {
      return make_error(Errc::invalid_argument,
                        strfmt("%s: %zu kernel symbols are named '%s'; cannot tell which",
                               e.text.c_str(), all.size(), e.base.c_str()));
    }
    if (!addr) {
      miss(e.text + ": no kernel symbol '" + e.base + "'");
      return out;
    }
    if (!sym) {
      if (auto s = k_.syms().find(e.base)) sym = s;
    }
    Value v;
    v.addr = *addr;
    if (!e.cast.empty()) {
      if (!btf()) return k_.need_btf(e.text).error();
      std::string name = e.cast;
      Result<Btf::TypeId> t = make_error(Errc::no_data, "");
      if (name.rfind("struct ", 0) == 0 || name.rfind("union ", 0) == 0) {
        t = btf()->find_struct(name.substr(name.find(' ') + 1));
      } else {
        t = btf()->find_type(name);
      }
      if (!t) {
        miss(e.text + ": " + t.error().message);
        return out;
      }
      v.type = *t;
      v.typed = true;
    } else if (btf()) {
      if (auto t = btf()->variable(e.base)) {
        v.type = *t;
        v.typed = true;
      }
    }
    if (!v.typed && sym) v.extent = k_.syms().extent(*sym);
    // Per-CPU: the symbol lies in [__per_cpu_start, __per_cpu_end).
    auto pcs = k_.syms().address("__per_cpu_start");
    auto pce = k_.syms().address("__per_cpu_end");
    if (pcs && pce && v.addr >= *pcs && v.addr < *pce) {
      DUMPFMT_TRY_ASSIGN(auto offs, k_.percpu_offsets());
      for (uint64_t o : offs) {
        Value c = v;
        c.addr = v.addr + o;
        out.push_back(c);
      }
      return out;
    }
    out.push_back(v);
    return out;
  }

  // Follows .member[.member...] from `v`; a pointer before a member is
  // dereferenced (makedumpfile's '.' on pointers).
  Result<std::optional<Value>> members(Value v, const Expr& e, size_t from) {
    for (size_t i = from; i < e.members.size(); ++i) {
      const std::string& m = e.members[i];
      if (!v.typed) {
        if (!btf()) return k_.need_btf(e.text).error();
        miss(e.text + ": the type of '" + e.base +
             "' is unknown (BTF records only per-CPU variables); write '(struct TYPE)" + e.base +
             "...'");
        return std::optional<Value>{};
      }
      Btf::TypeId t = btf()->resolve(v.type);
      Btf::Type ty = btf()->type(t);
      if (ty.kind == Btf::Kind::ptr) {
        DUMPFMT_TRY_ASSIGN(uint64_t p, k_.ptr(v.addr));
        if (p == 0) {
          return make_error(Errc::no_data, e.text + ": NULL pointer before '." + m + "'");
        }
        v.addr = p;
        t = btf()->resolve(ty.target);
      }
      auto mem = btf()->member(t, m);
      if (!mem) {
        miss(e.text + ": " + mem.error().message);
        return std::optional<Value>{};
      }
      if (mem->bit_size != 0 || mem->bit_offset % 8 != 0) {
        return make_error(Errc::unsupported, e.text + ": '" + m + "' is a bitfield");
      }
      v.addr += mem->byte_offset();
      v.type = mem->type;
    }
    return std::optional<Value>(v);
  }

  Result<uint64_t> integer_at(const Value& v, const std::string& what) {
    if (!v.typed) {
      return make_error(Errc::invalid_argument, what + ": the size expression's type is unknown");
    }
    Btf::Type t = btf()->type(btf()->resolve(v.type));
    if (t.kind != Btf::Kind::int_ && t.kind != Btf::Kind::enum_) {
      return make_error(Errc::invalid_argument, what + ": the size expression is " +
                                                    btf()->type_name(v.type) + ", not an integer");
    }
    std::byte b[8] = {};
    if (t.size == 0 || t.size > 8) return make_error(Errc::invalid_argument, what + ": odd int");
    DUMPFMT_TRY(k_.mem().read_virt(v.addr, std::span<std::byte>(b, t.size)));
    uint64_t x = 0;
    if (k_.mem().endian() == Endian::little) {
      for (size_t i = t.size; i-- > 0;) x = (x << 8) | std::to_integer<uint8_t>(b[i]);
    } else {
      for (size_t i = 0; i < t.size; ++i) x = (x << 8) | std::to_integer<uint8_t>(b[i]);
    }
    return x;
  }

  // Erases what `st` names at `v`; `what` is the eraseinfo form.
  Status erase_value(const EraseStmt& st, const Value& v, const std::string& what,
                     const std::optional<Value>& size_v) {
    uint64_t addr = v.addr, len = 0;
    bool zero = false;
    Btf::Type ty;
    Btf::TypeId rt = 0;
    if (v.typed) {
      rt = btf()->resolve(v.type);
      ty = btf()->type(rt);
    }
    const bool is_ptr = v.typed && ty.kind == Btf::Kind::ptr;
    switch (st.size_kind) {
      case EraseStmt::SizeKind::nullify:
        if (!is_ptr) {
          return make_error(Errc::invalid_argument, st.text + ": nullify needs a pointer");
        }
        len = ty.size;
        zero = true;
        break;
      case EraseStmt::SizeKind::number:
      case EraseStmt::SizeKind::expr: {
        if (st.size_kind == EraseStmt::SizeKind::number) {
          len = st.size;
        } else {
          DUMPFMT_TRY_ASSIGN(len, integer_at(*size_v, st.text));
        }
        if (is_ptr) {
          DUMPFMT_TRY_ASSIGN(addr, k_.ptr(v.addr));
        }
        break;
      }
      case EraseStmt::SizeKind::none:
        if (!v.typed) {
          if (!v.extent || *v.extent == 0 || *v.extent > kMaxExtentSize) {
            return make_error(Errc::invalid_argument,
                              st.text +
                                  ": size unknown (no type, no kallsyms extent); add "
                                  "'size N'");
          }
          len = *v.extent;
        } else if (is_ptr) {
          Btf::TypeId pt = btf()->resolve(ty.target);
          Btf::Type pty = btf()->type(pt);
          DUMPFMT_TRY_ASSIGN(addr, k_.ptr(v.addr));
          if (pty.kind == Btf::Kind::void_) {
            return make_error(Errc::invalid_argument,
                              st.text + ": a void pointer needs 'size' or 'nullify'");
          }
          if (pty.kind == Btf::Kind::int_ && pty.size == 1) {
            // char *: the string, as makedumpfile (at most 1024 bytes).
            if (addr == 0) return ok();
            DUMPFMT_TRY_ASSIGN(std::string s, k_.cstring(addr, kMaxString));
            len = s.size() + (s.size() < kMaxString ? 1 : 0);
          } else {
            DUMPFMT_TRY_ASSIGN(len, btf()->size_of(pt));
          }
        } else {
          DUMPFMT_TRY_ASSIGN(len, btf()->size_of(rt));
        }
        break;
    }
    if (addr == 0 || len == 0) return ok();
    if (len > kMaxEraseSize) return make_error(Errc::invalid_argument, st.text + ": over 1 GiB");
    DUMPFMT_TRY(out_.add_virt(k_.mem(), addr, len, opts_.cls, what, zero));
    rep_->objects++;
    rep_->bytes += len;
    return ok();
  }

  // Calls f with the value of `e` on every CPU (once when its symbol is not
  // per-CPU) while f returns true; stops, ok, at the first copy whose
  // members cannot be resolved (miss() has said why).
  Status for_each_copy(const Expr& e, const std::function<Result<bool>(const Value&)>& f) {
    DUMPFMT_TRY_ASSIGN(auto bases, resolve_base(e));
    for (const Value& b : bases) {
      DUMPFMT_TRY_ASSIGN(auto v, members(b, e, 0));
      if (!v) return ok();
      DUMPFMT_TRY_ASSIGN(bool more, f(*v));
      if (!more) return ok();
    }
    return ok();
  }

  Status run_erase_top(const EraseStmt& st) {
    return for_each_copy(st.target, [&](const Value& v) -> Result<bool> {
      std::optional<Value> sv;
      if (st.size_kind == EraseStmt::SizeKind::expr) {
        DUMPFMT_TRY_ASSIGN(sv, eval_global(st.size_expr));
        if (!sv) return false;
      }
      DUMPFMT_TRY(erase_value(st, v, plain(st.target), sv));
      return true;
    });
  }

  Result<std::optional<Value>> eval_global(const Expr& e) {
    DUMPFMT_TRY_ASSIGN(auto bases, resolve_base(e));
    if (bases.empty()) return std::optional<Value>{};
    if (bases.size() != 1) {
      return make_error(Errc::invalid_argument, e.text + ": a per-CPU size expression");
    }
    return members(bases[0], e, 0);
  }

  // The loop body for one element.
  Status body(const RuleNode& n, const Value& elem, const std::string& head_text) {
    for (const EraseStmt& st : n.body) {
      std::optional<Value> v;
      std::string what;
      if (st.target.base == n.id) {
        DUMPFMT_TRY_ASSIGN(v, members(elem, st.target, 0));
        what = head_text + "[]" + plain(st.target).substr(n.id.size());
      } else {
        DUMPFMT_TRY(run_erase_top(st));
        continue;
      }
      if (!v) return ok();
      std::optional<Value> sv;
      if (st.size_kind == EraseStmt::SizeKind::expr) {
        if (st.size_expr.base == n.id) {
          DUMPFMT_TRY_ASSIGN(sv, members(elem, st.size_expr, 0));
        } else {
          DUMPFMT_TRY_ASSIGN(sv, eval_global(st.size_expr));
        }
        if (!sv) return ok();
      }
      DUMPFMT_TRY(erase_value(st, *v, what, sv));
    }
    return ok();
  }

  Status run_loop(const RuleNode& n) {
    return for_each_copy(n.head, [&](const Value& head) -> Result<bool> {
      DUMPFMT_TRY(loop_one(n, head));
      return !missing_;
    });
  }

  Status loop_one(const RuleNode& n, const Value& head) {
    if (!btf()) return k_.need_btf(n.head.text).error();
    const std::string& ht = n.head.text;
    const std::string hp = plain(n.head);
    switch (n.loop_kind) {
      case RuleNode::LoopKind::within: {
        auto st = btf()->find_struct(n.struct_name);
        if (!st) {
          miss(ht + ": " + st.error().message);
          return ok();
        }
        auto m = btf()->member(*st, n.member);
        if (!m) {
          miss(ht + ": " + m.error().message);
          return ok();
        }
        const std::string link = btf()->type(btf()->resolve(m->type)).name;
        Value elem;
        elem.type = *st;
        elem.typed = true;
        auto visit = [&](uint64_t node) -> Status {
          elem.addr = node - m->byte_offset();
          return body(n, elem, hp);
        };
        if (link == "list_head") return k_.walk_list(head.addr, opts_.max_loop, visit);
        if (link == "rb_node") return k_.walk_rbtree(head.addr, opts_.max_loop, visit);
        if (link == "hlist_node") {
          DUMPFMT_TRY_ASSIGN(uint64_t node, k_.ptr(head.addr));
          for (uint64_t i = 0; node; ++i) {
            if (i >= opts_.max_loop) return make_error(Errc::corrupt, ht + ": hlist too long");
            DUMPFMT_TRY(visit(node));
            DUMPFMT_TRY_ASSIGN(node, k_.ptr(node));
          }
          return ok();
        }
        return make_error(Errc::invalid_argument, ht + ": " + n.struct_name + "." + n.member +
                                                      " is not a list_head, hlist_node or rb_node");
      }
      case RuleNode::LoopKind::via: {
        if (!head.typed) {
          miss(ht + ": type unknown; write '(struct TYPE *)" + n.head.base + "'");
          return ok();
        }
        Btf::TypeId t = btf()->resolve(head.type);
        Btf::Type ty = btf()->type(t);
        uint64_t first = head.addr;
        if (ty.kind == Btf::Kind::ptr) {
          DUMPFMT_TRY_ASSIGN(first, k_.ptr(head.addr));
          t = btf()->resolve(ty.target);
        }
        auto m = btf()->member(t, n.member);
        if (!m) {
          miss(ht + ": " + m.error().message);
          return ok();
        }
        Value elem;
        elem.type = t;
        elem.typed = true;
        uint64_t cur = first;
        for (uint64_t i = 0; cur; ++i) {
          if (i >= opts_.max_loop) return make_error(Errc::corrupt, ht + ": chain too long");
          elem.addr = cur;
          DUMPFMT_TRY(body(n, elem, hp));
          DUMPFMT_TRY_ASSIGN(cur, k_.ptr(cur + m->byte_offset()));
          if (cur == first) break;
        }
        return ok();
      }
      case RuleNode::LoopKind::array: {
        if (!head.typed) {
          miss(ht + ": type unknown; write '(TYPE)" + n.head.base + "' with an array type");
          return ok();
        }
        Btf::Type ty = btf()->type(btf()->resolve(head.type));
        if (ty.kind != Btf::Kind::array) {
          return make_error(Errc::invalid_argument,
                            ht + " is " + btf()->type_name(head.type) + ", not an array");
        }
        DUMPFMT_TRY_ASSIGN(uint64_t esz, btf()->size_of(ty.target));
        Value elem;
        elem.type = ty.target;
        elem.typed = true;
        for (uint64_t i = 0; i < ty.nelems && i < opts_.max_loop; ++i) {
          elem.addr = head.addr + i * esz;
          DUMPFMT_TRY(body(n, elem, hp));
        }
        return ok();
      }
    }
    return ok();
  }

  const ScrubKernel& k_;
  EraseSet& out_;
  const ApplyRulesOptions& opts_;
  RuleReport* rep_ = nullptr;
  std::optional<Missing> missing_;
};

}  // namespace

Result<std::vector<RuleReport>> apply_rules(const ScrubKernel& k, const RuleSet& rules,
                                            EraseSet& out, const ApplyRulesOptions& opts) {
  std::vector<RuleReport> reps;
  Evaluator ev(k, out, opts);
  for (const Rule& r : rules.rules) {
    RuleReport rep;
    rep.rule = r.text;
    rep.source = r.source;
    if (auto st = ev.run(*r.node, rep); !st) return with_context(std::move(st).error(), r.source);
    reps.push_back(std::move(rep));
  }
  return reps;
}

std::string_view builtin_rng_rules() {
  return R"(# The kernel's random number generator state: knowing it predicts or
# reconstructs keys the kernel generated (TCP sequence numbers, ASLR, key
# material handed to programs through getrandom()).
# 5.17 and later (drivers/char/random.c after the BLAKE2s rewrite):
erase base_crng size 32
erase crngs.key
erase (struct blake2s_state)input_pool
erase batched_entropy_u8.entropy
erase batched_entropy_u16.entropy
erase batched_entropy_u32.entropy
erase batched_entropy_u64.entropy
erase irq_randomness.pool
# 4.x - 5.16: the ChaCha20 CRNG and the pool words.
erase (struct crng_state)primary_crng.state
erase input_pool_data
erase blocking_pool_data
)";
}

}  // namespace dumpfmt::filters
