// Private to event_loop*.cpp: the poller under EventLoop. Only
// event_loop_epoll.cpp knows it is epoll, so another backend (kqueue) would be
// one more file, as in redis ae_*.c.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace tacit::detail {

struct PollEvent {
    uint64_t data;    // what add() was given for the fd
    uint32_t events;  // EventLoop::Readable | Writable | Closed
};

class PollBackend {
public:
    PollBackend();
    ~PollBackend();
    // Masks are EventLoop's bits. Failures throw std::system_error, except
    // that remove() of an fd the kernel already forgot is not an error.
    void add(int fd, uint32_t mask, uint64_t data);
    void modify(int fd, uint32_t mask, uint64_t data);
    void remove(int fd);
    // Fills out (cleared first); timeout_ms < 0 waits forever. EINTR is an
    // empty batch.
    void wait(std::vector<PollEvent>& out, int timeout_ms);

private:
    struct State;  // defined by the backend's own file
    std::unique_ptr<State> s_;
};

}  // namespace tacit::detail
