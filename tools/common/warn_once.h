// A warning callback that says each distinct message once, from any thread:
// for writers that run side by side (the parts of a split dump) and make the
// same remarks about the same dump.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace dumpfmt::cli {

/// Prints each message it is given as "TOOL: warning: MESSAGE" the first
/// time only. Copies share what was said; safe to call concurrently.
std::function<void(const std::string&)> warn_once(std::string_view tool);

}  // namespace dumpfmt::cli
