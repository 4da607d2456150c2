// X3DH (shared/x3dh.hpp): known answers from fixed keys (the values are
// recomputed independently by tests/crypto/crosscheck.py), both sides
// agreeing, the signed prekey refused when anything in it is changed, and
// the bundle and header parsers refusing malformed input.
#include <catch2/catch.hpp>

#include "shared/ratchet.hpp"
#include "shared/x3dh.hpp"
#include "tests/crypto/fixed_keys.hpp"

using namespace tacit;
using namespace tacit::x3dh;
using test::fixed_key;

namespace {

struct User {
    std::string name;
    crypto::PkKey sign;
    crypto::X25519Key box;
    UserBundle bundle;
    Party party() const { return {name, bundle}; }
};

// RSA keygen is slow: two users for the whole file.
const User& user(bool alice) {
    static const auto make = [](std::string name) {
        User u{name, crypto::PkKey::generate_rsa3072(), fixed_key(name + " identity"), {}};
        u.bundle = UserBundle{u.sign.public_der(), u.box.pub};
        return u;
    };
    static const User a = make("alice"), b = make("bob");
    return alice ? a : b;
}
const User& alice() { return user(true); }
const User& bob() { return user(false); }

const crypto::X25519Key& spk() {
    static const auto k = fixed_key("bob spk");
    return k;
}
const crypto::X25519Key& opk() {
    static const auto k = fixed_key("bob opk");
    return k;
}

PrekeyBundle bob_bundle(bool with_opk) {
    PrekeyBundle b;
    b.spk = sign_prekey(bob().sign, bob().name, 7, 1764633600, spk().pub);
    if (with_opk) b.opk = OneTimePrekey{42, opk().pub};
    return b;
}

std::string hex(ByteView b) { return to_hex(b); }

// Two sessions alice starts to the same bundle without a one-time prekey.
std::pair<Initiated, Initiated> two_initiations() {
    auto b = bob_bundle(false);
    auto one = initiate(alice().box, alice().party(), bob().party(), b);
    auto two = initiate(alice().box, alice().party(), bob().party(), b);
    REQUIRE(one);
    REQUIRE(two);
    return {std::move(*one), std::move(*two)};
}

}  // namespace

TEST_CASE("X3DH known answers, with and without a one-time prekey", "[x3dh]") {
    // From tests/crypto/crosscheck.py's independent computation.
    struct Case {
        bool with_opk;
        const char* ek;
        const char* sk;
    } cases[] = {
        {true, "alice ek 1", "1cc9a228bdcf803d200906ad9440e97b12fa935369f95592d35642b637328160"},
        {false, "alice ek 2", "31a9948bf08f5b0477d920b540a9ede1b189b122d679ecf00194e499a3a1b6b9"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.with_opk);
        auto init = initiate_with(alice().box, alice().party(), bob().party(), bob_bundle(c.with_opk),
                                  fixed_key(c.ek));
        REQUIRE(init);
        CHECK(hex(init->sk) == c.sk);
        CHECK(init->header.ik == alice().box.pub);
        CHECK(init->header.spk_id == 7);
        CHECK(init->header.opk_id == (c.with_opk ? std::optional<uint32_t>(42) : std::nullopt));
        CHECK(init->spk_pub == spk().pub);
        auto resp = respond(bob().box, bob().party(), alice().party(), init->header, spk(),
                            c.with_opk ? &opk() : nullptr);
        REQUIRE(resp);
        CHECK(hex(resp->sk) == c.sk);
        CHECK(resp->ad == init->ad);
        CHECK(init->ad == associated_data(alice().party(), bob().party()));
    }
}

