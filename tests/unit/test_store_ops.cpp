// store::Operations, the interface handlers use, against its LMDB backend
// in a fresh temporary directory. (tests/unit/test_store.cpp tests the
// backend's transactions.)
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "shared/crypto.hpp"
#include "shared/messages_payload.hpp"
#include "srv/store/lmdb_backend.hpp"
#include "srv/store/quota.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace tacit;
using namespace tacit::store;

namespace {

struct Env : test::TempDir {
    Options o;
    std::unique_ptr<Operations> ops;
    Env() : test::TempDir("store_ops") {
        o.dir = path + "/data";
        o.initial_map = 1 << 20;
        o.max_map = 64 << 20;
        o.sync = false;
        open();
    }
    void open() {
        ops.reset();
        ops = open_lmdb(o);
    }
    Operations& operator*() { return *ops; }
    Operations* operator->() { return ops.get(); }
};

// Runs one write to its end: the callback must wait for finish_pass.
template <class R, class F> R finish(Env& e, F&& start) {
    std::optional<R> got;
    start([&](R r) { got = std::move(r); });
    CHECK_FALSE(got);
    CHECK(e->busy());
    CHECK(e->finish_pass());
    REQUIRE(got);
    CHECK_FALSE(e->busy());
    return std::move(*got);
}

UserRec user_rec(uint8_t seed) {
    UserRec u;
    u.public_key = Bytes(300, seed);
    u.salt.fill(uint8_t(seed + 2));
    u.verifier = crypto::sha256({Bytes(32, seed), u.salt});
    u.created_at_ms = 1000 + seed;
    u.key_version = 1;
    return u;
}

uint8_t reg(Env& e, const std::string& name, uint8_t seed) {
    return finish<Outcome>(e, [&](Done<Outcome> d) { e->register_user(name, user_rec(seed), std::nullopt, d); }).status;
}

template <class T> T read_now(std::function<void(Done<T>)> start) {
    std::optional<T> got;
    start([&](T v) { got = std::move(v); });
    REQUIRE(got);  // the LMDB backend completes reads inside the call
    return std::move(*got);
}

std::optional<UserRec> get_user(Env& e, const std::string& name) {
    return read_now<std::optional<UserRec>>([&](auto d) { e->get_user(name, d); });
}

Page page(Env& e, const std::string& who) {
    return read_now<Page>([&](auto d) { e->mailbox_page(who, 1000, SIZE_MAX, d); });
}

Mail direct(const std::string& from, const std::string& to, size_t len = 100) {
    Mail m;
    m.sender = from;
    m.at_ms = 1700000000000ull;
    m.parts.push_back(Part{to, Bytes(len, 0xAB), Bytes(80, 0x5A)});
    return m;
}

Changed deliver(Env& e, Mail m) {
    return finish<Changed>(e, [&](Done<Changed> d) { e->deliver(std::move(m), d); });
}

Changed change(Env& e, MemberChange::Kind k, const std::string& group, const std::string& actor,
               const std::string& subject, std::function<bool()> admit = {}) {
    MemberChange c;
    c.kind = k;
    c.group = group;
    c.actor = actor;
    c.subject = subject;
    c.at_ms = 5;
    c.max_members = 3;
    c.admit = std::move(admit);
    return finish<Changed>(e, [&](Done<Changed> d) { e->change_members(std::move(c), d); });
}

constexpr auto Add = MemberChange::Kind::Add;
constexpr auto Remove = MemberChange::Kind::Remove;

// Every mailbox's length: a membership change must leave them all as they
// were (tacit-protocol(7), GROUPS: the record is stored once per group).
std::vector<size_t> mailbox_sizes(Env& e, const std::vector<std::string>& who) {
    std::vector<size_t> out;
    for (const auto& u : who) out.push_back(page(e, u).messages.size());
    return out;
}

}  // namespace

TEST_CASE("store ops: register completes after the pass commit, once per name", "[store][ops]") {
    Env e;
    CHECK(reg(e, "alice", 1) == proto::OK);
    CHECK(reg(e, "alice", 2) == proto::USER_EXISTS);
    e.open();  // what completed OK is in the environment
    auto u = get_user(e, "alice");
    REQUIRE(u);
    CHECK(*u == user_rec(1));
    CHECK_FALSE(get_user(e, "bob"));
    CHECK_FALSE(e->busy());
}

