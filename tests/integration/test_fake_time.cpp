// The client core against a real tacitd on a fake clock (tests/fake_clock.hpp,
// client::Options::clock): the core loop's timers and the connection's due
// times move only when the test advances the clock, so a request timeout of
// 15 s and the 25 s keepalive are reached without waiting and no test
// asserts a timing.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/fake_clock.hpp"
#include "tests/integration/harness.hpp"
#include "tui/ui/keepalive.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

std::unique_ptr<client::Client> fake_time_client(const TestServer& s, const std::string& home, const FakeClock& clock) {
    client::Options o;
    o.server = s.addr();
    o.server_key_file = s.pub_file();
    o.data_dir = home + "/tacit";
    o.timeout_ms = 15000;
    o.clock = clock.fn();
    auto c = std::make_unique<client::Client>(o);
    auto r = c->connect();
    INFO(r.msg);
    REQUIRE(r.ok);
    return c;
}

// fake_time_client, registered and logged in as alice.
std::unique_ptr<client::Client> fake_time_alice(const TestServer& s, const std::string& home, const FakeClock& clock) {
    auto c = fake_time_client(s, home, clock);
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

struct Home {
    std::string path = make_temp_dir("fake-time");
    ~Home() { remove_tree(path); }
};

}  // namespace

TEST_CASE("on the fake clock a reply that never comes fails at the timeout, not before; the queue goes on",
          "[integration][fake_time]") {
    TestServer s;
    Home h;
    FakeClock clock;
    auto c = fake_time_alice(s, h.path, clock);

    const auto token = c->token();
    REQUIRE(token);
    // Behind whatever login's NOTIFYs started (lane.hpp): once this is
    // answered, the Who below is the one waiting for the stopped server.
    std::vector<std::string> online;
    REQUIRE(c->who(&online).ok);
    std::vector<std::string> order;
    std::optional<client::Outcome> who, ping;
    REQUIRE(::kill(s.pid(), SIGSTOP) == 0);
    c->start(client::req::Who{}, [&](client::Outcome o) { order.push_back("who"); who = std::move(o); });
    c->start(client::req::Ping{}, [&](client::Outcome o) { order.push_back("ping"); ping = std::move(o); });
    // The Who takes its turn of the lane (lane.hpp) through the loop, and
    // its due time starts when it is sent: let it go out before the clock moves.
    pump_until(*c, [] { return false; }, 200);
    clock.advance(14999);
    // A second of real time with the clock just short of the timeout: nothing fails.
    const bool early = pump_until(*c, [&] { return !order.empty(); }, 1000);
    clock.advance(1);
    const bool failed = pump_until(*c, [&] { return who.has_value(); });
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    CHECK_FALSE(early);
    REQUIRE(failed);
    INFO(who->result.msg);
    CHECK_FALSE(who->result.ok);
    CHECK(who->result.msg.find("did not answer in time") != std::string::npos);
    CHECK_FALSE(c->connected());
    // The request behind it is not stuck behind the dead one: it is answered
    // (a failure, the connection being gone) without any more time passing.
    REQUIRE(pump_until(*c, [&] { return ping.has_value(); }));
    CHECK(order == std::vector<std::string>{"who", "ping"});
    CHECK(c->pending().empty());

    // The queue goes on: after reconnecting, a new request is answered. The
    // dropped connection's session is resumed (RESUME), not logged in anew:
    // the token is the same one.
    auto rc = c->reconnect();
    INFO(rc.msg);
    REQUIRE(rc.ok);
    REQUIRE(c->token());
    CHECK(ct_equal(*c->token(), *token));
    std::optional<client::Outcome> again;
    c->start(client::req::Who{}, [&](client::Outcome o) { again = std::move(o); });
    REQUIRE(pump_until(*c, [&] { return again.has_value(); }));
    CHECK(again->result.ok);
    CHECK(std::find(again->names.begin(), again->names.end(), "alice") != again->names.end());
}

TEST_CASE("on the fake clock an idle connection falls due for a keepalive PING at 25 s, and the PING resets it",
          "[integration][fake_time][keepalive]") {
    TestServer s;
    Home h;
    FakeClock clock;
    auto c = fake_time_alice(s, h.path, clock);
    CHECK(c->send_idle_ms() == 0);
    clock.advance(ui::kKeepaliveMs - 1);
    CHECK(c->send_idle_ms() == ui::kKeepaliveMs - 1);
    CHECK_FALSE(ui::ping_due(c->send_idle_ms(), ui::kKeepaliveMs));
    clock.advance(1);
    REQUIRE(ui::ping_due(c->send_idle_ms(), ui::kKeepaliveMs));
    std::optional<client::Outcome> pong;
    c->start(client::req::Ping{}, [&](client::Outcome o) { pong = std::move(o); });
    REQUIRE(pump_until(*c, [&] { return pong.has_value(); }));
    INFO(pong->result.msg);
    CHECK(pong->result.ok);
    CHECK(c->connected());
    CHECK(c->send_idle_ms() == 0);
    CHECK_FALSE(ui::ping_due(c->send_idle_ms(), ui::kKeepaliveMs));
}
