// The reply signer's pool (tacitd(8), --threads; issue 19): replies signed
// on worker threads still leave each connection in request order, each
// signed over the sequence number it is sealed at, and a connection that
// goes while its signatures are in the pool harms nothing.
#include <catch2/catch.hpp>

#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/protocol.hpp"
#include "shared/x3dh.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/prekey_frames.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

std::vector<std::string> flags() {
    return {"--threads",  "4",      "--login-rate", "100000", "--register-rate", "100000", "--handshake-rate",
            "100000/100000/100000"};
}

std::unique_ptr<FrameConn> logged_in(const TestServer& s, const std::string& user, Token& tok, bool fresh) {
    auto c = std::make_unique<FrameConn>(s);
    c->hello();
    if (fresh) REQUIRE(c->register_user(user, "pw", pooled_identity(0)) == proto::OK);
    auto t = c->login(user, "pw", pooled_identity(0));
    REQUIRE(t);
    tok = *t;
    return c;
}

// ONLINE (signed request, signed reply) with a PING (unsigned reply) after
// every third: n frames in one write.
struct Burst {
    Bytes bytes;
    std::vector<Nonce> nonces;
    std::vector<bool> is_ping;
};

Burst burst(FrameConn& c, const Token& tok, int n) {
    Burst b;
    for (int i = 0; i < n; ++i) {
        Bytes f;
        if (i % 4 == 3) {
            msg::Ping p{test_nonce()};
            b.nonces.push_back(p.nonce);
            f = c.seal(msg::encode_body(p));
        } else {
            msg::Online on;
            on.token = tok;
            on.nonce = test_nonce();
            b.nonces.push_back(on.nonce);
            f = c.seal(msg::encode_body(on), &pooled_identity(0).sign);
        }
        b.is_ping.push_back(i % 4 == 3);
        b.bytes.insert(b.bytes.end(), f.begin(), f.end());
    }
    return b;
}

}  // namespace

TEST_CASE("a pipelined burst of signed requests at --threads 4 is answered in order, each reply signed at its "
          "sequence number",
          "[integration][threads]") {
    TestServer s(flags());
    Token tok{};
    auto c = logged_in(s, "mallory", tok, true);
    auto b = burst(*c, tok, 64);  // four passes' worth (kMaxFramesPerPass)
    REQUIRE(c->write(b.bytes));
    uint64_t last_seq = 0;
    bool first = true;
    int signed_ok = 0;
    for (size_t i = 0; i < b.nonces.size(); ++i) {
        auto f = c->reply(10000);
        REQUIRE(f);
        CHECK((first || f->seq > last_seq));
        first = false;
        last_seq = f->seq;
        if (b.is_ping[i]) {
            REQUIRE(int(f->type()) == int(msg::Pong::type));
            CHECK(msg::decode<msg::Pong>(f->pt).m.nonce == b.nonces[i]);
            continue;
        }
        REQUIRE(int(f->type()) == int(msg::OnlineR::type));
        auto r = msg::decode<msg::OnlineR>(f->pt);
        CHECK(r.m.nonce == b.nonces[i]);
        REQUIRE(r.sigs.size() == 1);
        if (c->server_sig_ok(*f, r.signed_len, r.sigs[0])) ++signed_ok;
    }
    CHECK(signed_ok == 48);
    CHECK(log_shows(s, "threads=4", 1000));
}

TEST_CASE("connections that close with signatures in the pool leave tacitd serving everyone else",
          "[integration][threads]") {
    TestServer s(flags());
    Token tok{};
    auto keeper = logged_in(s, "mallory", tok, true);
    for (int round = 0; round < 3; ++round) {
        std::vector<std::unique_ptr<FrameConn>> goners;
        for (int i = 0; i < 4; ++i) {
            Token t{};
            auto g = logged_in(s, "mallory", t, false);
            REQUIRE(g->write(burst(*g, t, 48).bytes));
            goners.push_back(std::move(g));
        }
        // HELLOs whose ECIES is still being opened in the pool.
        for (int i = 0; i < 4; ++i) {
            auto h = std::make_unique<FrameConn>(s);
            auto co = make_offer("hello", h->server().box_pub, KeyOffer::fresh());
            REQUIRE(h->write(frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::Hello), co.ecies))));
            goners.push_back(std::move(h));
        }
        // Closed at once, their replies mostly still being signed.
        for (auto& g : goners) g->close_socket();
        auto on = burst(*keeper, tok, 3);
        REQUIRE(keeper->write(on.bytes));
        for (size_t i = 0; i < on.nonces.size(); ++i) {
            auto f = keeper->reply(10000);
            REQUIRE(f);
            CHECK(int(f->type()) == int(msg::OnlineR::type));
        }
    }
    // A resume and a fresh login still go through the pool's handshakes.
    FrameConn again(s);
    CHECK(again.resume(tok));
    Token t2{};
    auto late = logged_in(s, "mallory", t2, false);
    CHECK(late->call(msg::encode_body(msg::Ping{test_nonce()})).type == msg::Pong::type);
    CHECK(s.running());
    CHECK(process_alive(s.pid()));
}

