// The client core's one lane (tui/client/lane.hpp) against a real tacitd:
// a send the screen starts while a NOTIFY's mailbox fetch is half-way
// through a page waits for that fetch, so it never commits ratchet state
// the unfinished page advanced. Without the lane, the page below (alice's
// message advances bob's session, carol's asks for her key) is cut by a
// kill -9 after bob's send committed the advanced session: fetched again,
// alice's message no longer opens.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

bool has(const TestClient& c, const std::string& from, const std::string& body) {
    for (auto& m : c.messages())
        if (m.from == from && m.body == body && m.problem.empty()) return true;
    return false;
}

size_t undecryptable(const TestClient& c) {
    size_t n = 0;
    for (auto& m : c.messages()) n += m.id.rfind("undecryptable-", 0) == 0;
    return n;
}

void send_ok(TestClient& c, const std::string& to, const std::string& body) {
    auto r = c->send(to, body);
    INFO("send to " << to << ": " << r.msg);
    REQUIRE(r.ok);
}

}  // namespace

TEST_CASE("a send started during a NOTIFY's fetch waits for it: a page cut by kill -9 still opens",
          "[integration][client_async][lane]") {
    TestServer s(kLoose);
    TestClient a(s, "a"), b(s, "b"), c(s, "c");
    register_login(a, "alice");
    register_login(b, "bob");
    register_login(c, "carol");
    // bob holds a session with alice and has her key pinned; carol's he
    // has never looked up, so opening her message suspends on MSG1.
    send_ok(a, "bob", "hello");
    REQUIRE(b.wait_until([&] { return has(b, "alice", "hello"); }));

    // bob's loop does not turn: the NOTIFYs wait in his socket.
    send_ok(a, "bob", "a1");
    send_ok(c, "bob", "c1");
    REQUIRE(::kill(s.pid(), SIGSTOP) == 0);
    b.wait_until([] { return false; }, 200);  // reads the NOTIFYs: the fetch sends UPDATE1
    std::optional<client::Outcome> sent;
    b->start(client::req::Send{"alice", "b1"}, [&](client::Outcome o) { sent = std::move(o); });
    REQUIRE(::kill(s.pid(), SIGCONT) == 0);
    // Once alice's who is answered the server has read and answered what
    // bob sent before (his UPDATE1, and without the lane his MSG1).
    std::vector<std::string> online;
    REQUIRE(a->who(&online).ok);
    REQUIRE(::kill(s.pid(), SIGSTOP) == 0);
    // bob opens alice's item, asks for carol's key and waits; without the
    // lane his send commits alice's session now and sends its MSG2.
    b.wait_until([] { return false; }, 300);
    s.kill9();  // the page is never acknowledged
    s.start();
    REQUIRE(b.wait_until([&] {
        b->deliver();
        return sent.has_value();
    }));
    INFO("send during the fetch: " << sent->result.msg);

    REQUIRE(a->reconnect().ok);
    auto r = b->reconnect();
    INFO("reconnect: " << r.msg);
    REQUIRE(r.ok);
    REQUIRE(b.wait_until([&] { return has(b, "alice", "a1") && has(b, "carol", "c1"); }));
    CHECK(undecryptable(b) == 0);
    // Whatever became of it, the send is not lost for good: sent again, it opens.
    if (!sent->result.ok) send_ok(b, "alice", "b1");
    REQUIRE(a.wait_until([&] { return has(a, "bob", "b1"); }));
    send_ok(a, "bob", "a2");
    REQUIRE(b.wait_until([&] { return has(b, "alice", "a2"); }));
    CHECK(undecryptable(b) == 0);
    CHECK(undecryptable(a) == 0);
}
