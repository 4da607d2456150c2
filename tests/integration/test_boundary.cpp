// tacitd's error boundary and the end of a connection (issue 12, items 4
// and 5): a request whose handler throws is answered with ERROR INTERNAL
// while everything else keeps working, and the replies owed to frames
// handled before a fatal one still go out before the close.
#include <cstdlib>
#include <catch2/catch.hpp>

#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

std::vector<std::string> flags() {
    return {"--login-rate", "100000", "--register-rate", "100000", "--handshake-rate", "100000/100000/100000"};
}

// A TestServer started with TACITD_TEST_FAULT=name (tacitd(8)); the test's
// own environment is left as it was.
std::unique_ptr<TestServer> faulty_server(const char* name) {
    ::setenv("TACITD_TEST_FAULT", name, 1);
    std::unique_ptr<TestServer> s;
    try {
        s = std::make_unique<TestServer>(flags());
    } catch (...) {
        ::unsetenv("TACITD_TEST_FAULT");
        throw;
    }
    ::unsetenv("TACITD_TEST_FAULT");
    return s;
}

std::unique_ptr<FrameConn> logged_in(const TestServer& s, const std::string& user, const UserIdentity& id,
                                     Token* token = nullptr) {
    auto c = std::make_unique<FrameConn>(s);
    c->hello();
    REQUIRE(c->register_user(user, "pw", id) == proto::OK);
    auto t = c->login(user, "pw", id);
    REQUIRE(t);
    if (token) *token = *t;
    return c;
}

bool pong(FrameConn& c) {
    auto o = c.call(msg::encode_body(msg::Ping{test_nonce()}));
    return o.type == msg::Pong::type;
}

}  // namespace

TEST_CASE("a request whose handler throws gets INTERNAL; its connection and other clients keep working",
          "[integration][boundary]") {
    auto s = faulty_server("ONLINE");
    const auto& id0 = pooled_identity(0);
    const auto& id1 = pooled_identity(1);
    Token tok{};
    auto c = logged_in(*s, "mallory", id0, &tok);
    auto other = logged_in(*s, "bob", id1);

    for (int i = 0; i < 2; ++i) {
        msg::Online on;
        on.token = tok;
        on.nonce = test_nonce();
        REQUIRE(c->send(msg::encode_body(on), &id0.sign));
        auto f = c->reply(5000);
        REQUIRE(f);
        REQUIRE(f->type() == proto::ERROR);
        auto e = msg::decode_error(f->pt);
        CHECK(e.m.status == proto::INTERNAL);
        CHECK(e.m.nonce == on.nonce);
        // ONLINE is signed and the connection logged in: the ERROR is signed.
        REQUIRE(e.sigs.size() == 1);
        CHECK(c->server_sig_ok(*f, e.signed_len, e.sigs[0]));
    }
    CHECK(log_shows(*s, "ONLINE failed: TACITD_TEST_FAULT", 2000));
    CHECK(s->running());
    CHECK(pong(*c));
    CHECK(pong(*other));
    // A new client still gets in and is served.
    auto late = logged_in(*s, "carol", id1);
    CHECK(pong(*late));
    CHECK(process_alive(s->pid()));
}