TEST_CASE("signatures verified in the pool: a bad one among good ones in a pipelined burst is refused in its "
          "place, and nothing behind it overtakes",
          "[integration][threads]") {
    TestServer s(flags());
    Token tok{};
    auto c = logged_in(s, "mallory", tok, true);
    // ONLINE, ONLINE signed by another key, ONLINE, PING, ... in one write.
    Bytes all;
    std::vector<Nonce> nonces;
    for (int i = 0; i < 24; ++i) {
        Bytes f;
        if (i % 4 == 3) {
            msg::Ping p{test_nonce()};
            nonces.push_back(p.nonce);
            f = c->seal(msg::encode_body(p));
        } else {
            msg::Online on;
            on.token = tok;
            on.nonce = test_nonce();
            nonces.push_back(on.nonce);
            f = c->seal(msg::encode_body(on), &pooled_identity(i % 4 == 1 ? 1 : 0).sign);
        }
        all.insert(all.end(), f.begin(), f.end());
    }
    REQUIRE(c->write(all));
    for (size_t i = 0; i < nonces.size(); ++i) {
        auto f = c->reply(10000);
        REQUIRE(f);
        if (i % 4 == 3) {
            REQUIRE(int(f->type()) == int(msg::Pong::type));
            CHECK(msg::decode<msg::Pong>(f->pt).m.nonce == nonces[i]);
        } else if (i % 4 == 1) {
            REQUIRE(int(f->type()) == int(msg::Error::type));
            auto e = msg::decode_error(f->pt);
            CHECK(e.m.nonce == nonces[i]);
            CHECK(int(e.m.status) == int(proto::AUTH_FAILED));
        } else {
            REQUIRE(int(f->type()) == int(msg::OnlineR::type));
            CHECK(msg::decode<msg::OnlineR>(f->pt).m.nonce == nonces[i]);
        }
    }
    // Still serving on the same connection.
    CHECK(c->call(msg::encode_body(msg::Ping{test_nonce()})).type == msg::Pong::type);
}

namespace {

Bytes renew3_frame(FrameConn& c, const Token& tok, const UserIdentity& next, const crypto::PkKey& new_signer,
                   Nonce& n) {
    msg::Renew3 r;
    r.token = tok;
    auto keys = derive_password("pw2", test_salt("mallory"));
    r.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    r.public_key = next.bundle().encode();
    r.nonce = n = test_nonce();
    return c.seal(msg::encode_body(r), &pooled_identity(0).sign, &new_signer);
}

}  // namespace

