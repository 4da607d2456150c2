#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "shared/unique_fd.hpp"
#include "tests/fake_clock.hpp"

using namespace tacit;
using namespace std::chrono_literals;

namespace {

struct Pair {
    UniqueFd a, b;
    Pair() {
        int sv[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        a.reset(sv[0]);
        b.reset(sv[1]);
    }
};

void put(int fd, const std::string& s) {
    REQUIRE(::write(fd, s.data(), s.size()) == ssize_t(s.size()));
}

std::string drain(int fd) {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    return out;
}

// Keeps a broken test from hanging the suite.
void guard(EventLoop& loop, std::chrono::milliseconds ms = 2000ms) {
    loop.add_timer(ms, [&loop] {
        loop.stop();
        FAIL("event loop test timed out");
    });
}

}  // namespace

TEST_CASE("unique_fd closes on destruction and release hands over ownership") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    {
        UniqueFd a(sv[0]);
        UniqueFd moved(std::move(a));
        CHECK_FALSE(a.valid());
        CHECK(moved.get() == sv[0]);
    }
    CHECK(fcntl(sv[0], F_GETFD) == -1);  // closed
    UniqueFd b(sv[1]);
    int raw = b.release();
    CHECK_FALSE(b);
    CHECK(fcntl(raw, F_GETFD) != -1);  // still open
    ::close(raw);
}

TEST_CASE("timers fire in due order, ties in insertion order") {
    EventLoop loop;
    guard(loop);
    std::vector<int> order;
    // Read the clock before arming: a millisecond tick between arming and
    // reading would otherwise make the 30 ms timer look early (seen in CI).
    uint64_t start = mono_ms();
    loop.add_timer(30ms, [&] { order.push_back(30); loop.stop(); });
    loop.add_timer(10ms, [&] { order.push_back(10); });
    loop.add_timer(0ms, [&] { order.push_back(1); });
    loop.add_timer(0ms, [&] { order.push_back(2); });
    loop.add_timer(20ms, [&] { order.push_back(20); });
    loop.run();
    CHECK(order == std::vector<int>{1, 2, 10, 20, 30});
    CHECK(mono_ms() - start >= 30);
}

TEST_CASE("on a fake clock a timer fires when the clock reaches its due time, not before", "[fake_time]") {
    test::FakeClock clock;
    EventLoop loop(clock.fn());  // run_once(0) never waits: no guard timer
    std::vector<int> fired;
    loop.add_timer(15000ms, [&] { fired.push_back(15); });
    loop.add_timer(25000ms, [&] { fired.push_back(25); });
    CHECK(loop.now_ms() == clock.now());
    loop.run_once(0);
    clock.advance(14999);
    loop.run_once(0);
    CHECK(fired.empty());
    clock.advance(1);
    loop.run_once(0);
    CHECK(fired == std::vector<int>{15});
    clock.advance(10000);
    loop.run_once(0);
    CHECK(fired == std::vector<int>{15, 25});
}

TEST_CASE("cancelled timers do not fire, also when cancelled by a timer due in the same pass") {
    EventLoop loop;
    guard(loop);
    bool a = false, b = false, c = false;
    auto ta = loop.add_timer(5ms, [&] { a = true; });
    EventLoop::TimerId tc = 0;
    loop.add_timer(0ms, [&] { loop.cancel_timer(tc); });
    tc = loop.add_timer(0ms, [&] { c = true; });
    loop.add_timer(1ms, [&] { b = true; });
    loop.cancel_timer(ta);
    loop.cancel_timer(9999);  // unknown id: no effect
    loop.add_timer(20ms, [&] { loop.stop(); });
    CHECK(loop.timer_count() == 5);  // the guard, tc's canceller, tc, b, stop
    loop.run();
    CHECK_FALSE(a);
    CHECK_FALSE(c);
    CHECK(b);
    CHECK(loop.timer_count() == 1);  // only the guard is left
}