TEST_CASE("X3DH: fresh ephemeral keys give fresh secrets; AD binds both identities", "[x3dh]") {
    auto [one, two] = two_initiations();
    CHECK(one.header.ek != two.header.ek);
    CHECK(!ct_equal(one.sk, two.sk));
    // Swapping the roles, or another RSA key under the same box key, changes AD.
    CHECK(associated_data(bob().party(), alice().party()) != one.ad);
    UserBundle other_rsa{alice().bundle.rsa_der, bob().box.pub};
    CHECK(associated_data(alice().party(), Party{"bob", other_rsa}) != one.ad);
    CHECK(associated_data(alice().party(), Party{"bobby", bob().bundle}) != one.ad);
}

TEST_CASE("X3DH: a tampered signed prekey is refused", "[x3dh]") {
    auto good = bob_bundle(true);
    REQUIRE(verify_prekey(good.spk, bob().sign, "bob"));
    REQUIRE(initiate(alice().box, alice().party(), bob().party(), good));
    SECTION("another user name") { CHECK(!verify_prekey(good.spk, bob().sign, "alice")); }
    SECTION("signed by someone else") {
        CHECK(!verify_prekey(good.spk, alice().sign, "bob"));
        // alice's RSA key pinned for bob: initiate refuses the same bundle.
        UserBundle wrong{alice().bundle.rsa_der, bob().box.pub};
        CHECK(!initiate(alice().box, alice().party(), Party{"bob", wrong}, good));
    }
    auto refused = [&](const PrekeyBundle& t) {
        CHECK(!verify_prekey(t.spk, bob().sign, "bob"));
        CHECK(!initiate(alice().box, alice().party(), bob().party(), t));
    };
    auto tampered = good;
    SECTION("id") {
        tampered.spk.id ^= 1;
        refused(tampered);
    }
    SECTION("creation time") {
        tampered.spk.created += 1;
        refused(tampered);
    }
    SECTION("public key") {
        tampered.spk.pub = fixed_key("mallory spk").pub;
        refused(tampered);
    }
    SECTION("signature") {
        tampered.spk.sig[100] ^= 0x01;
        refused(tampered);
    }
    SECTION("a byte of the encoded bundle") {
        Bytes enc = good.encode();
        enc[1 + 4 + 7] ^= 0x01;  // the last byte of spk_created
        auto d = PrekeyBundle::decode(enc);
        REQUIRE(d);
        refused(*d);
    }
}

TEST_CASE("X3DH: the responder refuses a header it cannot match", "[x3dh]") {
    auto init = initiate(alice().box, alice().party(), bob().party(), bob_bundle(true));
    REQUIRE(init);
    // An identity key other than the initiator's pinned one.
    auto h = init->header;
    h.ik = fixed_key("mallory identity").pub;
    CHECK(!respond(bob().box, bob().party(), alice().party(), h, spk(), &opk()));
    // One-time prekey named but not supplied, and the reverse.
    CHECK(!respond(bob().box, bob().party(), alice().party(), init->header, spk(), nullptr));
    auto no_opk = init->header;
    no_opk.opk_id.reset();
    CHECK(!respond(bob().box, bob().party(), alice().party(), no_opk, spk(), &opk()));
    // The wrong one-time prekey gives another secret (the first message then fails).
    auto wrong = fixed_key("bob opk 2");
    auto r = respond(bob().box, bob().party(), alice().party(), init->header, spk(), &wrong);
    REQUIRE(r);
    CHECK(!ct_equal(r->sk, init->sk));
}

TEST_CASE("X3DH: a repeated first message has the same first-message id", "[x3dh]") {
    auto [one, two] = two_initiations();
    auto replay = InitHeader::decode(one.header.encode());
    REQUIRE(replay);
    CHECK(first_message_id(*replay) == first_message_id(one.header));
    CHECK(first_message_id(two.header) != first_message_id(one.header));
    // The id covers the identity key too.
    auto other = one.header;
    other.ik = fixed_key("carol identity").pub;
    CHECK(first_message_id(other) != first_message_id(one.header));
}

