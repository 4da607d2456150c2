// srv/peer: the key per-peer limits are charged to, and the text a peer is
// shown as (shared/net format_addr, which identify_peer uses).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string_view>

#include "shared/net.hpp"
#include "srv/peer.hpp"

using namespace tacit;
using namespace tacit::srv;

namespace {

// An IPv6 address when the text has a colon, else IPv4.
sockaddr_storage addr(const char* text, uint16_t port = 4433) {
    sockaddr_storage ss{};
    if (std::string_view(text).find(':') != std::string_view::npos) {
        auto& a = reinterpret_cast<sockaddr_in6&>(ss);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        REQUIRE(inet_pton(AF_INET6, text, &a.sin6_addr) == 1);
    } else {
        auto& a = reinterpret_cast<sockaddr_in&>(ss);
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        REQUIRE(inet_pton(AF_INET, text, &a.sin_addr) == 1);
    }
    return ss;
}

}  // namespace

TEST_CASE("IPv6 peers are keyed by /64, IPv4 ones by address, ports never count", "[net]") {
    CHECK(ip_limit_key(addr("2001:db8:1:2::1")) == "2001:db8:1:2::/64");
    // Every address of one /64 is one peer: a host picks its low 64 bits freely.
    CHECK(ip_limit_key(addr("2001:db8:1:2:ffff:ee:dd:cc", 1)) == "2001:db8:1:2::/64");
    CHECK(ip_limit_key(addr("2001:db8:1:3::1")) == "2001:db8:1:3::/64");
    CHECK(ip_limit_key(addr("::1")) == "::/64");
    CHECK(ip_limit_key(addr("fe80::1:2:3:4")) == "fe80::/64");
    // IPv4 through a dual-stack listener is the IPv4 address itself.
    CHECK(ip_limit_key(addr("::ffff:192.0.2.7")) == "192.0.2.7");
    CHECK(ip_limit_key(addr("192.0.2.7", 1)) == ip_limit_key(addr("192.0.2.7", 2)));
    CHECK(ip_limit_key(addr("192.0.2.7")) == "192.0.2.7");
    CHECK(ip_limit_key(addr("192.0.2.8")) != ip_limit_key(addr("192.0.2.7")));
    sockaddr_storage other{};
    other.ss_family = AF_UNIX;
    CHECK(ip_limit_key(other) == "?");
}

TEST_CASE("a peer is shown as IPv4, IPv4-mapped as IPv4, IPv6 bracketed, with its port", "[net]") {
    CHECK(format_addr(addr("192.0.2.7", 4433)) == "192.0.2.7:4433");
    CHECK(format_host(addr("192.0.2.7", 4433)) == "192.0.2.7");
    CHECK(format_addr(addr("::ffff:192.0.2.7", 80)) == "192.0.2.7:80");
    CHECK(format_host(addr("::ffff:192.0.2.7", 80)) == "192.0.2.7");
    CHECK(format_addr(addr("2001:db8::1", 7700)) == "[2001:db8::1]:7700");
    CHECK(format_host(addr("2001:db8::1", 7700)) == "2001:db8::1");
    sockaddr_storage other{};
    other.ss_family = AF_UNIX;
    CHECK(format_addr(other) == "?");
    CHECK(format_host(other) == "?");
}
