// Signed group membership (issue 14) against a real tacitd: the server
// checks each change's record (signature, head, published key; STALE_EPOCH
// for a record made on an older head), and a server that lies about the
// members (here: its LMDB store edited while it is stopped) can neither
// get a message to a ghost nor pass a forged record to a client.
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/group_record.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/client_steps.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_dm.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

using Names = std::vector<std::string>;
const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000", "--group-change-rate",
                                         "1000"};

// The compromised server: edits its stopped store with LMDB itself.
class RawStore {
public:
    explicit RawStore(const std::string& dir) {
        REQUIRE(mdb_env_create(&env_) == MDB_SUCCESS);
        REQUIRE(mdb_env_set_maxdbs(env_, 16) == MDB_SUCCESS);
        REQUIRE(mdb_env_open(env_, dir.c_str(), 0, 0600) == MDB_SUCCESS);
        REQUIRE(mdb_txn_begin(env_, nullptr, 0, &txn_) == MDB_SUCCESS);
    }
    ~RawStore() {
        if (txn_) mdb_txn_abort(txn_);
        mdb_env_close(env_);
    }
    MDB_dbi db(const char* name, unsigned flags = 0) {
        MDB_dbi d = 0;
        REQUIRE(mdb_dbi_open(txn_, name, flags, &d) == MDB_SUCCESS);
        return d;
    }
    void put(MDB_dbi d, std::string k, std::string v) {
        MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
        REQUIRE(mdb_put(txn_, d, &kv, &vv, 0) == MDB_SUCCESS);
    }
    void del(MDB_dbi d, std::string k, std::string v) {
        MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
        REQUIRE(mdb_del(txn_, d, &kv, &vv) == MDB_SUCCESS);
    }
    // What a compromised server does to its membership tables: `ghost`
    // listed as a member of g, `dropped` no longer.
    void swap_member(const std::string& g, const std::string& ghost, const std::string& dropped) {
        auto members = db("members", MDB_DUPSORT), member_of = db("member_of", MDB_DUPSORT);
        put(members, g, ghost);
        put(member_of, ghost, g);
        del(members, g, dropped);
        del(member_of, dropped, g);
    }
    // Flips one byte of the record at `epoch` of group g.
    void damage_record(const std::string& g, uint64_t epoch, size_t from_end) {
        MDB_dbi d = db("group_records");
        std::string k = g + std::string(1, '\0');
        for (int i = 7; i >= 0; --i) k.push_back(char((epoch >> (8 * i)) & 0xFF));
        MDB_val kv{k.size(), k.data()}, vv;
        REQUIRE(mdb_get(txn_, d, &kv, &vv) == MDB_SUCCESS);
        std::string v(static_cast<const char*>(vv.mv_data), vv.mv_size);
        v[v.size() - from_end] ^= 1;
        MDB_val nv{v.size(), v.data()};
        REQUIRE(mdb_put(txn_, d, &kv, &nv, 0) == MDB_SUCCESS);
    }
    void commit() {
        REQUIRE(mdb_txn_commit(txn_) == MDB_SUCCESS);
        txn_ = nullptr;
    }

private:
    MDB_env* env_ = nullptr;
    MDB_txn* txn_ = nullptr;
};

std::vector<std::string> warnings(const TestClient& c, const std::string& g) {
    std::vector<std::string> v;
    for (auto& w : events_of<client::ev::GroupWarning>(c))
        if (w.group == g) v.push_back(w.text);
    return v;
}

bool has_body(const TestClient& c, const std::string& body) {
    for (auto& m : c.messages())
        if (m.body == body) return true;
    return false;
}

template <class Req, class Reply> Reply raw_change(RawClient& r, Req q) {
    q.token = r.token;
    q.nonce = crypto::random_array<16>();
    auto f = r.call(msg::encode_body(q), &r.id->sign);
    REQUIRE(frame_type(f) == Reply::type);
    return msg::decode<Reply>(f.pt).m;
}

group::Record record(group::Kind k, const std::string& g, const std::string& actor, const std::string& subject,
                     uint64_t epoch, const group::Hash& prev, Bytes bundle) {
    group::Record r;
    r.kind = k;
    r.group = g;
    r.actor = actor;
    r.subject = subject;
    r.epoch = epoch;
    r.prev = prev;
    r.bundle = std::move(bundle);
    return r;
}

}  // namespace

