#include "tui/client/backoff.hpp"

#include <algorithm>

namespace tacit::client {

uint64_t Backoff::next(double unit) {
    uint64_t d = base_;
    for (int i = 0; i < attempts_ && d < max_; ++i) d *= 2;
    d = std::min(d, max_);
    if (attempts_ < 1000) ++attempts_;
    unit = std::clamp(unit, 0.0, 1.0);
    return d / 2 + static_cast<uint64_t>(static_cast<double>(d / 2) * unit);
}

bool ReconnectSchedule::due(uint64_t now_ms) {
    if (state_ == State::Attempting) return false;
    if (state_ == State::Connected) {
        state_ = State::Waiting;
        due_ms_ = now_ms + backoff_.next(unit_());
    }
    return now_ms >= due_ms_;
}

void ReconnectSchedule::failed(uint64_t now_ms) {
    state_ = State::Waiting;
    due_ms_ = now_ms + backoff_.next(unit_());
}

void ReconnectSchedule::connected() {
    state_ = State::Connected;
    due_ms_ = 0;
    backoff_.reset();
}

}  // namespace tacit::client
