// Every crypto wrapper against its Wycheproof vectors.
#include "shared/crypto.hpp"
#include "tests/unit/wycheproof.hpp"

using namespace tacit;
using namespace tacit::crypto;
using wycheproof::hex;

TEST_CASE("Wycheproof X25519", "[crypto][wycheproof]") {
    auto j = wycheproof::load("x25519_test.json");
    wycheproof::Tally tally;
    int zero_rejected = 0;
    for (auto& g : j["testGroups"]) {
        for (auto& t : g["tests"]) {
            Bytes priv = hex(t["private"]), pub = hex(t["public"]), shared = hex(t["shared"]);
            auto out = x25519(priv, pub);
            bool zero = shared == Bytes(32, 0);
            INFO("tcId " << t["tcId"].get<int>() << " " << t.value("comment", ""));
            if (zero) {
                // Ours is stricter than "acceptable": an all-zero secret is refused.
                CHECK_FALSE(out.has_value());
                ++zero_rejected;
            } else if (t["result"] != "invalid") {
                // Every non-zero result, valid or acceptable, must match.
                REQUIRE(out.has_value());
                CHECK(to_hex(out->view()) == to_hex(shared));
            }
            tally.check(t, out.has_value() && Bytes(out->a.begin(), out->a.end()) == shared);
        }
    }
    CHECK(tally.run >= 500);
    CHECK(tally.valid >= 100);
    CHECK(zero_rejected > 0);
}

TEST_CASE("X25519 public key matches RFC 7748 6.1", "[crypto]") {
    auto a = X25519Key::from_private(
        *from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    CHECK(to_hex(a.pub) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    auto b = X25519Key::from_private(
        *from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    CHECK(to_hex(b.pub) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    auto k = x25519(a.priv, b.pub);
    auto k2 = x25519(b.priv, a.pub);
    REQUIRE(k);
    REQUIRE(k2);
    CHECK(to_hex(k->view()) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    CHECK(to_hex(k2->view()) == to_hex(k->view()));
}

TEST_CASE("Wycheproof AES-256-GCM", "[crypto][wycheproof]") {
    auto j = wycheproof::load("aes_gcm_test.json");
    wycheproof::Tally tally;
    int odd_iv = 0;
    for (auto& g : j["testGroups"]) {
        if (g["keySize"] != 256) continue;
        for (auto& t : g["tests"]) {
            Bytes key = hex(t["key"]), iv = hex(t["iv"]), aad = hex(t["aad"]), msg = hex(t["msg"]),
                  ct = hex(t["ct"]), tag = hex(t["tag"]);
            if (iv.size() != 12) ++odd_iv;
            auto pt = gcm_open_detached(key, iv, aad, ct, tag);
            tally.check(t, pt.has_value() && *pt == msg);
            if (t["result"] == "valid") {
                // The sealing direction too, where the wrapper takes this IV.
                if (iv.size() == 12 && tag.size() == 16) {
                    Bytes sealed = gcm_seal(key, iv, aad, msg);
                    CHECK(sealed == concat({ct, tag}));
                    auto opened = gcm_open(key, iv, aad, sealed);
                    REQUIRE(opened);
                    CHECK(Bytes(opened->view().begin(), opened->view().end()) == msg);
                }
            }
        }
    }
    CHECK(tally.run >= 90);
    CHECK(tally.valid >= 50);
    CHECK(tally.invalid >= 20);
    CHECK(odd_iv > 0);
}

TEST_CASE("Wycheproof HKDF-SHA256", "[crypto][wycheproof]") {
    auto j = wycheproof::load("hkdf_sha256_test.json");
    wycheproof::Tally tally;
    for (auto& g : j["testGroups"]) {
        for (auto& t : g["tests"]) {
            Bytes ikm = hex(t["ikm"]), salt = hex(t["salt"]), info = hex(t["info"]),
                  okm = hex(t["okm"]);
            size_t size = t["size"];
            bool ok = false;
            try {
                Secret out = hkdf_sha256(ikm, salt, info, size);
                ok = Bytes(out.view().begin(), out.view().end()) == okm;
            } catch (const CryptoError&) {
                ok = false;  // e.g. more than 255 * 32 bytes asked for
            }
            tally.check(t, ok);
        }
    }
    CHECK(tally.run >= 80);
    CHECK(tally.invalid > 0);
}

TEST_CASE("Wycheproof HMAC-SHA256", "[crypto][wycheproof]") {
    auto j = wycheproof::load("hmac_sha256_test.json");
    wycheproof::Tally tally;
    int truncated = 0;
    for (auto& g : j["testGroups"]) {
        size_t tag_bytes = g["tagSize"].get<size_t>() / 8;
        for (auto& t : g["tests"]) {
            Bytes key = hex(t["key"]), msg = hex(t["msg"]), tag = hex(t["tag"]);
            Array<32> mac = hmac_sha256(key, msg);
            // A truncated tag is compared with the prefix of our full MAC.
            bool ok = tag.size() == tag_bytes && tag_bytes <= 32 &&
                      ct_equal(ByteView(mac.data(), tag_bytes), tag);
            if (tag_bytes < 32) ++truncated;
            tally.check(t, ok);
        }
    }
    CHECK(tally.run >= 170);
    CHECK(truncated > 0);
    CHECK(tally.invalid > 0);
}

TEST_CASE("Wycheproof ECDSA P-256 SHA-256 verify", "[crypto][wycheproof]") {
    auto j = wycheproof::load("ecdsa_secp256r1_sha256_test.json");
    wycheproof::Tally tally;
    for (auto& g : j["testGroups"]) {
        auto key = PkKey::parse_public_der(hex(g["publicKeyDer"]));
        REQUIRE(key);
        CHECK(key->type() == PkKey::Type::Ecdsa);
        CHECK_FALSE(key->has_private());
        for (auto& t : g["tests"]) tally.check(t, key->verify(hex(t["msg"]), hex(t["sig"])));
    }
    CHECK(tally.run >= 450);
    CHECK(tally.valid >= 100);
    CHECK(tally.invalid >= 200);
}

TEST_CASE("Wycheproof RSA-PSS 3072 SHA-256 MGF1 salt 32 verify", "[crypto][wycheproof]") {
    auto j = wycheproof::load("rsa_pss_3072_sha256_mgf1_32_test.json");
    wycheproof::Tally tally;
    for (auto& g : j["testGroups"]) {
        REQUIRE(g["sLen"] == 32);
        auto key = PkKey::parse_public_der(hex(g["publicKeyDer"]));
        REQUIRE(key);
        CHECK(key->type() == PkKey::Type::Rsa);
        CHECK(key->bits() == 3072);
        for (auto& t : g["tests"]) tally.check(t, key->verify(hex(t["msg"]), hex(t["sig"])));
    }
    CHECK(tally.run >= 100);
    CHECK(tally.valid >= 20);
    CHECK(tally.invalid >= 20);
}
