// shared/merkle and shared/batch_sig: RFC 9162 section 2.1 trees and the
// batch signature on server replies (tacit-protocol(7), "Batch signatures").
#include <catch2/catch.hpp>

#include "shared/batch_sig.hpp"
#include "shared/crypto.hpp"
#include "shared/merkle.hpp"

using namespace tacit;

namespace {

std::vector<merkle::Hash> leaves(size_t n) {
    std::vector<merkle::Hash> l(n);
    for (size_t i = 0; i < n; ++i) l[i] = crypto::sha256(Bytes{uint8_t(i), uint8_t(i >> 8)});
    return l;
}

std::vector<Bytes> inputs(size_t n) {
    std::vector<Bytes> in;
    for (size_t i = 0; i < n; ++i) in.push_back(Bytes(10 + i, uint8_t(i)));
    return in;
}

}  // namespace

TEST_CASE("leaf and node hashes are SHA-256 over 0x00 | salt | input and 0x01 | left | right", "[merkle]") {
    Array<32> salt{};
    salt[0] = 7;
    Bytes in{1, 2, 3};
    Bytes l{0x00};
    l.insert(l.end(), salt.begin(), salt.end());
    l.insert(l.end(), in.begin(), in.end());
    CHECK(merkle::leaf_hash(salt, in) == crypto::sha256(l));
    auto a = crypto::sha256(Bytes{1}), b = crypto::sha256(Bytes{2});
    Bytes n{0x01};
    n.insert(n.end(), a.begin(), a.end());
    n.insert(n.end(), b.begin(), b.end());
    CHECK(merkle::node_hash(a, b) == crypto::sha256(n));
}

TEST_CASE("roots split at the largest power of two below the size, as RFC 9162 MTH", "[merkle]") {
    auto l = leaves(5);
    using merkle::node_hash;
    CHECK(merkle::root(std::span(l).first(1)) == l[0]);
    CHECK(merkle::root(std::span(l).first(3)) == node_hash(node_hash(l[0], l[1]), l[2]));
    CHECK(merkle::root(l) == node_hash(node_hash(node_hash(l[0], l[1]), node_hash(l[2], l[3])), l[4]));
}

TEST_CASE("every audit path of trees of 1 to 40 leaves leads to the root, and only at its own index and size",
          "[merkle]") {
    for (size_t n = 1; n <= 40; ++n) {
        auto l = leaves(n);
        auto root = merkle::root(l);
        for (size_t i = 0; i < n; ++i) {
            auto p = merkle::audit_path(l, i);
            CHECK(p.size() <= merkle::kMaxPath);
            auto r = merkle::root_from_path(i, n, l[i], p);
            REQUIRE(r);
            CHECK(*r == root);
            // Another index or size gives another root, or none.
            if (n > 1) {
                auto other = merkle::root_from_path((i + 1) % n, n, l[i], p);
                CHECK((!other || *other != root));
            }
            // (The same path may give the same root at another size, as
            // index 0 of 3 and of 4 leaves do: so the size is signed too.)
            if (!p.empty()) {
                auto bad = p;
                bad[0][0] ^= 1;
                CHECK(merkle::root_from_path(i, n, l[i], bad) != root);
                bad = p;
                bad.pop_back();
                auto shorter = merkle::root_from_path(i, n, l[i], bad);
                CHECK((!shorter || *shorter != root));
            }
        }
        CHECK_FALSE(merkle::root_from_path(n, n, l[0], merkle::audit_path(l, 0)));
    }
}

TEST_CASE("a batch of replies is signed once; each proof verifies against its own input only", "[batch_sig]") {
    auto key = crypto::PkKey::generate_p256();
    auto pub = crypto::PkKey::parse_public_der(key.public_der());
    REQUIRE(pub);
    for (size_t n : {1, 2, 3, 16, 17}) {
        auto in = inputs(n);
        auto proofs = batch::sign(key, in);
        REQUIRE(proofs.size() == n);
        batch::Verifier v;
        for (size_t i = 0; i < n; ++i) {
            auto p = batch::parse(proofs[i]);
            REQUIRE(p);
            CHECK(p->size == n);
            CHECK(p->index == i);
            CHECK(batch::encode(*p) == proofs[i]);
            CHECK(v.verify(*pub, in[i], proofs[i]));
            CHECK_FALSE(v.verify(*pub, in[(i + 1) % n] == in[i] ? Bytes{9} : in[(i + 1) % n], proofs[i]));
        }
        // Salts are fresh per leaf.
        if (n > 1) CHECK(batch::parse(proofs[0])->salt != batch::parse(proofs[1])->salt);
    }
}

TEST_CASE("a proof with a bad root signature, a foreign key, or bytes out of bounds does not verify", "[batch_sig]") {
    auto key = crypto::PkKey::generate_p256();
    auto other = crypto::PkKey::generate_p256();
    auto pub = *crypto::PkKey::parse_public_der(key.public_der());
    auto in = inputs(4);
    auto proofs = batch::sign(key, in);
    {
        batch::Verifier v;
        CHECK_FALSE(v.verify(*crypto::PkKey::parse_public_der(other.public_der()), in[0], proofs[0]));
    }
    {
        // The root signature's last byte changed: refused, and nothing is
        // remembered that would let a later proof of the root through.
        auto bad = proofs[0];
        bad.back() ^= 1;
        batch::Verifier v;
        CHECK_FALSE(v.verify(pub, in[0], bad));
        CHECK(v.verify(pub, in[0], proofs[0]));
        // Once the root is known, a proof of it with any root_sig bytes
        // verifies: the root is what the signature vouched for.
        auto p = *batch::parse(proofs[1]);
        p.root_sig.back() ^= 1;
        CHECK(v.verify(pub, in[1], batch::encode(p)));
    }
    batch::Verifier v;
    CHECK_FALSE(v.verify(pub, in[0], ByteView()));
    CHECK_FALSE(v.verify(pub, in[0], ByteView(proofs[0]).first(40)));
    auto p = *batch::parse(proofs[0]);
    p.root_sig.clear();
    CHECK_FALSE(batch::parse(batch::encode(p)));
    p = *batch::parse(proofs[0]);
    p.index = p.size;
    CHECK_FALSE(batch::parse(batch::encode(p)));
    p = *batch::parse(proofs[0]);
    p.root_sig.resize(batch::kMaxRootSig + 1);
    CHECK_FALSE(batch::parse(batch::encode(p)));
    p = *batch::parse(proofs[0]);
    p.path.resize(merkle::kMaxPath + 1);
    CHECK_FALSE(batch::parse(batch::encode(p)));
}