TEST_CASE("a timer re-arming itself at 0 ms fires once per pass") {
    EventLoop loop;
    guard(loop);
    int passes = 0, fires = 0;
    std::function<void()> tick = [&] {
        ++fires;
        if (fires == 5) loop.stop();
        else loop.add_timer(0ms, tick);
    };
    loop.add_timer(0ms, tick);
    loop.set_before_sleep([&] { ++passes; });
    loop.run();
    CHECK(fires == 5);
    CHECK(passes == 6);  // one before the first wait, then one after each pass
}

TEST_CASE("fd readiness is delivered through the loop") {
    EventLoop loop;
    guard(loop);
    Pair p;
    std::string got;
    uint32_t seen = 0;
    loop.add_fd(p.b.get(), EventLoop::Readable, [&](uint32_t ev) {
        seen |= ev;
        got += drain(p.b.get());
        if (got.size() >= 5) loop.stop();
    });
    CHECK(loop.has_fd(p.b.get()));
    loop.add_timer(5ms, [&] { put(p.a.get(), "hello"); });
    loop.run();
    CHECK(got == "hello");
    CHECK((seen & EventLoop::Readable));
    CHECK_FALSE((seen & EventLoop::Writable));
}

TEST_CASE("modify_fd switches interest, Writable fires on a writable socket") {
    EventLoop loop;
    guard(loop);
    Pair p;
    int writable = 0;
    loop.add_fd(p.a.get(), 0, [&](uint32_t ev) {
        REQUIRE((ev & EventLoop::Writable));
        ++writable;
        loop.modify_fd(p.a.get(), 0);
        loop.add_timer(10ms, [&] { loop.stop(); });
    });
    loop.add_timer(5ms, [&] {
        CHECK(writable == 0);  // mask 0: nothing delivered yet
        loop.modify_fd(p.a.get(), EventLoop::Writable);
    });
    loop.run();
    CHECK(writable == 1);  // cleared after the first call: no repeats
}

TEST_CASE("peer close is reported as Closed") {
    EventLoop loop;
    guard(loop);
    Pair p;
    uint32_t seen = 0;
    loop.add_fd(p.b.get(), EventLoop::Readable | EventLoop::Closed, [&](uint32_t ev) {
        seen = ev;
        loop.remove_fd(p.b.get());
        loop.stop();
    });
    loop.add_timer(5ms, [&] { p.a.reset(); });
    loop.run();
    CHECK((seen & EventLoop::Closed));
    CHECK_FALSE(loop.has_fd(p.b.get()));
}

TEST_CASE("remove_fd inside a callback: own fd and another fd ready in the same batch") {
    EventLoop loop;
    guard(loop);
    Pair p1, p2;
    int calls = 0;
    auto payload = std::make_shared<std::string>("captured");
    auto make_cb = [&] {
        return [&, payload](uint32_t) {
            ++calls;
            loop.remove_fd(p1.b.get());
            loop.remove_fd(p2.b.get());
            // The callback's captures must still be alive after removing itself.
            CHECK(*payload == "captured");
            loop.add_timer(20ms, [&] { loop.stop(); });
        };
    };
    loop.add_fd(p1.b.get(), EventLoop::Readable, make_cb());
    loop.add_fd(p2.b.get(), EventLoop::Readable, make_cb());
    put(p1.a.get(), "x");
    put(p2.a.get(), "y");
    loop.run();
    CHECK(calls == 1);  // the other fd's pending event was dropped
    CHECK(payload.use_count() == 1);  // the removed callbacks were destroyed
}

TEST_CASE("an fd removed and re-added in a callback gets the new callback") {
    EventLoop loop;
    guard(loop);
    Pair p;
    int old_calls = 0, new_calls = 0;
    loop.add_fd(p.b.get(), EventLoop::Readable, [&](uint32_t) {
        ++old_calls;
        loop.remove_fd(p.b.get());
        loop.add_fd(p.b.get(), EventLoop::Readable, [&](uint32_t) {
            ++new_calls;
            drain(p.b.get());
            loop.stop();
        });
    });
    put(p.a.get(), "z");
    loop.run();
    CHECK(old_calls == 1);
    CHECK(new_calls == 1);
}

