#include "shared/event_loop.hpp"

#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <climits>
#include <stdexcept>
#include <system_error>

#include "shared/clock.hpp"
#include "shared/event_loop_backend.hpp"

namespace tacit {

namespace {

uint64_t pack(int fd, uint32_t gen) { return uint64_t(gen) << 32 | uint32_t(fd); }

[[noreturn]] void fail(int err, const char* what) {
    throw std::system_error(err, std::generic_category(), what);
}

// EAGAIN only when the counter is at its maximum: the loop wakes anyway.
void wake(int eventfd) {
    const uint64_t one = 1;
    while (::write(eventfd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

}  // namespace

EventLoop::EventLoop(Clock clock)
    : clock_(clock ? std::move(clock) : Clock(mono_ms)), backend_(std::make_unique<detail::PollBackend>()) {
    sigemptyset(&sigs_);
    sigemptyset(&old_sigmask_);
    wakefd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wakefd_) fail(errno, "eventfd");
    add_fd(wakefd_.get(), Readable, [this](uint32_t) { run_posted(); });
}

EventLoop::~EventLoop() {
    if (sigfd_) {
        // Signals raised but not yet read would hit their default action
        // (often: terminate) as soon as they are unblocked.
        drain_signals();
        remove_fd(sigfd_.get());
        sigfd_.reset();
    }
    if (sigmask_saved_) (void)pthread_sigmask(SIG_SETMASK, &old_sigmask_, nullptr);
    remove_fd(wakefd_.get());
    // Callbacks may own objects whose destructors call back into the loop:
    // destroy them while the loop is still whole.
    auto fds = std::move(fds_);
    fds.clear();
    graveyard_.clear();
    auto timers = std::move(timers_);
    timers.clear();
    timer_due_.clear();
    // Destroyed outside the lock: a destructor may post.
    std::vector<std::function<void()>> posted;
    {
        std::lock_guard lock(posted_mu_);
        posted.swap(posted_);
    }
    posted.clear();
}

void EventLoop::add_fd(int fd, uint32_t mask, IoFn fn) {
    if (fd < 0) throw std::invalid_argument("add_fd: negative fd");
    if (size_t(fd) < fds_.size() && fds_[size_t(fd)])
        throw std::invalid_argument("add_fd: fd already registered");
    uint32_t gen = ++gen_;
    backend_->add(fd, mask, pack(fd, gen));
    if (size_t(fd) >= fds_.size()) fds_.resize(size_t(fd) + 1);
    fds_[size_t(fd)] = std::make_unique<FdEntry>(FdEntry{mask, gen, std::move(fn)});
}

void EventLoop::modify_fd(int fd, uint32_t mask) {
    if (!has_fd(fd)) return;
    FdEntry& e = *fds_[size_t(fd)];
    if (e.mask == mask) return;  // servers toggle Writable often; skip the syscall
    backend_->modify(fd, mask, pack(fd, e.gen));
    e.mask = mask;
}

void EventLoop::remove_fd(int fd) {
    if (!has_fd(fd)) return;
    std::unique_ptr<FdEntry> old = std::move(fds_[size_t(fd)]);
    backend_->remove(fd);
    // The entry's callback may be the one running right now.
    if (in_io_) graveyard_.push_back(std::move(old));
}

bool EventLoop::has_fd(int fd) const {
    return fd >= 0 && size_t(fd) < fds_.size() && fds_[size_t(fd)];
}

EventLoop::TimerId EventLoop::add_timer(std::chrono::milliseconds after, std::function<void()> fn) {
    // Negative delays would sort before timers already due in this pass.
    uint64_t ms = after.count() > 0 ? uint64_t(after.count()) : 0;
    uint64_t due = now_ms() + ms;
    TimerId id = ++last_timer_;
    timers_.emplace(std::make_pair(due, id), std::move(fn));
    timer_due_.emplace(id, due);
    return id;
}

void EventLoop::cancel_timer(TimerId id) {
    auto it = timer_due_.find(id);
    if (it == timer_due_.end()) return;
    timers_.erase({it->second, id});
    timer_due_.erase(it);
}

void EventLoop::on_signal(int signo, std::function<void()> fn) {
    if (!sigmask_saved_) {
        if (int err = pthread_sigmask(SIG_BLOCK, nullptr, &old_sigmask_)) fail(err, "pthread_sigmask");
        sigmask_saved_ = true;
    }
    sigset_t next = sigs_;
    if (sigaddset(&next, signo) != 0) throw std::invalid_argument("on_signal: bad signal number");
    if (int err = pthread_sigmask(SIG_BLOCK, &next, nullptr)) fail(err, "pthread_sigmask");
    int fd = signalfd(sigfd_ ? sigfd_.get() : -1, &next, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) fail(errno, "signalfd");
    sigs_ = next;
    if (!sigfd_) {
        sigfd_.reset(fd);
        add_fd(fd, Readable, [this](uint32_t) { read_signals(); });
    }
    signal_fns_[signo] = std::move(fn);
}

void EventLoop::read_signals() {
    signalfd_siginfo si[16];
    for (;;) {
        ssize_t n = ::read(sigfd_.get(), si, sizeof si);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // EAGAIN: all read
        for (size_t i = 0; i < size_t(n) / sizeof si[0]; ++i) {
            auto it = signal_fns_.find(int(si[i].ssi_signo));
            if (it == signal_fns_.end()) continue;
            auto fn = it->second;  // the handler may replace itself
            fn();
        }
    }
}

void EventLoop::drain_signals() {
    signalfd_siginfo si[16];
    for (;;) {
        ssize_t n = ::read(sigfd_.get(), si, sizeof si);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
    }
}

void EventLoop::set_before_sleep(std::function<void()> fn) { before_sleep_ = std::move(fn); }

void EventLoop::post(std::function<void()> fn) {
    bool was_empty;
    {
        std::lock_guard lock(posted_mu_);
        was_empty = posted_.empty();
        posted_.push_back(std::move(fn));
    }
    // Only the first post into an empty queue wakes the loop: run_posted
    // reads the eventfd before it takes the queue, so none is missed.
    if (was_empty) wake(wakefd_.get());
}

void EventLoop::run_posted() {
    uint64_t n;
    while (::read(wakefd_.get(), &n, sizeof n) < 0 && errno == EINTR) {
    }
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(posted_mu_);
        batch.swap(posted_);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
        try {
            batch[i]();
        } catch (...) {
            // The rest still run, first, in a later pass.
            std::lock_guard lock(posted_mu_);
            posted_.insert(posted_.begin(), std::make_move_iterator(batch.begin() + long(i) + 1),
                           std::make_move_iterator(batch.end()));
            if (!posted_.empty()) wake(wakefd_.get());
            throw;
        }
    }
}

int EventLoop::next_timeout_ms() const {
    if (timers_.empty()) return -1;
    uint64_t due = timers_.begin()->first.first;
    uint64_t now = now_ms();
    if (due <= now) return 0;
    return due - now > uint64_t(INT_MAX) ? INT_MAX : int(due - now);
}

void EventLoop::dispatch(uint64_t data, uint32_t events) {
    int fd = int(uint32_t(data));
    uint32_t gen = uint32_t(data >> 32);
    if (!has_fd(fd)) return;  // removed earlier in this batch
    FdEntry* e = fds_[size_t(fd)].get();
    if (e->gen != gen) return;  // removed and re-added: the event was for the old one
    uint32_t ev = events & (e->mask | Closed);
    if (ev == 0) return;
    in_io_ = true;
    try {
        e->fn(ev);
    } catch (...) {
        in_io_ = false;
        graveyard_.clear();
        throw;
    }
    in_io_ = false;
    graveyard_.clear();
}

size_t EventLoop::fire_timers() {
    // Timers added by these callbacks get larger ids and due times no earlier
    // than now, so they sort after every timer due now: stopping at the first
    // new id keeps a timer that re-arms itself with 0 ms from spinning here.
    const TimerId last = last_timer_;
    const uint64_t now = now_ms();
    size_t fired = 0;
    while (!timers_.empty()) {
        auto it = timers_.begin();
        if (it->first.first > now || it->first.second > last) break;
        std::function<void()> fn = std::move(it->second);
        timer_due_.erase(it->first.second);
        timers_.erase(it);
        ++fired;
        fn();
    }
    return fired;
}

// One pass: wait at most timeout_ms for events, handle them, fire due
// timers. Returns how many events and timers it handled.
size_t EventLoop::pass(int timeout_ms) {
    std::vector<detail::PollEvent> events;
    backend_->wait(events, timeout_ms);
    for (const auto& e : events) dispatch(e.data, e.events);
    return events.size() + fire_timers();
}

void EventLoop::run() {
    Running guard(*this, "EventLoop::run is not re-entrant");
    stopped_ = false;
    for (;;) {
        if (before_sleep_) before_sleep_();
        if (stopped_) break;
        pass(next_timeout_ms());
    }
}

size_t EventLoop::run_once(int max_wait_ms) {
    Running guard(*this, "EventLoop::run_once is not re-entrant");
    int t = next_timeout_ms();
    if (max_wait_ms >= 0 && (t < 0 || t > max_wait_ms)) t = max_wait_ms;
    size_t n = pass(t);
    if (before_sleep_) before_sleep_();
    return n;
}

}  // namespace tacit