TEST_CASE("RENEW3's new-key signature and a signed prekey, checked in the pool, keep replies and effects in order",
          "[integration][threads]") {
    TestServer s(flags());
    Token tok{};
    auto c = logged_in(s, "mallory", tok, true);
    const auto& key = pooled_identity(0).sign;

    // A forged prekey, a PING, a good upload and a fetch of it, in one
    // write: the fetch is handled only after the upload, whose signature
    // the pool checks meanwhile, so it finds the prekey.
    Bytes all;
    auto forged = prekey_upload_of(tok, pooled_identity(1).sign, "mallory", 1, 1);
    auto good = prekey_upload_of(tok, key, "mallory", 1, 1);
    msg::Ping ping{test_nonce()};
    for (Bytes f : {c->seal(msg::encode_body(forged), &key), c->seal(msg::encode_body(ping)),
                    c->seal(msg::encode_body(good), &key),
                    c->seal(msg::encode_body(msg::PrekeyFetch{tok, "mallory", test_nonce()}), &key)})
        all.insert(all.end(), f.begin(), f.end());
    REQUIRE(c->write(all));
    auto f1 = c->reply(10000);
    REQUIRE(f1);
    REQUIRE(int(f1->type()) == int(msg::PrekeyUploadR::type));
    CHECK(msg::decode<msg::PrekeyUploadR>(f1->pt).m.nonce == forged.nonce);
    CHECK(int(msg::decode<msg::PrekeyUploadR>(f1->pt).m.status) == int(proto::BAD_REQUEST));
    auto f2 = c->reply(10000);
    REQUIRE(f2);
    REQUIRE(int(f2->type()) == int(msg::Pong::type));
    auto f3 = c->reply(10000);
    REQUIRE(f3);
    REQUIRE(int(f3->type()) == int(msg::PrekeyUploadR::type));
    CHECK(int(msg::decode<msg::PrekeyUploadR>(f3->pt).m.status) == int(proto::OK));
    auto f4 = c->reply(10000);
    REQUIRE(f4);
    REQUIRE(int(f4->type()) == int(msg::PrekeyFetchR::type));
    auto fetched = msg::decode<msg::PrekeyFetchR>(f4->pt);
    CHECK(int(fetched.m.status) == int(proto::OK));
    CHECK(c->server_sig_ok(*f4, fetched.signed_len, fetched.sigs[0]));

    // RENEW3 whose second signature is not the new key's, then a PING: the
    // refusal comes first, and the session goes on.
    Nonce n{};
    Bytes bad = renew3_frame(*c, tok, pooled_identity(2), pooled_identity(1).sign, n);
    Bytes p = c->seal(msg::encode_body(msg::Ping{test_nonce()}));
    bad.insert(bad.end(), p.begin(), p.end());
    REQUIRE(c->write(bad));
    auto r1 = c->reply(10000);
    REQUIRE(r1);
    REQUIRE(int(r1->type()) == int(msg::Renew3R::type));
    auto refused = msg::decode<msg::Renew3R>(r1->pt);
    CHECK(refused.m.nonce == n);
    CHECK(int(refused.m.status) == int(proto::AUTH_FAILED));
    CHECK(refused.m.msg == "new key signature does not verify");
    CHECK(c->server_sig_ok(*r1, refused.signed_len, refused.sigs[0]));
    auto r2 = c->reply(10000);
    REQUIRE(r2);
    CHECK(int(r2->type()) == int(msg::Pong::type));

    // Signed by the new key: the key is replaced and the session ends.
    REQUIRE(c->write(renew3_frame(*c, tok, pooled_identity(2), pooled_identity(2).sign, n)));
    auto r3 = c->reply(10000);
    REQUIRE(r3);
    REQUIRE(int(r3->type()) == int(msg::Renew3R::type));
    auto ok = msg::decode<msg::Renew3R>(r3->pt);
    CHECK(ok.m.nonce == n);
    CHECK(int(ok.m.status) == int(proto::OK));
    CHECK(ok.m.msg == "key and password replaced; log in again");
    CHECK(c->closed_within(5000));
    // The new key and password, exactly as sent, log in; the old key does not.
    FrameConn after(s);
    after.hello();
    CHECK_FALSE(after.login("mallory", "pw2", pooled_identity(0)));
    CHECK(after.login("mallory", "pw2", pooled_identity(2)));
}

namespace {

Bytes register_frame(FrameConn& c, const std::string& user, const UserIdentity& id, const crypto::PkKey& signer) {
    auto keys = derive_password("pw", test_salt(user));
    msg::Register m;
    m.user = user;
    m.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    m.public_key = id.bundle().encode();
    m.nonce = test_nonce();
    m.prekeys = test_prekeys(id.sign, user);
    return c.seal(msg::encode_body(m), &signer);
}

Bytes login1_frame(FrameConn& c, const std::string& user, const crypto::PkKey& signer) {
    msg::Login1 l1;
    l1.user = user;
    l1.nonce1 = test_nonce();
    return c.seal(msg::encode_body(l1), &signer);
}

Bytes login2_frame(FrameConn& c, ByteView proof, const crypto::PkKey& signer) {
    msg::Login2 l2;
    l2.proof.assign(proof.begin(), proof.end());
    return c.seal(msg::encode_body(l2), &signer);
}

// The frames in one write, so the server reads them in one pass.
bool write_all(FrameConn& c, std::initializer_list<Bytes> frames) {
    Bytes all;
    for (const auto& f : frames) all.insert(all.end(), f.begin(), f.end());
    return c.write(all);
}

Outcome next_outcome(FrameConn& c) {
    auto f = c.reply(10000);
    if (!f) {
        Outcome o;
        o.closed = c.closed();
        o.timeout = !o.closed;
        return o;
    }
    return outcome_of(*f);
}

}  // namespace

