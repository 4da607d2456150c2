// Storage quotas and group churn (issue 21, items 3 and 6) against a live
// tacitd. Each attack runs while a well-behaved pair keeps chatting; the
// table gives one row per thing tried, and the good client's PING latency.
// Accounts share one RSA key (shared_identity) and the limits are set
// small, so nothing here needs big data or many key generations.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <memory>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/group_records.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/report.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

using Names = std::vector<std::string>;

std::vector<std::string> flags(std::vector<std::string> more) {
    std::vector<std::string> f = {"--login-rate", "100000", "--register-rate", "100000"};
    f.insert(f.end(), more.begin(), more.end());
    return f;
}

// A logged-in raw connection for an account that shares shared_identity().
std::unique_ptr<RawClient> raw_login(const TestServer& s, const std::string& user) {
    auto r = std::make_unique<RawClient>(s);
    auto l = r->login(user, "pw", shared_identity());
    INFO("login " << user << ": " << l.msg);
    REQUIRE(l.status == proto::OK);
    return r;
}

void register_raw(const TestServer& s, const Names& users) {
    RawClient r(s);
    for (auto& u : users) {
        auto g = r.register_user(u, "pw", shared_identity());
        INFO("register " << u << ": " << g.msg);
        REQUIRE(g.status == proto::OK);
    }
}

// alice and bob on the client core; chat() sends one message each way and
// waits for both, verified. Their PING round trips are collected.
struct GoodPair {
    TestClient a, b;
    int n = 0;
    std::vector<uint64_t> rtt_us;
    explicit GoodPair(const TestServer& s) : a(s, "quota-a"), b(s, "quota-b") {
        register_shared(s, a, {"alice"});
        register_shared(s, b, {"bob"});
        login();
    }
    void login() {
        for (auto [c, u] : {std::pair{&a, "alice"}, std::pair{&b, "bob"}}) {
            if (!(*c)->connected()) REQUIRE((*c)->connect().ok);
            auto r = (*c)->login(u, "pw");
            INFO("login " << u << ": " << r.msg);
            REQUIRE(r.ok);
        }
    }
    std::string one(TestClient& from, TestClient& to, const std::string& to_name) {
        std::string body = fmt::format("good chat {} to {}", ++n, to_name);
        auto r = from->send(to_name, body);
        if (!r.ok) return "send to " + to_name + " failed: " + r.msg;
        bool got = to.wait_until([&] {
            for (auto& m : to.messages())
                if (m.body == body && m.verified) return true;
            return false;
        });
        return got ? "" : "'" + body + "' never reached " + to_name;
    }
    void ping() {
        uint64_t us = 0;
        if (a->ping(&us).ok) rtt_us.push_back(us);
    }
    std::string chat() {
        ping();
        auto e = one(a, b, "bob");
        if (e.empty()) e = one(b, a, "alice");
        return e;
    }
    std::string latency() const {
        if (rtt_us.empty()) return "no PING answered";
        auto v = rtt_us;
        std::sort(v.begin(), v.end());
        return fmt::format("{} PINGs, median {} us, max {} us", v.size(), v[v.size() / 2], v.back());
    }
};

std::string ok_or(const std::string& e) { return e.empty() ? "good pair chats fine" : "CHAT BROKEN: " + e; }

// One chat round of the good pair as a checked report row.
void chat_row(Report& rep, GoodPair& g, const std::string& tried = "  meanwhile alice <-> bob") {
    const std::string e = g.chat();
    rep.add(tried, "every message arrives", ok_or(e), e.empty() ? "no" : "YES");
    CHECK(e == "");
}

// A 60,000-byte enc_msg: the server never opens it, so any bytes do.
msg::Msg2R send_blob(RawClient& r, const std::string& to) {
    return r.msg2(to, Bytes(60000, 0x42), Bytes{});
}

// Sends until something other than OK comes back; returns that reply and
// the number stored before it (at most max).
std::pair<msg::Msg2R, int> send_until_refused(RawClient& r, const std::string& to, int max = 200) {
    for (int i = 0; i < max; ++i) {
        auto m = send_blob(r, to);
        if (m.status != proto::OK) return {m, i};
    }
    return {msg::Msg2R{}, max};
}