TEST_CASE("add_fd refuses an fd twice; modify and remove of unknown fds are no-ops") {
    EventLoop loop;
    Pair p;
    loop.add_fd(p.a.get(), EventLoop::Readable, [](uint32_t) {});
    CHECK_THROWS_AS(loop.add_fd(p.a.get(), EventLoop::Readable, [](uint32_t) {}), std::invalid_argument);
    CHECK_THROWS(loop.add_fd(-1, EventLoop::Readable, [](uint32_t) {}));
    CHECK_NOTHROW(loop.modify_fd(p.b.get(), EventLoop::Writable));
    CHECK_NOTHROW(loop.remove_fd(p.b.get()));
    CHECK_NOTHROW(loop.remove_fd(12345));
    loop.remove_fd(p.a.get());
    CHECK_FALSE(loop.has_fd(p.a.get()));
}

TEST_CASE("before-sleep runs once per pass, after that pass's events") {
    EventLoop loop;
    guard(loop);
    Pair p;
    int sleeps = 0;
    std::vector<int> seen_at;  // value of sleeps when each event was dispatched
    loop.add_fd(p.b.get(), EventLoop::Readable, [&](uint32_t) {
        seen_at.push_back(sleeps);
        drain(p.b.get());
    });
    loop.set_before_sleep([&] {
        ++sleeps;
        if (sleeps <= 3) put(p.a.get(), "k");  // makes the next pass dispatch one event
        else loop.stop();
    });
    loop.run();
    CHECK(sleeps == 4);
    CHECK(seen_at == std::vector<int>{1, 2, 3});
}

TEST_CASE("stop() inside a callback still runs before-sleep for that pass") {
    EventLoop loop;
    guard(loop);
    int sleeps = 0;
    bool stopped_in_timer = false;
    loop.set_before_sleep([&] { ++sleeps; });
    loop.add_timer(1ms, [&] {
        stopped_in_timer = true;
        loop.stop();
    });
    loop.run();
    CHECK(stopped_in_timer);
    CHECK(sleeps >= 2);
    int before = sleeps;
    // run() can be entered again after stop().
    loop.add_timer(1ms, [&] { loop.stop(); });
    loop.run();
    CHECK(sleeps > before);
}

TEST_CASE("an exception from a callback leaves run() and the loop usable") {
    EventLoop loop;
    guard(loop);
    loop.add_timer(0ms, [] { throw std::runtime_error("boom"); });
    CHECK_THROWS_WITH(loop.run(), "boom");
    bool ran = false;
    loop.add_timer(0ms, [&] { ran = true; loop.stop(); });
    loop.run();
    CHECK(ran);
}

TEST_CASE("signals arrive through signalfd as loop events") {
    sigset_t before;
    pthread_sigmask(SIG_BLOCK, nullptr, &before);
    REQUIRE_FALSE(sigismember(&before, SIGUSR1));
    {
        EventLoop loop;
        guard(loop);
        int usr1 = 0;
        loop.on_signal(SIGUSR1, [&] {
            ++usr1;
            loop.stop();
        });
        sigset_t now;
        pthread_sigmask(SIG_BLOCK, nullptr, &now);
        CHECK(sigismember(&now, SIGUSR1));
        loop.add_timer(2ms, [] { raise(SIGUSR1); });
        loop.run();
        CHECK(usr1 == 1);
        // Raised but never read: destruction must swallow it, not die of it.
        raise(SIGUSR1);
    }
    sigset_t after;
    pthread_sigmask(SIG_BLOCK, nullptr, &after);
    CHECK_FALSE(sigismember(&after, SIGUSR1));  // mask restored
}

TEST_CASE("several signals share one signalfd") {
    EventLoop loop;
    guard(loop);
    std::vector<int> got;
    loop.on_signal(SIGUSR1, [&] { got.push_back(SIGUSR1); });
    loop.on_signal(SIGUSR2, [&] {
        got.push_back(SIGUSR2);
        loop.stop();
    });
    loop.add_timer(1ms, [] { raise(SIGUSR1); });
    loop.add_timer(5ms, [] { raise(SIGUSR2); });
    loop.run();
    CHECK(got == std::vector<int>{SIGUSR1, SIGUSR2});
}

