#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <thread>
#include <vector>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "shared/net.hpp"

using namespace tacit;

namespace {

Bytes filled(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed ^ (i * 13));
    return b;
}

bool is_nonblocking(int fd) { return fcntl(fd, F_GETFL) & O_NONBLOCK; }

// A listener on an ephemeral loopback port, a connected client, and the
// accepted server side.
struct Link {
    uint16_t port = 0;
    std::optional<Acceptor> acc;
    UniqueFd client, server;
    std::string peer;
    Link() {
        UniqueFd l = listen_tcp({"127.0.0.1", 0});
        port = local_port(l.get());
        acc.emplace(std::move(l));
        client = connect_tcp({"127.0.0.1", port}, 2000);
        for (int i = 0; i < 200 && !server; ++i) {
            if (auto s = acc->accept_one(&peer)) server = std::move(*s);
            else std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        REQUIRE(server);
    }
};

}  // namespace

TEST_CASE("parse_hostport accepts the documented forms") {
    auto a = parse_hostport("127.0.0.1:7700", 1);
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 7700);

    auto b = parse_hostport("localhost:7701", 1);
    REQUIRE(b);
    CHECK(b->host == "localhost");
    CHECK(b->port == 7701);

    auto c = parse_hostport("[::1]:7702", 1);
    REQUIRE(c);
    CHECK(c->host == "::1");
    CHECK(c->port == 7702);

    auto d = parse_hostport("chat.example.org", 7700);
    REQUIRE(d);
    CHECK(d->host == "chat.example.org");
    CHECK(d->port == 7700);

    auto e = parse_hostport("[fe80::1]", 7700);
    REQUIRE(e);
    CHECK(e->host == "fe80::1");
    CHECK(e->port == 7700);

    auto f = parse_hostport("::1", 7700);  // bare IPv6 literal: no port part
    REQUIRE(f);
    CHECK(f->host == "::1");
    CHECK(f->port == 7700);

    auto g = parse_hostport("127.0.0.1:0", 7700);
    REQUIRE(g);
    CHECK(g->port == 0);

    auto h = parse_hostport("h:65535", 1);
    REQUIRE(h);
    CHECK(h->port == 65535);
}

TEST_CASE("parse_hostport rejects malformed input") {
    for (const char* s : {"", ":7700", "host:", "host:65536", "host:12a", "host:-1", "host:+1",
                          "host:123456", "[::1", "[::1]x", "[::1]:", "[]:1", "[localhost]:1",
                          "a b:1", "a/b:1", "[::1]:99999"}) {
        INFO(s);
        CHECK_FALSE(parse_hostport(s, 7700));
    }
}

TEST_CASE("to_string brackets IPv6 hosts") {
    CHECK(to_string({"127.0.0.1", 7700}) == "127.0.0.1:7700");
    CHECK(to_string({"::1", 7700}) == "[::1]:7700");
    auto rt = parse_hostport(to_string({"::1", 80}), 1);
    REQUIRE(rt);
    CHECK(rt->host == "::1");
    CHECK(rt->port == 80);
}

TEST_CASE("listen, connect, accept: fd modes and addresses") {
    Link k;
    CHECK(k.port != 0);
    CHECK(is_nonblocking(k.acc->fd()));
    CHECK(is_nonblocking(k.server.get()));
    CHECK_FALSE(is_nonblocking(k.client.get()));
    CHECK(k.peer.rfind("127.0.0.1:", 0) == 0);
    CHECK(peer_address(k.server.get()) == k.peer);
    CHECK(peer_address(k.client.get()) == "127.0.0.1:" + std::to_string(k.port));
    CHECK_FALSE(k.acc->accept_one());  // nothing else pending
}

TEST_CASE("write_all and read_frame round trip several frames") {
    Link k;
    Bytes out;
    append_frame(out, filled(10, 1));
    append_frame(out, filled(3000, 2));
    append_frame(out, filled(1, 3));
    REQUIRE(write_all(k.client.get(), out, 1000));

    FrameDecoder dec(65536);
    Bytes body;
    REQUIRE(read_frame(k.server.get(), dec, body, 1000) == ReadResult::Frame);
    CHECK(body == filled(10, 1));
    REQUIRE(read_frame(k.server.get(), dec, body, 1000) == ReadResult::Frame);
    CHECK(body == filled(3000, 2));
    REQUIRE(read_frame(k.server.get(), dec, body, 1000) == ReadResult::Frame);
    CHECK(body == filled(1, 3));

    // And back the other way.
    REQUIRE(write_all(k.server.get(), frame_with_prefix(filled(77, 4)), 1000));
    FrameDecoder cdec(65536);
    REQUIRE(read_frame(k.client.get(), cdec, body, 1000) == ReadResult::Frame);
    CHECK(body == filled(77, 4));
}