std::string said(const msg::Msg2R& m) { return std::string(proto::status_name(m.status)) + " \"" + m.msg + "\""; }

// UPDATE1 + UPDATE2 until the mailbox is empty; the messages acknowledged.
size_t fetch_and_ack(RawClient& r) {
    size_t n = 0;
    for (int page = 0; page < 100; ++page) {
        auto p = r.update1();
        if (p.messages.empty()) return n;
        n += p.messages.size();
        msg::Update2 a;
        a.nonce2 = p.nonce2;
        r.send(msg::encode_body(a));
    }
    return n;
}

template <class Req, class Reply> Reply group_call(RawClient& r, Req q) {
    q.token = r.token;
    q.nonce = crypto::random_array<16>();
    auto f = r.call(msg::encode_body(q), &r.id->sign);
    REQUIRE(frame_type(f) == Reply::type);
    auto d = msg::decode<Reply>(f.pt);
    REQUIRE(d.m.nonce == q.nonce);
    return d.m;
}

// The records these changes carry (tacit-protocol(7), GROUPS); every test
// creates its groups first, which resets their heads here.
test::GroupRecords& records() {
    static test::GroupRecords recs;
    return recs;
}

// The key the server publishes for u (MSG1): an add record names it.
Bytes published_key(RawClient& r, const std::string& u) {
    msg::Msg1 q;
    q.token = r.token;
    q.target = u;
    q.nonce1 = crypto::random_array<16>();
    auto f = r.call(msg::encode_body(q), &r.id->sign);
    REQUIRE(frame_type(f) == msg::Msg1R::type);
    return msg::decode<msg::Msg1R>(f.pt).m.target_public_key;
}

msg::GroupCreateR create(RawClient& r, const std::string& g) {
    msg::GroupCreate q;
    q.group = g;
    q.record = records().make(group::Kind::Create, g, r.user, r.user, *r.id, r.id->bundle().encode());
    auto rep = group_call<msg::GroupCreate, msg::GroupCreateR>(r, q);
    records().settle(rep.status);
    return rep;
}
msg::GroupAddR add(RawClient& r, const std::string& g, const std::string& u) {
    msg::GroupAdd q;
    q.group = g;
    q.user = u;
    q.record = records().make(group::Kind::Add, g, r.user, u, *r.id, published_key(r, u));
    auto rep = group_call<msg::GroupAdd, msg::GroupAddR>(r, q);
    records().settle(rep.status);
    return rep;
}
msg::GroupRemoveR remove(RawClient& r, const std::string& g, const std::string& u) {
    msg::GroupRemove q;
    q.group = g;
    q.user = u;
    q.record = records().make(u == r.user ? group::Kind::Leave : group::Kind::Remove, g, r.user, u, *r.id);
    auto rep = group_call<msg::GroupRemove, msg::GroupRemoveR>(r, q);
    records().settle(rep.status);
    return rep;
}

