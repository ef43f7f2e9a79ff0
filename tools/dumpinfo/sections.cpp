// dumpinfo's sections (see sections.h).
#include "sections.h"

#include <cstdio>
#include <optional>

#include "common/cli.h"
#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/printk.h"
#include "mem_usage.h"
#include "verify.h"

namespace dumpfmt::dumpinfo {

namespace {

void write_stdout(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

}  // namespace

void Printer::text(const char* heading, const std::string& body) {
  if (sections_ > 1) write_stdout(std::string(printed_ ? "\n" : "") + "== " + heading + " ==\n");
  write_stdout(body);
  ++printed_;
}

void Printer::fail(const char* what, const Error& e) {
  cli::print_error(kTool, std::string(what) + ": " + e.message);
  if (json_) doc_[what] = Json{{"error", error_json(e)}};
  rc_ = cli::kExitFailure;
}

void Printer::set_failed() { rc_ = cli::kExitFailure; }

int Printer::finish() {
  if (json_) write_stdout(doc_.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  return rc_;
}

int print_open_failure(Printer& out, const Error& e, bool verify) {
  if (verify) {
    if (out.json()) {
      out.doc()["schema_version"] = kJsonSchemaVersion;
      out.doc()["error"] = error_json(e);
      out.doc()["verify"] = verify_open_failure_json(e);
    } else {
      out.text("verify", verify_open_failure_text(e));
    }
    out.set_failed();
    return out.finish();
  }
  cli::print_error(kTool, e);
  if (out.json()) {
    out.doc()["schema_version"] = kJsonSchemaVersion;
    out.doc()["error"] = error_json(e);
    out.finish();
  }
  return cli::kExitFailure;
}

void identification_section(Printer& out, const OpenedDump& d, const KernelMemory* km,
                            const IdentifyOptions& opts, size_t max_ranges, bool quiet) {
  IdentifyOptions io = opts;
  std::optional<cli::Progress> sp;
  io.scan.progress = [&](uint64_t done, uint64_t total) {
    if (!sp) sp.emplace(kTool, "scanning memory for the kernel release", quiet);
    const uint64_t ps = d.src->info().page_size;
    sp->update(done / ps, total ? total / ps : d.src->present().count());
  };
  Identity id = identify(d, km, io);
  if (sp) sp->finish();
  if (out.json()) {
    out.doc() = identity_json(id);
  } else {
    out.text("identification", identity_text(id, max_ranges));
  }
}

void vmcoreinfo_section(Printer& out, const PageSource& src) {
  const auto& v = src.info().vmcoreinfo;
  if (!v) {
    out.fail("vmcoreinfo", make_error(Errc::no_data, "the dump carries no VMCOREINFO"));
  } else if (out.json()) {
    out.doc()["vmcoreinfo"] = *v;
  } else {
    out.text("vmcoreinfo", *v);
  }
}

void dmesg_section(Printer& out, const Result<std::unique_ptr<KernelMemory>>& km, bool caller_id) {
  DmesgFormat f;
  f.caller_id = caller_id;
  if (!km) {
    out.fail("dmesg", km.error());
  } else if (auto d = read_dmesg(**km); !d) {
    out.fail("dmesg", d.error());
  } else {
    for (const auto& w : d->warnings) cli::print_warning(kTool, w);
    if (out.json()) {
      out.doc()["dmesg"] = dmesg_json(*d, f);
    } else {
      out.text("dmesg", format_dmesg(*d, f));
    }
  }
}

void mem_usage_section(Printer& out, const PageSource& src, const KernelMemory* km,
                       unsigned threads, bool quiet) {
  std::optional<cli::Progress> mp;
  std::string phase;
  uint64_t last_done = ~uint64_t{0};
  auto u = mem_usage(src, km, threads, [&](const char* what, uint64_t d, uint64_t t) {
    if (!mp || phase != what) {
      if (mp) mp->finish();
      phase = what;
      mp.emplace(kTool, what, quiet);
    } else if (d == t && last_done == d) {
      return;  // the final count once
    }
    last_done = d;
    mp->update(d, t);
  });
  if (mp) mp->finish();
  if (!u) {
    out.fail("mem_usage", u.error());
    return;
  }
  if (!u->classified) {
    cli::print_warning(kTool, "page classes unknown (" + u->not_classified_why +
                                  "): only zero pages are told apart");
  }
  for (const auto& w : u->warnings) cli::print_warning(kTool, w);
  if (out.json()) {
    out.doc()["mem_usage"] = mem_usage_json(*u);
  } else {
    out.text("mem-usage", format_mem_usage(*u));
  }
}

void verify_section(Printer& out, const OpenedDump& d, unsigned threads, bool quiet) {
  VerifyOptions vo;
  vo.threads = threads;
  cli::Progress vp(kTool, "verifying", quiet);
  vo.progress = [&](uint64_t done, uint64_t total) { vp.update(done, total); };
  VerifyReport r = verify_pages(*d.src, vo);
  vp.finish();
  if (!r.ok()) out.set_failed();
  // Where a cut-short file stops: the offset the lost data needed to reach.
  if (r.lost_from) {
    for (const auto& f : d.files) {
      r.reader_warnings.push_back(strfmt("%s: the file ends at offset %s%s", f.path.c_str(),
                                         hex(f.size).c_str(),
                                         f.compression.empty() ? "" : " (compressed)"));
    }
  }
  if (out.json()) {
    out.doc()["verify"] = verify_json(r);
  } else {
    out.text("verify", verify_text(r));
  }
}

}  // namespace dumpfmt::dumpinfo
