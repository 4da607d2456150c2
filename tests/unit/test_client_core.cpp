// The client core's machinery on a real event loop: coroutine tasks and
// their scope, the worker thread reporting back through post(), and the
// connection's handshake timeout against a peer that never answers.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/keys.hpp"
#include "shared/protocol.hpp"
#include "shared/unix_socket.hpp"
#include "shared/wire.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tui/client/conn.hpp"
#include "tui/client/task.hpp"
#include "tui/client/worker.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {

struct Counted {
    int* live;
    explicit Counted(int* l) : live(l) { ++*live; }
    Counted(const Counted& o) : live(o.live) { ++*live; }
    ~Counted() { --*live; }
};

// Suspends forever: only the scope's death can end the frame.
struct Never {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
};

Task<int> child(int* live) {
    Counted c(live);
    co_await Never{};
    co_return 1;
}

Task<int> parent(int* live) {
    Counted c(live);
    co_return co_await child(live);
}

Task<int> add(int a, int b) { co_return a + b; }
Task<int> twice(int a) {
    int x = co_await add(a, a);
    co_return co_await add(x, 0);
}

template <class T> T run_to_end(EventLoop& loop, TaskScope& scope, Task<T> t) {
    std::optional<std::variant<std::exception_ptr, T>> out;
    scope.spawn(std::move(t), [&out](std::variant<std::exception_ptr, T> v) { out.emplace(std::move(v)); });
    auto guard = loop.add_timer(std::chrono::seconds(10), [] { throw std::runtime_error("test timed out"); });
    while (!out) loop.run_once(-1);
    loop.cancel_timer(guard);
    if (out->index() == 0) std::rethrow_exception(std::get<0>(*out));
    return std::move(std::get<1>(*out));
}

}  // namespace

TEST_CASE("tasks chain, and a scope frees the frames still suspended when it dies", "[client_core]") {
    EventLoop loop;
    {
        TaskScope scope;
        REQUIRE(run_to_end(loop, scope, twice(21)) == 42);
        REQUIRE(scope.running() == 0);
    }
    int live = 0;
    bool done = false;
    {
        TaskScope scope;
        scope.spawn(parent(&live), [&done](std::variant<std::exception_ptr, int>) { done = true; });
        REQUIRE(live == 2);  // parent's and child's locals, both suspended
        REQUIRE(scope.running() == 1);
    }
    REQUIRE(live == 0);
    REQUIRE_FALSE(done);
}

TEST_CASE("the worker runs jobs off the loop thread and resumes on it", "[client_core]") {
    EventLoop loop;
    TaskScope scope;
    Worker worker(scope.resumer(loop));
    const auto loop_thread = std::this_thread::get_id();
    auto job = [&]() -> Task<bool> {
        auto where = worker.run([] { return std::this_thread::get_id(); });
        auto ran_on = co_await where;
        bool back_on_loop = std::this_thread::get_id() == loop_thread;
        auto fails = worker.run([]() -> int { throw std::runtime_error("job failed"); });
        std::string caught;
        try {
            co_await fails;
        } catch (const std::runtime_error& e) {
            caught = e.what();
        }
        co_return ran_on != loop_thread && back_on_loop && caught == "job failed";
    };
    REQUIRE(run_to_end(loop, scope, job()));
    REQUIRE(worker.busy() == 0);
}

TEST_CASE("a handshake the peer never answers fails through the loop's timer", "[client_core]") {
    test::TempDir dir("conn");
    auto l = listen_unix(dir.path + "/s.sock");
    EventLoop loop;
    TaskScope scope;
    Worker worker(scope.resumer(loop));
    UniqueFd accepted;
    loop.add_fd(l.fd.get(), EventLoop::Readable, [&](uint32_t) {
        accepted = UniqueFd(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    });
    auto server = ServerIdentity::generate().bundle();
    auto conn = Conn::make(scope.resumer(loop), worker, UnixPath{dir.path + "/s.sock"}, server, 300);
    bool loop_kept_running = false;
    auto tick = loop.add_timer(std::chrono::milliseconds(50), [&] { loop_kept_running = true; });
    (void)tick;
    std::string why;
    try {
        run_to_end(loop, scope, [](std::shared_ptr<Conn> c) -> Task<int> {
            co_await c->hello();
            co_return 0;
        }(conn));
    } catch (const ConnError& e) {
        why = e.what();
    }
    REQUIRE(why.find("no answer") != std::string::npos);
    REQUIRE(conn->state() == Conn::State::Closed);
    REQUIRE(accepted);            // it did connect; the peer just stayed silent
    REQUIRE(loop_kept_running);   // the wait was the loop's, not a blocking read
    loop.remove_fd(l.fd.get());
}

TEST_CASE("REFUSED of any version ends the handshake with the server's reason, made printable", "[client_core][version]") {
    test::TempDir dir("refused");
    auto l = listen_unix(dir.path + "/s.sock");
    EventLoop loop;
    TaskScope scope;
    Worker worker(scope.resumer(loop));
    UniqueFd accepted;
    // A later server: "TACT" | 3 | 5 | str reason, with an escape sequence.
    Writer w;
    w.raw(as_bytes(proto::kMagic)).u8(3).u8(uint8_t(proto::Kind::Refused)).str("speaks v3 \x1b[31monly");
    Bytes frame = frame_with_prefix(w.bytes());
    loop.add_fd(l.fd.get(), EventLoop::Readable, [&](uint32_t) {
        accepted = UniqueFd(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
        REQUIRE(::write(accepted.get(), frame.data(), frame.size()) == ssize_t(frame.size()));
    });
    auto server = ServerIdentity::generate().bundle();
    auto conn = Conn::make(scope.resumer(loop), worker, UnixPath{dir.path + "/s.sock"}, server, 3000);
    std::string why;
    try {
        run_to_end(loop, scope, [](std::shared_ptr<Conn> c) -> Task<int> {
            co_await c->hello();
            co_return 0;
        }(conn));
    } catch (const ConnError& e) {
        why = e.what();
    }
    CHECK(why == "the server refused this client: speaks v3 ?[31monly");
    CHECK(conn->state() == Conn::State::Closed);
    loop.remove_fd(l.fd.get());
}

TEST_CASE("parse_refusal takes only a well-formed REFUSED", "[client_core][version]") {
    auto at = [](uint8_t version, uint8_t kind, std::string_view reason) {
        Writer w;
        w.raw(as_bytes(proto::kMagic)).u8(version).u8(kind).str(reason);
        return w.take();
    };
    CHECK(parse_refusal(refusal_body("too old")) == "too old");
    CHECK(parse_refusal(at(7, 5, "x")) == "x");
    CHECK_FALSE(parse_refusal(at(2, 2, "x")));                         // KEY_RESPONSE, not REFUSED
    CHECK_FALSE(parse_refusal(at(2, 5, std::string(201, 'a'))));      // reason over 200 bytes
    Bytes trailing = refusal_body("x");
    trailing.push_back(0);
    CHECK_FALSE(parse_refusal(trailing));
    Bytes cut = refusal_body("abc");
    cut.pop_back();
    CHECK_FALSE(parse_refusal(cut));
    CHECK(refusal_body(std::string(300, 'b')).size() == 6 + 2 + 200);  // the server's side is cut too
}