TEST_CASE("the server takes only records that verify and extend the head; a late one is STALE_EPOCH",
          "[integration][groups][group_chain]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_shared(s, b, {"bob", "carol"});
    const auto alice = load_identity(s, a, "alice", "pw");
    const auto bob = load_identity(s, b, "bob", "pw");
    const auto carol = load_identity(s, b, "carol", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice).status == proto::OK);
    using K = group::Kind;

    // A create signed by another key is refused; the right one is taken.
    msg::GroupCreate gc;
    gc.group = "raw";
    auto create = record(K::Create, "raw", "alice", "alice", 0, {}, alice.bundle().encode());
    gc.record = group::sign_record(create, bob.sign).encode();
    auto cr = raw_change<msg::GroupCreate, msg::GroupCreateR>(ra, gc);
    CHECK(cr.status == proto::BAD_REQUEST);
    CHECK(cr.msg.find("signature") != std::string::npos);
    create = group::sign_record(create, alice.sign);
    gc.record = create.encode();
    REQUIRE(raw_change<msg::GroupCreate, msg::GroupCreateR>(ra, gc).status == proto::OK);

    // An add naming another key than bob's published one; a forged add.
    msg::GroupAdd ga;
    ga.group = "raw";
    ga.user = "bob";
    // (register_shared gives bob and carol one key; alice's is another.)
    ga.record = group::sign_record(record(K::Add, "raw", "alice", "bob", 1, create.hash(), alice.bundle().encode()),
                                   alice.sign)
                    .encode();
    auto ar = raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga);
    CHECK(ar.status == proto::BAD_REQUEST);
    CHECK(ar.msg.find("another key") != std::string::npos);
    auto add_bob = record(K::Add, "raw", "alice", "bob", 1, create.hash(), bob.bundle().encode());
    ga.record = group::sign_record(add_bob, bob.sign).encode();
    CHECK(raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga).status == proto::BAD_REQUEST);
    // A record about another change than the request's.
    ga.user = "carol";
    ga.record = group::sign_record(add_bob, alice.sign).encode();
    CHECK(raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga).status == proto::BAD_REQUEST);
    // A record that skips an epoch.
    ga.user = "bob";
    ga.record = group::sign_record(record(K::Add, "raw", "alice", "bob", 2, create.hash(), bob.bundle().encode()),
                                   alice.sign)
                    .encode();
    CHECK(raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga).status == proto::BAD_REQUEST);

    // Two adds made on the same head, as from two owner terminals: the
    // first is taken, the second is STALE_EPOCH; made anew, it is taken.
    add_bob = group::sign_record(add_bob, alice.sign);
    ga.record = add_bob.encode();
    REQUIRE(raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga).status == proto::OK);
    ga.user = "carol";
    ga.record = group::sign_record(record(K::Add, "raw", "alice", "carol", 1, create.hash(), carol.bundle().encode()),
                                   alice.sign)
                    .encode();
    auto stale = raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga);
    CHECK(stale.status == proto::STALE_EPOCH);
    CHECK(stale.msg.find("fetch") != std::string::npos);
    ga.record = group::sign_record(record(K::Add, "raw", "alice", "carol", 2, add_bob.hash(), carol.bundle().encode()),
                                   alice.sign)
                    .encode();
    CHECK(raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga).status == proto::OK);

    // GROUP_FETCH gives the three records back, byte for byte.
    msg::GroupFetch gf;
    gf.group = "raw";
    gf.from = 0;
    auto fr = raw_change<msg::GroupFetch, msg::GroupFetchR>(ra, gf);
    REQUIRE(fr.status == proto::OK);
    CHECK(fr.head == 2);
    REQUIRE(fr.records.size() == 3);
    CHECK(fr.records[0] == create.encode());
    CHECK(fr.records[1] == add_bob.encode());
    gf.from = 4;
    CHECK(raw_change<msg::GroupFetch, msg::GroupFetchR>(ra, gf).status == proto::BAD_REQUEST);

    // The client core on top: members come from the verified chain.
    Names m;
    login_as(b, "bob");
    ok(b->group_members("raw", &m));
    CHECK(m == (Names{"alice", "bob", "carol"}));
}

