#include "tui/ui/keepalive.hpp"

#include <charconv>
#include <cstring>

namespace tacit::ui {

uint64_t keepalive_interval_ms(const char* env) {
    if (!env || !*env) return kKeepaliveMs;
    uint64_t secs = 0;
    const char* end = env + std::strlen(env);
    auto [p, ec] = std::from_chars(env, end, secs);
    // Beyond a day it is a typo, not a test.
    if (ec != std::errc() || p != end || secs < 1 || secs > 86400) return kKeepaliveMs;
    return secs * 1000;
}

}  // namespace tacit::ui