TEST_CASE("X3DH: prekey bundle encoding round-trips and refuses malformed bytes", "[x3dh]") {
    for (bool with_opk : {true, false}) {
        Bytes enc = bob_bundle(with_opk).encode();
        CHECK(enc.size() == 1 + 4 + 8 + 32 + 2 + 384 + (with_opk ? 1 + 4 + 32 : 1));
        auto d = PrekeyBundle::decode(enc);
        REQUIRE(d);
        CHECK(d->encode() == enc);
        CHECK(d->opk.has_value() == with_opk);
        for (size_t n = 0; n < enc.size(); ++n)
            CHECK_FALSE(PrekeyBundle::decode(ByteView(enc).first(n)));
        Bytes longer = enc;
        longer.push_back(0);
        CHECK_FALSE(PrekeyBundle::decode(longer));
        Bytes tag = enc;
        tag[0] = 4;
        CHECK_FALSE(PrekeyBundle::decode(tag));
    }
    Bytes enc = bob_bundle(false).encode();
    Bytes presence = enc;
    presence.back() = 2;
    CHECK_FALSE(PrekeyBundle::decode(presence));
    // A signature of another length, and a small-order signed prekey.
    auto b = bob_bundle(false);
    b.spk.sig.resize(383);
    CHECK_FALSE(PrekeyBundle::decode(b.encode()));
    b = bob_bundle(false);
    b.spk.pub = Array<32>{};
    CHECK_FALSE(PrekeyBundle::decode(b.encode()));
    b = bob_bundle(true);
    b.opk->pub = Array<32>{};
    b.opk->pub[0] = 1;  // u = 1: small order
    CHECK_FALSE(PrekeyBundle::decode(b.encode()));
}

TEST_CASE("X3DH: initial-message header encoding round-trips and refuses malformed bytes", "[x3dh]") {
    InitHeader h{alice().box.pub, fixed_key("alice ek 1").pub, 7, 42};
    Bytes enc = h.encode();
    CHECK(enc.size() == 1 + 32 + 32 + 4 + 1 + 4);
    auto d = InitHeader::decode(enc);
    REQUIRE(d);
    CHECK(d->encode() == enc);
    for (size_t n = 0; n < enc.size(); ++n) CHECK_FALSE(InitHeader::decode(ByteView(enc).first(n)));
    Bytes longer = enc;
    longer.push_back(0);
    CHECK_FALSE(InitHeader::decode(longer));
    h.opk_id.reset();
    CHECK(InitHeader::decode(h.encode())->encode() == h.encode());
    h.ek = Array<32>{};
    CHECK_FALSE(InitHeader::decode(h.encode()));
}

TEST_CASE("X3DH starts a Double Ratchet both sides can use", "[x3dh]") {
    auto init = initiate(alice().box, alice().party(), bob().party(), bob_bundle(true));
    REQUIRE(init);
    auto header = InitHeader::decode(init->header.encode());
    REQUIRE(header);
    auto resp = respond(bob().box, bob().party(), alice().party(), *header, spk(), &opk());
    REQUIRE(resp);
    auto a = ratchet::Session::initiator(init->sk, init->ad, init->spk_pub);
    auto b = ratchet::Session::responder(resp->sk, resp->ad, spk());
    auto m = a.encrypt(as_bytes("first"));
    REQUIRE(m);
    auto r = b.decrypt(*m, 1764633600);
    REQUIRE(r.status == ratchet::DecryptStatus::Ok);
    CHECK(as_chars(r.plaintext) == "first");
    // Without the one-time prekey bob derives another SK: nothing opens.
    auto no_opk = *header;
    no_opk.opk_id.reset();
    auto wrong = respond(bob().box, bob().party(), alice().party(), no_opk, spk(), nullptr);
    REQUIRE(wrong);
    auto c = ratchet::Session::responder(wrong->sk, wrong->ad, spk());
    CHECK(c.decrypt(*m, 1764633600).status == ratchet::DecryptStatus::AuthFailed);
}
