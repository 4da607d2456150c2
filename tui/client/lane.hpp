// The client core's one lane to the server: every exchange the core starts
// (the screen's requests, the synchronous face, and what NOTIFYs start: a
// mailbox fetch, a prekey upload, a group chain sync) holds the lane's turn
// while it runs, and the others wait for it in order. A fetch advances the
// ratchet sessions in memory and commits them with its page; a send that
// ran in between would commit those half-done advances, and a page that
// then failed would leave its messages undecryptable. One at a time, no
// two exchanges that touch the sessions interleave.
//
//   auto waiting = lane.take();   // a named awaiter (task.hpp: GCC 12)
//   auto turn = co_await waiting; // held until `turn` dies
//
// The turn passes on through the loop (post), never from inside the
// destructor that gives it back. Loop thread only.
#pragma once
#include <algorithm>
#include <coroutine>
#include <deque>
#include <memory>
#include <utility>

#include "shared/event_loop.hpp"

namespace tacit::client {

class Lane {
public:
    explicit Lane(EventLoop& loop) : loop_(loop) {}
    Lane(const Lane&) = delete;
    Lane& operator=(const Lane&) = delete;

    class Turn {
    public:
        Turn() = default;
        explicit Turn(Lane* l) : l_(l) {}
        Turn(Turn&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
        Turn& operator=(Turn&&) = delete;
        ~Turn() {
            if (l_) l_->give_back();
        }

    private:
        Lane* l_ = nullptr;
    };

    class Wait {
    public:
        explicit Wait(Lane& l) : l_(l) {}
        Wait(const Wait&) = delete;
        Wait& operator=(const Wait&) = delete;
        // A frame destroyed while it waits (its scope died) leaves the line.
        ~Wait() {
            if (queued_) std::erase(l_.waiting_, this);
        }
        bool await_ready() {
            if (l_.state_ != State::Free) return false;
            l_.state_ = State::Held;
            return true;
        }
        void await_suspend(std::coroutine_handle<> h) {
            h_ = h;
            queued_ = true;
            l_.waiting_.push_back(this);
        }
        Turn await_resume() { return Turn(&l_); }

    private:
        friend class Lane;
        Lane& l_;
        std::coroutine_handle<> h_;
        bool queued_ = false;
    };

    Wait take() { return Wait(*this); }
    bool busy() const { return state_ != State::Free; }

private:
    // Passing: given back, the next waiter not yet resumed.
    enum class State { Free, Held, Passing };

    void give_back() {
        state_ = State::Passing;
        loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
            if (!alive.expired()) pass_on();
        });
    }
    void pass_on() {
        if (state_ != State::Passing) return;
        if (waiting_.empty()) {
            state_ = State::Free;
            return;
        }
        Wait* w = waiting_.front();
        waiting_.pop_front();
        w->queued_ = false;
        state_ = State::Held;
        w->h_.resume();
    }

    EventLoop& loop_;
    State state_ = State::Free;
    std::deque<Wait*> waiting_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tacit::client
