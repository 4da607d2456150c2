// One background thread for the client's slow pure work (connecting and
// name lookup, PBKDF2, RSA key generation, sealing for a large group): the
// loop thread never waits for it. Each job's result comes back through
// EventLoop::post, so the awaiting coroutine resumes on the loop thread.
//
// The thread blocks every signal, so SIGWINCH, SIGTERM and SIGINT stay with
// the loop's signalfd whenever the worker was started. The destructor waits
// for the running job (at most one connect timeout) and drops the rest.
#pragma once
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "tui/client/task.hpp"

namespace tacit::client {

class Worker {
public:
    explicit Worker(Resumer resume) : resume_(std::move(resume)), alive_(std::make_shared<bool>(true)) {}
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // co_await worker.run(fn): fn() runs on the worker thread; its value (or
    // exception) is delivered on the loop thread.
    template <class F> auto run(F fn);

    // Jobs queued or running (the front ends show a progress indicator).
    size_t busy() const { return busy_; }

private:
    void submit(std::function<void()> job);
    void main();

    Resumer resume_;
    std::shared_ptr<bool> alive_;  // false once the worker (and its owner) is gone
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stop_ = false;
    size_t busy_ = 0;  // loop thread only
    std::optional<std::thread> thread_;
};

template <class F> auto Worker::run(F fn) {
    using T = std::invoke_result_t<F>;
    struct Awaiter {
        Worker& w;
        F fn;
        std::optional<T> value;
        std::exception_ptr error;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            ++w.busy_;
            std::weak_ptr<bool> alive = w.alive_;
            w.submit([this, h, alive] {
                try {
                    value.emplace(fn());
                } catch (...) {
                    error = std::current_exception();
                }
                Worker* self = &w;
                self->resume_.loop().post([self, h, alive] {
                    if (alive.expired()) return;
                    --self->busy_;
                    self->resume_(h);
                });
            });
        }
        T await_resume() {
            if (error) std::rethrow_exception(error);
            return std::move(*value);
        }
    };
    return Awaiter{*this, std::move(fn), std::nullopt, nullptr};
}

}  // namespace tacit::client
