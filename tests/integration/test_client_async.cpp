// The client core's asynchronous face (Client::start, requests.hpp) against
// a real tacitd: start() returns at once even while the server is stopped
// (SIGSTOP), requests run one after another in the order started and are
// listed by pending(), replies come out of deliver() in that order after
// SIGCONT; a reply that never comes is delivered as a failure after the
// request timeout.
#include <signal.h>

#include <catch2/catch.hpp>

#include "shared/clock.hpp"
#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

TEST_CASE("start() does not wait; replies come in order once the stopped server goes on", "[integration][client_async]") {
    TestServer s;
    TestClient b(s, "b");
    register_login(b, "bob");
    TestClient a(s, "a");
    register_login(a, "alice");

    std::vector<std::string> order;
    std::vector<client::Outcome> got;
    REQUIRE(::kill(s.pid(), SIGSTOP) == 0);
    const uint64_t t0 = mono_ms();
    a->start(client::req::Send{"bob", "sent while stopped"}, [&](client::Outcome o) {
        order.push_back("send");
        got.push_back(std::move(o));
    });
    a->start(client::req::Who{}, [&](client::Outcome o) {
        order.push_back("who");
        got.push_back(std::move(o));
    });
    const uint64_t took = mono_ms() - t0;
    a.wait_until([&] { return false; }, 400);  // the loop turns; nothing can answer
    a->deliver();
    auto p = a->pending();
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    CHECK(took < 200);
    REQUIRE(order.empty());
    REQUIRE(p.size() == 2);
    CHECK(p[0].what == "sending to bob");
    CHECK(p[0].running);
    CHECK(p[1].what == "/who");
    CHECK_FALSE(p[1].running);

    REQUIRE(a.wait_until([&] {
        a->deliver();
        return order.size() == 2;
    }, 10000));
    REQUIRE(order == std::vector<std::string>{"send", "who"});
    INFO(got[0].result.msg);
    CHECK(got[0].result.ok);
    CHECK(got[1].result.ok);
    CHECK(std::find(got[1].names.begin(), got[1].names.end(), "alice") != got[1].names.end());
    CHECK(a->pending().empty());
    REQUIRE(b.wait_until([&] {
        for (const auto& m : b.messages())
            if (m.body == "sent while stopped") return true;
        return false;
    }));
}

TEST_CASE("a started request the server never answers is delivered as a failure", "[integration][client_async]") {
    TestServer s;
    TestClient a(s, "a", false, 0, 1000);
    register_login(a, "alice");
    // Behind whatever login's NOTIFYs started (lane.hpp): once this is
    // answered, the Who below is the one waiting for the stopped server.
    std::vector<std::string> online;
    REQUIRE(a->who(&online).ok);
    std::optional<client::Outcome> got;
    REQUIRE(::kill(s.pid(), SIGSTOP) == 0);
    a->start(client::req::Who{}, [&](client::Outcome o) { got = std::move(o); });
    const bool done = a.wait_until([&] {
        a->deliver();
        return got.has_value();
    }, 4000);
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    REQUIRE(done);
    INFO(got->result.msg);
    CHECK_FALSE(got->result.ok);
    CHECK(got->result.msg.find("did not answer in time") != std::string::npos);
    CHECK(a->pending().empty());
    // Not logged in any more on this connection: a new start fails at once.
    std::optional<client::Outcome> again;
    a->start(client::req::Who{}, [&](client::Outcome o) { again = std::move(o); });
    a->deliver();
    REQUIRE(again.has_value());
    CHECK_FALSE(again->result.ok);
}