TEST_CASE("store ops: writes of one pass complete in order, after one commit", "[store][ops]") {
    Env e;
    std::vector<std::string> order;
    e->register_user("a", user_rec(1), std::nullopt,
                     [&](Outcome r) { order.push_back("a:" + std::to_string(r.status)); });
    // A read in the same pass sees the write before it is durable.
    CHECK(get_user(e, "a"));
    e->register_user("a", user_rec(2), std::nullopt,
                     [&](Outcome r) { order.push_back("a:" + std::to_string(r.status)); });
    e->register_user("b", user_rec(3), std::nullopt, [&](Outcome r) {
        order.push_back("b:" + std::to_string(r.status));
        // A callback may start more; it completes at the next pass.
        e->register_user("c", user_rec(4), std::nullopt,
                         [&](Outcome r2) { order.push_back("c:" + std::to_string(r2.status)); });
    });
    CHECK(order.empty());
    CHECK(e->finish_pass());
    CHECK(order == std::vector<std::string>{"a:0", "a:" + std::to_string(proto::USER_EXISTS), "b:0"});
    CHECK(e->busy());
    CHECK(e->finish_pass());
    CHECK(order.size() == 4);
    CHECK(order.back() == "c:0");
}

TEST_CASE("store ops: replace_key checks the version and ends the user's sessions", "[store][ops]") {
    Env e;
    REQUIRE(reg(e, "alice", 1) == proto::OK);
    REQUIRE(reg(e, "bob", 2) == proto::OK);
    SessionHash a1{}, a2{}, b1{};
    a1.fill(1);
    a2.fill(2);
    b1.fill(3);
    for (auto& s : std::vector<StoredSession>{{a1, {"alice", 1, 99}}, {a2, {"alice", 1, 99}}, {b1, {"bob", 1, 99}}})
        REQUIRE(finish<Outcome>(e, [&](Done<Outcome> d) { e->put_session(s.first, s.second, d); }).status == proto::OK);
    auto run = [&](uint32_t version, Bytes pass, Bytes pub) {
        KeyChange c{"alice", version, std::move(pass), std::move(pub)};
        return finish<KeyReplaced>(e, [&](Done<KeyReplaced> d) { e->replace_key(std::move(c), d); });
    };
    SECTION("a stale key version changes nothing") {
        auto r = run(7, Bytes(32, 9), Bytes(300, 9));
        CHECK(r.status == proto::AUTH_FAILED);
        CHECK(*get_user(e, "alice") == user_rec(1));
        CHECK(read_now<std::vector<StoredSession>>([&](auto d) { e->list_sessions(d); }).size() == 3);
    }
    SECTION("same pass, new key") {
        auto r = run(1, Bytes(32, 1), Bytes(300, 9));
        CHECK(r.status == proto::OK);
        CHECK_FALSE(r.pw_changed);
        CHECK(r.key_changed);
        CHECK(r.ended.size() == 2);
        auto u = get_user(e, "alice");
        CHECK(u->key_version == 2);
        CHECK(u->public_key == Bytes(300, 9));
        CHECK(u->verifier == user_rec(1).verifier);
        e.open();
        auto left = read_now<std::vector<StoredSession>>([&](auto d) { e->list_sessions(d); });
        REQUIRE(left.size() == 1);
        CHECK(left[0].first == b1);
        CHECK_FALSE(read_now<std::optional<SessionRec>>([&](auto d) { e->find_session(a1, d); }));
        // The old version is stale now.
        CHECK(run(1, Bytes(32, 1), Bytes(300, 9)).status == proto::AUTH_FAILED);
    }
    SECTION("new pass, same key") {
        auto r = run(1, Bytes(32, 7), Bytes(300, 1));
        CHECK(r.status == proto::OK);
        CHECK(r.pw_changed);
        CHECK_FALSE(r.key_changed);
        auto u = get_user(e, "alice");
        CHECK(u->verifier == crypto::sha256({Bytes(32, 7), u->salt}));
    }
}

