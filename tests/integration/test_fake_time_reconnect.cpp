// Reconnecting on the fake clock against a real tacitd: the attempts follow
// the one backoff policy (tui/client/backoff.hpp) read on the core's clock,
// and a session the server dropped resumes with the same token, with
// nothing lost.
#include <catch2/catch.hpp>

#include "tests/integration/fake_time.hpp"
#include "tui/client/backoff.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

// One attempt as the screen makes it (req::Reconnect), to its reply.
client::Result attempt(client::Client& c, client::ReconnectSchedule& again) {
    again.attempting();
    std::optional<client::Outcome> out;
    c.start(client::req::Reconnect{}, [&](client::Outcome o) { out = std::move(o); });
    REQUIRE(pump_until(c, [&] { return out.has_value(); }));
    return out->result;
}

// Moves the clock to just before the next attempt, then to it: not due a
// millisecond early, due on time. The wait it found.
uint64_t wait_for_due(client::Client& c, client::ReconnectSchedule& again, FakeClock& clock) {
    const uint64_t wait = again.wait_ms(c.now_ms());
    clock.advance(wait - 1);
    CHECK_FALSE(again.due(c.now_ms()));
    clock.advance(1);
    CHECK(again.due(c.now_ms()));
    return wait;
}

}  // namespace

TEST_CASE("on the fake clock reconnect attempts wait one backoff delay each, doubling, until tacitd is back",
          "[integration][fake_time][backoff]") {
    TestServer s;
    Home h;
    FakeClock clock;
    auto c = fake_time_alice(s, h.path, clock);
    s.stop();
    REQUIRE(pump_until(*c, [&] { return !c->connected(); }));

    // The lowest jitter: each delay is half its nominal value.
    client::ReconnectSchedule again([] { return 0.0; }, client::Backoff(1000, 8000));
    REQUIRE_FALSE(again.due(c->now_ms()));
    std::vector<uint64_t> waits{wait_for_due(*c, again, clock)};
    for (int i = 0; i < 4; ++i) {
        auto r = attempt(*c, again);
        CHECK_FALSE(r.ok);
        CHECK_FALSE(again.due(c->now_ms() + 60000));  // none beside a running one
        again.failed(c->now_ms());
        waits.push_back(wait_for_due(*c, again, clock));
    }
    CHECK(waits == std::vector<uint64_t>{500, 1000, 2000, 4000, 4000});
    CHECK(again.attempts() == 5);

    s.start();
    auto r = attempt(*c, again);
    INFO(r.msg);
    REQUIRE(r.ok);
    again.connected();
    CHECK(c->logged_in());
    CHECK(again.state() == client::ReconnectSchedule::State::Connected);
    CHECK(again.attempts() == 0);
}

TEST_CASE("a session the server dropped resumes with the same token, and nothing sent meanwhile is lost",
          "[integration][fake_time][resume]") {
    TestServer s;
    Home h;
    FakeClock clock;
    TestClient bob(s, "bob");
    register_login(bob, "bob");
    auto c = fake_time_alice(s, h.path, clock);
    // Then tacitd drops a connection that sent nothing for a second (the
    // accounts are made first: making keys takes longer than that); alice's
    // keepalive never falls due, her clock being frozen.
    s.extra = {"--idle-timeout", "1"};
    s.restart();
    auto back = c->reconnect();
    INFO(back.msg);
    REQUIRE(back.ok);
    const auto token = c->token();
    REQUIRE(token);
    auto sent = c->send("bob", "before the drop");
    INFO(sent.msg);
    REQUIRE(sent.ok);

    REQUIRE(pump_until(*c, [&] { return !c->connected(); }, 10000));
    const auto dropped = events_of<client::ev::Disconnected>(c->take_events());
    REQUIRE(dropped.size() == 1);
    CHECK(dropped[0].text.find("disconnected") != std::string::npos);
    // bob is idle too: once tacitd has dropped him, a fresh connection gives
    // him a second to work in.
    auto bob_fresh = [&] {
        bob.wait_until([&] { return !bob->connected(); }, 5000);
        REQUIRE(bob->reconnect().ok);
    };
    bob_fresh();
    auto during = bob->send("alice", "while alice was dropped");
    INFO(during.msg);
    REQUIRE(during.ok);

    client::ReconnectSchedule again([] { return 0.0; });
    REQUIRE_FALSE(again.due(c->now_ms()));
    wait_for_due(*c, again, clock);
    auto r = attempt(*c, again);
    INFO(r.msg);
    REQUIRE(r.ok);
    CHECK(r.msg == "session resumed");
    REQUIRE(c->token());
    CHECK(ct_equal(*c->token(), *token));
    const auto hist = c->history("bob", 10);
    CHECK(has_body(hist, "before the drop"));
    CHECK(has_body(hist, "while alice was dropped"));
    // And the resumed session is a working one: bob gets what she sends now.
    REQUIRE(c->send("bob", "after the resume").ok);
    bob_fresh();
    REQUIRE(bob->update().ok);
    REQUIRE(bob.wait_until([&] {
        const auto m = bob.messages();
        return has_body(m, "before the drop") && has_body(m, "after the resume");
    }));
}