template <class R> std::string said(const R& m) {
    return std::string(proto::status_name(m.status)) + " \"" + m.msg + "\"";
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("storage quotas: one sender can't fill the store, and each cap names itself", "[integration][abuse]") {
    // The byte quotas are left to follow --max-db-size: with 8 MiB, 128 KiB
    // per sender per mailbox and 512 KiB per mailbox and per sender.
    Report rep("abuse: storage quotas (tacitd --max-db-size 8M, quotas derived)");
    TestServer s(flags({"--max-db-size", "8M"}));
    GoodPair g(s);
    REQUIRE(g.chat() == "");
    const Names victims = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "vbox"};
    const Names senders = {"mallory", "s1", "s2", "s3", "s4", "s5"};
    Names all = victims;
    all.insert(all.end(), senders.begin(), senders.end());
    register_raw(s, all);
    auto mal = raw_login(s, "mallory");

    // One sender, one mailbox.
    auto [pair_no, pair_ok] = send_until_refused(*mal, "v0");
    rep.add("mallory sends 60 KB messages to v0 until refused", "STORAGE_FULL naming the 128 KiB per-sender limit",
            fmt::format("{} stored, then {}", pair_ok, said(pair_no)));
    CHECK(pair_no.status == proto::STORAGE_FULL);
    CHECK(contains(pair_no.msg, "128 KiB waiting for v0"));
    CHECK(pair_ok == 2);
    chat_row(rep, g);

    // One sender, every mailbox it can find.
    int total_ok = pair_ok;
    msg::Msg2R total_no;
    // Each mailbox refuses it at the per-mailbox limit; it moves on until
    // the total stops it.
    for (size_t i = 1; i < 9 && !contains(total_no.msg, "waiting unread"); ++i) {
        auto [no, ok] = send_until_refused(*mal, victims[i]);
        total_ok += ok;
        total_no = no;
    }
    const size_t used = tree_bytes(s.data_dir());
    const std::string e2 = g.chat();
    rep.add("mallory moves on to v1, v2, ... until refused", "STORAGE_FULL naming the 512 KiB per-sender total",
            fmt::format("{} stored in all, then {}", total_ok, said(total_no)));
    CHECK(total_no.status == proto::STORAGE_FULL);
    CHECK(contains(total_no.msg, "512 KiB waiting unread"));
    CHECK(total_ok == 8);
    rep.add("  can mallory fill the 8 MiB store?", "no: data dir stays far below 8 MiB, others get mail",
            fmt::format("data dir {} KiB; {}", used / 1024, ok_or(e2)), e2.empty() ? "no" : "YES");
    CHECK(used < (3u << 20));
    CHECK(e2 == "");

    // Many senders, one mailbox: 2 x 60 KB from each of s1..s5 to vbox.
    msg::Msg2R box_no;
    int box_ok = 0;
    for (int i = 1; i <= 5 && box_no.status == proto::OK; ++i) {
        auto c = raw_login(s, senders[i]);
        for (int k = 0; k < 2 && box_no.status == proto::OK; ++k) {
            auto m = send_blob(*c, "vbox");
            if (m.status == proto::OK) ++box_ok;
            else box_no = m;
        }
    }
    rep.add("s1..s5 each send two 60 KB messages to vbox", "STORAGE_FULL naming the 512 KiB mailbox limit",
            fmt::format("{} stored, then {}", box_ok, said(box_no)));
    CHECK(box_no.status == proto::STORAGE_FULL);
    CHECK(contains(box_no.msg, "mailbox of vbox is full: it holds 512 KiB"));
    CHECK(box_ok == 8);
    chat_row(rep, g);

    // The counts live in LMDB: after a kill -9 mallory is still at its
    // limits, and v0 reading its mail gives the room back.
    mal.reset();
    s.kill9();
    s.start();
    mal = raw_login(s, "mallory");
    auto again = send_blob(*mal, "v0");
    auto again_total = send_blob(*mal, "v8");  // no mail of mallory's there: the total refuses it
    size_t acked = 0;
    {
        auto v0 = raw_login(s, "v0");
        acked = fetch_and_ack(*v0);
    }
    auto after = send_blob(*mal, "v0");
    rep.add("kill -9, restart; mallory sends to v0 and v8", "STORAGE_FULL still: per-mailbox, then total",
            said(again) + "; " + said(again_total));
    CHECK(again.status == proto::STORAGE_FULL);
    CHECK(contains(again.msg, "128 KiB waiting for v0"));
    CHECK(again_total.status == proto::STORAGE_FULL);
    CHECK(contains(again_total.msg, "512 KiB waiting unread"));
    rep.add("  v0 fetches and acks; mallory sends to v0 again", "OK: the ack gave the room back",
            fmt::format("v0 acked {}; then {}", acked, said(after)));
    CHECK(acked == 2);
    CHECK(after.status == proto::OK);

    g.a->disconnect();
    g.b->disconnect();
    g.login();
    chat_row(rep, g, "  alice <-> bob after the restart");
    rep.add("good client's PING during all of it", "answered", g.latency());
    CHECK_FALSE(g.rtt_us.empty());
}

