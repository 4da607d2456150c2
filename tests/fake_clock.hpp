// A monotonic clock that moves only when a test says so, for
// EventLoop(Clock) and client::Options::clock: timers and timeouts are
// driven by advance(), never by waiting, so no test asserts a timing.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

namespace tacit::test {

class FakeClock {
public:
    explicit FakeClock(uint64_t start_ms = 1'000'000) : now_(std::make_shared<std::atomic<uint64_t>>(start_ms)) {}
    uint64_t now() const { return *now_; }
    void advance(uint64_t ms) { *now_ += ms; }
    // Shares the time with this object (copies of the function see advance()).
    std::function<uint64_t()> fn() const {
        return [t = now_] { return t->load(); };
    }

private:
    std::shared_ptr<std::atomic<uint64_t>> now_;
};

}  // namespace tacit::test
