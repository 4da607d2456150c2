// Groups (issue 5) against a real tacitd: every membership rule and failure
// status, membership notifications, delivery to a 50-member group, removed
// members and non-members, and what the server stores.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fmt/core.h>
#include <memory>
#include <thread>

#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/client_steps.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_dm.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

// Group set-up here runs faster than --group-change-rate allows; that limit
// has its own test (test_abuse_quota.cpp).
const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000", "--group-change-rate",
                                         "1000"};
using Names = std::vector<std::string>;

// alice registered and logged in first, then bob and carol (who share one
// registration path) logged in too.
void alice_bob_carol(const TestServer& s, TestClient& a, TestClient& b, TestClient& c) {
    register_login(a, "alice");
    register_shared(s, b, {"bob"});
    register_shared(s, c, {"carol"});
    login_as(b, "bob");
    login_as(c, "carol");
}

void status(const client::Result& r, uint8_t want) {
    INFO(r.msg);
    REQUIRE_FALSE(r.ok);
    REQUIRE(int(r.status) == int(want));
}

// The group events a client has seen for group g, by text.
Names group_texts(const TestClient& c, const std::string& g) {
    Names v;
    for (auto& e : events_of<client::ev::Group>(c))
        if (e.group == g) v.push_back(e.text);
    return v;
}

// Waits until c has seen the group event `text`. With `signed`, it must
// come from the actor's verified record; without, it is the server's word
// alone (a removed member can no longer fetch the records), and marked so.
void expect_event(TestClient& c, const std::string& g, const std::string& text, bool user_signed = true) {
    INFO("waiting for group event '" << text << "'");
    REQUIRE(c.wait_until([&] {
        auto v = group_texts(c, g);
        return std::find(v.begin(), v.end(), text) != v.end();
    }));
    for (auto& e : events_of<client::ev::Group>(c))
        if (e.text == text) {
            INFO(e.msg.problem);
            REQUIRE(e.msg.verified == user_signed);
            if (!user_signed) REQUIRE(e.msg.problem.find("no user signature") != std::string::npos);
        }
}

std::vector<client::ChatMessage> group_messages(const TestClient& c, const std::string& g) {
    std::vector<client::ChatMessage> v;
    for (auto& m : c.messages())
        if (m.group == g) v.push_back(m);
    return v;
}

bool has_body(const TestClient& c, const std::string& body) {
    for (auto& m : c.messages())
        if (m.body == body) return true;
    return false;
}

// Chat messages (not system entries, which have no sender) in c's history of g.
size_t history_chat(TestClient& c, const std::string& g) {
    size_t n = 0;
    for (auto& m : c->history("#" + g, 1000))
        if (!m.from.empty()) ++n;
    return n;
}

Names members(TestClient& c, const std::string& g) {
    Names m;
    ok(c->group_members(g, &m));
    return m;
}

// GROUP_MSG2_BATCH with one honest envelope per target, signed by r's key.
msg::GroupMsg2BatchR raw_batch(RawClient& r, const std::string& g, const Names& targets, const std::string& body) {
    msg::GroupMsg2Batch b;
    b.nonce = crypto::random_array<16>();
    b.group = g;
    auto msg_id = crypto::random_array<16>();
    for (auto& t : targets) {
        auto k = r.key_of(t);
        REQUIRE(k);
        auto tb = UserBundle::decode(*k);
        REQUIRE(tb);
        RawDm dm(r, t, *tb);
        b.parts.push_back(msg::Part{t, dm.seal_group(g, {}, body, msg_id), {}});
    }
    auto f = r.call(msg::encode_body(b), &r.id->sign);
    REQUIRE(frame_type(f) == msg::GroupMsg2BatchR::type);
    auto d = msg::decode<msg::GroupMsg2BatchR>(f.pt);
    REQUIRE(d.m.nonce == b.nonce);
    return d.m;
}

}  // namespace