TEST_CASE("REGISTER, LOGIN1 and LOGIN2 verified in the pool: a frame pipelined behind one is handled after its "
          "outcome, and answered after it",
          "[integration][threads]") {
    const auto& id = pooled_identity(0);
    const auto& other = pooled_identity(1);
    for (const char* threads : {"0", "1", "4"}) {
        INFO("--threads " << threads);
        auto args = flags();
        args[1] = threads;
        TestServer s(args);
        FrameConn c(s);
        c.hello();
        REQUIRE(c.register_user("mallory", "pw", id) == proto::OK);

        // LOGIN1, then a LOGIN2 at once (its proof cannot be right yet):
        // the LOGIN2 finds the LOGIN1 done, so it fails as a wrong proof
        // does, not as "send LOGIN1 first".
        REQUIRE(write_all(c, {login1_frame(c, "mallory", id.sign), login2_frame(c, Bytes(32, 0), id.sign),
                              c.seal(msg::encode_body(msg::Ping{test_nonce()}))}));
        CHECK(int(next_outcome(c).type) == int(msg::Login1R::type));
        auto o2 = next_outcome(c);
        CHECK(int(o2.type) == int(msg::Login2R::type));
        CHECK(int(o2.status) == int(proto::AUTH_FAILED));
        CHECK(int(next_outcome(c).type) == int(msg::Pong::type));

        // A good LOGIN2 with a LOGIN1 behind it: the LOGIN1 comes to a
        // logged-in connection and is refused as such.
        REQUIRE(c.write(login1_frame(c, "mallory", id.sign)));
        auto r1 = c.reply(10000);
        REQUIRE(r1);
        REQUIRE(int(r1->type()) == int(msg::Login1R::type));
        auto d1 = msg::decode<msg::Login1R>(r1->pt);
        auto keys = derive_password("pw", account_salt("mallory"));
        auto proof = crypto::hmac_sha256(crypto::sha256({keys.auth, d1.m.salt}), d1.m.nonce2);
        // And a MSG2 too big for a connection before login: decoded only
        // once the LOGIN2 has logged in, it meets the logged-in limit.
        msg::Msg2 big;
        big.nonce2 = test_nonce();
        big.target = "mallory";
        big.enc_msg = Bytes(proto::kMaxFramePreLogin + 100, 0xE1);
        REQUIRE(write_all(c, {login2_frame(c, proof, id.sign), login1_frame(c, "mallory", id.sign),
                              c.seal(msg::encode_body(big), &id.sign)}));
        auto r2 = c.reply(10000);
        REQUIRE(r2);
        REQUIRE(int(r2->type()) == int(msg::Login2R::type));
        auto d2 = msg::decode<msg::Login2R>(r2->pt);
        CHECK(int(d2.m.status) == int(proto::OK));
        CHECK(c.server_sig_ok(*r2, d2.signed_len, d2.sigs[0]));
        auto o3 = next_outcome(c);
        CHECK(int(o3.type) == int(proto::ERROR));
        CHECK(int(o3.status) == int(proto::AUTH_FAILED));
        CHECK(o3.msg == "not allowed once logged in");
        auto o4 = next_outcome(c);
        INFO(describe(o4));
        CHECK(int(o4.type) == int(msg::Msg2R::type));
        CHECK(int(o4.status) == int(proto::OK));
        msg::Online on;
        on.token = d2.m.token;
        on.nonce = test_nonce();
        CHECK(int(c.call(msg::encode_body(on), &id.sign).type) == int(msg::OnlineR::type));

        // Eight REGISTERs whose signatures fail, then a good one, in one
        // write: each failure counts against the pre-login budget before
        // the next frame is handled, so the ninth closes the connection
        // and registers nothing.
        FrameConn b(s);
        b.hello();
        Bytes all;
        for (int i = 0; i < 8; ++i) {
            Bytes f = register_frame(b, "forged" + std::to_string(i), id, other.sign);
            all.insert(all.end(), f.begin(), f.end());
        }
        Bytes late = register_frame(b, "late", id, id.sign);
        all.insert(all.end(), late.begin(), late.end());
        REQUIRE(b.write(all));
        for (int i = 0; i < 8; ++i) {
            auto o = next_outcome(b);
            CHECK(int(o.type) == int(proto::ERROR));
            CHECK(int(o.status) == int(proto::AUTH_FAILED));
        }
        CHECK(b.closed_within(5000));
        FrameConn after(s);
        after.hello();
        CHECK(int(after.register_user("late", "pw", id)) == int(proto::OK));
        CHECK(log_shows(s, "pre-login budget spent: too many bad signatures", 2000));
    }
}