TEST_CASE("a server that edits its store gets no message to a ghost, and a forged record is refused",
          "[integration][groups][group_chain]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob"), e(s, "eve");
    register_login(a, "alice");
    register_shared(s, b, {"bob", "carol"});
    register_login(e, "eve");
    login_as(b, "bob");
    ok(a->group_create("ops"));
    ok(a->group_add("ops", "bob"));
    ok(a->group_add("ops", "carol"));
    ok(a->group_send("ops", "before"));
    REQUIRE(b.wait_until([&] { return has_body(b, "before"); }));
    ok(a->group_create("sig"));
    ok(a->group_add("sig", "bob"));
    REQUIRE(e->logout().ok);

    s.stop();
    {
        RawStore st(s.data_dir());
        st.swap_member("ops", "eve", "carol");
        // bob's add record in "sig": one byte of alice's signature flipped.
        st.damage_record("sig", 1, 10);
        st.commit();
    }
    s.start();
    for (auto* c : {&a, &b}) c->pump_once(300);  // they see the old connection close
    login_as(a, "alice");
    login_as(b, "bob");

    // The server now lists eve and not carol: alice's client sends to bob
    // only, and names both differences.
    auto r = a->group_send("ops", "after the edit");
    ok(r);
    CHECK(r.msg.find("sent to 1 member") != std::string::npos);
    a.pump_once(50);  // events reach c.events when the client is pumped
    auto w = warnings(a, "ops");
    bool ghost = false, omitted = false;
    for (auto& t : w) {
        ghost = ghost || (t.find("eve") != std::string::npos && t.find("do not") != std::string::npos);
        omitted = omitted || (t.find("carol") != std::string::npos && t.find("leaves out") != std::string::npos);
    }
    CHECK(ghost);
    CHECK(omitted);
    Names m;
    ok(a->group_members("ops", &m));
    CHECK(m == (Names{"alice", "bob", "carol"}));
    REQUIRE(b.wait_until([&] { return has_body(b, "after the edit"); }));
    login_as(e, "eve");
    ok(e->update());
    e.pump_once(300);
    CHECK_FALSE(has_body(e, "after the edit"));
    CHECK_FALSE(has_body(e, "before"));
    // What the ghost sends reaches bob through the edited store, but its
    // stamp names a chain eve is not in: bob shows it as unverified.
    ok(e->group_send("ops", "from the ghost"));
    REQUIRE(b.wait_until([&] { return has_body(b, "from the ghost"); }));
    for (auto& got : b.messages())
        if (got.body == "from the ghost") {
            INFO(got.problem);
            CHECK_FALSE(got.verified);
            CHECK(got.problem.find("eve was not a member of ops") != std::string::npos);
        }

    // bob has never fetched "sig": its chain from the server now holds a
    // record whose signature fails, and bob sends nothing.
    auto f = b->group_send("sig", "to a forged chain");
    CHECK_FALSE(f.ok);
    CHECK(f.msg.find("refused the chain of sig") != std::string::npos);
}

namespace {

// A group message from `from` to `to`, sealed as a client would but with
// the stamp the test chooses, sent over raw frames.
uint8_t send_stamped(RawClient& r, const std::string& to, const Bytes& to_bundle, const std::string& g,
                     const std::string& body, const msg::GroupStamp& stamp) {
    auto b = UserBundle::decode(to_bundle);
    REQUIRE(b);
    RawDm dm(r, to, *b);
    msg::GroupMsg2Batch m;
    m.nonce = crypto::random_array<16>();
    m.group = g;
    m.parts.push_back(msg::Part{to, dm.seal_group(g, stamp, body, crypto::random_array<16>()), {}});
    auto f = r.call(msg::encode_body(m), &r.id->sign);
    REQUIRE(frame_type(f) == msg::GroupMsg2BatchR::type);
    return msg::decode<msg::GroupMsg2BatchR>(f.pt).m.status;
}

std::vector<group::Record> fetched(RawClient& r, const std::string& g) {
    msg::GroupFetch gf;
    gf.group = g;
    gf.from = 0;
    auto fr = raw_change<msg::GroupFetch, msg::GroupFetchR>(r, gf);
    REQUIRE(fr.status == proto::OK);
    std::vector<group::Record> v;
    for (auto& b : fr.records) v.push_back(*group::Record::decode(b));
    return v;
}

std::optional<client::ChatMessage> message_with(const TestClient& c, const std::string& body) {
    for (auto& m : c.messages())
        if (m.body == body) return m;
    return std::nullopt;
}

}  // namespace

