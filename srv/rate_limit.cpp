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
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
    if (!fresh) refill(it->second, now_ms);
    if (it->second.tokens < 1.0) return false;
    it->second.tokens -= 1.0;
    return true;
}

void RateLimiter::sweep(uint64_t now_ms) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        if (refill(it->second, now_ms) >= burst_) it = buckets_.erase(it);
        else ++it;
    }
}

}  // namespace tacit::srv