TEST_CASE("store ops: sessions put, find, end, list, and survive a reopen", "[store][ops]") {
    Env e;
    SessionHash h{}, g{};
    h.fill(0x11);
    g.fill(0x22);
    SessionRec r{"alice", 3, 123456};
    REQUIRE(finish<Outcome>(e, [&](Done<Outcome> d) { e->put_session(h, r, d); }).status == proto::OK);
    REQUIRE(finish<Outcome>(e, [&](Done<Outcome> d) { e->put_session(g, r, d); }).status == proto::OK);
    e.open();
    auto found = read_now<std::optional<SessionRec>>([&](auto d) { e->find_session(h, d); });
    REQUIRE(found);
    CHECK(*found == r);
    CHECK(finish<Outcome>(e, [&](Done<Outcome> d) { e->end_sessions({h, h}, d); }).status == proto::OK);
    CHECK(finish<Outcome>(e, [&](Done<Outcome> d) { e->end_sessions({h}, d); }).status == proto::OK);
    auto all = read_now<std::vector<StoredSession>>([&](auto d) { e->list_sessions(d); });
    REQUIRE(all.size() == 1);
    CHECK(all[0].first == g);
}

TEST_CASE("store ops: groups are created, changed and dissolved, telling the members", "[store][ops]") {
    Env e;
    for (auto [n, s] : {std::pair{"owner", 1}, {"ann", 2}, {"ben", 3}, {"cat", 4}})
        REQUIRE(reg(e, n, uint8_t(s)) == proto::OK);
    auto created = finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "owner", 5, std::nullopt, d); });
    REQUIRE(created.status == proto::OK);
    CHECK(created.told == std::vector<std::string>{"owner"});
    CHECK(created.deliveries.empty());
    CHECK(finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "ann", 5, std::nullopt, d); }).status ==
          proto::GROUP_EXISTS);

    CHECK(change(e, Add, "g", "ann", "ben").status == proto::NOT_OWNER);
    CHECK(change(e, Add, "g", "owner", "nobody").status == proto::NO_SUCH_USER);
    CHECK(change(e, Add, "nog", "owner", "ann").status == proto::NO_SUCH_GROUP);
    auto added = change(e, Add, "g", "owner", "ann");
    REQUIRE(added.status == proto::OK);
    CHECK(added.told == std::vector<std::string>{"ann", "owner"});
    CHECK(added.deliveries.empty());
    CHECK(change(e, Add, "g", "owner", "ann").status == proto::ALREADY_MEMBER);
    REQUIRE(change(e, Add, "g", "owner", "ben").status == proto::OK);
    CHECK(change(e, Add, "g", "owner", "cat").status == proto::TOO_LARGE);  // max_members 3

    auto view = read_now<GroupView>([&](auto d) { e->group_view("g", "ann", d); });
    CHECK(view.status == proto::OK);
    REQUIRE(view.others.size() == 2);
    CHECK(view.others[0].user == "ben");
    CHECK(view.others[0].public_key == Bytes(300, 3));
    CHECK(read_now<GroupView>([&](auto d) { e->group_view("g", "cat", d); }).status == proto::NOT_MEMBER);

    CHECK(change(e, Remove, "g", "owner", "owner").status == proto::BAD_REQUEST);  // others first
    CHECK(change(e, Remove, "g", "ann", "ben").status == proto::NOT_OWNER);
    auto left = change(e, Remove, "g", "ann", "ann");
    REQUIRE(left.status == proto::OK);
    CHECK(left.told == std::vector<std::string>{"ben", "owner", "ann"});  // the two left and ann herself
    CHECK_FALSE(left.dissolved);
    CHECK(change(e, Remove, "g", "owner", "ann").status == proto::NOT_MEMBER);
    REQUIRE(change(e, Remove, "g", "owner", "ben").status == proto::OK);
    auto gone = change(e, Remove, "g", "owner", "owner");
    REQUIRE(gone.status == proto::OK);
    CHECK(gone.dissolved);
    CHECK(change(e, Add, "g", "owner", "ann").status == proto::NO_SUCH_GROUP);
    CHECK(finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "owner", 5, std::nullopt, d); }).status ==
          proto::GROUP_EXISTS);  // a dissolved id stays taken

    // No mailbox entry for anyone: the members fetch the records.
    CHECK(mailbox_sizes(e, {"owner", "ann", "ben", "cat"}) == std::vector<size_t>{0, 0, 0, 0});
}

