// dumpscrub's plan (see scrub_plan.h): the kernel model, the dropped pages,
// the erasures, eraseinfo and the page transform.
#include "dumpfmt_filters/scrub_plan.h"

#include <cstring>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/btf.h"
#include "dumpfmt/kernel/kallsyms.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt_filters/page_filter.h"

namespace dumpfmt::filters {

namespace {

// f() when `ready`, else ready's error.
template <class F>
auto when_ready(Status ready, F&& f) -> decltype(f()) {
  if (!ready) return std::move(ready).error();
  return f();
}

// A step that cannot run: reported; true when the plan goes on without it.
bool go_on_without(const ScrubOptions& o, const std::string& step, const Error& why) {
  if (o.unavailable) o.unavailable(step, why);
  return o.skip_unavailable;
}

Error stopped_at(const std::string& step, const Error& why) {
  return make_error(why.code, step + ": " + why.message);
}

void warn(const ScrubOptions& o, const std::string& m) {
  if (o.warn) o.warn(m);
}

// The pages: classes as makedumpfile at the profile's level, then the
// per-CPU free lists, which makedumpfile cannot see.
Status plan_pages(const PageSource& s, const ScrubModel& m, const ScrubOptions& o,
                  ScrubPlan& plan) {
  FilterOptions fo;
  fo.dump_level = scrub_dump_level(o);
  fo.threads = o.threads;
  fo.progress = [&](const char*, uint64_t d, uint64_t t) {
    if (o.classify_progress) o.classify_progress(d, t);
  };
  if (o.classify_begin) o.classify_begin();
  auto filtered = filter_pages(s, fo);
  if (o.classify_end) o.classify_end();
  if (!filtered) return std::move(filtered).error();
  auto& fr = *filtered;
  for (const auto& w : fr.stats.warnings) warn(o, w);
  plan.summary.dropped = fr.stats.excluded;
  PfnSet all = s.present();
  if (fr.mem_map_end) all.erase_range(*fr.mem_map_end, all.end_bound() + 1);
  plan.dropped = all;
  plan.dropped.subtract(fr.kept);
  if (!o.profile.empty()) {
    auto pcp =
        when_ready(m.ready("per-CPU free lists"), [&] { return find_pcp_free_pages(m.kernel); });
    if (!pcp) {
      const std::string step = "per-CPU free pages";
      if (!go_on_without(o, step, pcp.error())) return stopped_at(step, pcp.error());
    } else {
      for (const auto& w : pcp->warnings) warn(o, w);
      PfnSet newly = pcp->pages;
      newly.intersect(fr.kept);
      plan.summary.pcp_free = newly.count();
      plan.dropped.add(newly);
    }
  }
  plan.pages = o.keep_layout ? all : fr.kept;
  if (!o.keep_layout) plan.pages.subtract(plan.dropped);
  plan.ram = std::move(fr.ram);
  if (!o.profile.empty()) plan.info.dump_level = fo.dump_level;
  if (fr.mem_map_end && plan.info.max_pfn > *fr.mem_map_end) plan.info.max_pfn = *fr.mem_map_end;
  return ok();
}

// The RNG state by the built-in rules; a kernel none of them matches cannot
// have its RNG state erased.
Status plan_rng(const ScrubModel& m, const ScrubOptions& o, EraseSet& erase,
                ScrubSummary& summary) {
  const std::string step = "RNG state";
  DUMPFMT_TRY_ASSIGN(RuleSet rng, parse_rules(builtin_rng_rules(), "built-in"));
  ApplyRulesOptions ao;
  ao.skip_missing = true;
  ao.cls = "rng";
  auto rr = when_ready(m.ready(step), [&] { return apply_rules(m.kernel, rng, erase, ao); });
  if (!rr) {
    if (!go_on_without(o, step, rr.error())) return stopped_at(step, rr.error());
    return ok();
  }
  ClassReport c;
  c.cls = "rng";
  for (auto& x : *rr) {
    c.objects += x.objects;
    c.bytes += x.bytes;
    summary.rules.push_back(std::move(x));
  }
  if (c.objects == 0) {
    auto none = make_error(Errc::unsupported, "no RNG rule matched this kernel");
    if (!go_on_without(o, step, none)) return stopped_at(step, none);
  }
  summary.classes.push_back(std::move(c));
  return ok();
}

}  // namespace

uint32_t scrub_dump_level(const ScrubOptions& o) {
  if (o.profile.empty()) return 0;
  return o.keep_layout || o.format != "kdump" ? 30u : uint32_t{kDumpLevelMax};
}

Status ScrubModel::ready(const std::string& what) const {
  if (no_kallsyms) {
    return make_error(no_kallsyms->code, what + ": no kallsyms: " + no_kallsyms->message);
  }
  if (no_mem_map) return make_error(no_mem_map->code, what + ": " + no_mem_map->message);
  return ok();
}

Status plan_erasures(const ScrubModel& m, const ScrubOptions& o, EraseSet& erase,
                     ScrubSummary& summary) {
  if (o.profile == "upload") {
    using Finder = Result<ClassReport> (*)(const ScrubKernel&, EraseSet&);
    const std::pair<const char*, Finder> finders[] = {
        {"key payloads", erase_key_payloads},
        {"TTY and console buffers", erase_tty_buffers},
        {"pipe buffers", erase_pipe_buffers},
        {"freed slab objects", erase_free_slab_objects},
    };
    // A named pair, not a structured binding: clang before 16 cannot capture one.
    for (const auto& finder : finders) {
      const std::string what = finder.first;
      auto r = when_ready(m.ready(what), [&] { return finder.second(m.kernel, erase); });
      if (!r) {
        if (!go_on_without(o, what, r.error())) return stopped_at(what, r.error());
        continue;
      }
      for (const auto& n : r->notes) warn(o, r->cls + ": " + n);
      summary.classes.push_back(std::move(*r));
    }
    DUMPFMT_TRY(plan_rng(m, o, erase, summary));
  }
  if (!o.user_rules.rules.empty()) {
    DUMPFMT_TRY(m.ready("erase rules"));
    DUMPFMT_TRY_ASSIGN(auto rr, apply_rules(m.kernel, o.user_rules, erase));
    for (auto& x : rr) summary.rules.push_back(std::move(x));
  }
  erase.finish();
  summary.items = erase.items();
  return ok();
}

std::string scrub_eraseinfo(std::string_view source, const EraseSet& erase, const ScrubOptions& o,
                            uint64_t dropped_bytes) {
  std::string text(source);
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += erase.eraseinfo();
  if (o.keep_layout && dropped_bytes) {
    text += strfmt("erase pages(%s) size %llu\n", o.profile.c_str(),
                   static_cast<unsigned long long>(dropped_bytes));
  }
  return text;
}

std::function<Status(Pfn, std::span<std::byte>)> scrub_transform(const PfnSet& dropped,
                                                                 const EraseSet& erase,
                                                                 uint8_t fill, bool keep_layout) {
  const std::byte fb{fill};
  return [&dropped, &erase, fb, keep_layout](Pfn pfn, std::span<std::byte> page) -> Status {
    if (keep_layout && dropped.contains(pfn)) {
      std::memset(page.data(), std::to_integer<int>(fb), page.size());
      return ok();
    }
    erase.apply(pfn, page, fb);
    return ok();
  };
}

std::function<Status(Pfn, std::span<std::byte>)> ScrubPlan::transform() const {
  return scrub_transform(dropped, erase, summary.fill, summary.keep_layout);
}

Result<ScrubPlan> plan_scrub(const PageSource& s, const ScrubOptions& o) {
  // The kernel model: VMCOREINFO, kallsyms, BTF, struct pages.
  auto km = KernelMemory::create(s);
  if (!km) return with_context(km.error(), "kernel memory");
  ScrubPlan plan(s.info().page_size);
  auto syms = Kallsyms::read(**km);
  std::optional<Btf> btf;
  if (syms) {
    auto b = o.vmlinux.empty() ? Btf::from_kernel(*syms, **km) : Btf::from_vmlinux(o.vmlinux);
    if (b) {
      btf.emplace(std::move(*b));
      plan.summary.btf_source = o.vmlinux.empty() ? "dump" : "vmlinux " + o.vmlinux;
    } else if (!o.vmlinux.empty()) {
      return std::move(b).error();
    } else {
      warn(o, "no BTF type information: " + b.error().message);
    }
  } else {
    warn(o, "no kallsyms: " + syms.error().message);
  }
  auto mm = (*km)->find_mem_map();
  if (!mm) warn(o, "struct page array not found: " + mm.error().message);
  Kallsyms no_syms;
  ScrubKernel kernel(**km, syms ? *syms : no_syms, btf ? &*btf : nullptr, (*km)->vmcoreinfo(),
                     mm ? *mm : MemMap{});
  ScrubModel model{kernel, std::nullopt, std::nullopt};
  if (!syms) model.no_kallsyms = syms.error();
  if (!mm) model.no_mem_map = mm.error();

  plan.info = s.info();
  plan.summary.profile = o.profile;
  plan.summary.keep_layout = o.keep_layout;
  plan.summary.fill = o.fill;
  DUMPFMT_TRY(plan_pages(s, model, o, plan));
  DUMPFMT_TRY(plan_erasures(model, o, plan.erase, plan.summary));
  plan.info.eraseinfo = scrub_eraseinfo(s.info().eraseinfo, plan.erase, o,
                                        plan.dropped.count() * plan.info.page_size);
  plan.summary.pages_in = s.present().count();
  plan.summary.pages_out = plan.pages.count();
  return plan;
}

}  // namespace dumpfmt::filters
