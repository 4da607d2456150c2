// PREKEY_UPLOAD and PREKEY_FETCH against a real tacitd (tacit-protocol(7),
// PREKEYS): the signed prekey must verify under the uploader's key, each
// one-time prekey is handed out once (across a kill -9 too), the pool and
// each upload are bounded, a requester past --prekey-fetch-rate gets bundles
// without one, and the owner hears NOTIFY prekeys-low.
#include <catch2/catch.hpp>

#include <set>

#include "shared/protocol.hpp"
#include "shared/x3dh.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/prekey_frames.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

msg::PrekeyUploadR upload(FrameConn& c, const msg::PrekeyUpload& u, const crypto::PkKey& key) {
    REQUIRE(c.send(msg::encode_body(u), &key));
    auto f = c.reply(10000);
    REQUIRE(f);
    REQUIRE(f->type() == proto::reply_type(proto::PREKEY_UPLOAD));
    return msg::decode<msg::PrekeyUploadR>(f->pt).m;
}

msg::PrekeyFetchR fetch(FrameConn& c, const Token& token, const crypto::PkKey& key, const std::string& target) {
    REQUIRE(c.send(msg::encode_body(msg::PrekeyFetch{token, target, test_nonce()}), &key));
    auto f = c.reply(10000);
    REQUIRE(f);
    REQUIRE(f->type() == proto::reply_type(proto::PREKEY_FETCH));
    auto d = msg::decode<msg::PrekeyFetchR>(f->pt);
    REQUIRE(c.server_sig_ok(*f, d.signed_len, d.sigs[0]));
    return d.m;
}

// The bundle of an OK fetch, checked against the owner's key as a client would.
x3dh::PrekeyBundle bundle_of(const msg::PrekeyFetchR& r, const crypto::PkKey& owner, const std::string& user) {
    REQUIRE(r.status == proto::OK);
    auto b = x3dh::PrekeyBundle::decode(r.bundle);
    REQUIRE(b);
    REQUIRE(x3dh::verify_prekey(b->spk, owner, user));
    return *b;
}

struct Two {
    TestServer& s;
    FrameConn a{s}, b{s};
    Token ta{}, tb{};
    Two(TestServer& srv, bool reg) : s(srv) {
        a.hello(), b.hello();
        if (reg) {
            REQUIRE(a.register_user("alice", "pw", pooled_identity(0)) == proto::OK);
            REQUIRE(a.register_user("bob", "pw", pooled_identity(1)) == proto::OK);
            REQUIRE(a.register_user("carol", "pw", pooled_identity(2)) == proto::OK);
        }
        auto x = a.login("alice", "pw", pooled_identity(0));
        auto y = b.login("bob", "pw", pooled_identity(1));
        REQUIRE(x);
        REQUIRE(y);
        ta = *x, tb = *y;
    }
};

}  // namespace

TEST_CASE("prekeys: upload, fetch once each, NO_SUCH_USER, durable across kill -9",
          "[integration][prekeys]") {
    TestServer s({"--prekey-fetch-rate", "1000"});
    const auto& ka = pooled_identity(0).sign;
    const auto& kb = pooled_identity(1).sign;
    std::set<uint32_t> seen;
    {
        Two t(s, true);
        // REGISTER brought a signed prekey and no one-time prekeys.
        CHECK_FALSE(bundle_of(fetch(t.b, t.tb, kb, "alice"), ka, "alice").opk);
        CHECK(fetch(t.b, t.tb, kb, "nobody").status == proto::NO_SUCH_USER);
        // A signed prekey signed by someone else's key is refused, and
        // nothing of that upload is stored.
        auto forged = prekey_upload_of(t.ta, kb, "alice", 1, 3);
        CHECK(upload(t.a, forged, ka).status == proto::BAD_REQUEST);
        auto wrong_user = prekey_upload_of(t.ta, ka, "bob", 1, 3);
        CHECK(upload(t.a, wrong_user, ka).status == proto::BAD_REQUEST);
        CHECK_FALSE(bundle_of(fetch(t.b, t.tb, kb, "alice"), ka, "alice").opk);

        auto r = upload(t.a, prekey_upload_of(t.ta, ka, "alice", 1, 3), ka);
        REQUIRE(r.status == proto::OK);
        CHECK(r.pool == 3);
        auto b1 = bundle_of(fetch(t.b, t.tb, kb, "alice"), ka, "alice");
        REQUIRE(b1.opk);
        CHECK(b1.spk.id == 7);
        seen.insert(b1.opk->id);
    }
    // Each fetch's delete was durable before its reply went out.
    s.kill9();
    s.start();
    {
        Two t(s, false);
        for (int i = 0; i < 2; ++i) {
            auto b = bundle_of(fetch(t.b, t.tb, kb, "alice"), ka, "alice");
            REQUIRE(b.opk);
            CHECK(seen.insert(b.opk->id).second);
        }
        CHECK(seen == std::set<uint32_t>{1, 2, 3});
        // The pool is empty: the signed prekey alone (the last resort).
        auto last = bundle_of(fetch(t.b, t.tb, kb, "alice"), ka, "alice");
        CHECK_FALSE(last.opk);
        CHECK(last.spk.id == 7);
    }
}

