// REGISTER carries the new account's first prekeys, stored in the same
// write as the account (tacit-protocol(7), REGISTER), against a real
// tacitd: a new account is reachable by X3DH before it ever logs in; a
// REGISTER whose prekeys are refused stores no account; the one-time
// prekeys are bounded; and the signed prekey's check counts against the
// pre-login budget like any signature.
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include "shared/protocol.hpp"
#include "shared/x3dh.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000",
                                         "--prekey-fetch-rate", "1000"};

// A REGISTER for user with id's bundle, signed by signer, carrying set.
// The pass is arbitrary: these accounts never log in.
Outcome register_with(FrameConn& c, const std::string& user, const UserIdentity& id, const crypto::PkKey& signer,
                      msg::PrekeySet set) {
    msg::Register m;
    m.user = user;
    m.pass = Bytes(proto::kPassLen, 7);
    m.public_key = id.bundle().encode();
    m.nonce = test_nonce();
    m.prekeys = std::move(set);
    return c.call(msg::encode_body(m), &signer);
}

msg::PrekeyFetchR fetch(FrameConn& c, const Token& token, const crypto::PkKey& key, const std::string& target) {
    REQUIRE(c.send(msg::encode_body(msg::PrekeyFetch{token, target, test_nonce()}), &key));
    auto f = c.reply(10000);
    REQUIRE(f);
    REQUIRE(f->type() == proto::reply_type(proto::PREKEY_FETCH));
    return msg::decode<msg::PrekeyFetchR>(f->pt).m;
}

// alice, registered and logged in on her own connection, to fetch with.
struct Fetcher {
    FrameConn c;
    Token token{};
    explicit Fetcher(const TestServer& s) : c(s) {
        c.hello();
        REQUIRE(c.register_user("alice", "pw", pooled_identity(0)) == proto::OK);
        auto t = c.login("alice", "pw", pooled_identity(0));
        REQUIRE(t);
        token = *t;
    }
    msg::PrekeyFetchR of(const std::string& target) { return fetch(c, token, pooled_identity(0).sign, target); }
};

// A server, bob's identity and another, and a connection to register on.
struct Registrar {
    TestServer s{kLoose};
    const UserIdentity& bob = pooled_identity(1);
    const UserIdentity& other = pooled_identity(2);
    FrameConn c{s};
    Registrar() { c.hello(); }
};

}  // namespace

TEST_CASE("register: the new account's prekeys are on the server at once", "[integration][prekeys][register]") {
    TestServer s(kLoose);
    const auto& bob = pooled_identity(1);
    FrameConn reg(s);
    reg.hello();
    auto r = register_with(reg, "bob", bob, bob.sign, test_prekeys(bob.sign, "bob", 1, 5));
    INFO(describe(r));
    REQUIRE(r.status == proto::OK);
    Fetcher a(s);
    // Five one-time prekeys, handed out lowest first, then the signed one alone.
    for (uint32_t id = 1; id <= 6; ++id) {
        auto f = a.of("bob");
        REQUIRE(f.status == proto::OK);
        auto b = x3dh::PrekeyBundle::decode(f.bundle);
        REQUIRE(b);
        CHECK(x3dh::verify_prekey(b->spk, *crypto::PkKey::parse_public_der(bob.bundle().rsa_der), "bob"));
        CHECK(b->spk.id == 7);
        if (id <= 5) {
            REQUIRE(b->opk);
            CHECK(b->opk->id == id);
        } else {
            CHECK_FALSE(b->opk);
        }
    }
    CHECK(log_count(s, "prekey_upload user=bob") == 0);
}

