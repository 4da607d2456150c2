// Token buckets keyed by a string (peer address or user name). Buckets that
// have refilled completely are forgotten by sweep(), so the map stays
// bounded by the set of recently active keys.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

namespace tacit::srv {

class RateLimiter {
public:
    RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}
    // Takes one token for `key` at time now_ms; false when none is left.
    bool take(const std::string& key, uint64_t now_ms);
    // After take() refused key: true at most once a minute per key, so the
    // log shows who is being refused without a line per refused request.
    bool refusal_due(const std::string& key, uint64_t now_ms);
    void sweep(uint64_t now_ms);

private:
    struct Bucket {
        double tokens;
        uint64_t at_ms;
        uint64_t quiet_until_ms = 0;  // no refusal is logged before this
    };
    double refill(Bucket& b, uint64_t now_ms) const;
    double rate_, burst_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tacit::srv