TEST_CASE("a group message's stamp: a recipient behind fetches first; a stamp from outside the chain is unverified",
          "[integration][groups][group_chain][group_stamp]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob"), c(s, "carol");
    register_login(a, "alice");
    register_login(b, "bob");
    register_login(c, "carol");
    ok(a->group_create("ops"));
    ok(a->group_add("ops", "bob"));
    Names m;
    ok(b->group_members("ops", &m));  // bob's chain: epoch 1
    ok(a->group_add("ops", "carol"));  // epoch 2, which bob has not seen

    // carol joined at epoch 2: bob fetches that record before judging.
    ok(c->group_send("ops", "hello from carol"));
    REQUIRE(b.wait_until([&] { return message_with(b, "hello from carol").has_value(); }));
    {
        auto got = message_with(b, "hello from carol");
        INFO(got->problem);
        CHECK(got->verified);
    }

    // The same carol, signing genuinely, but stamped with epoch 1 (before
    // she was added), then with a head the chain never had.
    const auto carol = load_identity(s, c, "carol", "pw");
    RawClient rc(s);
    REQUIRE(rc.login("carol", "pw", carol).status == proto::OK);
    const auto recs = fetched(rc, "ops");
    REQUIRE(recs.size() == 3);
    auto bob_key = rc.key_of("bob");
    REQUIRE(bob_key);
    REQUIRE(send_stamped(rc, "bob", *bob_key, "ops", "before my time", {1, recs[1].hash()}) == proto::OK);
    group::Hash other = recs[2].hash();
    other[0] ^= 1;
    REQUIRE(send_stamped(rc, "bob", *bob_key, "ops", "another chain", {2, other}) == proto::OK);
    REQUIRE(send_stamped(rc, "bob", *bob_key, "ops", "from the future", {7, recs[2].hash()}) == proto::OK);
    REQUIRE(send_stamped(rc, "bob", *bob_key, "ops", "in step", {2, recs[2].hash()}) == proto::OK);
    REQUIRE(b.wait_until([&] { return message_with(b, "in step").has_value(); }));
    auto judged = [&](const std::string& body, const std::string& why) {
        auto got = message_with(b, body);
        REQUIRE(got);
        INFO(body << ": " << got->problem);
        CHECK_FALSE(got->verified);
        CHECK(got->problem.find(why) != std::string::npos);
    };
    judged("before my time", "carol was not a member of ops at epoch 1");
    judged("another chain", "another head at epoch 2");
    judged("from the future", "epoch 7 of ops, past the signed records");
    CHECK(message_with(b, "in step")->verified);
}

TEST_CASE("batch mode: an unverified group message, signed and unsigned membership lines, and group_warning",
          "[integration][groups][group_chain][group_stamp][batch]") {
    using nlohmann::json;
    TestServer s(kLoose);
    TestClient a(s, "alice"), c(s, "carol"), e(s, "eve");
    register_login(a, "alice");
    register_login(c, "carol");
    register_login(e, "eve");
    REQUIRE(e->logout().ok);
    const std::string home = make_temp_dir("batch-groups");
    auto lines = [](const std::vector<std::string>& out) {
        std::vector<json> v;
        for (auto& l : out) v.push_back(json::parse(l));
        return v;
    };
    auto find = [](const std::vector<json>& js, const std::string& key, const std::string& value) {
        for (auto& j : js)
            if (j.value(key, "") == value) return j;
        return json();
    };
    REQUIRE(find(lines(run_batch(s, home, "register bob pw\nquit\n")), "cmd", "register")["ok"] == true);
    ok(a->group_create("ops"));
    ok(a->group_add("ops", "bob"));
    ok(a->group_add("ops", "carol"));
    // carol, a member now, stamps a message with epoch 1, before her add.
    const auto carol = load_identity(s, c, "carol", "pw");
    RawClient rc(s);
    REQUIRE(rc.login("carol", "pw", carol).status == proto::OK);
    const auto recs = fetched(rc, "ops");
    auto bob_key = rc.key_of("bob");
    REQUIRE(bob_key);
    REQUIRE(send_stamped(rc, "bob", *bob_key, "ops", "before my time", {1, recs[1].hash()}) == proto::OK);
    REQUIRE(c->logout().ok);

    // The server now lists eve and leaves carol out.
    s.stop();
    {
        RawStore st(s.data_dir());
        st.swap_member("ops", "eve", "carol");
        st.commit();
    }
    s.start();
    a.pump_once(300);
    login_as(a, "alice");

    auto out = lines(run_batch(s, home, "login bob pw\nupdate\ngroup-send ops hello\nquit\n"));
    std::string all;
    for (auto& j : out) all += j.dump() + "\n";
    INFO(all);
    // The stamp names an epoch at which carol was not a member.
    auto m = find(out, "body", "before my time");
    REQUIRE(m.is_object());
    CHECK(m["event"] == "message");
    CHECK(m["verified"] == false);
    CHECK(m["problem"].get<std::string>().find("carol was not a member of ops at epoch 1") != std::string::npos);
    // bob joined: his own add, and carol's after it, each from alice's record.
    auto added = find(out, "text", "added alice bob");
    REQUIRE(added.is_object());
    CHECK(added["event"] == "group");
    CHECK(added["verified"] == true);
    CHECK(added["signed_by"] == "alice");
    CHECK(find(out, "text", "added alice carol")["signed_by"] == "alice");
    // The edited member list: a warning naming both, and nothing sent to them.
    auto w = find(out, "event", "group_warning");
    REQUIRE(w.is_object());
    CHECK(w["group"] == "ops");
    bool ghost = false, omitted = false;
    for (auto& j : out)
        if (j.value("event", "") == "group_warning") {
            const auto t = j["msg"].get<std::string>();
            ghost = ghost || t.find("eve") != std::string::npos;
            omitted = omitted || t.find("carol") != std::string::npos;
        }
    CHECK(ghost);
    CHECK(omitted);
    CHECK(find(out, "cmd", "group-send")["msg"].get<std::string>().find("sent to 1 member") != std::string::npos);

    // Removed while offline, bob learns it at login from alice's signed
    // remove record: GROUP_LIST no longer lists ops, and GROUP_FETCH gives
    // him the records up to his removal.
    ok(a->group_remove("ops", "bob"));
    auto gone = lines(run_batch(s, home, "login bob pw\nupdate\nquit\n"));
    auto removed = find(gone, "text", "removed alice bob");
    INFO(removed.dump());
    REQUIRE(removed.is_object());
    CHECK(removed["verified"] == true);
    CHECK(removed["signed_by"] == "alice");
    CHECK_FALSE(removed.contains("problem"));
    remove_tree(home);
}