TEST_CASE("post() from several threads: every function runs on the loop thread, each thread's in order") {
    EventLoop loop;
    guard(loop, 10000ms);
    constexpr int kThreads = 4, kEach = 2000;
    const auto loop_thread = std::this_thread::get_id();
    std::map<int, std::vector<int>> seen;  // touched only on the loop thread
    int total = 0;
    bool all_on_loop = true;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i)
                loop.post([&, t, i] {
                    all_on_loop = all_on_loop && std::this_thread::get_id() == loop_thread;
                    seen[t].push_back(i);
                    if (++total == kThreads * kEach) loop.stop();
                });
        });
    loop.run();
    for (auto& th : threads) th.join();
    CHECK(all_on_loop);
    REQUIRE(total == kThreads * kEach);
    for (int t = 0; t < kThreads; ++t) {
        REQUIRE(seen[t].size() == size_t(kEach));
        bool ordered = true;
        for (int i = 0; i < kEach; ++i) ordered = ordered && seen[t][size_t(i)] == i;
        CHECK(ordered);
    }
}

TEST_CASE("post() wakes a loop that waits with no ready fd and only a far timer") {
    EventLoop loop;
    guard(loop, 5000ms);  // only fires if the wake-up never comes
    std::atomic<bool> ran{false};
    std::thread th([&] {
        std::this_thread::sleep_for(20ms);
        loop.post([&] {
            ran = true;
            loop.stop();
        });
    });
    loop.run();
    th.join();
    CHECK(ran);
}

TEST_CASE("a function posted from a posted function runs in a later pass") {
    EventLoop loop;
    guard(loop);
    int pass = 0;
    loop.set_before_sleep([&] { ++pass; });
    int outer_pass = -1, inner_pass = -1;
    std::vector<std::string> order;
    loop.post([&] {
        order.push_back("outer");
        outer_pass = pass;
        loop.post([&] {
            order.push_back("inner");
            inner_pass = pass;
            loop.stop();
        });
    });
    loop.post([&] { order.push_back("second"); });
    loop.run();
    CHECK(order == std::vector<std::string>{"outer", "second", "inner"});
    CHECK(inner_pass > outer_pass);
}

TEST_CASE("functions still posted when the loop dies are destroyed without running") {
    auto alive = std::make_shared<int>(0);
    bool ran = false;
    {
        EventLoop loop;
        loop.post([alive, &ran] { ran = true; });
        loop.post([alive, &ran] { ran = true; });
        CHECK(alive.use_count() == 3);
    }
    CHECK_FALSE(ran);
    CHECK(alive.use_count() == 1);
}

TEST_CASE("a posted function that throws leaves run(); the ones after it still run, in order") {
    EventLoop loop;
    guard(loop);
    std::vector<int> order;
    loop.post([&] { order.push_back(1); });
    loop.post([] { throw std::runtime_error("posted boom"); });
    loop.post([&] { order.push_back(3); });
    loop.post([&] {
        order.push_back(4);
        loop.stop();
    });
    CHECK_THROWS_WITH(loop.run(), "posted boom");
    loop.run();
    CHECK(order == std::vector<int>{1, 3, 4});
}

TEST_CASE("run_once handles one pass and says how much it did") {
    EventLoop loop;
    int passes = 0, fired = 0;
    loop.set_before_sleep([&] { ++passes; });
    REQUIRE(loop.run_once(0) == 0);  // nothing to do: returns without waiting
    REQUIRE(passes == 1);
    loop.add_timer(0ms, [&] { ++fired; });
    REQUIRE(loop.run_once(1000) == 1);
    REQUIRE(fired == 1);
    Pair p;
    loop.add_fd(p.b.get(), EventLoop::Readable, [&](uint32_t) { (void)drain(p.b.get()); });
    put(p.a.get(), "x");
    REQUIRE(loop.run_once(1000) == 1);
    REQUIRE(passes == 3);
    loop.remove_fd(p.b.get());
}
