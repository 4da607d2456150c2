// The client core against a real tacitd on a fake clock (tests/fake_clock.hpp,
// client::Options::clock): the core loop's timers and the connection's due
// times move only when the test advances the clock, so a request timeout of
// 15 s and the 25 s keepalive are reached without waiting and no test
// asserts a timing.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/integration/fake_time.hpp"
#include "tui/ui/keepalive.hpp"

using namespace tacit;
using namespace tacit::test;

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
    // A second of real time with the clock just short of the timeout: nothing fails.
    const auto t = run_to_timeout(*c, clock, [&] { return !order.empty(); });
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    CHECK_FALSE(t.early);
    REQUIRE(t.on_time);
    REQUIRE(who.has_value());
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

TEST_CASE("on the fake clock a login never answered fails at the timeout, its phase back to Idle; the retry logs in",
          "[integration][fake_time][login]") {
    TestServer s;
    Home h;
    FakeClock clock;
    std::vector<client::Phase> seen;
    auto c = fake_time_client(s, h.path, clock, [&](client::Phase p) { seen.push_back(p); });
    REQUIRE(c->register_user("alice", client::Password("pw")).ok);
    REQUIRE(c->connect().ok);  // registering logged out: the form's fresh connection
    REQUIRE(stop_process(s.pid()));
    seen.clear();
    std::optional<client::Outcome> login;
    c->start(client::req::Login{"alice", client::Password("pw")}, [&](client::Outcome o) { login = std::move(o); });
    // PBKDF2 runs on the worker in real time; then LOGIN1 goes out and waits.
    pump_until(*c, [] { return false; }, 500);
    CHECK(c->phase() == client::Phase::LoggingIn);
    REQUIRE(c->pending().size() == 1);
    CHECK(c->pending()[0].what == "logging in as alice");
    const auto t = run_to_timeout(*c, clock, [&] { return login.has_value(); });
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    CHECK_FALSE(t.early);
    REQUIRE(t.on_time);
    INFO(login->result.msg);
    CHECK_FALSE(login->result.ok);
    CHECK(login->result.msg.find("did not answer in time") != std::string::npos);
    CHECK(c->phase() == client::Phase::Idle);
    CHECK_FALSE(c->logged_in());
    // LoggingIn was entered once (login, then do_login inside it).
    CHECK(seen.front() == client::Phase::LoggingIn);
    CHECK(seen.back() == client::Phase::Idle);

    // The retry opens a fresh connection itself and logs in.
    login.reset();
    c->start(client::req::Login{"alice", client::Password("pw")}, [&](client::Outcome o) { login = std::move(o); });
    REQUIRE(pump_until(*c, [&] { return login.has_value(); }));
    INFO(login->result.msg);
    CHECK(login->result.ok);
    CHECK(c->logged_in());
    CHECK(c->phase() == client::Phase::Idle);
}
