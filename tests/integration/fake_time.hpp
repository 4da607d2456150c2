// The client core on a fake clock (tests/fake_clock.hpp) against a real
// tacitd, for the test_fake_time*.cpp files: the core's timers and request
// due times move only when the test advances the clock. The synchronous
// calls wait with run_once(-1), so with a silent server use start(),
// pump_until() and deliver() instead, and advance the clock.
#pragma once
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "tests/fake_clock.hpp"
#include "tests/integration/harness.hpp"

namespace tacit::test {

inline std::unique_ptr<client::Client> fake_time_client(const TestServer& s, const std::string& home,
                                                        const FakeClock& clock,
                                                        std::function<void(client::Phase)> on_phase = {}) {
    client::Options o;
    o.server = s.addr();
    o.server_key_file = s.pub_file();
    o.data_dir = home + "/tacit";
    o.timeout_ms = 15000;
    o.clock = clock.fn();
    o.on_phase = std::move(on_phase);
    auto c = std::make_unique<client::Client>(o);
    auto r = c->connect();
    INFO(r.msg);
    REQUIRE(r.ok);
    return c;
}

// fake_time_client, registered and logged in as alice.
inline std::unique_ptr<client::Client> fake_time_alice(const TestServer& s, const std::string& home,
                                                       const FakeClock& clock,
                                                       std::function<void(client::Phase)> on_phase = {}) {
    auto c = fake_time_client(s, home, clock, std::move(on_phase));
    REQUIRE(c->register_user("alice", client::Password("pw")).ok);
    REQUIRE(c->login("alice", client::Password("pw")).ok);
    return c;
}

// Pumps the core (real time, at most limit_ms) until pred().
template <class P> bool pump_until(client::Client& c, P pred, int limit_ms = 5000) {
    for (int waited = 0; waited < limit_ms; waited += 20) {
        c.pump();
        c.deliver();
        if (pred()) return true;
        usleep(20000);
    }
    return pred();
}

// How a request the server never answers ends on the fake clock.
struct TimedOut {
    bool early = false;    // done() already held a millisecond before the timeout
    bool on_time = false;  // done() held once the timeout was reached
};
// Moves the clock to a millisecond short of timeout_ms and pumps a second
// of real time, then moves it to timeout_ms and pumps until done().
template <class P> TimedOut run_to_timeout(client::Client& c, FakeClock& clock, P done, uint64_t timeout_ms = 15000) {
    TimedOut t;
    clock.advance(timeout_ms - 1);
    t.early = pump_until(c, done, 1000);
    clock.advance(1);
    t.on_time = pump_until(c, done);
    return t;
}

inline bool has_body(const std::vector<client::ChatMessage>& h, const std::string& body) {
    return std::any_of(h.begin(), h.end(), [&](const client::ChatMessage& m) { return m.body == body; });
}

// SIGSTOP, then waits (at most 2 s) until the kernel shows the process
// stopped, so that nothing sent after this returns is read before SIGCONT.
inline bool stop_process(pid_t pid) {
    if (::kill(pid, SIGSTOP) != 0) return false;
    for (int i = 0; i < 200; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string pid_field, comm, state;
        stat >> pid_field >> comm >> state;  // tacitd's comm has no spaces
        if (state == "T" || state == "t") return true;
        usleep(10000);
    }
    return false;
}

struct Home {
    std::string path = make_temp_dir("fake-time");
    ~Home() { remove_tree(path); }
};

}  // namespace tacit::test
