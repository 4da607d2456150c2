// tui/client/config: the configuration file's keys, read from a real file.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "shared/unix_socket.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tui/client/config.hpp"

using namespace tacit;

namespace {
client::Config from(const test::TempDir& d, const std::string& text) {
    std::ofstream(d.path + "/config") << text;
    return client::load_config(d.path + "/config");
}
}  // namespace

TEST_CASE("config: highlight words, separated by commas", "[config]") {
    test::TempDir d("config");
    CHECK(from(d, "").highlight.empty());
    auto c = from(d, "highlight = deploy, on call ,, Oncall\nnotify = osc\n");
    CHECK(c.highlight == std::vector<std::string>{"deploy", "on call", "Oncall"});
    CHECK(c.notify == "osc");
    CHECK(from(d, "highlight =\n").highlight.empty());
    CHECK_THROWS_AS(from(d, "notify = loud\n"), std::runtime_error);
    CHECK_THROWS_AS(from(d, "highlights = x\n"), std::runtime_error);
}

TEST_CASE("config: a bare tacit finds the team host's socket, else the loopback port", "[config]") {
    test::TempDir d("config");
    const std::string sock = d.path + "/tacitd.sock";
    CHECK(client::default_server(sock) == "127.0.0.1:7700");
    std::ofstream(sock) << "not a socket";
    CHECK(client::default_server(sock) == "127.0.0.1:7700");
    std::remove(sock.c_str());
    auto l = listen_unix(sock);
    CHECK(client::default_server(sock) == "unix:" + sock);
    // A server named in the file wins over the default.
    std::ofstream(d.path + "/config") << "server = 127.0.0.1:9\n";
    CHECK(client::load_config(d.path + "/config").server == "127.0.0.1:9");
}
