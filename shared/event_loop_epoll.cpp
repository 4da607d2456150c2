// The epoll backend of EventLoop. Level-triggered: a callback that leaves
// data unread is called again next pass, so no input is lost when a handler
// stops early to stay within its per-event budget.
#include <sys/epoll.h>

#include <cerrno>
#include <system_error>

#include "shared/event_loop.hpp"
#include "shared/event_loop_backend.hpp"
#include "shared/unique_fd.hpp"

namespace tacit::detail {

struct PollBackend::State {
    UniqueFd ep;
    std::vector<epoll_event> evs = std::vector<epoll_event>(256);  // grows while batches come back full
};

namespace {

uint32_t to_epoll(uint32_t mask) {
    uint32_t e = 0;
    if (mask & EventLoop::Readable) e |= EPOLLIN;
    if (mask & EventLoop::Writable) e |= EPOLLOUT;
    if (mask & EventLoop::Closed) e |= EPOLLRDHUP;
    return e;
}

uint32_t from_epoll(uint32_t e) {
    uint32_t m = 0;
    if (e & (EPOLLIN | EPOLLPRI)) m |= EventLoop::Readable;
    if (e & EPOLLOUT) m |= EventLoop::Writable;
    if (e & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) m |= EventLoop::Closed;
    return m;
}

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

PollBackend::PollBackend() : s_(std::make_unique<State>()) {
    s_->ep.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!s_->ep) fail("epoll_create1");
}

PollBackend::~PollBackend() = default;

void PollBackend::add(int fd, uint32_t mask, uint64_t data) {
    epoll_event ev{};
    ev.events = to_epoll(mask);
    ev.data.u64 = data;
    if (::epoll_ctl(s_->ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl add");
}

void PollBackend::modify(int fd, uint32_t mask, uint64_t data) {
    epoll_event ev{};
    ev.events = to_epoll(mask);
    ev.data.u64 = data;
    if (::epoll_ctl(s_->ep.get(), EPOLL_CTL_MOD, fd, &ev) != 0) fail("epoll_ctl mod");
}

void PollBackend::remove(int fd) {
    epoll_event ev{};  // pre-2.6.9 kernels need a non-null pointer
    if (::epoll_ctl(s_->ep.get(), EPOLL_CTL_DEL, fd, &ev) != 0) {
        // Closed before removal: the kernel dropped it already.
        if (errno == EBADF || errno == ENOENT) return;
        fail("epoll_ctl del");
    }
}

void PollBackend::wait(std::vector<PollEvent>& out, int timeout_ms) {
    out.clear();
    auto& evs = s_->evs;
    int n = ::epoll_wait(s_->ep.get(), evs.data(), int(evs.size()), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return;
        fail("epoll_wait");
    }
    out.reserve(size_t(n));
    for (int i = 0; i < n; ++i) {
        const epoll_event& e = evs[size_t(i)];
        out.push_back({e.data.u64, from_epoll(e.events)});
    }
    if (size_t(n) == evs.size() && evs.size() < 16384) evs.resize(evs.size() * 2);
}

}  // namespace tacit::detail
