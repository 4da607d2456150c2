// When the full-screen client asks the server who is online (ONLINE).
//
// Every login and logout anywhere sends every connection a presence NOTIFY;
// answering each with a signed ONLINE would cost a server with 10,000
// connections seconds of CPU per second. So a notice only marks the list
// stale, and the list is fetched again at most every 10 s, and only while
// the online pane is on screen (not in compact mode): a hidden list is
// fetched when it shows again.
#pragma once
#include <cstdint>

namespace tacit::ui {

class OnlineRefresh {
public:
    static constexpr uint64_t kMinIntervalMs = 10000;

    // A presence notice came: the list may be out of date.
    void stale() {
        if (state_ == State::Fresh) state_ = State::Stale;
    }
    // Whether to send ONLINE now.
    bool due(uint64_t now_ms, bool visible) const {
        if (!visible || state_ == State::Fresh) return false;
        return state_ == State::Never || now_ms - last_ms_ >= kMinIntervalMs;
    }
    // ONLINE was sent (for any reason: login, reconnect, a due refresh).
    void asked(uint64_t now_ms) {
        state_ = State::Fresh;
        last_ms_ = now_ms;
    }

private:
    enum class State { Never, Fresh, Stale };
    State state_ = State::Never;
    uint64_t last_ms_ = 0;
};

}  // namespace tacit::ui
