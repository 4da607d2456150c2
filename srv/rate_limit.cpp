#include "srv/rate_limit.hpp"

#include <algorithm>

namespace tacit::srv {

double RateLimiter::refill(Bucket& b, uint64_t now_ms) const {
    if (now_ms > b.at_ms) {
        b.tokens = std::min(burst_, b.tokens + double(now_ms - b.at_ms) * rate_ / 1000.0);
        b.at_ms = now_ms;
    }
    return b.tokens;
}

bool RateLimiter::take(const std::string& key, uint64_t now_ms) {
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms, 0});
    if (!fresh) refill(it->second, now_ms);
    if (it->second.tokens < 1.0) return false;
    it->second.tokens -= 1.0;
    return true;
}

bool RateLimiter::refusal_due(const std::string& key, uint64_t now_ms) {
    constexpr uint64_t kLogEveryMs = 60000;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) return true;
    if (now_ms < it->second.quiet_until_ms) return false;
    it->second.quiet_until_ms = now_ms + kLogEveryMs;
    return true;
}

void RateLimiter::sweep(uint64_t now_ms) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        // A bucket whose refusal was logged lately stays, so its next
        // refusal is not logged again within the minute.
        bool full = refill(it->second, now_ms) >= burst_;
        if (full && now_ms >= it->second.quiet_until_ms) it = buckets_.erase(it);
        else ++it;
    }
}

}  // namespace tacit::srv
