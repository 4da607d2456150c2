// Signed-prekey rotation (issue 16 item 3, tacit-protocol(7) PREKEYS):
// alice's client, on a wall clock the test moves on by weeks, replaces its
// signed prekey when it is a week old and keeps the replaced one until a
// fetch after the change has emptied the mailbox and 30 days have passed.
// carol is a raw client: it fetches alice's bundles first and sends on them
// later, as a peer with a bundle fetched before the change would.
#include <catch2/catch.hpp>
#include <atomic>

#include "shared/clock.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_dm.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000",
                                         "--prekey-fetch-rate", "1000"};
constexpr uint64_t kDayMs = 86400ull * 1000;

void relogin(TestClient& c, const std::string& user) {
    if (c->connected()) REQUIRE(c->logout().ok);
    REQUIRE(c->connect().ok);
    auto r = c->login(user, "pw");
    INFO("login " << user << ": " << r.msg);
    REQUIRE(r.ok);
}

// The message from carol that alice's client shows next (after
// a.events.clear()): opened, or undecryptable with its problem.
client::ChatMessage next_from_carol(TestClient& a) {
    auto find = [&]() -> std::optional<client::ChatMessage> {
        for (auto& e : events_of<client::ev::Message>(a))
            if (e.msg.from == "carol") return e.msg;
        return std::nullopt;
    };
    a.wait_until([&] { return find().has_value(); }, 10000);
    auto m = find();
    REQUIRE(m);
    return *m;
}

// alice (with the options given) and carol registered, and carol's raw
// connection logged in.
struct AliceAndCarol {
    TestServer s{kLoose};
    TestClient a, c;
    RawClient rc{s};
    UserIdentity carol_id;  // rc signs with it for as long as it lives
    explicit AliceAndCarol(const TestClient::WithOptions& alice_options)
        : a(s, "alice", alice_options), c(s, "carol") {
        register_login(a, "alice");
        register_login(c, "carol");
        carol_id = load_identity(s, c, "carol", "pw");
        REQUIRE(rc.login("carol", "pw", carol_id).status == proto::OK);
    }
    UserBundle alice_bundle() {
        auto b = UserBundle::decode(*rc.key_of("alice"));
        REQUIRE(b);
        return *b;
    }
};

}  // namespace

TEST_CASE("signed prekey rotation: weekly, the old key kept through the grace period, then deleted",
          "[integration][rotation]") {
    std::atomic<uint64_t> wall{wall_ms()};
    AliceAndCarol f(TestClient::WithOptions{[&](client::Options& o) { o.wall_clock = [&wall] { return wall.load(); }; }});
    auto& [s, a, c, rc, carol_id] = f;
    const auto bundle = f.alice_bundle();
    RawDm within(rc, "alice", bundle), late(rc, "alice", bundle), first(rc, "alice", bundle);
    REQUIRE(first.init().spk_id == 1);

    // Six days on: not due, the same key is published again.
    wall += 6 * kDayMs;
    relogin(a, "alice");
    RawDm six(rc, "alice", bundle);
    CHECK(six.init().spk_id == 1);

    // A week and a day: replaced at login.
    wall += 2 * kDayMs;
    relogin(a, "alice");
    RawDm second(rc, "alice", bundle);
    CHECK(second.init().spk_id == 2);

    // An init on the replaced key still opens, and one on the new key.
    a.events.clear();
    REQUIRE(rc.msg2("alice", first.seal("on the old key"), {}).status == proto::OK);
    auto m = next_from_carol(a);
    INFO(m.problem);
    CHECK(m.body == "on the old key");
    CHECK(m.verified);
    a.events.clear();
    REQUIRE(rc.msg2("alice", second.seal("on the new key"), {}).status == proto::OK);
    m = next_from_carol(a);
    INFO(m.problem);
    CHECK(m.body == "on the new key");

    // 29 days after the change the mailbox has been emptied, but the grace
    // period has not passed: the old key still opens.
    wall += 29 * kDayMs;
    REQUIRE(a->update().ok);
    a.events.clear();
    REQUIRE(rc.msg2("alice", within.seal("within the grace period"), {}).status == proto::OK);
    m = next_from_carol(a);
    INFO(m.problem);
    CHECK(m.body == "within the grace period");
    CHECK(m.verified);

    // Past 30 days and emptied again: the old private key is gone.
    wall += 2 * kDayMs;
    REQUIRE(a->update().ok);
    a.events.clear();
    REQUIRE(rc.msg2("alice", late.seal("after the grace period"), {}).status == proto::OK);
    m = next_from_carol(a);
    CHECK(m.body.empty());
    CHECK(m.problem.find("signed prekey this client does not hold") != std::string::npos);
}

// /rekey while mail is in flight: carol's session with alice was set up on
// alice's old identity, and another init was made from a bundle fetched
// before the change; both arrive after alice's RENEW3 and still open
// (tui/client/retired_identity.hpp), and so does a new session on the new key.
TEST_CASE("rekey while mail is in flight: what was sent under the old key still opens", "[integration][rotation]") {
    AliceAndCarol f(TestClient::WithOptions{[](client::Options&) {}});
    auto& [s, a, c, rc, carol_id] = f;
    const auto old_bundle = f.alice_bundle();
    RawDm session(rc, "alice", old_bundle), pending(rc, "alice", old_bundle);
    a.events.clear();
    REQUIRE(rc.msg2("alice", session.seal("before the rekey"), {}).status == proto::OK);
    auto m = next_from_carol(a);
    INFO(m.problem);
    REQUIRE(m.body == "before the rekey");

    auto r = a->rekey();
    INFO(r.msg);
    REQUIRE(r.ok);
    for (auto& [dm, body] : {std::pair{&session, "on the old session"}, std::pair{&pending, "an old init"}}) {
        a.events.clear();
        REQUIRE(rc.msg2("alice", dm->seal(body), {}).status == proto::OK);
        m = next_from_carol(a);
        INFO(body << ": " << m.problem);
        CHECK(m.body == body);
        CHECK(m.verified);
    }
    // A session on the new key opens too.
    const auto new_bundle = f.alice_bundle();
    REQUIRE(new_bundle.encode() != old_bundle.encode());
    RawDm fresh(rc, "alice", new_bundle);
    a.events.clear();
    REQUIRE(rc.msg2("alice", fresh.seal("on the new key"), {}).status == proto::OK);
    m = next_from_carol(a);
    INFO(m.problem);
    CHECK(m.body == "on the new key");
}
