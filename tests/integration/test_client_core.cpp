// The client core's request queue against a real tacitd that stops
// answering (SIGSTOP): the request fails through the loop's timer, the
// connection is dropped as untrustworthy, and after SIGCONT the client
// reconnects and the same requests work.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

TEST_CASE("a request the stopped server never answers times out; the client goes on", "[integration][client_core]") {
    TestServer s;
    TestClient a(s, "a", false, 0, 1500);
    register_login(a, "alice");
    std::vector<std::string> users;
    REQUIRE(a->who(&users).ok);

    REQUIRE(::kill(s.pid(), SIGSTOP) == 0);
    auto r = a->who(&users);
    uint64_t rtt = 0;
    auto p = a->ping(&rtt);  // no connection any more: fails at once
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    INFO(r.msg);
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.msg.find("did not answer in time") != std::string::npos);
    REQUIRE_FALSE(p.ok);
    REQUIRE_FALSE(a->connected());
    bool disconnected = false;
    for (auto& e : a->take_events()) disconnected |= std::holds_alternative<client::ev::Disconnected>(e);
    REQUIRE(disconnected);

    auto rc = a->reconnect();
    INFO(rc.msg);
    REQUIRE(rc.ok);
    users.clear();
    REQUIRE(a->who(&users).ok);
    REQUIRE(std::find(users.begin(), users.end(), "alice") != users.end());
}
