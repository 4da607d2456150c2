// RAII wrappers over mbedTLS 2.28 for every primitive tacit uses
// (tacit-protocol(7), Primitives). Every mbedTLS return code is checked: a failure
// that can only come from a bug or exhausted memory throws CryptoError;
// anything that depends on peer input returns std::nullopt / false instead.
#pragma once
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "shared/bytes.hpp"

namespace tacit::crypto {

struct CryptoError : std::runtime_error {
    CryptoError(const char* what, int rc);
    int rc;
};

// ---- randomness: one CTR_DRBG per process, seeded from the entropy source.
void random_bytes(uint8_t* out, size_t n);
template <size_t N> Array<N> random_array() {
    Array<N> a;
    random_bytes(a.data(), N);
    return a;
}
// f_rng/p_rng pair for mbedTLS calls that want one.
int drbg_f_rng(void* p_rng, unsigned char* out, size_t n);
void* drbg_p_rng();

// ---- hashes, MAC, KDFs (all 32-byte outputs unless asked otherwise)
Array<32> sha256(ByteView data);
Array<32> sha256(std::initializer_list<ByteView> parts);
Array<32> hmac_sha256(ByteView key, ByteView msg);
Secret hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, size_t len = 32);
Secret pbkdf2_sha256(ByteView password, ByteView salt, unsigned iterations, size_t len = 32);

// ---- AES-256-GCM. seal returns ciphertext | tag[16].
Bytes gcm_seal(ByteView key, ByteView iv, ByteView aad, ByteView plaintext);
// Opens ciphertext | tag[16]; nullopt on any authentication failure.
std::optional<Secret> gcm_open(ByteView key, ByteView iv, ByteView aad, ByteView ct_tag);
// General form for test vectors (any tag length 4..16).
std::optional<Bytes> gcm_open_detached(ByteView key, ByteView iv, ByteView aad, ByteView ct,
                                       ByteView tag);

// A keyed AES-256-GCM context that is set up once and reused: the channel
// seals every frame with the same key, so the key schedule is paid once.
class Gcm {
public:
    explicit Gcm(ByteView key32);
    ~Gcm();
    Gcm(const Gcm&) = delete;
    Gcm& operator=(const Gcm&) = delete;
    Gcm(Gcm&&) noexcept;
    Gcm& operator=(Gcm&&) noexcept;
    // out receives ciphertext | tag[16].
    void seal(ByteView iv, ByteView aad, ByteView plaintext, uint8_t* out) const;
    bool open(ByteView iv, ByteView aad, ByteView ct_tag, uint8_t* out) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---- X25519 (RFC 7748 little-endian byte strings)
struct X25519Key {
    SecretArray<32> priv;
    Array<32> pub{};
    static X25519Key generate();
    static X25519Key from_private(ByteView priv32);
};
// nullopt when the shared secret is all zero or the peer key is malformed.
std::optional<SecretArray<32>> x25519(ByteView priv32, ByteView peer_pub32);
// False for a wrong length or a small-order point (which would give an
// all-zero shared secret). Bundles check their box key with it on decode.
bool x25519_pub_valid(ByteView pub32);

// ---- ECIES: eph_pub[32] | AES-256-GCM_k(m) | tag[16], k = HKDF(X25519(eph,
// recipient), salt = eph_pub | recipient_pub, info = "tacit v2 " + label),
// IV zero, no AAD.
struct EciesSealed {
    Bytes ct;       // the full ECIES value
    X25519Key eph;  // kept because HELLO/RESUME/RENEW use it for `ee`
};
EciesSealed ecies_seal(std::string_view label, ByteView recipient_pub, ByteView m);
std::optional<Secret> ecies_open(std::string_view label, const X25519Key& recipient,
                                 ByteView ct);

// ---- Signatures through mbedtls_pk: RSA-3072 PSS (SHA-256, MGF1-SHA-256,
// salt 32) for users, deterministic ECDSA P-256 (DER) for the server.
inline constexpr size_t kRsaSigLen = 384;  // an RSA-3072 signature, always
class PkKey {
public:
    enum class Type { Rsa, Ecdsa };
    PkKey();
    ~PkKey();
    PkKey(PkKey&&) noexcept;
    PkKey& operator=(PkKey&&) noexcept;
    PkKey(const PkKey&) = delete;
    PkKey& operator=(const PkKey&) = delete;

    static PkKey generate_rsa3072();
    static PkKey generate_p256();
    // Builds a P-256 key from a raw 32-byte private scalar (test vectors).
    static std::optional<PkKey> p256_from_scalar(ByteView d32);
    // SubjectPublicKeyInfo. Accepts RSA-3072 with e = 65537 and P-256 only, and
    // only the canonical DER (no trailing bytes), so one key has one encoding.
    static std::optional<PkKey> parse_public_der(ByteView der);
    static std::optional<PkKey> parse_private_der(ByteView der);
    Bytes public_der() const;
    Secret private_der() const;
    Type type() const;
    bool has_private() const;
    size_t bits() const;  // RSA modulus size or EC group size

    Bytes sign(ByteView msg) const;  // hashes msg with SHA-256 first
    // RSA: rejects any PSS salt length other than 32, and a value not below
    // the modulus only after the same exponentiation as any other refusal.
    bool verify(ByteView msg, ByteView sig) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tacit::crypto
