// tacitd's error boundary and the end of a connection (issue 12, items 4
// and 5): a request whose handler throws is answered with ERROR INTERNAL
// while everything else keeps working, and the replies owed to frames
// handled before a fatal one still go out before the close.
#include <sys/socket.h>

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

// f is ERROR INTERNAL to the request with nonce n, signed by the server
// (the request was signed and its connection logged in).
void check_signed_internal(const FrameConn& c, const std::optional<RawFrame>& f, const Nonce& n) {
    REQUIRE(f);
    REQUIRE(f->type() == proto::ERROR);
    auto e = msg::decode_error(f->pt);
    CHECK(e.m.status == proto::INTERNAL);
    CHECK(e.m.nonce == n);
    REQUIRE(e.sigs.size() == 1);
    CHECK(c.server_sig_ok(*f, e.signed_len, e.sigs[0]));
}

msg::Online online_req(const Token& tok) {
    msg::Online on;
    on.token = tok;
    on.nonce = test_nonce();
    return on;
}

// A server with a fault, mallory logged in on c (with her token) and bob on
// other.
struct Faulty {
    explicit Faulty(const char* fault) : s(faulty_server(fault)) {
        c = logged_in(*s, "mallory", pooled_identity(0), &tok);
        other = logged_in(*s, "bob", pooled_identity(1));
    }
    std::unique_ptr<TestServer> s;
    Token tok{};
    std::unique_ptr<FrameConn> c, other;
};

}  // namespace

TEST_CASE("a request whose handler throws gets INTERNAL; its connection and other clients keep working",
          "[integration][boundary]") {
    Faulty f("ONLINE");
    auto& [s, tok, c, other] = f;
    const auto& id0 = pooled_identity(0);
    for (int i = 0; i < 2; ++i) {
        auto on = online_req(tok);
        REQUIRE(c->send(msg::encode_body(on), &id0.sign));
        check_signed_internal(*c, c->reply(5000), on.nonce);
    }
    CHECK(log_shows(*s, "ONLINE failed: TACITD_TEST_FAULT", 2000));
    CHECK(s->running());
    CHECK(pong(*c));
    CHECK(pong(*other));
    // A new client still gets in and is served.
    auto late = logged_in(*s, "carol", pooled_identity(1));
    CHECK(pong(*late));
    CHECK(process_alive(s->pid()));
}

TEST_CASE("replies owed to frames before a fatal one (bad seal, bad length, EOF) go out before the close",
          "[integration][boundary]") {
    TestServer s(flags());
    const auto& id0 = pooled_identity(0);
    Token tok{};
    logged_in(s, "mallory", id0, &tok);  // registers; each case logs in anew

    enum class Fatal { BadSeal, BadLength, Eof };
    for (auto fatal : {Fatal::BadSeal, Fatal::BadLength, Fatal::Eof}) {
        CAPTURE(int(fatal));
        FrameConn c(s);
        c.hello();
        auto t = c.login("mallory", "pw", id0);
        REQUIRE(t);
        msg::Ping p1{test_nonce()}, p2{test_nonce()};
        auto on = online_req(*t);
        Bytes burst = c.seal(msg::encode_body(p1));
        Bytes f = c.seal(msg::encode_body(on), &id0.sign);
        burst.insert(burst.end(), f.begin(), f.end());
        f = c.seal(msg::encode_body(p2));
        burst.insert(burst.end(), f.begin(), f.end());
        if (fatal == Fatal::BadSeal) {
            Bytes bad = c.seal(msg::encode_body(msg::Ping{test_nonce()}));
            bad.back() ^= 0x80;
            burst.insert(burst.end(), bad.begin(), bad.end());
        } else if (fatal == Fatal::BadLength) {
            burst.insert(burst.end(), 4, 0);  // length 0
        }
        REQUIRE(c.write(burst));  // one write: one read, one loop pass
        if (fatal == Fatal::Eof) REQUIRE(::shutdown(c.fd(), SHUT_WR) == 0);

        auto r1 = c.reply(5000);
        REQUIRE(r1);
        REQUIRE(r1->type() == msg::Pong::type);
        CHECK(msg::decode<msg::Pong>(r1->pt).m.nonce == p1.nonce);
        auto r2 = c.reply(5000);
        REQUIRE(r2);
        REQUIRE(r2->type() == msg::OnlineR::type);
        auto d = msg::decode<msg::OnlineR>(r2->pt);
        CHECK(d.m.nonce == on.nonce);
        CHECK(c.server_sig_ok(*r2, d.signed_len, d.sigs.at(0)));
        auto r3 = c.reply(5000);
        REQUIRE(r3);
        REQUIRE(r3->type() == msg::Pong::type);
        CHECK(msg::decode<msg::Pong>(r3->pt).m.nonce == p2.nonce);
        CHECK(c.closed_within(5000));
    }
    // The server is fine and serves a fresh connection.
    FrameConn c(s);
    c.hello();
    CHECK(pong(c));
}

