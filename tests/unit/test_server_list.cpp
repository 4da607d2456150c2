// --server's list of addresses (tui/client/server_list.hpp, tacit(1) OPTIONS).
#include <catch2/catch.hpp>

#include "tui/client/server_list.hpp"

using namespace tacit;
using tacit::client::ServerList;

TEST_CASE("server list: one address or several, in turn from the one that worked", "[server_list]") {
    auto one = ServerList::parse("127.0.0.1:7700", 7700);
    REQUIRE(one);
    CHECK(one->size() == 1);
    CHECK(one->current_name() == "127.0.0.1:7700");
    CHECK(one->in_turn(0) == 0);
    CHECK(one->in_turn(1) == 0);

    auto l = ServerList::parse("10.0.0.1:7700,unix:/run/tacit/tacitd.sock,[::1]", 7711);
    REQUIRE(l);
    REQUIRE(l->size() == 3);
    CHECK(l->names() == std::vector<std::string>{"10.0.0.1:7700", "unix:/run/tacit/tacitd.sock", "[::1]:7711"});
    CHECK(l->current_name() == "10.0.0.1:7700");
    l->use(1);
    CHECK(l->current_name() == "unix:/run/tacit/tacitd.sock");
    CHECK(std::holds_alternative<UnixPath>(l->current()));
    CHECK(l->in_turn(0) == 1);
    CHECK(l->in_turn(1) == 2);
    CHECK(l->in_turn(2) == 0);
}

TEST_CASE("server list: empty items, bad addresses and too many are refused", "[server_list]") {
    for (const char* bad : {"", ",", "127.0.0.1:7700,", ",127.0.0.1:7700", "127.0.0.1:7700,,127.0.0.2:7700",
                            "127.0.0.1:99999", "unix:", "127.0.0.1:7700,host:port"})
        CHECK_FALSE(ServerList::parse(bad, 7700));
    std::string many;
    for (size_t i = 0; i < ServerList::kMax; ++i) many += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(7000 + i);
    CHECK(ServerList::parse(many, 7700));
    CHECK_FALSE(ServerList::parse(many + ",127.0.0.1:1", 7700));
}