TEST_CASE("storage at the ceiling: mail is refused before the reserve, acks still succeed", "[integration][abuse]") {
    // Quotas opened wide so that one sender can reach the ceiling: what is
    // under test is the reserve kept for acks below --max-db-size 4M.
    Report rep("abuse: store at its ceiling (tacitd --max-db-size 4M, quotas 1G)");
    TestServer s(flags({"--max-db-size", "4M", "--mailbox-quota", "1G", "--sender-quota", "1G",
                        "--sender-mailbox-quota", "1G"}));
    GoodPair g(s);
    REQUIRE(g.chat() == "");
    register_raw(s, {"filler", "victim"});
    auto filler = raw_login(s, "filler");
    auto [no, ok] = send_until_refused(*filler, "victim");
    g.ping();
    rep.add("filler sends 60 KB messages to victim until refused", "STORAGE_FULL: storage is full",
            fmt::format("{} stored, then {}", ok, said(no)));
    REQUIRE(no.status == proto::STORAGE_FULL);
    CHECK(contains(no.msg, "server storage is full"));
    CHECK(ok >= 30);  // 4 MiB less the 1 MiB reserve

    // Small messages still fit for a while; then the store is at its reserve.
    int small_ok = 0;
    msg::Msg2R small_no;
    for (; small_ok < 5000; ++small_ok)
        if ((small_no = filler->msg2("victim", Bytes(1000, 0x43), Bytes{})).status !=
            proto::OK)
            break;
    rep.add("  then 1 KB messages until refused", "STORAGE_FULL: storage is full",
            fmt::format("{} more stored, then {}", small_ok, said(small_no)));
    CHECK(small_no.status == proto::STORAGE_FULL);
    ok += small_ok;
    g.ping();

    // At the ceiling the good pair's mail is refused too (the quotas were
    // opened), but nothing they already have is lost, and acks get through.
    auto r = g.a->send("bob", "at the ceiling");
    rep.add("alice sends to bob at the ceiling", "refused with STORAGE_FULL, nothing lost",
            r.ok ? "OK" : fmt::format("{} \"{}\"", proto::status_name(r.status), r.msg));
    CHECK_FALSE(r.ok);

    size_t acked = 0;
    {
        auto v = raw_login(s, "victim");
        acked = fetch_and_ack(*v);
        CHECK(fetch_and_ack(*v) == 0);  // really deleted, not just handed out
    }
    g.ping();
    rep.add("victim fetches and acks every page at the ceiling", "every ack succeeds",
            fmt::format("{} of {} acked, mailbox empty", acked, ok));
    CHECK(acked == size_t(ok));
    CHECK_FALSE(contains(s.log(), "could not delete"));

    auto after = send_blob(*filler, "victim");
    const std::string e = g.chat();
    rep.add("after the acks: filler sends, alice <-> bob", "OK; every message arrives",
            fmt::format("{}; {}", said(after), ok_or(e)), e.empty() ? "no" : "YES");
    CHECK(after.status == proto::OK);
    CHECK(e == "");
    rep.add("good client's PING during all of it", "answered", g.latency());
}

