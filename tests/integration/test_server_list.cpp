// Several addresses of one server (tacit(1), --server): tried in turn, the
// key pinned for one holds for the others, and a session resumes on
// another address when the one it was on goes away.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

// A loopback port nothing listens on once this returns (bound, then closed).
uint16_t closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t n = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::string addr_of(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

bool saw_info(const TestClient& c, const std::string& part) {
    for (const auto& i : events_of<client::ev::Info>(c))
        if (i.text.find(part) != std::string::npos) return true;
    return false;
}

void take_events(TestClient& c) {
    for (auto& e : c->take_events()) c.events.push_back(std::move(e));
}

}  // namespace

TEST_CASE("--server with several addresses: an unreachable one is passed over, and said so",
          "[integration][server_list]") {
    TestServer s;
    const std::string dead = addr_of(closed_port());
    TestClient a(s, "alice", TestClient::WithOptions{[&](client::Options& o) { o.server = dead + "," + s.addr(); }});
    take_events(a);
    CHECK(saw_info(a, "could not reach " + dead));
    CHECK(saw_info(a, "trying " + s.addr()));
    register_login(a, "alice");
    TestClient b(s, "bob");
    register_login(b, "bob");
    REQUIRE(a->send("bob", "through the second address").ok);
    REQUIRE(b.wait_until([&] {
        for (auto& m : b.messages())
            if (m.body == "through the second address") return true;
        return false;
    }));
}

TEST_CASE("--server with several addresses: a key pinned for one is pinned for the next it reaches",
          "[integration][server_list]") {
    TestServer s;
    const std::string dead = addr_of(closed_port());
    // First use: trust on first use pins the key under the server's address...
    TestClient a(s, "alice", TestClient::WithOptions{[&](client::Options& o) {
        o.server_key_file.clear();
        o.confirm_new_server = [](const std::string&) { return true; };
    }});
    // ...and a list that puts an unreachable address first uses that pin for
    // the first address that answers, asking nothing.
    client::Options o;
    o.server = dead + "," + s.addr();
    o.data_dir = a.home + "/tacit";
    int asked = 0;
    o.confirm_new_server = [&](const std::string&) { return ++asked, false; };
    a.c.reset();
    a.c = std::make_unique<client::Client>(o);
    auto r = a->connect();
    INFO(r.msg);
    REQUIRE(r.ok);
    CHECK(asked == 0);
}

TEST_CASE("--server with several addresses: the session resumes on the next when its address goes away",
          "[integration][server_list]") {
    const uint16_t second = closed_port();
    TestServer s({"--listen", addr_of(second)});
    TestClient a(s, "alice", TestClient::WithOptions{[&](client::Options& o) {
        o.server = addr_of(second) + "," + s.addr();
    }});
    register_login(a, "alice");
    TestClient b(s, "bob");
    register_login(b, "bob");
    take_events(a);
    REQUIRE_FALSE(saw_info(a, "could not reach"));  // the first address answered

    // The node behind the first address goes; the same store comes back
    // behind the second only.
    s.stop();
    s.extra.clear();
    s.start();
    REQUIRE(a.wait_until([&] { return !events_of<client::ev::Disconnected>(a).empty(); }, 10000));
    auto r = a->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    CHECK(r.msg == "session resumed");
    take_events(a);
    CHECK(saw_info(a, "could not reach " + addr_of(second)));
    REQUIRE(a->send("bob", "after the move").ok);
    REQUIRE(b.wait_until([&] {
        if (!b->connected()) b->reconnect();
        for (auto& m : b.messages())
            if (m.body == "after the move") return true;
        return false;
    }, 10000));
}