TEST_CASE("store ops: a membership change writes no mailbox entry per member", "[store][ops][groupcost]") {
    Env e;
    for (auto [n, s] : {std::pair{"owner", 1}, {"ann", 2}, {"ben", 3}}) REQUIRE(reg(e, n, uint8_t(s)) == proto::OK);
    const std::vector<std::string> all{"owner", "ann", "ben"};
    // Mail waiting first, so a change that appended would show.
    for (const auto& to : all) REQUIRE(deliver(e, direct("cat", to)).status == proto::OK);
    const auto before = mailbox_sizes(e, all);
    CHECK(before == std::vector<size_t>{1, 1, 1});
    REQUIRE(finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "owner", 5, std::nullopt, d); }).status ==
            proto::OK);
    REQUIRE(change(e, Add, "g", "owner", "ann").status == proto::OK);
    auto added = change(e, Add, "g", "owner", "ben");
    REQUIRE(added.status == proto::OK);
    CHECK(added.told.size() == 3);
    REQUIRE(change(e, Remove, "g", "owner", "ann").status == proto::OK);
    REQUIRE(change(e, Remove, "g", "ben", "ben").status == proto::OK);
    CHECK(mailbox_sizes(e, all) == before);
    e.open();  // nor after a reopen: nothing was written past the commit
    CHECK(mailbox_sizes(e, all) == before);
    // GROUP_LIST's view: the member's groups, not another's.
    auto owner_groups = read_now<GroupHeads>([&](auto d) { e->group_list("owner", d); });
    CHECK(owner_groups.groups.empty());  // no records (a store-only test): nothing to catch up on
    CHECK(read_now<GroupHeads>([&](auto d) { e->group_list("ann", d); }).groups.empty());
}

TEST_CASE("store ops: an add asks admit once, only when it would happen", "[store][ops]") {
    Env e;
    REQUIRE(reg(e, "owner", 1) == proto::OK);
    REQUIRE(reg(e, "ann", 2) == proto::OK);
    REQUIRE(finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "owner", 5, std::nullopt, d); }).status == proto::OK);
    int asked = 0;
    CHECK(change(e, Add, "g", "ann", "ann", [&] { return ++asked, true; }).status == proto::NOT_OWNER);
    CHECK(asked == 0);
    auto r = change(e, Add, "g", "owner", "ann", [&] { return ++asked, false; });
    CHECK(r.status == proto::RATE_LIMITED);
    CHECK(r.deliveries.empty());
    CHECK(asked == 1);
    CHECK(read_now<GroupView>([&](auto d) { e->group_view("g", "ann", d); }).status == proto::NOT_MEMBER);
    CHECK(change(e, Add, "g", "owner", "ann", [&] { return ++asked, true; }).status == proto::OK);
    CHECK(asked == 2);
}

