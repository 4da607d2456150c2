// Foundation (issue: handshake, ping, pinning, bad peers) against a real tacitd.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "shared/net.hpp"
#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

TEST_CASE("handshake and ping from the client core", "[integration][foundation]") {
    TestServer s;
    TestClient a(s, "a");
    uint64_t rtt = 0;
    auto r = a->ping(&rtt);
    REQUIRE(r.ok);
    REQUIRE(rtt > 0);
    REQUIRE(a->server_fingerprint().rfind("SHA256:", 0) == 0);
}

TEST_CASE("a garbage client is dropped while a good one keeps working", "[integration][foundation]") {
    TestServer s;
    TestClient good(s, "good");
    uint64_t rtt;
    REQUIRE(good->ping(&rtt).ok);
    auto hp = *parse_hostport(s.addr(), 0);
    auto expect_closed = [&](const std::string& bytes) {
        auto fd = connect_tcp(hp, 2000);
        REQUIRE(write_all(fd.get(), as_bytes(bytes), 2000));
        FrameDecoder dec(65536);
        Bytes body;
        auto rr = read_frame(fd.get(), dec, body, 5000);
        return rr == ReadResult::Closed;
    };
    // Garbage frame, oversized length, and a length of zero: closed at once.
    CHECK(expect_closed(std::string("\x00\x00\x00\x05hello", 9)));
    CHECK(expect_closed(std::string("\xff\xff\xff\xff", 4)));
    CHECK(expect_closed(std::string("\x00\x00\x00\x00", 4)));
    CHECK(expect_closed(std::string("\x00\x01\x00\x01", 4)));  // 65537 > pre-login limit
    // Half a frame: stays open until the handshake timeout; the good client
    // is unaffected meanwhile.
    auto half = connect_tcp(hp, 2000);
    REQUIRE(write_all(half.get(), as_bytes(std::string("\x00\x00\x00\x6c" "TACT", 8)), 2000));
    for (int i = 0; i < 5; ++i) REQUIRE(good->ping(&rtt).ok);
    REQUIRE(s.log().find("bad frame length") != std::string::npos);
}

TEST_CASE("a changed server key is refused by a client that pinned the old one", "[integration][foundation]") {
    TestServer s;
    std::string home = make_temp_dir("pin");
    client::Options o;
    o.server = s.addr();
    o.data_dir = home + "/tacit";
    {
        client::Client c(o);  // trust on first use
        auto r = c.connect();
        REQUIRE(r.ok);
    }
    // New keys at the same address.
    s.new_keys();
    client::Client c2(o);
    auto r = c2.connect();
    REQUIRE_FALSE(r.ok);
    INFO(r.msg);
    REQUIRE(r.msg.find("DOES NOT MATCH") != std::string::npos);
    remove_tree(home);
}

TEST_CASE("batch ping and fingerprint follow the JSON contract", "[integration][foundation][batch]") {
    TestServer s;
    std::string home = make_temp_dir("batch");
    auto lines = run_batch(s, home, "ping\nfingerprint\nquit\n");
    remove_tree(home);
    REQUIRE(lines.size() >= 3);
    bool saw_ping = false, saw_fp = false;
    for (auto& l : lines) {
        auto j = nlohmann::json::parse(l);
        if (j.value("cmd", "") == "ping") {
            saw_ping = true;
            REQUIRE(j["ok"] == true);
            REQUIRE(j["rtt_us"].get<uint64_t>() > 0);
        }
        if (j.value("cmd", "") == "fingerprint") {
            saw_fp = true;
            REQUIRE(j["server"].get<std::string>().rfind("SHA256:", 0) == 0);
        }
    }
    REQUIRE(saw_ping);
    REQUIRE(saw_fp);
}