TEST_CASE("a reply that throws while it is built after the commit closes only its connection",
          "[integration][boundary]") {
    Faulty f("ONLINE:reply");
    auto& [s, tok, c, other] = f;
    REQUIRE(c->send(msg::encode_body(online_req(tok)), &pooled_identity(0).sign));
    CHECK(c->closed_within(5000));
    CHECK(log_shows(*s, "reply failed: TACITD_TEST_FAULT", 2000));
    CHECK(process_alive(s->pid()));
    CHECK(pong(*other));
    auto late = logged_in(*s, "carol", pooled_identity(1));
    CHECK(pong(*late));
}

namespace {

msg::Msg2 msg2_to(const std::string& target) {
    msg::Msg2 m;
    m.nonce2 = test_nonce();
    m.target = target;
    m.enc_msg = Bytes(40, 0xE1);
    return m;
}

}  // namespace

TEST_CASE("replies keep the order of their requests when store writes finish at the commit",
          "[integration][boundary]") {
    TestServer s(flags());
    const auto& id0 = pooled_identity(0);
    Token tok{};
    auto c = logged_in(s, "mallory", id0, &tok);
    // PING, MSG2 (a write, answered once durable), PING, UPDATE1 (a read
    // that sees the write), PING: one write, one loop pass.
    msg::Ping p1{test_nonce()}, p2{test_nonce()}, p3{test_nonce()};
    auto m = msg2_to("mallory");
    msg::Update1 u;
    u.token = tok;
    u.nonce1 = test_nonce();
    Bytes burst;
    for (Bytes f : {c->seal(msg::encode_body(p1)), c->seal(msg::encode_body(m), &id0.sign),
                    c->seal(msg::encode_body(p2)), c->seal(msg::encode_body(u)), c->seal(msg::encode_body(p3))})
        burst.insert(burst.end(), f.begin(), f.end());
    REQUIRE(c->write(burst));

    auto next = [&](uint8_t type) {
        auto f = c->reply(5000);
        REQUIRE(f);
        REQUIRE(int(f->type()) == int(type));
        return *f;
    };
    CHECK(msg::decode<msg::Pong>(next(msg::Pong::type).pt).m.nonce == p1.nonce);
    auto r = msg::decode<msg::Msg2R>(next(msg::Msg2R::type).pt);
    CHECK(r.m.status == proto::OK);
    CHECK(r.m.nonce2 == m.nonce2);
    CHECK(msg::decode<msg::Pong>(next(msg::Pong::type).pt).m.nonce == p2.nonce);
    auto page = msg::decode<msg::Update1R>(next(msg::Update1R::type).pt);
    CHECK(page.m.nonce1 == u.nonce1);
    REQUIRE(page.m.messages.size() == 1);
    CHECK(page.m.messages[0].enc_msg == m.enc_msg);
    CHECK(msg::decode<msg::Pong>(next(msg::Pong::type).pt).m.nonce == p3.nonce);
}

TEST_CASE("a continuation that throws once its store write is done gets INTERNAL; the write stays whole",
          "[integration][boundary]") {
    Faulty f("MSG2:then");
    auto& [s, tok, c, other] = f;
    auto m = msg2_to("bob");
    REQUIRE(c->send(msg::encode_body(m), &pooled_identity(0).sign));
    check_signed_internal(*c, c->reply(5000), m.nonce2);
    CHECK(log_shows(*s, "MSG2 failed: TACITD_TEST_FAULT", 2000));
    CHECK(pong(*c));
    CHECK(pong(*other));
    // The operation completed before its continuation failed: bob has the
    // whole message, once.
    FrameConn b(*s);
    b.hello();
    auto bt = b.login("bob", "pw", pooled_identity(1));
    REQUIRE(bt);
    msg::Update1 u;
    u.token = *bt;
    u.nonce1 = test_nonce();
    REQUIRE(b.send(msg::encode_body(u)));
    auto pf = b.reply(5000);
    REQUIRE(pf);
    REQUIRE(pf->type() == msg::Update1R::type);
    auto page = msg::decode<msg::Update1R>(pf->pt);
    REQUIRE(page.m.messages.size() == 1);
    CHECK(page.m.messages[0].enc_msg == m.enc_msg);
    CHECK(page.m.messages[0].sender == "mallory");
}
