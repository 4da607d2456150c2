// tacitd(8) --store: lmdb:DIR keeps the data in DIR (over --data), and a
// value naming no store this tacitd has stops it at start-up with a message.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {
bool exists(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0;
}
}  // namespace

TEST_CASE("--store lmdb:DIR keeps users in DIR, across a restart", "[integration][store_option]") {
    TestServer s;
    std::string dir = s.dir() + "/elsewhere";
    s.extra = {"--store", "lmdb:" + dir};
    s.restart();
    TestClient a(s, "alice");
    register_login(a, "alice");
    CHECK(exists(dir + "/data.mdb"));
    s.restart();
    auto r = a->reconnect();
    INFO(r.msg);
    CHECK(r.ok);
    std::vector<std::string> users;
    REQUIRE(a->who(&users).ok);
    CHECK(std::find(users.begin(), users.end(), "alice") != users.end());
}

TEST_CASE("--store with a store this tacitd lacks is refused at start-up", "[integration][store_option]") {
    TestServer s;
    for (std::string bad : {"postgresql://db/tacit", "lmdb:", "data"}) {
        s.stop();
        s.extra = {"--store", bad};
        std::string why;
        try {
            s.start();
        } catch (const std::exception& e) {
            why = e.what();
        }
        INFO(bad);
        CHECK(!s.running());
        CHECK(why.find("--store " + bad + ": not a store this tacitd has; use lmdb:DIR") != std::string::npos);
    }
}
