// Sessions kept in the store (tacit-protocol(7), STORAGE): a restart does
// not log anyone out, and every way a session ends removes it from the
// store too, so it cannot come back after a restart.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shared/keys.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

// RESUME with t; then ONLINE signed by id, which only a logged-in
// connection gets an answer to.
bool resumes(const TestServer& s, const Token& t, const UserIdentity& id) {
    bool refused = true;
    auto r = RawClient::resume(s, t, &refused);
    if (refused) return false;
    return frame_type(r->online(t, &id.sign)) == msg::OnlineR::type;
}

// Sets TCP_CORK on or off: what is sent while it is on leaves in one segment.
void cork(int fd, int on) { REQUIRE(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0); }

// RENEW1 and RENEW2 on raw's channel, then RENEW3 to next's key and, in the
// same segment, what close_with does (a garbage frame, or a half-close).
// Returns what the caller got back: RENEW3_R, or nothing.
std::optional<client::Frame> renew_then(RawClient& raw, const UserIdentity& old_id, const UserIdentity& next,
                                        bool garbage) {
    REQUIRE(frame_type(raw.call(msg::encode_body(msg::Renew1{raw.token, test_nonce()}))) == msg::Renew1R::type);
    msg::Renew2 r2;
    r2.ecies = raw.conn().begin_renew(raw.token);
    auto a2 = raw.call(msg::encode_body(r2));
    REQUIRE(frame_type(a2) == msg::Renew2R::type);
    auto d2 = msg::decode<msg::Renew2R>(a2.pt);
    REQUIRE(raw.conn().finish_renew(d2.m.server_random, d2.m.server_eph_pub, d2.m.nonce));
    msg::Renew3 r3;
    r3.token = raw.token;
    auto keys = derive_password("pw", account_salt(raw.user));
    r3.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    r3.public_key = next.bundle().encode();
    r3.nonce = test_nonce();
    const int fd = raw.conn().fd();
    cork(fd, 1);
    raw.send(msg::encode_body(r3), &old_id.sign, &next.sign);
    if (garbage) {
        const uint8_t junk[] = {0, 0, 0, 40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40};
        REQUIRE(::send(fd, junk, sizeof junk, MSG_NOSIGNAL) == ssize_t(sizeof junk));
    } else {
        REQUIRE(::shutdown(fd, SHUT_WR) == 0);
    }
    cork(fd, 0);
    try {
        return raw.next(5000);
    } catch (const client::ConnError&) {
        return std::nullopt;
    }
}

}  // namespace

TEST_CASE("a client resumes across a SIGTERM restart and a kill -9, with no second login",
          "[integration][sessions]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_login(a, "alice");
    const std::string login_line = "login user=alice status=OK";
    // register_login's only: registration carries the prekeys, no login.
    REQUIRE(count(s.log(), login_line) == 1);

    s.restart();
    auto r = a->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    CHECK(r.msg == "session resumed");
    std::vector<std::string> users;
    REQUIRE(a->who(&users).ok);
    CHECK(users == std::vector<std::string>{"alice"});

    s.kill9();
    s.start();
    r = a->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    CHECK(r.msg == "session resumed");
    REQUIRE(a->who(&users).ok);
    auto log = s.log();
    CHECK(count(log, login_line) == 1);  // before the restarts
    CHECK(count(log, "sessions: 1 restored") == 2);
    CHECK(count(log, "resumed user=alice") == 2);
}

TEST_CASE("logout deletes the stored session; one not logged out resumes after a restart",
          "[integration][sessions]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_login(a, "alice");
    auto id = load_identity(s, a, "alice", "pw");
    RawClient out(s), kept(s);
    REQUIRE(out.login("alice", "pw", id).status == proto::OK);
    REQUIRE(kept.login("alice", "pw", id).status == proto::OK);
    const Token gone = out.token, live = kept.token;
    out.logout();
    REQUIRE(out.closed_within(3000));
    s.restart();
    CHECK_FALSE(resumes(s, gone, id));
    CHECK(resumes(s, live, id));
}

TEST_CASE("RENEW3 followed at once by garbage or EOF: RENEW3_R arrives and every other session ends",
          "[integration][sessions]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_login(a, "alice");
    auto id = load_identity(s, a, "alice", "pw");
    auto next = UserIdentity::generate();
    for (bool garbage : {true, false}) {
        INFO((garbage ? "garbage frame" : "EOF") << " right behind RENEW3");
        const UserIdentity& old_id = garbage ? id : next;
        const UserIdentity& new_id = garbage ? next : id;
        RawClient caller(s), other(s);
        REQUIRE(caller.login("alice", "pw", old_id).status == proto::OK);
        REQUIRE(other.login("alice", "pw", old_id).status == proto::OK);
        const Token other_token = other.token;
        auto f = renew_then(caller, old_id, new_id, garbage);
        REQUIRE(f);
        REQUIRE(frame_type(*f) == msg::Renew3R::type);
        CHECK(msg::decode<msg::Renew3R>(f->pt).m.status == proto::OK);
        CHECK(other.closed_within(3000));
        CHECK_FALSE(resumes(s, other_token, old_id));
        s.restart();  // the stored sessions went with the key
        CHECK_FALSE(resumes(s, other_token, old_id));
        RawClient check(s);
        CHECK(check.login("alice", "pw", new_id).status == proto::OK);
    }
}

TEST_CASE("an expired session is swept from the store, not only from memory", "[integration][sessions]") {
    auto flags = kLoose;
    flags.insert(flags.end(), {"--token-ttl", "1"});
    TestServer s(flags);
    TestClient a(s, "alice");
    register_login(a, "alice");
    auto id = load_identity(s, a, "alice", "pw");
    RawClient raw(s);
    REQUIRE(raw.login("alice", "pw", id).status == proto::OK);
    REQUIRE(raw.closed_within(5000));  // the once-a-second sweep ended it
    REQUIRE(count(s.log(), "token of user=alice expired") >= 1);
    s.restart();
    // Nothing left for start-up to find, at the first start or this one:
    // the sweep deleted both records (alice's client's and raw's).
    CHECK(count(s.log(), "sessions: 0 restored, 0 expired or stale removed") == 2);
    CHECK_FALSE(resumes(s, raw.token, id));
}
