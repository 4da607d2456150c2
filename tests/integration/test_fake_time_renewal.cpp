// Key renewal (/rekey: RENEW1..3, tacit-protocol(7) KEY RENEWAL AND RESUME)
// on the fake clock against a real tacitd: the server is stopped the moment
// the client enters Phase::Renew2 (Options::on_phase), so its RENEW2 is
// never answered. It fails at the request timeout and not before, commits
// nothing, and a retry after reconnecting renews; no message is lost.
#include <catch2/catch.hpp>

#include "tests/integration/fake_time.hpp"

using namespace tacit;
using namespace tacit::test;

TEST_CASE("on the fake clock a RENEW2 never answered fails at the timeout; the retry renews, nothing is lost",
          "[integration][fake_time][renewal]") {
    TestServer s;
    Home h;
    FakeClock clock;
    enum class Stop { Off, AtRenew2, Stopped, Failed } stop = Stop::Off;
    std::vector<client::Phase> seen;
    auto on_phase = [&](client::Phase p) {
        seen.push_back(p);
        if (p == client::Phase::Renew2 && stop == Stop::AtRenew2)
            stop = stop_process(s.pid()) ? Stop::Stopped : Stop::Failed;
    };
    auto c = fake_time_alice(s, h.path, clock, on_phase);
    TestClient bob(s, "bob");
    register_login(bob, "bob");
    REQUIRE(bob->send("alice", "before the renewal").ok);
    REQUIRE(c->update().ok);
    const auto fp = c->own_fingerprint();
    const auto token = c->token();
    REQUIRE(token);

    stop = Stop::AtRenew2;
    seen.clear();
    std::optional<client::Outcome> rekey;
    c->start(client::req::Rekey{}, [&](client::Outcome o) { rekey = std::move(o); });
    // Key generation runs on the worker in real time; then RENEW1 is
    // answered and the server stops as RENEW2 is about to go out.
    REQUIRE(pump_until(*c, [&] { return stop != Stop::AtRenew2 || rekey.has_value(); }, 60000));
    REQUIRE(stop == Stop::Stopped);
    CHECK(c->phase() == client::Phase::Renew2);
    CHECK(seen == std::vector<client::Phase>{client::Phase::Renew1, client::Phase::Renew2});
    const auto t = run_to_timeout(*c, clock, [&] { return rekey.has_value(); });
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    CHECK_FALSE(t.early);
    REQUIRE(t.on_time);
    INFO(rekey->result.msg);
    CHECK_FALSE(rekey->result.ok);
    CHECK(rekey->result.msg.find("did not answer in time") != std::string::npos);
    CHECK(c->phase() == client::Phase::Idle);
    CHECK(c->pending().empty());
    CHECK_FALSE(c->connected());

    // Nothing was committed: the old key is still ours, and the session
    // resumes with the same token.
    REQUIRE(bob->send("alice", "during the renewal").ok);
    auto rc = c->reconnect();
    INFO(rc.msg);
    REQUIRE(rc.ok);
    REQUIRE(c->token());
    CHECK(ct_equal(*c->token(), *token));
    CHECK(c->own_fingerprint() == fp);

    // The retry renews.
    stop = Stop::Off;
    rekey.reset();
    c->start(client::req::Rekey{}, [&](client::Outcome o) { rekey = std::move(o); });
    REQUIRE(pump_until(*c, [&] { return rekey.has_value(); }, 60000));
    INFO(rekey->result.msg);
    CHECK(rekey->result.ok);
    CHECK(c->logged_in());
    CHECK(c->own_fingerprint() != fp);
    const auto hist = c->history("bob", 10);
    CHECK(has_body(hist, "before the renewal"));
    CHECK(has_body(hist, "during the renewal"));
}
