// Coroutines for the client core: a request/reply exchange that takes several
// round trips (login, renewal, sending) reads top to bottom, and each
// co_await hands the thread back to the event loop until the reply arrives.
//
// Task<T> is lazy and owned: it starts when awaited, and destroying a Task
// destroys its frame and, through the Tasks it is awaiting, every frame
// below it. Roots are started by TaskScope::spawn, which owns them until they
// finish, so a client that dies with exchanges in flight frees them all.
// Awaiters in this core never resume a coroutine from inside an fd callback:
// they post the resumption to the loop, so a coroutine may close the
// connection whose frame woke it.
//
// GCC 12 destroys an aggregate or a lambda built inside a co_await
// expression twice (`co_await Awaiter{a, b}`, `co_await run([x] {..})`
// free their members twice): build such an awaiter into a named local first
// (`auto job = worker.run([..] {..}); co_await job;`). Temporaries passed
// to a coroutine inside co_await are likewise made into locals first.
#pragma once
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include "shared/event_loop.hpp"

namespace tacit::client {

template <class T> class Task;

namespace detail {

struct PromiseBase {
    std::coroutine_handle<> continuation = std::noop_coroutine();
    std::exception_ptr error;

    std::suspend_always initial_suspend() noexcept { return {}; }
    struct Final {
        bool await_ready() noexcept { return false; }
        template <class P> std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            return h.promise().continuation;
        }
        void await_resume() noexcept {}
    };
    Final final_suspend() noexcept { return {}; }
    void unhandled_exception() { error = std::current_exception(); }
};

template <class T> struct Promise : PromiseBase {
    std::optional<T> value;
    Task<T> get_return_object();
    template <class U> void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
    T take() {
        if (error) std::rethrow_exception(error);
        return std::move(*value);
    }
};

template <> struct Promise<void> : PromiseBase {
    Task<void> get_return_object();
    void return_void() {}
    void take() {
        if (error) std::rethrow_exception(error);
    }
};

}  // namespace detail

template <class T = void> class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    explicit Task(Handle h) : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~Task() {
        if (h_) h_.destroy();
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        h_.promise().continuation = caller;
        return h_;  // symmetric transfer: start the child now
    }
    T await_resume() { return h_.promise().take(); }

private:
    Handle h_;
};

namespace detail {
template <class T> Task<T> Promise<T>::get_return_object() {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

// Resumes a suspended coroutine on the loop thread in a later pass (through
// post(), so also from another thread), unless the scope owning it died.
class Resumer {
public:
    Resumer(EventLoop& loop, std::weak_ptr<bool> alive) : loop_(&loop), alive_(std::move(alive)) {}
    void operator()(std::coroutine_handle<> h) const {
        loop_->post([h, alive = alive_] {
            if (!alive.expired()) h.resume();
        });
    }
    EventLoop& loop() const { return *loop_; }

private:
    EventLoop* loop_;
    std::weak_ptr<bool> alive_;
};

// Owns the root coroutines it starts. A root frees itself when it finishes;
// the scope's destructor frees those still suspended (and, through their
// Tasks, everything they await). Loop thread only.
class TaskScope {
public:
    TaskScope() = default;
    TaskScope(const TaskScope&) = delete;
    TaskScope& operator=(const TaskScope&) = delete;
    ~TaskScope() {
        alive_.reset();
        dying_ = true;
        auto roots = roots_;
        for (auto h : roots) h.destroy();
    }

    // Runs t at once up to its first suspension; done gets its value, or the
    // exception it ended with (std::exception_ptr), when it finishes. done
    // does not run if the scope dies first.
    template <class T, class F> void spawn(Task<T> t, F done) {
        root(this, std::move(t), std::move(done));
    }
    size_t running() const { return roots_.size(); }
    Resumer resumer(EventLoop& loop) const { return Resumer(loop, alive_); }

private:
    struct Root {
        struct promise_type {
            TaskScope* scope = nullptr;
            template <class... A> promise_type(TaskScope* s, A&&...) : scope(s) {}
            ~promise_type() {
                if (!scope->dying_) scope->roots_.erase(std::coroutine_handle<promise_type>::from_promise(*this));
            }
            Root get_return_object() {
                scope->roots_.insert(std::coroutine_handle<promise_type>::from_promise(*this));
                return {};
            }
            std::suspend_never initial_suspend() noexcept { return {}; }
            std::suspend_never final_suspend() noexcept { return {}; }
            void return_void() {}
            // Only done() can throw here (root() catches the task's own
            // exceptions); it propagates to whoever resumed the root.
            void unhandled_exception() { throw; }
        };
    };

    template <class T, class F> static Root root(TaskScope*, Task<T> t, F done) {
        if constexpr (std::is_void_v<T>) {
            std::exception_ptr err;
            try {
                co_await std::move(t);
            } catch (...) {
                err = std::current_exception();
            }
            done(err);
        } else {
            std::variant<std::exception_ptr, T> out;
            try {
                out.template emplace<1>(co_await std::move(t));
            } catch (...) {
                out.template emplace<0>(std::current_exception());
            }
            done(std::move(out));
        }
    }

    std::set<std::coroutine_handle<Root::promise_type>> roots_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool dying_ = false;
};

}  // namespace tacit::client