TEST_CASE("store ops: deliveries are all or nothing under the caps", "[store][ops]") {
    Env e;
    e.o.mailbox_cap = 2;
    e.open();
    for (auto [n, s] : {std::pair{"owner", 1}, {"ann", 2}, {"ben", 3}, {"out", 4}})
        REQUIRE(reg(e, n, uint8_t(s)) == proto::OK);

    SECTION("direct") {
        CHECK(deliver(e, direct("ann", "nobody")).status == proto::NO_SUCH_USER);
        auto r = deliver(e, direct("ann", "ben"));
        REQUIRE(r.status == proto::OK);
        REQUIRE(r.deliveries.size() == 1);
        CHECK(r.deliveries[0].count == 1);
        REQUIRE(deliver(e, direct("ann", "ben")).status == proto::OK);
        auto full = deliver(e, direct("ann", "ben"));
        CHECK(full.status == proto::STORAGE_FULL);
        CHECK(full.why.find("mailbox of ben is full") != std::string::npos);
        CHECK(full.deliveries.empty());
        auto p = page(e, "ben");
        REQUIRE(p.messages.size() == 2);
        CHECK(p.messages[0].sender == "ann");
        CHECK(p.messages[0].enc_msg == Bytes(100, 0xAB));
    }
    SECTION("group") {
        REQUIRE(finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "owner", 5, std::nullopt, d); }).status ==
                proto::OK);
        e.o.mailbox_cap = 100;
        e.open();
        REQUIRE(change(e, Add, "g", "owner", "ann").status == proto::OK);
        REQUIRE(change(e, Add, "g", "owner", "ben").status == proto::OK);
        Mail m;
        m.sender = "owner";
        m.group = "g";
        m.parts = {Part{"ann", Bytes(10, 1), Bytes(80, 2)}, Part{"out", Bytes(10, 1), Bytes(80, 2)}};
        auto r = deliver(e, m);
        CHECK(r.status == proto::NOT_MEMBER);
        CHECK(r.why == "out is not a member of g");
        CHECK(r.deliveries.empty());
        m.parts[1].target = "ben";
        const auto ann_before = page(e, "ann").messages.size();
        m.sender = "out";
        CHECK(deliver(e, m).status == proto::NOT_MEMBER);
        m.sender = "owner";
        r = deliver(e, m);
        REQUIRE(r.status == proto::OK);
        CHECK(r.deliveries.size() == 2);
        CHECK(page(e, "ann").messages.size() == ann_before + 1);
        CHECK(page(e, "ann").messages.back().group == "g");
        m.group = "nog";
        CHECK(deliver(e, m).status == proto::NO_SUCH_GROUP);
    }
}

TEST_CASE("store ops: a page, then ack twice: the second deletes nothing", "[store][ops]") {
    Env e;
    REQUIRE(reg(e, "ann", 1) == proto::OK);
    for (int i = 0; i < 3; ++i) REQUIRE(deliver(e, direct("bob", "ann")).status == proto::OK);
    auto p = read_now<Page>([&](auto d) { e->mailbox_page("ann", 2, SIZE_MAX, d); });
    REQUIRE(p.messages.size() == 2);
    CHECK(p.more);
    std::vector<uint64_t> ids{p.messages[0].id, p.messages[1].id};
    auto ack = [&] { return finish<Acked>(e, [&](Done<Acked> d) { e->ack("ann", ids, d); }); };
    auto a = ack();
    CHECK(a.status == proto::OK);
    CHECK(a.deleted == 2);
    a = ack();
    CHECK(a.status == proto::OK);
    CHECK(a.deleted == 0);
    auto rest = page(e, "ann");
    REQUIRE(rest.messages.size() == 1);
    CHECK_FALSE(rest.more);
    CHECK(finish<Acked>(e, [&](Done<Acked> d) { e->ack("ann", {}, d); }).deleted == 0);
}

TEST_CASE("store ops: at the ceiling, what completed OK is kept and the rest reported", "[store][ops]") {
    Env e;
    e.o.initial_map = 256 << 10;
    e.o.max_map = 512 << 10;
    e.open();
    REQUIRE(reg(e, "ann", 1) == proto::OK);
    // Several writes per pass until the map is full; every one that
    // completed OK must be there after a reopen, none of the others.
    size_t ok = 0, full = 0;
    for (int pass = 0; pass < 200 && full == 0; ++pass) {
        std::vector<uint8_t> st(8, 0xFF);
        for (size_t i = 0; i < st.size(); ++i)
            e->deliver(direct("bob", "ann", 4000), [&st, i](Changed r) { st[i] = r.status; });
        e->finish_pass();
        for (auto s : st) {
            REQUIRE((s == proto::OK || s == proto::STORAGE_FULL));
            (s == proto::OK ? ok : full) += 1;
        }
    }
    CHECK(full > 0);
    CHECK(ok > 10);
    e.open();
    CHECK(page(e, "ann").messages.size() == ok);
}

