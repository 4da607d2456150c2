// Forward secrecy and post-compromise security of direct messages under
// X3DH and the Double Ratchet (issue 15), against a real tacitd: the
// decryption results of items a thief kept, checked through the client's
// probe (Client::probe_stored), not bob's history (which keeps them).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/core.h>

#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_dm.hpp"
#include "tui/client/dm_seen.hpp"

using namespace tacit;
using namespace tacit::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

void send_ok(TestClient& c, const std::string& to, const std::string& body) {
    auto r = c->send(to, body);
    INFO("send to " << to << ": " << r.msg);
    REQUIRE(r.ok);
}

void relogin(TestClient& c, const std::string& user) {
    if (!c->connected()) REQUIRE(c->connect().ok);
    auto r = c->login(user, "pw");
    INFO("login " << user << ": " << r.msg);
    REQUIRE(r.ok);
    for (auto& e : c->take_events()) c.events.push_back(std::move(e));
}

size_t from(const TestClient& c, const std::string& sender) {
    size_t n = 0;
    for (auto& m : c.messages()) n += m.from == sender;
    return n;
}

// One message each way, each seen by its recipient (a DH ratchet step on
// both sides).
void round_trip(TestClient& a, TestClient& b, const std::string& tag) {
    auto before_a = from(a, "bob"), before_b = from(b, "alice");
    send_ok(b, "alice", "bob " + tag);
    REQUIRE(a.wait_until([&] { return from(a, "bob") == before_a + 1; }));
    send_ok(a, "bob", "alice " + tag);
    REQUIRE(b.wait_until([&] { return from(b, "alice") == before_b + 1; }));
}

// The mailbox items waiting for user, read on a raw connection and not
// acknowledged.
std::vector<msg::Stored> waiting(const TestServer& s, const std::string& user, const UserIdentity& id) {
    RawClient r(s);
    REQUIRE(r.login(user, "pw", id).status == proto::OK);
    return r.update1().messages;
}

// What alice sends while bob is away: the one item then waiting for him.
msg::Stored sent_while_away(const TestServer& s, TestClient& a, TestClient& b, const UserIdentity& bob_id,
                            const std::string& body) {
    b->disconnect();
    send_ok(a, "bob", body);
    auto items = waiting(s, "bob", bob_id);
    REQUIRE(items.size() == 1);
    return items[0];
}

// Whether c's state opens st (Client::probe_stored), without storing it.
client::Result probe(TestClient& c, const msg::Stored& st) {
    return c->probe_stored(st.id, st.sender, st.group, st.enc_msg, st.wrapped_key);
}

void copy_dir(const std::string& from_dir, const std::string& to_dir) {
    fs::copy(from_dir, to_dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

// bob's client, and alice as a raw client with a session to bob whose
// messages she can replay at will; both logged in.
struct RawToBob {
    TestServer s{kLoose};
    TestClient a{s, "alice"}, b{s, "bob"};
    std::optional<UserIdentity> alice_id;  // ra signs with it
    RawClient ra{s};
    std::optional<RawDm> dm;
    RawToBob() {
        register_login(a, "alice");
        register_login(b, "bob");
        alice_id.emplace(load_identity(s, a, "alice", "pw"));
        REQUIRE(ra.login("alice", "pw", *alice_id).status == proto::OK);
        auto bob_bundle = UserBundle::decode(*ra.key_of("bob"));
        REQUIRE(bob_bundle);
        dm.emplace(ra, "bob", *bob_bundle);
    }
    void deliver(const Bytes& enc_msg) { REQUIRE(ra.msg2("bob", enc_msg, {}).status == proto::OK); }
};

}  // namespace

TEST_CASE("forward secrecy: a copy of the server's store opens nothing for bob's current state",
          "[integration][fs]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    REQUIRE(b->register_user("bob", "pw").ok);
    b->disconnect();  // offline from here
    const auto bob_id = load_identity(s, b, "bob", "pw");
    for (int i = 0; i < 3; ++i) send_ok(a, "bob", fmt::format("while bob is offline {}", i));

    // The thief copies the server's data directory.
    const std::string copy = make_temp_dir("fs-server-copy") + "/data";
    s.stop();
    copy_dir(s.data_dir(), copy);
    s.start();
    REQUIRE(a->reconnect().ok);

    relogin(b, "bob");
    REQUIRE(from(b, "alice") == 3);
    for (int i = 0; i < 2; ++i) round_trip(a, b, fmt::format("round {}", i));

    // Control: an item bob has not fetched yet opens with his state, so
    // the probe can say yes.
    auto ok = probe(b, sent_while_away(s, a, b, bob_id, "not fetched yet"));
    INFO(ok.msg);
    REQUIRE(ok.ok);
    REQUIRE(ok.msg == "not fetched yet");

    // The old copy's items, fed to bob's client as it is now (identity
    // file, password, local store): every one is undecryptable.
    s.stop();
    fs::rename(s.data_dir(), s.data_dir() + ".now");
    copy_dir(copy, s.data_dir());
    s.start();
    auto old = waiting(s, "bob", bob_id);
    REQUIRE(old.size() == 3);
    for (auto& st : old) {
        REQUIRE(st.sender == "alice");
        auto r = probe(b, st);
        INFO("item " << st.id << ": " << r.msg);
        CHECK_FALSE(r.ok);
        CHECK_FALSE(r.msg.empty());
        CHECK(r.msg.find("while bob is offline") == std::string::npos);
    }
}

TEST_CASE("post-compromise security: bob's state copied at T opens nothing after a round trip each way",
          "[integration][fs]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");
    const auto bob_id = load_identity(s, b, "bob", "pw");
    round_trip(a, b, "before T");

    // T: the thief copies bob's identity file and local store.
    // The copy is another place, so it is adopted (tacit --adopt), as a
    // thief would: the device file is a guard against accidents, not thieves.
    TestClient stale(s, "bob-at-T", TestClient::WithOptions{[](client::Options& o) { o.adopt = true; }});
    copy_dir(b.home, stale.home);
    REQUIRE(stale->open_local("bob", "pw").ok);

    // Control: what alice sends next, on the chain the copy holds, opens
    // for the copy.
    auto r = probe(stale, sent_while_away(s, a, b, bob_id, "still on the old chain"));
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(r.msg == "still on the old chain");
    relogin(b, "bob");

    // One round trip in each direction: both sides ratchet with fresh DH keys.
    round_trip(a, b, "after T");
    send_ok(a, "bob", "alice after T again");
    REQUIRE(b.wait_until([&] { return from(b, "alice") == 4; }));
    send_ok(b, "alice", "bob after T again");
    REQUIRE(a.wait_until([&] { return from(a, "bob") == 3; }));

    const auto next = sent_while_away(s, a, b, bob_id, "healed");
    r = probe(stale, next);
    INFO(r.msg);
    CHECK_FALSE(r.ok);
    CHECK(r.msg.find("healed") == std::string::npos);
    // bob's real state still opens it.
    auto real = probe(b, next);
    INFO(real.msg);
    CHECK(real.ok);
}

