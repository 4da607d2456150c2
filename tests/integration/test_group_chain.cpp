// Signed group membership (issue 14) against a real tacitd: the server
// checks each change's record (signature, head, published key; STALE_EPOCH
// for a record made on an older head). The compromised-server test (store
// edited with LMDB to add a ghost) is not in yet.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shared/crypto.hpp"
#include "shared/group_record.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

using Names = std::vector<std::string>;
const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000", "--group-change-rate",
                                         "1000"};

void ok(const client::Result& r) {
    INFO(r.msg);
    REQUIRE(r.ok);
}

void login_as(TestClient& c, const std::string& user) {
    if (!c->connected()) ok(c->connect());
    ok(c->login(user, "pw"));
    for (auto& e : c->take_events()) c.events.push_back(std::move(e));
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
