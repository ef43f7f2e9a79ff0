// dumpscrub's summary: pages dropped by class, objects erased by class and
// by rule, as text for stderr and as JSON.
#include "report.h"

#include <cstdio>
#include <fstream>

#include "dumpfmt/bytes.h"

namespace dumpscrub {

using dumpfmt::PageClass;
using dumpfmt::strfmt;

namespace {

constexpr PageClass kDropClasses[] = {PageClass::cache,    PageClass::cache_private,
                                      PageClass::user,     PageClass::free,
                                      PageClass::hwpoison, PageClass::offline};

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

// A JSON array of to_json(x) for each x of `xs`.
template <class Xs, class F>
nlohmann::ordered_json json_array(const Xs& xs, F&& to_json) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& x : xs) a.push_back(to_json(x));
  return a;
}

}  // namespace

std::string summary_text(const Report& r) {
  std::string s;
  auto line = [&](const std::string& l) { s += "dumpscrub: " + l + "\n"; };
  if (!r.found.profile.empty()) {
    std::string d;
    for (PageClass c : kDropClasses) {
      if (r.found.dropped[c] == 0 && (c == PageClass::hwpoison || c == PageClass::offline))
        continue;
      d += strfmt("%s %llu, ", std::string(dumpfmt::page_class_name(c)).c_str(),
                  ull(r.found.dropped[c]));
    }
    d += strfmt("per-CPU free %llu", ull(r.found.pcp_free));
    line(strfmt(
        "profile %s: pages %s: %s", r.found.profile.c_str(),
        r.found.keep_layout ? strfmt("overwritten with 0x%02x", r.found.fill).c_str() : "dropped",
        d.c_str()));
  }
  for (const auto& c : r.found.classes) {
    line(strfmt("erased %-9s %llu objects, %llu bytes", c.cls.c_str(), ull(c.objects),
                ull(c.bytes)));
  }
  // The built-in rules are summed up in their class; --json lists them.
  for (const auto& rr : r.found.rules) {
    if (rr.source.rfind("built-in", 0) == 0) continue;
    if (!rr.skipped.empty()) {
      line(strfmt("rule %s (%s): skipped: %s", rr.rule.c_str(), rr.source.c_str(),
                  rr.skipped.c_str()));
    } else {
      line(strfmt("rule %s (%s): %llu erasures, %llu bytes", rr.rule.c_str(), rr.source.c_str(),
                  ull(rr.objects), ull(rr.bytes)));
    }
  }
  return s;
}

nlohmann::ordered_json summary_json(const Report& r) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["input"] = r.input;
  j["output"] = r.output;
  j["format"] = r.format;
  j["profile"] = r.found.profile.empty() ? Json(nullptr) : Json(r.found.profile);
  j["keep_layout"] = r.found.keep_layout;
  j["fill"] = r.found.fill;
  j["btf"] = r.found.btf_source.empty() ? Json(nullptr) : Json(r.found.btf_source);
  Json d = Json::object();
  for (PageClass c : kDropClasses) d[std::string(dumpfmt::page_class_name(c))] = r.found.dropped[c];
  d["percpu_free"] = r.found.pcp_free;
  j["dropped_pages"] = d;
  j["erased_classes"] = json_array(r.found.classes, [](const auto& c) {
    return Json{{"class", c.cls}, {"objects", c.objects}, {"bytes", c.bytes}, {"notes", c.notes}};
  });
  j["rules"] = json_array(r.found.rules, [](const auto& rr) {
    Json o = {
        {"rule", rr.rule}, {"source", rr.source}, {"objects", rr.objects}, {"bytes", rr.bytes}};
    if (!rr.skipped.empty()) o["skipped"] = rr.skipped;
    return o;
  });
  j["erased"] = json_array(r.found.items, [](const auto& it) {
    return Json{{"class", it.cls}, {"what", it.what}, {"bytes", it.bytes}, {"ranges", it.count}};
  });
  j["pages_in"] = r.found.pages_in;
  j["pages_out"] = r.found.pages_out;
  j["page_bytes_out"] = r.bytes_out;
  j["warnings"] = r.warnings;
  return j;
}

dumpfmt::Status write_summary_json(const Report& r, const std::string& path) {
  std::string text = summary_json(r).dump(2) + "\n";
  if (path == "-") {
    std::fputs(text.c_str(), stdout);
    return dumpfmt::ok();
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) return dumpfmt::make_error(dumpfmt::Errc::io, path + ": cannot write the JSON summary");
  return dumpfmt::ok();
}

}  // namespace dumpscrub