TEST_CASE("group rules, failure statuses and membership notifications", "[integration][groups]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob"), c(s, "carol");
    alice_bob_carol(s, a, b, c);

    // Create.
    auto r = a->group_create("ops");
    ok(r);
    REQUIRE(r.msg == "created group ops");
    expect_event(a, "ops", "created alice ops");
    REQUIRE(a->groups() == Names{"ops"});
    r = a->group_create("ops");
    status(r, proto::GROUP_EXISTS);
    REQUIRE(r.msg == "group id ops is taken");
    status(b->group_create("ops"), proto::GROUP_EXISTS);
    r = a->group_create("Ops");
    status(r, proto::BAD_REQUEST);
    REQUIRE(r.msg.find("invalid group id") != std::string::npos);
    {
        // The server checks names as well.
        auto alice_id = load_identity(s, a, "alice", "pw");
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", alice_id).status == proto::OK);
        msg::GroupCreate m;
        m.token = raw.token;
        m.group = "no spaces";
        m.nonce = crypto::random_array<16>();
        auto f = raw.call(msg::encode_body(m), &alice_id.sign);
        auto d = msg::decode<msg::GroupCreateR>(f.pt);
        REQUIRE(d.m.status == proto::BAD_REQUEST);
        REQUIRE(d.m.msg.find("invalid group id") != std::string::npos);
        REQUIRE(d.m.msg.find("a space") != std::string::npos);
    }

    // Add: failures first.
    status(a->group_add("ops", "nobody"), proto::NO_SUCH_USER);
    status(a->group_add("nogroup", "bob"), proto::NO_SUCH_GROUP);
    r = b->group_add("ops", "carol");
    status(r, proto::NOT_OWNER);
    REQUIRE(r.msg == "only the owner of ops adds members");
    // Then bob joins; both see "added alice bob".
    r = a->group_add("ops", "bob");
    ok(r);
    REQUIRE(r.msg == "added bob to ops");
    expect_event(a, "ops", "added alice bob");
    expect_event(b, "ops", "added alice bob");
    REQUIRE(b->groups() == Names{"ops"});
    status(a->group_add("ops", "bob"), proto::ALREADY_MEMBER);
    status(b->group_add("ops", "carol"), proto::NOT_OWNER);  // a member, not the owner
    REQUIRE(members(a, "ops") == (Names{"alice", "bob"}));
    REQUIRE(members(b, "ops") == (Names{"alice", "bob"}));

    // Remove/leave failures.
    status(b->group_remove("ops", "alice"), proto::NOT_OWNER);
    status(a->group_remove("ops", "carol"), proto::NOT_MEMBER);
    status(c->group_leave("ops"), proto::NOT_MEMBER);
    status(a->group_remove("nogroup", "bob"), proto::NO_SUCH_GROUP);
    // A non-member can neither list nor post.
    Names m;
    status(c->group_members("ops", &m), proto::NOT_MEMBER);
    REQUIRE(m.empty());
    status(c->group_send("ops", "let me in"), proto::NOT_MEMBER);
    status(a->group_send("nogroup", "hello?"), proto::NO_SUCH_GROUP);
    status(a->group_members("nogroup", &m), proto::NO_SUCH_GROUP);

    // carol joins: every member after the change hears "added alice carol".
    ok(a->group_add("ops", "carol"));
    for (auto* x : {&a, &b, &c}) expect_event(*x, "ops", "added alice carol");
    REQUIRE(members(c, "ops") == (Names{"alice", "bob", "carol"}));
    // Every member reads the same owner from the signed records: the creator.
    for (auto* x : {&a, &b, &c}) {
        std::string owner;
        ok((*x)->group_members("ops", &m, &owner));
        REQUIRE(owner == "alice");
    }
    // carol never saw "added alice bob": it happened before she joined.
    auto ct = group_texts(c, "ops");
    REQUIRE(std::find(ct.begin(), ct.end(), "added alice bob") == ct.end());

    // A message to the group reaches the others, by push.
    ok(a->group_send("ops", "hello ops"));
    for (auto* x : {&b, &c}) {
        REQUIRE(x->wait_until([&] { return has_body(*x, "hello ops"); }));
        auto gm = group_messages(*x, "ops");
        REQUIRE(gm.size() == 1);
        REQUIRE(gm[0].from == "alice");
        REQUIRE(gm[0].verified);
    }
    REQUIRE(history_chat(a, "ops") == 1);
    REQUIRE(history_chat(b, "ops") == 1);

    // The owner can't leave while others are in it.
    r = a->group_leave("ops");
    status(r, proto::BAD_REQUEST);
    REQUIRE(r.msg == "remove the other members first");

    // carol leaves; bob is removed; each change reaches the remaining
    // members and the one who left.
    r = c->group_leave("ops");
    ok(r);
    REQUIRE(r.msg == "left group ops");
    for (auto* x : {&a, &b, &c}) expect_event(*x, "ops", "left carol carol");
    REQUIRE(c->groups().empty());
    r = a->group_remove("ops", "bob");
    ok(r);
    REQUIRE(r.msg == "removed bob from ops");
    expect_event(a, "ops", "removed alice bob");
    expect_event(b, "ops", "removed alice bob");  // the owner's signed remove record (GROUP_FETCH up to it)
    REQUIRE(b.wait_until([&] { return b->groups().empty(); }));
    // carol, gone already, is not told.
    c.pump_once(200);
    ct = group_texts(c, "ops");
    REQUIRE(std::find(ct.begin(), ct.end(), "removed alice bob") == ct.end());

    // Dissolve: the owner removes itself as the last member.
    r = a->group_leave("ops");
    ok(r);
    REQUIRE(r.msg == "dissolved group ops");
    expect_event(a, "ops", "dissolved alice ops");
    REQUIRE(a.wait_until([&] { return a->groups().empty(); }));
    status(a->group_send("ops", "anyone?"), proto::NO_SUCH_GROUP);
    status(a->group_add("ops", "bob"), proto::NO_SUCH_GROUP);
    status(a->group_leave("ops"), proto::NO_SUCH_GROUP);
    // The id stays taken, for the old owner and for anyone else.
    status(a->group_create("ops"), proto::GROUP_EXISTS);
    status(c->group_create("ops"), proto::GROUP_EXISTS);
    // A fresh id still works.
    ok(c->group_create("ops2"));
    expect_event(c, "ops2", "created carol ops2");
}