TEST_CASE("register: a client can write to an account that never logged in",
          "[integration][prekeys][register][client]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    auto r = b->register_user("bob", "pw");
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(r.msg == "registered bob");
    // bob has not logged in: X3DH runs on what REGISTER stored.
    auto sent = a->send("bob", "before your first login");
    INFO(sent.msg);
    REQUIRE(sent.ok);
    CHECK(log_count(s, "prekey_fetch user=alice target=bob status=OK") == 1);
    CHECK(log_count(s, "prekey_upload user=bob") == 0);
    auto l = b->login("bob", "pw");
    INFO(l.msg);
    REQUIRE(l.ok);
    REQUIRE(b.wait_until([&] {
        for (auto& m : b.messages())
            if (m.from == "alice" && m.body == "before your first login") return true;
        return false;
    }));
    // The first login only re-signs the signed prekey: the pool is the 20
    // registration brought, less alice's.
    CHECK(log_count(s, "prekey_upload user=bob status=OK pool=19") == 1);
}

TEST_CASE("register: refused prekeys store no account", "[integration][prekeys][register]") {
    Registrar t;
    auto& [s, bob, other, reg] = t;
    Fetcher a(s);
    SECTION("a signed prekey signed by another key") {
        auto r = register_with(reg, "bob", bob, bob.sign, test_prekeys(other.sign, "bob", 1, 3));
        CHECK(r.type == proto::ERROR);
        CHECK(r.status == proto::BAD_REQUEST);
        CHECK(r.msg == "signed prekey signature does not verify with the key inside");
    }
    SECTION("a signed prekey signed for another user") {
        auto r = register_with(reg, "bob", bob, bob.sign, test_prekeys(bob.sign, "carol", 1, 3));
        CHECK(r.status == proto::BAD_REQUEST);
    }
    SECTION("more than 100 one-time prekeys") {
        auto r = register_with(reg, "bob", bob, bob.sign,
                               test_prekeys(bob.sign, "bob", 1, proto::kMaxPrekeysPerUpload + 1));
        CHECK(r.type == proto::ERROR);
        CHECK(r.status == proto::TOO_LARGE);
    }
    SECTION("a one-time prekey of small order") {
        auto set = test_prekeys(bob.sign, "bob", 1, 3);
        set.opks[2].pub = Array<32>{};
        auto r = register_with(reg, "bob", bob, bob.sign, std::move(set));
        CHECK(r.status == proto::BAD_REQUEST);
    }
    // Nothing of the refused REGISTER exists: not the user, not its prekeys.
    CHECK(a.of("bob").status == proto::NO_SUCH_USER);
    CHECK(log_count(s, "register user=bob") == 0);
    // The name is still free, and 100 one-time prekeys are allowed.
    auto ok = register_with(reg, "bob", bob, bob.sign, test_prekeys(bob.sign, "bob", 1, proto::kMaxPrekeysPerUpload));
    REQUIRE(ok.status == proto::OK);
    auto f = a.of("bob");
    REQUIRE(f.status == proto::OK);
    auto b = x3dh::PrekeyBundle::decode(f.bundle);
    REQUIRE(b);
    CHECK(b->opk);
}

TEST_CASE("register: bad prekey signatures use up the pre-login budget", "[integration][prekeys][register][abuse]") {
    Registrar t;
    auto& [s, bob, other, c] = t;
    // Every REGISTER has one good signature and one bad: the request's own
    // with a forged signed prekey, or the other way round. Were a good
    // signature to restart the budget by itself, this would go on forever.
    for (int i = 0; i < 8; ++i) {
        const auto user = fmt::format("spam{}", i);
        auto r = i % 2 == 0 ? register_with(c, user, bob, bob.sign, test_prekeys(other.sign, user))
                            : register_with(c, user, bob, other.sign, test_prekeys(bob.sign, user));
        INFO(i << ": " << describe(r));
        REQUIRE(r.type == proto::ERROR);
        CHECK(r.status == (i % 2 == 0 ? proto::BAD_REQUEST : proto::AUTH_FAILED));
    }
    auto ninth = register_with(c, "spam8", bob, bob.sign, test_prekeys(bob.sign, "spam8"));
    CHECK(ninth.closed);
    CHECK(log_shows(s, "pre-login budget spent: too many bad signatures", 2000));
    CHECK(log_count(s, "register user=spam") == 0);
}
