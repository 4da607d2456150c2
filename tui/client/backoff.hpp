// Reconnection delays: exponential with jitter, so a server that restarts
// is not hit by every client in the same millisecond. ReconnectSchedule is
// the one policy both front ends follow (the screen and batch mode); it is
// in the client core so that the tests drive it on the core's fake clock.
#pragma once
#include <cstdint>
#include <functional>

namespace tacit::client {

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

// When to try again after the connection dropped. Times are the caller's
// (Client::now_ms(); tests pass fake ones), the jitter comes from unit
// (values in [0, 1)). States:
//   Connected   nothing scheduled
//   Waiting     the link is down; an attempt is due at due_ms()
//   Attempting  an attempt runs (asynchronously: req::Reconnect); none is
//               due until it has failed or connected
class ReconnectSchedule {
public:
    enum class State { Connected, Waiting, Attempting };
    explicit ReconnectSchedule(std::function<double()> unit, Backoff backoff = Backoff())
        : unit_(std::move(unit)), backoff_(backoff) {}

    // The link is down at now_ms: the first call schedules an attempt one
    // backoff delay away. Whether it is due (never while Attempting).
    bool due(uint64_t now_ms);
    // An attempt has started; its end is failed() or connected().
    void attempting() { state_ = State::Attempting; }
    // The attempt failed at now_ms: the next one waits longer.
    void failed(uint64_t now_ms);
    // Connected again (by an attempt or otherwise): the delays start over.
    void connected();

    State state() const { return state_; }
    uint64_t due_ms() const { return due_ms_; }
    // Milliseconds until the attempt (0 when due, or when Connected).
    uint64_t wait_ms(uint64_t now_ms) const { return state_ == State::Waiting && due_ms_ > now_ms ? due_ms_ - now_ms : 0; }
    int attempts() const { return backoff_.attempts(); }

private:
    std::function<double()> unit_;
    Backoff backoff_;
    State state_ = State::Connected;
    uint64_t due_ms_ = 0;
};

}  // namespace tacit::client