TEST_CASE("a message to a 50-member group reaches every member once", "[integration][groups]") {
    TestServer s(kLoose);
    const size_t kMembers = 50, kOnline = 10;  // alice and 9 more online
    TestClient a(s, "alice");
    register_login(a, "alice");
    Names others;
    for (size_t i = 1; i < kMembers; ++i) others.push_back(fmt::format("m{:02d}", i));

    // Members m01..m09 online, each in its own client; m10..m49 offline, all
    // kept in one client home they'll log in from later, one after another.
    std::vector<std::unique_ptr<TestClient>> online;
    for (size_t i = 0; i + 1 < kOnline; ++i) {
        online.push_back(std::make_unique<TestClient>(s, others[i]));
        register_shared(s, *online.back(), {others[i]});
        login_as(*online.back(), others[i]);
    }
    TestClient off(s, "offline");
    Names offline(others.begin() + (kOnline - 1), others.end());
    register_shared(s, off, offline);
    // Each logs in once, as after registering, and so uploads the prekeys a
    // pairwise session's first message needs (tacit-protocol(7), PREKEYS).
    for (auto& u : offline) {
        login_as(off, u);
        REQUIRE(off->logout().ok);
    }
    off->disconnect();
    REQUIRE(online.size() + offline.size() + 1 == kMembers);

    ok(a->group_create("big"));
    for (auto& u : others) ok(a->group_add("big", u));
    auto all = members(a, "big");
    REQUIRE(all.size() == kMembers);
    REQUIRE(std::find(all.begin(), all.end(), "m49") != all.end());

    // The first message sets up 49 pairwise sessions (PREKEY_FETCH, X3DH).
    const auto t0 = std::chrono::steady_clock::now();
    auto r = a->group_send("big", "hello fifty");
    const auto first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    ok(r);
    REQUIRE(r.msg == "sent to 49 members");
    WARN("first group message to 49 members, with 49 X3DH set-ups: " << first_ms.count() << " ms");

    // Online members: by push only (their clients just pump).
    auto done = [&] {
        for (auto& c : online)
            if (!has_body(*c, "hello fifty")) return false;
        return true;
    };
    for (int round = 0; round < 1500 && !done(); ++round)
        for (auto& c : online) c->pump_once(2);
    REQUIRE(done());
    for (size_t i = 0; i < online.size(); ++i) {
        INFO(others[i]);
        auto gm = group_messages(*online[i], "big");
        REQUIRE(gm.size() == 1);
        REQUIRE(gm[0].body == "hello fifty");
        REQUIRE(gm[0].from == "alice");
        REQUIRE(gm[0].to == others[i]);
        REQUIRE(gm[0].verified);
        // They heard of their own addition and of every later one.
        auto texts = group_texts(*online[i], "big");
        REQUIRE(std::find(texts.begin(), texts.end(), "added alice " + others[i]) != texts.end());
        REQUIRE(std::find(texts.begin(), texts.end(), "added alice m49") != texts.end());
    }
    // Offline members: at their next login.
    for (auto& u : offline) {
        INFO(u);
        off.events.clear();
        login_as(off, u);
        auto gm = group_messages(off, "big");
        REQUIRE(gm.size() == 1);
        REQUIRE(gm[0].body == "hello fifty");
        REQUIRE(gm[0].to == u);
        REQUIRE(gm[0].verified);
        auto texts = group_texts(off, "big");
        REQUIRE(std::find(texts.begin(), texts.end(), "added alice " + u) != texts.end());
        REQUIRE(off->logout().ok);
    }
    // The sender's copy is in its history once.
    REQUIRE(history_chat(a, "big") == 1);
}

