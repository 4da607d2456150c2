// The single-threaded, protocol-blind event loop (in the manner of redis
// ae.c): fds, one-shot timers, signals through one signalfd, and a
// before-sleep hook. The epoll part lives in event_loop_epoll.cpp.
//
// A pass is: wait, dispatch fd events (posted functions among them), fire
// due timers, before-sleep. The
// server commits LMDB and flushes replies in before-sleep, so a reply is
// written once per pass however many requests the pass carried.
//
// Callbacks may add, modify and remove any fd (the dispatched one included)
// and add or cancel any timer. A removed fd's callback is destroyed only after
// the running callback returns, so it is safe to remove_fd from inside it.
// Exceptions thrown by callbacks propagate out of run().
//
// Only post() may be called from another thread; everything else belongs to
// the loop's thread.
#pragma once
#include <stdexcept>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "shared/unique_fd.hpp"

namespace tacit {

namespace detail {
class PollBackend;
}

class EventLoop {
public:
    // Closed: the kernel's EPOLLHUP or EPOLLERR (always reported, as epoll
    // does), or the peer's half-close (EPOLLRDHUP, only if Closed is in the
    // mask). It is level-triggered: a callback that gets it should read to
    // EOF or remove the fd, or the loop will keep reporting it.
    enum : uint32_t { Readable = 1, Writable = 2, Closed = 4 };
    using IoFn = std::function<void(uint32_t events)>;
    using TimerId = uint64_t;

    // Monotonic milliseconds, read for every timer: mono_ms (shared/clock.hpp)
    // unless a test hands in a fake one, so it can drive timers without waiting.
    using Clock = std::function<uint64_t()>;

    explicit EventLoop(Clock clock = {});
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // add_fd throws std::system_error if epoll refuses the fd, and
    // std::invalid_argument if the fd is already registered. modify_fd and
    // remove_fd ignore fds that are not registered. The loop never closes fds:
    // remove_fd before closing.
    void add_fd(int fd, uint32_t mask, IoFn fn);
    void modify_fd(int fd, uint32_t mask);
    void remove_fd(int fd);
    bool has_fd(int fd) const;

    // One-shot. Timers due at the same millisecond fire in the order they
    // were added. cancel_timer of a fired or unknown id does nothing.
    TimerId add_timer(std::chrono::milliseconds after, std::function<void()> fn);
    void cancel_timer(TimerId id);
    size_t timer_count() const { return timers_.size(); }
    // The loop's clock: what its timers are due by. Code on the loop that
    // measures time (the client's connection) reads it too.
    uint64_t now_ms() const { return clock_(); }

    // Blocks signo in the calling thread (call before starting any other
    // thread) and delivers it through the loop's signalfd. A later call for
    // the same signal replaces the handler. The old mask is restored when the
    // loop dies.
    void on_signal(int signo, std::function<void()> fn);

    // Runs once per pass, after that pass's events and timers, right before
    // the loop waits again; also once before the first wait, and once after
    // the pass in which stop() was called.
    void set_before_sleep(std::function<void()> fn);

    // Callable from any thread, and from the loop's own callbacks: runs fn
    // on the loop's thread in a later pass, among that pass's fd events
    // (the loop wakes through an eventfd). Functions run in the order their
    // post() calls took the queue's lock, so one thread's posts run in the
    // order it made them; one posted from a posted function runs in a later
    // pass. Functions still queued when the loop dies are destroyed without
    // running. The loop must outlive every thread that may post to it.
    void post(std::function<void()> fn);

    void run();
    void stop() { stopped_ = true; }
    // One pass for a caller that drives the loop itself (the client's
    // synchronous adapter for tests and batch mode): waits at most
    // max_wait_ms (-1: until the next timer or event), dispatches, fires due
    // timers, runs before-sleep. Returns how many fd events and timers it
    // handled. Not from inside a callback of this loop (not re-entrant).
    size_t run_once(int max_wait_ms);


private:
    struct FdEntry {
        uint32_t mask;
        uint32_t gen;  // tells a re-added fd from the removed one in one batch
        IoFn fn;
    };

    int next_timeout_ms() const;
    void dispatch(uint64_t data, uint32_t events);
    size_t fire_timers();
    size_t pass(int timeout_ms);
    // Marks the loop running for its scope, whichever way the scope ends.
    class Running {
    public:
        Running(EventLoop& l, const char* reentered) : l_(l) {
            if (l_.running_) throw std::logic_error(reentered);
            l_.running_ = true;
        }
        ~Running() { l_.running_ = false; }
        Running(const Running&) = delete;
        Running& operator=(const Running&) = delete;

    private:
        EventLoop& l_;
    };
    void read_signals();
    void drain_signals();
    void run_posted();

    Clock clock_;
    std::unique_ptr<detail::PollBackend> backend_;
    std::vector<std::unique_ptr<FdEntry>> fds_;  // indexed by fd, stable addresses
    std::vector<std::unique_ptr<FdEntry>> graveyard_;  // removed while maybe running
    uint32_t gen_ = 0;
    bool in_io_ = false;
    bool running_ = false;

    std::map<std::pair<uint64_t, TimerId>, std::function<void()>> timers_;  // (due, id)
    std::unordered_map<TimerId, uint64_t> timer_due_;
    TimerId last_timer_ = 0;

    UniqueFd sigfd_;
    std::map<int, std::function<void()>> signal_fns_;
    sigset_t sigs_;
    sigset_t old_sigmask_;
    bool sigmask_saved_ = false;

    UniqueFd wakefd_;  // eventfd: post() writes, the loop reads then runs posted_
    std::mutex posted_mu_;
    std::vector<std::function<void()>> posted_;  // guarded by posted_mu_

    std::function<void()> before_sleep_;
    bool stopped_ = false;
};

}  // namespace tacit
