// Reconnection delays: exponential with jitter, so a server that restarts
// is not hit by every client in the same millisecond.
#pragma once
#include <cstdint>

namespace tacit::ui {

class Backoff {
public:
    explicit Backoff(uint64_t base_ms = 500, uint64_t max_ms = 30000) : base_(base_ms), max_(max_ms) {}
    // The delay before the next attempt: the nominal delay (base doubling
    // per attempt, capped at max) scaled into [1/2, 1] by unit (0 <= unit < 1,
    // from the caller's random source; "equal jitter").
    uint64_t next(double unit);
    void reset() { attempts_ = 0; }
    int attempts() const { return attempts_; }

private:
    uint64_t base_, max_;
    int attempts_ = 0;
};

}  // namespace tacit::ui
