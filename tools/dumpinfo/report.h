// dumpinfo's output: the human-readable text and the JSON document whose
// schema dumpinfo(1) documents (addresses and register values as "0x..."
// strings, counts as numbers, absent facts as null).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "dumpfmt/kernel/printk.h"
#include "identify.h"
#include "mem_usage.h"
#include "verify.h"

namespace dumpfmt::dumpinfo {

using Json = nlohmann::ordered_json;

constexpr int kJsonSchemaVersion = 1;

/// Text for humans; at most `max_ranges` memory ranges are listed (0: all).
std::string identity_text(const Identity& id, size_t max_ranges);
Json identity_json(const Identity& id);

Json dmesg_json(const Dmesg& d, const DmesgFormat& f);
Json mem_usage_json(const MemUsage& u);

std::string verify_text(const VerifyReport& r);
Json verify_json(const VerifyReport& r);
/// --verify of a dump that could not even be opened.
std::string verify_open_failure_text(const Error& e);
Json verify_open_failure_json(const Error& e);

Json error_json(const Error& e);

/// "2026-11-16 10:12:13 UTC".
std::string utc_time(int64_t seconds);

}  // namespace dumpfmt::dumpinfo