TEST_CASE("a 1 MiB frame crosses while the peer reads concurrently") {
    Link k;
    const Bytes big = filled(1 << 20, 9);
    bool wrote = false;
    std::thread writer([&] { wrote = write_all(k.client.get(), frame_with_prefix(big), 5000); });
    FrameDecoder dec(1 << 20);
    Bytes body;
    ReadResult r = read_frame(k.server.get(), dec, body, 5000);
    writer.join();
    CHECK(wrote);
    REQUIRE(r == ReadResult::Frame);
    CHECK(body == big);
}

TEST_CASE("read_frame times out, reports close and bad lengths") {
    Link k;
    FrameDecoder dec(1024);
    Bytes body;
    SECTION("timeout") {
        // Half a frame: not enough to return.
        REQUIRE(write_all(k.client.get(), Bytes{0, 0, 0, 9, 1, 2}, 1000));
        uint64_t t0 = mono_ms();
        CHECK(read_frame(k.server.get(), dec, body, 60) == ReadResult::Timeout);
        uint64_t dt = mono_ms() - t0;
        CHECK(dt >= 50);
        CHECK(dt < 1000);
        CHECK(dec.buffered() == 6);
    }
    SECTION("closed") {
        k.client.reset();
        CHECK(read_frame(k.server.get(), dec, body, 1000) == ReadResult::Closed);
    }
    SECTION("bad length") {
        REQUIRE(write_all(k.client.get(), Bytes{0, 0, 0, 0}, 1000));
        CHECK(read_frame(k.server.get(), dec, body, 1000) == ReadResult::BadLength);
    }
    SECTION("too long") {
        REQUIRE(write_all(k.client.get(), Bytes{0, 0, 4, 1}, 1000));
        CHECK(read_frame(k.server.get(), dec, body, 1000) == ReadResult::BadLength);
    }
}

TEST_CASE("write_all times out against a peer that does not read") {
    Link k;
    const Bytes chunk(1 << 20, 0x5a);
    uint64_t t0 = mono_ms();
    bool ok = true;
    // Socket buffers hold a few MiB at most; 64 MiB must stall.
    for (int i = 0; i < 64 && ok; ++i) ok = write_all(k.client.get(), chunk, 100);
    CHECK_FALSE(ok);
    CHECK(mono_ms() - t0 < 5000);
}

TEST_CASE("write_all to a closed peer fails without SIGPIPE") {
    Link k;
    k.server.reset();
    bool ok = true;
    for (int i = 0; i < 50 && ok; ++i) ok = write_all(k.client.get(), Bytes(4096, 1), 500);
    CHECK_FALSE(ok);
}

TEST_CASE("connect_tcp reports refusal clearly") {
    uint16_t port;
    {
        UniqueFd l = listen_tcp({"127.0.0.1", 0});
        port = local_port(l.get());
    }  // closed: nothing listens there now
    std::string expect = "connection refused: 127.0.0.1:" + std::to_string(port);
    CHECK_THROWS_WITH(connect_tcp({"127.0.0.1", port}, 1000), expect);
}

TEST_CASE("listen_tcp on a port in use throws with the reason") {
    UniqueFd a = listen_tcp({"127.0.0.1", 0});
    uint16_t port = local_port(a.get());
    CHECK_THROWS_WITH(listen_tcp({"127.0.0.1", port}),
                      Catch::Contains("listen 127.0.0.1:" + std::to_string(port)) &&
                          Catch::Contains("in use"));
}

TEST_CASE("connect_tcp rejects an unresolvable name") {
    CHECK_THROWS_WITH(connect_tcp({"no such host", 7700}, 500), Catch::Contains("cannot resolve"));
}

TEST_CASE("Acceptor drops connections instead of spinning when out of fds") {
    UniqueFd l = listen_tcp({"127.0.0.1", 0});
    uint16_t port = local_port(l.get());
    Acceptor acc(std::move(l));

    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
    // Fill every fd up to a low limit, then leave exactly one for the client.
    std::vector<UniqueFd> fill;
    rlimit low = old;
    low.rlim_cur = 256;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (;;) {
        int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) break;
        fill.emplace_back(fd);
    }
    int open_err = errno;
    fill.pop_back();
    UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int crc = client ? ::connect(client.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) : -1;

    std::optional<UniqueFd> got;
    uint64_t dropped = 0;
    if (crc == 0) {
        got = acc.accept_one();
        dropped = acc.dropped();
    }
    fill.clear();
    REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0);

    CHECK(open_err == EMFILE);
    REQUIRE(client);
    REQUIRE(crc == 0);
    CHECK_FALSE(got);
    CHECK(dropped == 1);
    // The client learns at once that it was dropped.
    char c;
    ssize_t n = ::recv(client.get(), &c, 1, 0);
    CHECK(n <= 0);

    // The reserve is back: with fds available again, accepting works.
    UniqueFd c2 = connect_tcp({"127.0.0.1", port}, 1000);
    std::optional<UniqueFd> s2;
    for (int i = 0; i < 200 && !s2; ++i) {
        s2 = acc.accept_one();
        if (!s2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(s2);
}