TEST_CASE("store ops: a page is bounded by count and bytes, at least one message", "[store][ops]") {
    Env e;
    REQUIRE(reg(e, "ann", 1) == proto::OK);
    for (int i = 0; i < 5; ++i) REQUIRE(deliver(e, direct("bob", "ann", 1000)).status == proto::OK);
    const size_t item = stored_wire_size(page(e, "ann").messages.at(0));
    auto sized = [&](size_t n, size_t bytes) {
        return read_now<Page>([&](auto d) { e->mailbox_page("ann", n, bytes, d); });
    };
    auto p = sized(2, SIZE_MAX);
    CHECK(p.messages.size() == 2);
    CHECK(p.more);
    p = sized(100, 3 * item);
    CHECK(p.messages.size() == 3);
    CHECK(p.more);
    p = sized(100, 3 * item - 1);
    CHECK(p.messages.size() == 2);
    p = sized(100, 10);
    CHECK(p.messages.size() == 1);
    p = sized(100, 5 * item);
    CHECK(p.messages.size() == 5);
    CHECK_FALSE(p.more);
    p = read_now<Page>([&](auto d) { e->mailbox_page("nobody", 100, SIZE_MAX, d); });
    CHECK(p.messages.empty());
    CHECK_FALSE(p.more);
}

TEST_CASE("store ops: a quota's refusal names it, and a refused change leaves nothing", "[store][ops]") {
    Env e;
    e.o.sender_mailbox_bytes = 2500;
    e.o.sender_bytes = 4000;
    e.open();
    for (auto [n, s] : {std::pair{"owner", 1}, {"ann", 2}, {"ben", 3}}) REQUIRE(reg(e, n, uint8_t(s)) == proto::OK);
    REQUIRE(deliver(e, direct("bob", "ann", 1000)).status == proto::OK);
    REQUIRE(deliver(e, direct("bob", "ann", 1000)).status == proto::OK);
    auto r = deliver(e, direct("bob", "ann", 1000));
    CHECK(r.status == proto::STORAGE_FULL);
    CHECK(r.why.find("waiting for ann") != std::string::npos);
    REQUIRE(deliver(e, direct("bob", "ben", 1000)).status == proto::OK);
    r = deliver(e, direct("bob", "owner", 1000));
    CHECK(r.status == proto::STORAGE_FULL);
    CHECK(r.why.find("for all users together") != std::string::npos);
    CHECK(page(e, "owner").messages.empty());

    // A membership change writes no mail, so an actor past its
    // --sender-quota still changes its groups (the rate limit bounds churn).
    for (auto to : {"ann", "ben", "owner"}) REQUIRE(deliver(e, direct("owner", to, 1200)).status == proto::OK);
    auto c = finish<Changed>(e, [&](Done<Changed> d) { e->create_group("g", "owner", 5, std::nullopt, d); });
    CHECK(c.status == proto::OK);
    CHECK(read_now<GroupView>([&](auto d) { e->group_view("g", "owner", d); }).status == proto::OK);
}

TEST_CASE("store ops: the reserve refuses mail, and acks still fit at the ceiling", "[store][ops]") {
    Env e;
    e.o.initial_map = 256 << 10;
    e.o.max_map = 2 << 20;
    e.o.reserve = 512 << 10;
    e.o.sync = true;
    e.open();
    REQUIRE(reg(e, "ann", 1) == proto::OK);
    size_t stored = 0;
    Changed last;
    for (int i = 0; i < 200; ++i) {
        last = deliver(e, direct("bob", "ann", 60000));
        if (last.status != proto::OK) break;
        ++stored;
    }
    CHECK(last.status == proto::STORAGE_FULL);
    CHECK(last.why == limit_sentence(Limit::Reserve, Quotas{}, "ann"));
    CHECK(stored >= 15);  // 2 MiB less the 512 KiB reserve, ~61 KiB each
    auto all = page(e, "ann").messages;
    REQUIRE(all.size() == stored);
    for (auto& m : all) {
        auto a = finish<Acked>(e, [&](Done<Acked> d) { e->ack("ann", {m.id}, d); });
        CHECK(a.status == proto::OK);
        CHECK(a.deleted == 1);
    }
    CHECK(page(e, "ann").messages.empty());
    // Freed pages count as room again.
    CHECK(deliver(e, direct("bob", "ann", 60000)).status == proto::OK);
}