// Before decrypting, a copy of a processed message is dropped by (sender,
// ratchet key, number): a replay through the server, or the same item
// fetched again, is never shown, and in particular never as
// "undecryptable" (its key is gone). A message a raw sender skips ahead of
// arrives later out of order and still opens once.
TEST_CASE("direct messages: replayed copies are dropped unshown, late ones open once", "[integration][fs]") {
    RawToBob t;
    auto& b = t.b;
    auto& ra = t.ra;
    auto& dm = *t.dm;

    auto first = dm.seal("first");
    auto late = dm.seal("sent second, delivered last");
    auto third = dm.seal("third");
    REQUIRE(ra.msg2("bob", first, {}).status == proto::OK);
    REQUIRE(ra.msg2("bob", third, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 2; }));
    // Replays of both, then the late one.
    REQUIRE(ra.msg2("bob", first, {}).status == proto::OK);
    REQUIRE(ra.msg2("bob", third, {}).status == proto::OK);
    REQUIRE(ra.msg2("bob", late, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 3; }));
    REQUIRE(b->update().ok);
    b.pump_once(200);
    auto ms = b.messages();
    REQUIRE(ms.size() == 3);
    for (auto& m : ms) {
        INFO(m.body << " / " << m.problem);
        CHECK(m.verified);
        CHECK(m.problem.empty());
    }
    CHECK(ms[0].body == "first");
    CHECK(ms[1].body == "third");
    CHECK(ms[2].body == "sent second, delivered last");
    // Logged in again, nothing comes back and nothing is undecryptable.
    REQUIRE(b->logout().ok);
    b.events.clear();
    relogin(b, "bob");
    CHECK(b.messages().empty());
    CHECK(b->history("alice", 10).size() == 3);
}

// The seen markers are bounded (tui/client/dm_seen.hpp): past
// kSeenPerSender newer messages from its sender, a message's marker is
// gone. A replay of it is then not dropped unshown, but it is still
// refused: its key was used, so it shows as undecryptable, never as its
// text again. A replay of a message still marked is dropped as before.
TEST_CASE("direct messages: pruned seen markers still refuse replays", "[integration][fs][seen]") {
    RawToBob t;
    auto& bob = t.b;
    auto first = t.dm->seal("the first");
    t.deliver(first);
    REQUIRE(bob.wait_until([&] { return bob.messages().size() == 1; }));
    Bytes last;
    for (size_t i = 0; i < client::kSeenPerSender; ++i) t.deliver(last = t.dm->seal(fmt::format("later {}", i)));
    REQUIRE(bob.wait_until([&] { return bob.messages().size() == client::kSeenPerSender + 1; }, 120000));
    // Still marked: dropped unshown.
    t.deliver(last);
    REQUIRE(bob->update().ok);
    bob.pump_once(200);
    CHECK(bob.messages().size() == client::kSeenPerSender + 1);
    // Pruned: refused as undecryptable, not shown as text a second time.
    t.deliver(first);
    REQUIRE(bob.wait_until([&] { return bob.messages().size() == client::kSeenPerSender + 2; }));
    auto ms = bob.messages();
    const auto& replay = ms.back();
    INFO(replay.body << " / " << replay.problem);
    CHECK_FALSE(replay.verified);
    CHECK(replay.body.empty());
    CHECK(replay.problem.find("does not decrypt") != std::string::npos);
    size_t firsts = 0;
    for (auto& m : ms) firsts += m.body == "the first";
    CHECK(firsts == 1);
}
