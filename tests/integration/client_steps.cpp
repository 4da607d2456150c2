#include "tests/integration/client_steps.hpp"

#include <catch2/catch.hpp>

namespace tacit::test {

void ok(const client::Result& r) {
    INFO(r.msg);
    REQUIRE(r.ok);
}

void login_as(TestClient& c, const std::string& user) {
    if (!c->connected()) {
        auto cr = c->connect();
        INFO("connect: " << cr.msg);
        REQUIRE(cr.ok);
    }
    auto r = c->login(user, "pw");
    INFO("login " << user << ": " << r.msg);
    REQUIRE(r.ok);
    for (auto& e : c->take_events()) c.events.push_back(std::move(e));
}

}  // namespace tacit::test