TEST_CASE("removed members and non-members get and post nothing; only ciphertext is stored",
          "[integration][groups]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob"), c(s, "carol");
    alice_bob_carol(s, a, b, c);

    ok(a->group_create("team"));
    ok(a->group_add("team", "bob"));
    ok(a->group_add("team", "carol"));
    ok(a->group_send("team", "first, for all"));
    REQUIRE(b.wait_until([&] { return has_body(b, "first, for all"); }));
    REQUIRE(c.wait_until([&] { return has_body(c, "first, for all"); }));

    ok(a->group_remove("team", "carol"));
    expect_event(c, "team", "removed alice carol");  // signed by alice: carol fetches up to her remove record
    ok(a->group_send("team", "after carol left"));
    ok(b->group_send("team", "bob agrees"));
    REQUIRE(b.wait_until([&] { return has_body(b, "after carol left"); }));
    REQUIRE(a.wait_until([&] { return has_body(a, "bob agrees"); }));
    for (int i = 0; i < 10; ++i) c.pump_once(50);
    ok(c->update());
    c.pump_once(50);
    REQUIRE_FALSE(has_body(c, "after carol left"));
    REQUIRE_FALSE(has_body(c, "bob agrees"));
    REQUIRE(group_messages(c, "team").size() == 1);

    // carol can't list or post any more.
    Names m;
    status(c->group_members("team", &m), proto::NOT_MEMBER);
    status(c->group_send("team", "still here?"), proto::NOT_MEMBER);

    // Raw, as carol: GROUP_MSG1 gives no member list, and a batch with honest
    // envelopes for alice and bob is refused whole.
    auto carol_id = load_identity(s, c, "carol", "pw");
    RawClient rc(s);
    REQUIRE(rc.login("carol", "pw", carol_id).status == proto::OK);
    {
        msg::GroupMsg1 g1;
        g1.token = rc.token;
        g1.group = "team";
        g1.nonce = crypto::random_array<16>();
        auto f = rc.call(msg::encode_body(g1), &carol_id.sign);
        auto d = msg::decode<msg::GroupMsg1R>(f.pt);
        REQUIRE(d.m.status == proto::NOT_MEMBER);
        REQUIRE(d.m.members.empty());
    }
    auto br = raw_batch(rc, "team", {"alice", "bob"}, "carol sneaks in");
    REQUIRE(br.status == proto::NOT_MEMBER);
    REQUIRE(br.msg == "you are not a member of team");

    // Raw, as alice: a batch naming a removed member is refused whole, so
    // bob doesn't get his part either; a target twice is refused too.
    auto alice_id = load_identity(s, a, "alice", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    br = raw_batch(ra, "team", {"bob", "carol"}, "one bad target spoils the batch");
    REQUIRE(br.status == proto::NOT_MEMBER);
    REQUIRE(br.msg == "carol is not a member of team");
    br = raw_batch(ra, "team", {"bob", "bob"}, "twice for bob");
    REQUIRE(br.status == proto::BAD_REQUEST);
    // A part with a wrapped key (the old ECIES envelope's 80 bytes) spoils
    // its batch: parts travel on the pairwise ratchet (GROUP MESSAGES).
    {
        msg::GroupMsg2Batch wk;
        wk.nonce = crypto::random_array<16>();
        wk.group = "team";
        wk.parts.push_back(msg::Part{"bob", Bytes(200, 7), Bytes(80, 1)});
        auto f = ra.call(msg::encode_body(wk), &ra.id->sign);
        REQUIRE(frame_type(f) == msg::GroupMsg2BatchR::type);
        auto d = msg::decode<msg::GroupMsg2BatchR>(f.pt);
        REQUIRE(d.m.status == proto::BAD_REQUEST);
        REQUIRE(d.m.msg == "part 1: a group message part carries no wrapped key (to bob)");
    }
    // Control: the same path with valid targets is stored.
    br = raw_batch(ra, "team", {"bob"}, "raw but fine");
    REQUIRE(br.status == proto::OK);
    REQUIRE(b.wait_until([&] { return has_body(b, "raw but fine"); }));
    for (int i = 0; i < 5; ++i) {
        a.pump_once(20);
        b.pump_once(20);
    }
    ok(a->update());
    ok(b->update());
    for (auto* x : {&a, &b}) {
        REQUIRE_FALSE(has_body(*x, "carol sneaks in"));
        REQUIRE_FALSE(has_body(*x, "one bad target spoils the batch"));
        REQUIRE_FALSE(has_body(*x, "twice for bob"));
    }
    REQUIRE(group_messages(b, "team").size() == 3);  // first, after carol left, raw but fine

    // Only ciphertext at rest: bob is offline while a group message waits.
    REQUIRE(b->logout().ok);
    const std::string secret = "group secret " + to_hex(crypto::random_array<8>());
    ok(a->group_send("team", secret));
    REQUIRE_FALSE(files_containing(s.data_dir(), "team").empty());  // the scan sees stored bytes
    REQUIRE(files_containing(s.data_dir(), secret).empty());
    REQUIRE(files_containing(s.data_dir(), "group secret").empty());
    login_as(b, "bob");
    REQUIRE(has_body(b, secret));
}

