// Signature keys: RFC 6979 known answers, PSS salt-length enforcement,
// DER round trips, and a hidden [.bench] timing case.
#include <catch2/catch.hpp>

#include <ctime>
#include <iostream>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "shared/crypto.hpp"

using namespace tacit;
using namespace tacit::crypto;

namespace {

// RSA-3072 generation takes seconds; the tests share one key.
const PkKey& rsa_key() {
    static PkKey k = PkKey::generate_rsa3072();
    return k;
}

Bytes unhex(std::string_view s) {
    auto b = from_hex(s);
    REQUIRE(b);
    return *b;
}

// DER of an ECDSA signature from the RFC's (r, s), both with the top bit set.
Bytes der_sig(std::string_view r, std::string_view s) {
    Bytes out{0x30, 0x46, 0x02, 0x21, 0x00};
    Bytes rb = unhex(r), sb = unhex(s);
    out.insert(out.end(), rb.begin(), rb.end());
    out.insert(out.end(), {0x02, 0x21, 0x00});
    out.insert(out.end(), sb.begin(), sb.end());
    return out;
}

}  // namespace

TEST_CASE("ECDSA P-256 is deterministic per RFC 6979 A.2.5", "[crypto][pk]") {
    auto key = PkKey::p256_from_scalar(
        unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"));
    REQUIRE(key);
    CHECK(key->type() == PkKey::Type::Ecdsa);
    CHECK(key->has_private());
    // The public point from the RFC, at the end of the SubjectPublicKeyInfo.
    Bytes pub = key->public_der();
    Bytes point = unhex(
        "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
        "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
    REQUIRE(pub.size() > point.size());
    CHECK(Bytes(pub.end() - point.size(), pub.end()) == point);

    Bytes sample = key->sign(as_bytes("sample"));
    CHECK(to_hex(sample) ==
          to_hex(der_sig("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                         "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8")));
    CHECK(key->sign(as_bytes("sample")) == sample);
    CHECK(key->verify(as_bytes("sample"), sample));
    CHECK_FALSE(key->verify(as_bytes("samplf"), sample));

    auto pubkey = PkKey::parse_public_der(pub);
    REQUIRE(pubkey);
    CHECK(pubkey->verify(as_bytes("sample"), sample));
    CHECK_FALSE(pubkey->has_private());
    CHECK_THROWS_AS(pubkey->sign(as_bytes("x")), CryptoError);
}

TEST_CASE("p256_from_scalar refuses out-of-range scalars", "[crypto][pk]") {
    CHECK_FALSE(PkKey::p256_from_scalar(Bytes(32, 0)));
    CHECK_FALSE(PkKey::p256_from_scalar(Bytes(32, 0xff)));  // >= n
    CHECK_FALSE(PkKey::p256_from_scalar(Bytes(31, 1)));
}

TEST_CASE("ECDSA P-256 keys round trip through DER", "[crypto][pk]") {
    PkKey k = PkKey::generate_p256();
    CHECK(k.bits() == 256);
    Bytes msg = {1, 2, 3};
    Bytes sig = k.sign(msg);
    auto priv = PkKey::parse_private_der(k.private_der());
    REQUIRE(priv);
    CHECK(priv->public_der() == k.public_der());
    CHECK(priv->sign(msg) == sig);  // deterministic
    auto pub = PkKey::parse_public_der(k.public_der());
    REQUIRE(pub);
    CHECK(pub->verify(msg, sig));
    Bytes bad = sig;
    bad.back() ^= 1;
    CHECK_FALSE(pub->verify(msg, bad));
    CHECK_FALSE(pub->verify(msg, {}));
}

TEST_CASE("RSA-3072 PSS signs with salt 32 and rejects other salt lengths", "[crypto][pk]") {
    const PkKey& k = rsa_key();
    CHECK(k.type() == PkKey::Type::Rsa);
    CHECK(k.bits() == 3072);
    Bytes msg = {'h', 'i'};
    Bytes sig = k.sign(msg);
    CHECK(sig.size() == 384);
    CHECK(k.sign(msg) != sig);  // PSS is randomised
    CHECK(k.verify(msg, sig));
    CHECK_FALSE(k.verify(Bytes{'h', 'j'}, sig));

    auto pub = PkKey::parse_public_der(k.public_der());
    REQUIRE(pub);
    CHECK(pub->verify(msg, sig));
    for (size_t bit : {0u, 8u * 191 + 3, 8u * 383 + 7}) {
        Bytes bad = sig;
        bad[bit / 8] ^= uint8_t(1u << (bit % 8));
        CHECK_FALSE(pub->verify(msg, bad));
    }
    Bytes longer = sig;
    longer.push_back(0);
    CHECK_FALSE(pub->verify(msg, longer));
    CHECK_FALSE(pub->verify(msg, Bytes(sig.begin(), sig.end() - 1)));
    // Not below the modulus: refused (after an exponentiation all the same).
    CHECK_FALSE(pub->verify(msg, Bytes(384, 0xff)));

    // Sign the same hash with salt 20 and 0 straight through mbedTLS: a
    // plain pk_verify would accept them, ours must not.
    Secret der = k.private_der();
    mbedtls_pk_context raw;
    mbedtls_pk_init(&raw);
    REQUIRE(mbedtls_pk_parse_key(&raw, der.data(), der.size(), nullptr, 0) == 0);
    mbedtls_rsa_set_padding(mbedtls_pk_rsa(raw), MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    Array<32> h = sha256(msg);
    for (int salt : {0, 20, 31, 33}) {
        Bytes other(384);
        REQUIRE(mbedtls_rsa_rsassa_pss_sign_ext(mbedtls_pk_rsa(raw), drbg_f_rng, drbg_p_rng(),
                                                MBEDTLS_MD_SHA256, 32, h.data(), salt,
                                                other.data()) == 0);
        CHECK(mbedtls_pk_verify(&raw, MBEDTLS_MD_SHA256, h.data(), 32, other.data(), 384) == 0);
        CHECK_FALSE(pub->verify(msg, other));
    }
    mbedtls_pk_free(&raw);
}

TEST_CASE("RSA keys round trip through DER", "[crypto][pk]") {
    const PkKey& k = rsa_key();
    auto priv = PkKey::parse_private_der(k.private_der());
    REQUIRE(priv);
    CHECK(priv->has_private());
    CHECK(priv->public_der() == k.public_der());
    Bytes msg(1000, 7);
    CHECK(k.verify(msg, priv->sign(msg)));
}

TEST_CASE("parse_public_der accepts only canonical DER", "[crypto][pk]") {
    Bytes der = rsa_key().public_der();
    REQUIRE(PkKey::parse_public_der(der));
    Bytes trailing = der;
    trailing.push_back(0);
    CHECK_FALSE(PkKey::parse_public_der(trailing));
    CHECK_FALSE(PkKey::parse_public_der(Bytes(der.begin(), der.end() - 1)));
    CHECK_FALSE(PkKey::parse_public_der({}));
    CHECK_FALSE(PkKey::parse_public_der(Bytes(100, 0x30)));
    // A private key is not a public key.
    CHECK_FALSE(PkKey::parse_public_der(rsa_key().private_der()));
    CHECK_FALSE(PkKey::parse_private_der(der));
}

TEST_CASE("crypto timings", "[.bench]") {
    // Process CPU time, so a machine shared with other jobs still gives
    // figures comparable with tacit-protocol(7), Primitives.
    auto cpu_ms = [] {
        timespec ts;
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    };
    for (int i = 0; i < 5; ++i) {
        double t0 = cpu_ms();
        PkKey k = PkKey::generate_rsa3072();
        std::cout << "RSA-3072 keygen: " << cpu_ms() - t0 << " ms\n";
    }
    auto timeit = [&](const char* what, int n, auto f) {
        double t0 = cpu_ms();
        for (int i = 0; i < n; ++i) f();
        std::cout << what << ": " << (cpu_ms() - t0) * 1000 / n << " us\n";
    };
    Bytes msg(200, 1);
    const PkKey& rsa = rsa_key();
    Bytes rsig = rsa.sign(msg);
    timeit("RSA-3072 PSS sign", 50, [&] { (void)rsa.sign(msg); });
    timeit("RSA-3072 PSS verify", 500, [&] { REQUIRE(rsa.verify(msg, rsig)); });
    PkKey ec = PkKey::generate_p256();
    Bytes esig = ec.sign(msg);
    timeit("P-256 sign", 300, [&] { (void)ec.sign(msg); });
    timeit("P-256 verify", 300, [&] { REQUIRE(ec.verify(msg, esig)); });
    auto box = X25519Key::generate();
    auto peer = X25519Key::generate();
    timeit("X25519 shared", 300, [&] { REQUIRE(x25519(box.priv, peer.pub)); });
    Gcm g(Bytes(32, 1));
    Bytes frame(64 + 16);
    Array<12> iv{};
    timeit("GCM seal 64 B", 100000, [&] { g.seal(iv, {}, ByteView(msg).first(64), frame.data()); });
    double t0 = cpu_ms();
    Secret s = pbkdf2_sha256(as_bytes("password"), as_bytes("0123456789abcdef"), 600000);
    std::cout << "PBKDF2-HMAC-SHA256 600k: " << cpu_ms() - t0 << " ms\n";
    CHECK(s.size() == 32);
}
