// ECIES and the primitives under it: round trips and tamper rejection.
#include <catch2/catch.hpp>

#include "shared/crypto.hpp"

using namespace tacit;
using namespace tacit::crypto;

TEST_CASE("ECIES round trip and rejections", "[crypto][ecies]") {
    X25519Key alice = X25519Key::generate();
    X25519Key eve = X25519Key::generate();
    Bytes m = {'k', 'e', 'y', ' ', 'm', 'a', 't', 'e', 'r', 'i', 'a', 'l'};
    EciesSealed sealed = ecies_seal("wrap", alice.pub, m);
    REQUIRE(sealed.ct.size() == 32 + m.size() + 16);
    CHECK(Bytes(sealed.ct.begin(), sealed.ct.begin() + 32) ==
          Bytes(sealed.eph.pub.begin(), sealed.eph.pub.end()));

    auto opened = ecies_open("wrap", alice, sealed.ct);
    REQUIRE(opened);
    CHECK(Bytes(opened->view().begin(), opened->view().end()) == m);

    CHECK_FALSE(ecies_open("hello", alice, sealed.ct));
    CHECK_FALSE(ecies_open("wrap", eve, sealed.ct));
    CHECK_FALSE(ecies_open("wrap", alice, ByteView(sealed.ct).first(47)));
    CHECK_FALSE(ecies_open("wrap", alice, {}));

    int rejected = 0;
    for (size_t bit = 0; bit < sealed.ct.size() * 8; ++bit) {
        Bytes bad = sealed.ct;
        bad[bit / 8] ^= uint8_t(1u << (bit % 8));
        bool ok = ecies_open("wrap", alice, bad).has_value();
        CHECK_FALSE(ok);
        rejected += !ok;
    }
    CHECK(rejected == int(sealed.ct.size() * 8));

    // Two seals of the same message differ (fresh ephemeral key).
    CHECK(ecies_seal("wrap", alice.pub, m).ct != sealed.ct);
}

TEST_CASE("ECIES matches the tacit-protocol(7) construction", "[crypto][ecies]") {
    X25519Key r = X25519Key::generate();
    Bytes m(32 + 12 + 16, 0x5a);  // HELLO: session_key | session_iv | nonce
    EciesSealed sealed = ecies_seal("hello", r.pub, m);
    auto shared = x25519(sealed.eph.priv, r.pub);
    REQUIRE(shared);
    Secret k = hkdf_sha256(*shared, concat({sealed.eph.pub, r.pub}), as_bytes("tacit v2 hello"));
    Bytes body = gcm_seal(k, Array<12>{}, {}, m);
    CHECK(Bytes(sealed.ct.begin() + 32, sealed.ct.end()) == body);
    CHECK(sealed.ct.size() == 108);  // tacit-protocol(7), HELLO: 108 bytes
}

TEST_CASE("ECIES refuses a small-order recipient key", "[crypto][ecies]") {
    Bytes zero(32, 0), one(32, 0);
    one[0] = 1;
    CHECK_FALSE(x25519_pub_valid(zero));
    CHECK_FALSE(x25519_pub_valid(one));
    CHECK_FALSE(x25519_pub_valid(Bytes(31, 9)));
    CHECK(x25519_pub_valid(X25519Key::generate().pub));
    CHECK_THROWS_AS(ecies_seal("wrap", zero, Bytes{1}), CryptoError);
    X25519Key k = X25519Key::generate();
    CHECK_FALSE(x25519(k.priv, zero));
}

TEST_CASE("Gcm context is reusable and rejects tampering", "[crypto][gcm]") {
    Bytes key(32, 3);
    Gcm g(key);
    Array<12> iv{};
    Bytes aad = {0, 0, 0, 20};
    for (int seq = 0; seq < 3; ++seq) {
        iv[11] = uint8_t(seq);
        Bytes pt(20, uint8_t(seq));
        Bytes ct(pt.size() + 16);
        g.seal(iv, aad, pt, ct.data());
        CHECK(ct == gcm_seal(key, iv, aad, pt));
        Bytes out(pt.size());
        CHECK(g.open(iv, aad, ct, out.data()));
        CHECK(out == pt);
        Bytes bad_aad = aad;
        bad_aad[3] ^= 1;
        CHECK_FALSE(g.open(iv, bad_aad, ct, out.data()));
        ct[0] ^= 1;
        CHECK_FALSE(g.open(iv, aad, ct, out.data()));
        CHECK_FALSE(g.open(iv, aad, ByteView(ct).first(15), out.data()));
    }
    Gcm moved = std::move(g);
    Bytes ct(16);
    moved.seal(iv, {}, {}, ct.data());
    uint8_t dummy;
    CHECK(moved.open(iv, {}, ct, &dummy));
    CHECK_THROWS_AS(Gcm(Bytes(16, 0)), CryptoError);
}

TEST_CASE("hash helpers", "[crypto]") {
    CHECK(to_hex(sha256(as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256({as_bytes("a"), as_bytes("bc")}) == sha256(as_bytes("abc")));
    CHECK(sha256(ByteView{}) == sha256({}));
    // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64).
    Secret p = pbkdf2_sha256(as_bytes("passwd"), as_bytes("salt"), 1, 64);
    CHECK(to_hex(p) ==
          "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
          "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    Array<16> r1 = random_array<16>(), r2 = random_array<16>();
    CHECK(r1 != r2);
}