TEST_CASE("an offline member catches up at login from the signed records; changes leave no mailbox entry",
          "[integration][groups][groupcost]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob"), c(s, "carol");
    alice_bob_carol(s, a, b, c);
    ok(a->group_create("crew"));
    ok(a->group_add("crew", "bob"));
    expect_event(b, "crew", "added alice bob");

    // bob and carol go offline; what changes meanwhile reaches them only
    // through GROUP_LIST and GROUP_FETCH at their next login.
    REQUIRE(b->logout().ok);
    REQUIRE(c->logout().ok);
    ok(a->group_add("crew", "carol"));
    ok(a->group_create("side"));
    ok(a->group_add("side", "bob"));
    ok(a->group_remove("crew", "bob"));

    // Nothing waits in either mailbox: the changes wrote no entry per member.
    for (auto [name, tc] : {std::pair{"bob", &b}, {"carol", &c}}) {
        auto id = load_identity(s, *tc, name, "pw");
        RawClient raw(s);
        REQUIRE(raw.login(name, "pw", id).status == proto::OK);
        INFO(name);
        REQUIRE(raw.update1().messages.empty());
        raw.logout();
    }
    {
        // GROUP_LIST, raw: alice's groups with their head epochs, sorted.
        auto alice_id = load_identity(s, a, "alice", "pw");
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", alice_id).status == proto::OK);
        msg::GroupList l;
        l.token = raw.token;
        l.nonce = crypto::random_array<16>();
        auto d = msg::decode<msg::GroupListR>(raw.call(msg::encode_body(l), &alice_id.sign).pt);
        REQUIRE(d.m.status == proto::OK);
        REQUIRE(d.m.nonce == l.nonce);
        // crew: create, add bob, add carol, remove bob; side: create, add bob.
        REQUIRE(d.m.groups == std::vector<msg::GroupHeadItem>{{"crew", 3}, {"side", 1}});
    }

    // carol was added while away: her login fetches the chain and shows
    // her add, signed by alice.
    login_as(c, "carol");
    expect_event(c, "crew", "added alice carol");
    REQUIRE(c->groups() == Names{"crew"});
    REQUIRE(members(c, "crew") == (Names{"alice", "carol"}));

    // bob was added to side and removed from crew: both show, signed, and
    // crew is no longer his.
    login_as(b, "bob");
    expect_event(b, "side", "added alice bob");
    expect_event(b, "crew", "removed alice bob");
    REQUIRE(b->groups() == Names{"side"});
    for (auto& e : events_of<client::ev::Group>(b)) REQUIRE(e.msg.problem.find("no user signature") == std::string::npos);
    for (auto& e : events_of<client::ev::Message>(b)) REQUIRE(e.msg.problem.find("no user signature") == std::string::npos);

    // Online, a change reaches a member by NOTIFY group-records alone.
    ok(a->group_add("side", "carol"));
    expect_event(b, "side", "added alice carol");
    expect_event(c, "side", "added alice carol");
}