TEST_CASE("prekeys: bounded uploads and pool", "[integration][prekeys]") {
    TestServer s;
    const auto& ka = pooled_identity(0).sign;
    Two t(s, true);
    auto big = prekey_upload_of(t.ta, ka, "alice", 1, proto::kMaxPrekeysPerUpload + 1);
    CHECK(upload(t.a, big, ka).status == proto::TOO_LARGE);
    REQUIRE(upload(t.a, prekey_upload_of(t.ta, ka, "alice", 1, 100), ka).pool == 100);
    // Ids already held are replaced, not counted twice.
    REQUIRE(upload(t.a, prekey_upload_of(t.ta, ka, "alice", 51, 100), ka).pool == 150);
    auto over = upload(t.a, prekey_upload_of(t.ta, ka, "alice", 1000, 51), ka);
    CHECK(over.status == proto::TOO_LARGE);
    CHECK(upload(t.a, prekey_upload_of(t.ta, ka, "alice", 1000, 50), ka).pool == proto::kMaxPrekeyPool);
    // A bad one-time key refuses the whole upload.
    auto bad = prekey_upload_of(t.ta, ka, "alice", 5000, 2);
    bad.prekeys.opks[1].pub = Array<32>{};
    CHECK(upload(t.a, bad, ka).status == proto::BAD_REQUEST);
}

TEST_CASE("prekeys: a requester cannot drain a pool; the owner hears prekeys-low", "[integration][prekeys]") {
    TestServer s({"--prekey-fetch-rate", "3"});
    const auto& ka = pooled_identity(0).sign;
    const auto& kb = pooled_identity(1).sign;
    const auto& kc = pooled_identity(2).sign;
    Two t(s, true);
    REQUIRE(upload(t.a, prekey_upload_of(t.ta, ka, "alice", 1, 12), ka).status == proto::OK);
    int with = 0, without = 0;
    for (int i = 0; i < 10; ++i) {
        auto b = bundle_of(fetch(t.b, t.tb, kb, "alice"), ka, "alice");
        (b.opk ? with : without) += 1;
    }
    CHECK(with == 3);
    CHECK(without == 7);
    // Another requester has its own allowance.
    FrameConn c(s);
    c.hello();
    auto tc = c.login("carol", "pw", pooled_identity(2));
    REQUIRE(tc);
    auto b = bundle_of(fetch(c, *tc, kc, "alice"), ka, "alice");
    CHECK(b.opk);
    // 12 - 4 = 8 left, under the low-water mark of 10: alice was told.
    bool low = false;
    for (int i = 0; i < 20 && !low; ++i) {
        auto f = t.a.recv(500);
        if (!f || f->type() != proto::NOTIFY) continue;
        auto n = msg::decode<msg::Notify>(f->pt).m;
        if (n.what == proto::NOTIFY_PREKEYS_LOW && n.count == 8) low = true;
    }
    CHECK(low);
}

TEST_CASE("prekeys: the client core publishes its prekeys at login and tops up on prekeys-low",
          "[integration][prekeys][client]") {
    TestServer s({"--prekey-fetch-rate", "1000"});
    TestClient a(s, "alice");
    register_login(a, "alice");
    // The first login finds no pool on the server and uploads a batch.
    REQUIRE(a.wait_until([&] { return log_count(s, "prekey_upload user=alice status=OK pool=20") > 0; }, 20000));
    const auto alice = load_identity(s, a, "alice", "pw");
    FrameConn b(s);
    b.hello();
    REQUIRE(b.register_user("bob", "pw", pooled_identity(1)) == proto::OK);
    auto tb = b.login("bob", "pw", pooled_identity(1));
    REQUIRE(tb);
    std::set<uint32_t> ids;
    // 11 fetches leave 9, under the low-water mark: alice is told and
    // uploads 20 more while the test keeps its client running.
    for (int i = 0; i < 11; ++i) {
        auto bundle = bundle_of(fetch(b, *tb, pooled_identity(1).sign, "alice"), alice.sign, "alice");
        REQUIRE(bundle.opk);
        CHECK(ids.insert(bundle.opk->id).second);
    }
    CHECK(a.wait_until([&] { return log_count(s, "prekey_upload user=alice status=OK pool=29") > 0; }, 20000));
    auto next = bundle_of(fetch(b, *tb, pooled_identity(1).sign, "alice"), alice.sign, "alice");
    REQUIRE(next.opk);
    CHECK(ids.insert(next.opk->id).second);
}

TEST_CASE("prekeys: after /rekey a new signed prekey, signed by the new key, and a new pool",
          "[integration][prekeys][client]") {
    TestServer s;
    TestClient a(s, "alice");
    register_login(a, "alice");
    // Registration brings the prekeys (no upload); login re-signs.
    REQUIRE(a.wait_until([&] { return log_count(s, "prekey_upload user=alice status=OK") == 1; }, 20000));
    REQUIRE(a->rekey().ok);
    // RENEW3 dropped the old prekeys: the signed prekey, then a new pool.
    REQUIRE(a.wait_until([&] { return log_count(s, "prekey_upload user=alice status=OK") == 3; }, 20000));
    CHECK(log_count(s, "prekey_upload user=alice status=OK pool=0") == 1);  // after RENEW3
    const auto alice = load_identity(s, a, "alice", "pw");
    FrameConn b(s);
    b.hello();
    REQUIRE(b.register_user("bob", "pw", pooled_identity(1)) == proto::OK);
    auto tb = b.login("bob", "pw", pooled_identity(1));
    REQUIRE(tb);
    auto bundle = bundle_of(fetch(b, *tb, pooled_identity(1).sign, "alice"), alice.sign, "alice");
    CHECK(bundle.spk.id == 2);
    REQUIRE(bundle.opk);
    CHECK(bundle.opk->id > 20);  // none of the pool published under the old key
}