TEST_CASE("group churn: size cap and membership-change rate limits", "[integration][abuse]") {
    Report rep("abuse: group size and churn (--max-group-size 3 --group-change-rate 6 --group-add-rate 2)");
    TestServer s(flags({"--max-group-size", "3", "--group-change-rate", "6", "--group-add-rate", "2"}));
    GoodPair g(s);
    register_raw(s, {"owner", "u1", "u2", "u3", "churner", "c1", "c2", "c3", "o1", "o2", "o3", "popular"});

    // Size: a group of three takes no fourth.
    auto own = raw_login(s, "owner");
    REQUIRE(create(*own, "team").status == proto::OK);
    REQUIRE(add(*own, "team", "u1").status == proto::OK);
    REQUIRE(add(*own, "team", "u2").status == proto::OK);
    auto big = add(*own, "team", "u3");
    rep.add("owner adds a 4th member to a group of 3", "TOO_LARGE naming the size limit", said(big));
    CHECK(big.status == proto::TOO_LARGE);
    CHECK(contains(big.msg, "team has 3 members, the most this server allows"));
    chat_row(rep, g);

    // Churn: one actor adds and removes as fast as it can.
    auto ch = raw_login(s, "churner");
    int changes = 0;
    std::string refused;
    uint8_t last = proto::OK;
    if ((last = create(*ch, "churn").status) == proto::OK) ++changes;
    for (int i = 0; i < 10 && last == proto::OK; ++i) {
        const std::string u = "c" + std::to_string(i % 3 + 1);
        auto a = add(*ch, "churn", u);
        if ((last = a.status) != proto::OK) {
            refused = said(a);
            break;
        }
        ++changes;
        auto r = remove(*ch, "churn", u);
        if ((last = r.status) != proto::OK) refused = said(r);
        else ++changes;
    }
    auto other = add(*own, "team", "u3");  // another actor is not held back (here: still TOO_LARGE)
    rep.add("churner creates, then adds and removes in a loop", "6 changes, then RATE_LIMITED",
            fmt::format("{} changes, then {}", changes, refused));
    CHECK(changes == 6);
    CHECK(last == proto::RATE_LIMITED);
    CHECK(contains(refused, "too many membership changes"));
    rep.add("  owner of another group meanwhile", "answered on its own merits (TOO_LARGE)", said(other));
    CHECK(other.status == proto::TOO_LARGE);
    chat_row(rep, g);

    // Being added: three owners each add the same user.
    std::vector<std::string> outcomes;
    std::vector<uint8_t> st;
    for (const char* o : {"o1", "o2", "o3"}) {
        auto c = raw_login(s, o);
        const std::string grp = std::string("g") + o;
        REQUIRE(create(*c, grp).status == proto::OK);
        auto a = add(*c, grp, "popular");
        st.push_back(a.status);
        outcomes.push_back(said(a));
    }
    rep.add("o1, o2, o3 each add 'popular' to their group", "OK, OK, RATE_LIMITED naming popular",
            fmt::format("{}; {}; {}", outcomes[0], outcomes[1], outcomes[2]));
    CHECK(st == std::vector<uint8_t>{proto::OK, proto::OK, proto::RATE_LIMITED});
    CHECK(contains(outcomes[2], "popular was added to groups too often"));
    chat_row(rep, g);
    rep.add("good client's PING during all of it", "answered", g.latency());
    CHECK_FALSE(g.rtt_us.empty());
}

TEST_CASE("membership churn writes no mail: no mailbox grows, and --sender-quota is not used up",
          "[integration][abuse][groupcost]") {
    // The rate limits are opened so that nothing but storage could stop the
    // churn: a change stores its record once for the group and nothing in
    // any member's mailbox (tacit-protocol(7), GROUPS), so the actor's 4 KiB
    // quota, which one system entry per member used to fill in a few
    // changes, never refuses one.
    Report rep("abuse: group churn and the actor's quota (--sender-quota 4K, both group rates 1000)");
    TestServer s(flags({"--sender-quota", "4K", "--group-change-rate", "1000", "--group-add-rate", "1000"}));
    GoodPair g(s);
    register_raw(s, {"churn2", "x1", "x2"});
    auto ch = raw_login(s, "churn2");
    REQUIRE(create(*ch, "loop").status == proto::OK);
    REQUIRE(add(*ch, "loop", "x1").status == proto::OK);
    // Adds x2 when it is out, removes it when it is in: (status, reply).
    bool in = false;
    auto toggle = [&]() -> std::pair<uint8_t, std::string> {
        if (in) {
            auto r = remove(*ch, "loop", "x2");
            return {r.status, said(r)};
        }
        auto a = add(*ch, "loop", "x2");
        return {a.status, said(a)};
    };
    int changes = 2;
    std::string refused;
    uint8_t last = proto::OK;
    for (int i = 0; i < 50 && last == proto::OK; ++i) {
        auto [st, text] = toggle();
        if ((last = st) == proto::OK) ++changes, in = !in;
        else refused = text;
    }
    rep.add("churn2 adds and removes x2 in a 3-member group, 50 times", "all OK (52 changes)",
            fmt::format("{} changes{}", changes, refused.empty() ? "" : ", then " + refused));
    CHECK(last == proto::OK);
    CHECK(changes == 52);
    chat_row(rep, g);

    size_t waiting = 0;
    for (const char* u : {"x1", "x2", "churn2"}) {
        auto c = raw_login(s, u);
        waiting += fetch_and_ack(*c);
    }
    g.ping();
    rep.add("x1, x2 and churn2 read their mailboxes", "nothing waits: no entry per member", fmt::format("{} items", waiting));
    CHECK(waiting == 0);
    rep.add("good client's PING during all of it", "answered", g.latency());
    CHECK_FALSE(g.rtt_us.empty());
}
