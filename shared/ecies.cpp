// ECIES (tacit-protocol(7), ECIES): eph_pub[32] | AES-256-GCM_k(m) | tag[16].
#include <string>

#include "shared/crypto_internal.hpp"

namespace tacit::crypto {

namespace {

constexpr size_t kPub = 32, kTag = 16;

Secret ecies_key(std::string_view label, const SecretArray<32>& shared, ByteView eph_pub,
                 ByteView recipient_pub) {
    std::string info = "tacit v2 ";
    info += label;
    Bytes salt = concat({eph_pub, recipient_pub});
    return hkdf_sha256(shared, salt, as_bytes(info), 32);
}

// k is used for exactly one message, so a fixed IV is safe.
const Array<12> kZeroIv{};

}  // namespace

EciesSealed ecies_seal(std::string_view label, ByteView recipient_pub, ByteView m) {
    if (recipient_pub.size() != kPub) throw CryptoError("ECIES recipient key must be 32 bytes", -1);
    EciesSealed out{{}, X25519Key::generate()};
    auto shared = x25519(out.eph.priv, recipient_pub);
    // Recipient keys come from bundles, which are validated on decode.
    if (!shared) throw CryptoError("ECIES recipient key is invalid", -1);
    Secret k = ecies_key(label, *shared, out.eph.pub, recipient_pub);
    out.ct.resize(kPub + m.size() + kTag);
    std::copy(out.eph.pub.begin(), out.eph.pub.end(), out.ct.begin());
    Gcm(k).seal(kZeroIv, {}, m, out.ct.data() + kPub);
    return out;
}

std::optional<Secret> ecies_open(std::string_view label, const X25519Key& recipient,
                                 ByteView ct) {
    if (ct.size() < kPub + kTag) return std::nullopt;
    ByteView eph_pub = ct.first(kPub);
    auto shared = x25519(recipient.priv, eph_pub);
    if (!shared) return std::nullopt;
    Secret k = ecies_key(label, *shared, eph_pub, recipient.pub);
    return gcm_open(k, kZeroIv, {}, ct.subspan(kPub));
}

}  // namespace tacit::crypto