TEST_CASE("/rekey records the new key in each group, signed by the old and the new; members take it from the chain",
          "[integration][groups][group_chain][rekeyed]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");
    ok(a->group_create("ops"));
    ok(a->group_add("ops", "bob"));
    Names m;
    ok(b->group_members("ops", &m));  // bob's chain, with alice's first key pinned
    std::string before;
    ok(b->contact_fingerprint("alice", &before));

    auto r = a->rekey();
    ok(r);
    CHECK(r.msg.find("not recorded") == std::string::npos);
    const std::string after = a->own_fingerprint();
    REQUIRE(after != before);

    // The server holds the rekeyed record as the head (epoch 2).
    const auto alice = load_identity(s, a, "alice", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice).status == proto::OK);
    auto recs = fetched(ra, "ops");
    REQUIRE(recs.size() == 3);
    CHECK(recs[2].kind == group::Kind::Rekeyed);
    CHECK(recs[2].bundle == alice.bundle().encode());
    // A rekeyed record whose first signature is not by the key the chain
    // names for alice, or that names another old key, is refused.
    const auto bob = load_identity(s, b, "bob", "pw");
    msg::GroupAdd ga;
    ga.group = "ops";
    ga.user = "alice";
    auto forged = recs[2];
    forged.epoch = 3;
    forged.prev = recs[2].hash();
    forged.old_key = group::key_hash(recs[2].bundle);
    auto by_bob = group::sign_record(forged, bob.sign, &alice.sign);
    ga.record = by_bob.encode();
    auto fr = raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga);
    CHECK(fr.status == proto::BAD_REQUEST);
    CHECK(fr.msg.find("does not verify under the old key of alice") != std::string::npos);
    forged.old_key = group::key_hash(bob.bundle().encode());
    ga.record = group::sign_record(forged, alice.sign, &alice.sign).encode();
    fr = raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga);
    CHECK(fr.status == proto::BAD_REQUEST);
    CHECK(fr.msg.find("another old key") != std::string::npos);
    // bob may not make one about alice.
    ga.user = "bob";
    CHECK(raw_change<msg::GroupAdd, msg::GroupAddR>(ra, ga).status == proto::BAD_REQUEST);

    // alice's message under her new key: bob fetches the record its stamp
    // names, pins the new key from it, and sees no key change to accept.
    ok(a->group_send("ops", "with my new key"));
    REQUIRE(b.wait_until([&] { return message_with(b, "with my new key").has_value(); }));
    auto got = message_with(b, "with my new key");
    INFO(got->problem);
    CHECK(got->verified);
    std::string now;
    ok(b->contact_fingerprint("alice", &now));
    CHECK(now == after);
    CHECK(events_of<client::ev::KeyChanged>(b).empty());
    // And bob's own group message still reaches alice, under her new key.
    ok(b->group_send("ops", "got it"));
    REQUIRE(a.wait_until([&] { return message_with(a, "got it").has_value(); }));
    CHECK(message_with(a, "got it")->verified);
}
