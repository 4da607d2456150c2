// Signature keys through mbedtls_pk: RSA-3072 PSS for users, deterministic
// ECDSA P-256 for the server (tacit-protocol(7), Primitives).
#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <algorithm>
#include <array>

#include "shared/crypto_internal.hpp"

namespace tacit::crypto {

using detail::check;

namespace {
struct Mpi {
    mbedtls_mpi m;
    Mpi() { mbedtls_mpi_init(&m); }
    ~Mpi() { mbedtls_mpi_free(&m); }
    Mpi(const Mpi&) = delete;
    Mpi& operator=(const Mpi&) = delete;
};

constexpr int kPssSalt = 32;
constexpr size_t kPubDerMax = 4096, kPrivDerMax = 8192;
// The only RSA keys tacit uses (tacit-protocol(7), Primitives). A verify
// costs one modular exponentiation by e: with e = 65537 that is 17
// multiplications, with an e as large as the modulus ~3072, or ~31 ms of
// server CPU for a 1.3 KB REGISTER. So every path that makes a key from
// bytes refuses any other e before anything is verified.
constexpr size_t kRsaBits = 3072;
constexpr int kRsaExponent = 65537;

bool rsa_shape_ok(mbedtls_pk_context& pk) {
    if (mbedtls_pk_get_bitlen(&pk) != kRsaBits) return false;
    Mpi e;
    check(mbedtls_rsa_export(mbedtls_pk_rsa(pk), nullptr, nullptr, nullptr, nullptr, &e.m),
          "RSA exponent export failed");
    return mbedtls_mpi_cmp_int(&e.m, kRsaExponent) == 0;
}
}  // namespace

struct PkKey::Impl {
    mbedtls_pk_context pk;  // ECKEY or RSA: parsing and DER writing
    // The server signs every reply: this context keeps the group (and its
    // precomputed comb table for G) loaded for the key's lifetime, where a pk
    // of type ECKEY would copy and rebuild it on every call.
    mbedtls_ecdsa_context ec;
    Type type = Type::Rsa;
    bool priv = false;
    Bytes rsa_n;  // the modulus, big endian, as long as a signature
    Impl() {
        mbedtls_pk_init(&pk);
        mbedtls_ecdsa_init(&ec);
    }
    ~Impl() {
        mbedtls_ecdsa_free(&ec);
        mbedtls_pk_free(&pk);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Called once pk holds a key: checks its kind and prepares signing.
    bool finish(bool has_priv) {
        priv = has_priv;
        switch (mbedtls_pk_get_type(&pk)) {
            case MBEDTLS_PK_RSA: {
                if (!rsa_shape_ok(pk)) return false;
                rsa_n.assign(mbedtls_pk_get_len(&pk), 0);
                check(mbedtls_rsa_export_raw(mbedtls_pk_rsa(pk), rsa_n.data(), rsa_n.size(), nullptr, 0,
                                             nullptr, 0, nullptr, 0, nullptr, 0),
                      "RSA modulus export failed");
                // Hash for PSS encoding and MGF1 both SHA-256.
                mbedtls_rsa_set_padding(mbedtls_pk_rsa(pk), MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
                type = Type::Rsa;
                return true;
            }
            case MBEDTLS_PK_ECKEY: {
                mbedtls_ecp_keypair* kp = mbedtls_pk_ec(pk);
                if (kp->grp.id != MBEDTLS_ECP_DP_SECP256R1) return false;
                check(mbedtls_ecdsa_from_keypair(&ec, kp), "ECDSA key load failed");
                type = Type::Ecdsa;
                return true;
            }
            default:
                return false;
        }
    }
};

PkKey::PkKey() : impl_(std::make_unique<Impl>()) {}
PkKey::~PkKey() = default;
PkKey::PkKey(PkKey&&) noexcept = default;
PkKey& PkKey::operator=(PkKey&&) noexcept = default;

PkKey PkKey::generate_rsa3072() {
    PkKey k;
    check(mbedtls_pk_setup(&k.impl_->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)),
          "pk setup failed");
    check(mbedtls_rsa_gen_key(mbedtls_pk_rsa(k.impl_->pk), drbg_f_rng, drbg_p_rng(), 3072, 65537),
          "RSA-3072 key generation failed");
    if (!k.impl_->finish(true)) throw CryptoError("RSA key generation gave a bad key", -1);
    return k;
}

PkKey PkKey::generate_p256() {
    PkKey k;
    check(mbedtls_pk_setup(&k.impl_->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)),
          "pk setup failed");
    check(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k.impl_->pk), drbg_f_rng,
                              drbg_p_rng()),
          "P-256 key generation failed");
    if (!k.impl_->finish(true)) throw CryptoError("P-256 key generation gave a bad key", -1);
    return k;
}

std::optional<PkKey> PkKey::p256_from_scalar(ByteView d32) {
    if (d32.size() != 32) return std::nullopt;
    PkKey k;
    check(mbedtls_pk_setup(&k.impl_->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)),
          "pk setup failed");
    mbedtls_ecp_keypair* kp = mbedtls_pk_ec(k.impl_->pk);
    // read_key refuses 0 and values >= n.
    if (mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, kp, d32.data(), d32.size()) != 0)
        return std::nullopt;
    check(mbedtls_ecp_mul(&kp->grp, &kp->Q, &kp->d, &kp->grp.G, drbg_f_rng, drbg_p_rng()),
          "P-256 public key computation failed");
    if (!k.impl_->finish(true)) return std::nullopt;
    return k;
}

std::optional<PkKey> PkKey::parse_public_der(ByteView der) {
    if (der.empty() || der.size() > kPubDerMax) return std::nullopt;
    PkKey k;
    if (mbedtls_pk_parse_public_key(&k.impl_->pk, der.data(), der.size()) != 0) return std::nullopt;
    if (!k.impl_->finish(false)) return std::nullopt;
    // mbedTLS ignores bytes after the SubjectPublicKeyInfo and accepts some
    // non-minimal encodings; demand our own canonical form back.
    Bytes canon = k.public_der();
    if (canon.size() != der.size() || !std::equal(canon.begin(), canon.end(), der.begin()))
        return std::nullopt;
    return k;
}

std::optional<PkKey> PkKey::parse_private_der(ByteView der) {
    if (der.empty() || der.size() > kPrivDerMax) return std::nullopt;
    PkKey k;
    if (mbedtls_pk_parse_key(&k.impl_->pk, der.data(), der.size(), nullptr, 0) != 0)
        return std::nullopt;
    if (!k.impl_->finish(true)) return std::nullopt;
    return k;
}

Bytes PkKey::public_der() const {
    std::array<unsigned char, kPubDerMax> buf;
    int n = mbedtls_pk_write_pubkey_der(&impl_->pk, buf.data(), buf.size());
    if (n <= 0) throw CryptoError("public key DER write failed", n);
    // mbedTLS writes at the end of the buffer.
    return Bytes(buf.end() - n, buf.end());
}

Secret PkKey::private_der() const {
    if (!impl_->priv) throw CryptoError("no private key", -1);
    Secret buf(kPrivDerMax);
    int n = mbedtls_pk_write_key_der(&impl_->pk, buf.data(), buf.size());
    if (n <= 0) throw CryptoError("private key DER write failed", n);
    return Secret(ByteView(buf.data() + buf.size() - n, size_t(n)));
}

PkKey::Type PkKey::type() const { return impl_->type; }
bool PkKey::has_private() const { return impl_->priv; }
size_t PkKey::bits() const { return mbedtls_pk_get_bitlen(&impl_->pk); }

Bytes PkKey::sign(ByteView msg) const {
    if (!impl_->priv) throw CryptoError("signing needs a private key", -1);
    Array<32> h = sha256(msg);
    if (impl_->type == Type::Rsa) {
        Bytes sig(mbedtls_pk_get_len(&impl_->pk));
        // pss_sign would use the largest salt that fits; the protocol fixes 32.
        check(mbedtls_rsa_rsassa_pss_sign_ext(mbedtls_pk_rsa(impl_->pk), drbg_f_rng, drbg_p_rng(),
                                              MBEDTLS_MD_SHA256, 32, h.data(), kPssSalt,
                                              sig.data()),
              "RSA-PSS sign failed");
        return sig;
    }
    // MBEDTLS_ECDSA_DETERMINISTIC is set in Debian's build, so this is
    // RFC 6979; the RNG only blinds the computation.
    std::array<unsigned char, MBEDTLS_ECDSA_MAX_LEN> buf;
    size_t n = 0;
    check(mbedtls_ecdsa_write_signature(&impl_->ec, MBEDTLS_MD_SHA256, h.data(), h.size(),
                                        buf.data(), &n, drbg_f_rng, drbg_p_rng()),
          "ECDSA sign failed");
    return Bytes(buf.begin(), buf.begin() + n);
}

namespace {

// One DER INTEGER, strictly: short-form length, positive, minimal.
bool der_int(ByteView& in, ByteView& out) {
    if (in.size() < 2 || in[0] != 0x02 || (in[1] & 0x80)) return false;
    size_t len = in[1];
    if (len == 0 || in.size() - 2 < len) return false;
    ByteView v = in.subspan(2, len);
    if (v[0] & 0x80) return false;                             // negative
    if (len > 1 && v[0] == 0 && !(v[1] & 0x80)) return false;  // padded
    out = v;
    in = in.subspan(2 + len);
    return true;
}

// mbedtls_ecdsa_read_signature accepts BER (long-form lengths, padded
// integers), which would make signatures malleable; parse strict DER here.
bool parse_ecdsa_der(ByteView sig, ByteView& r, ByteView& s) {
    if (sig.size() < 2 || sig[0] != 0x30 || (sig[1] & 0x80) || sig[1] != sig.size() - 2)
        return false;
    ByteView in = sig.subspan(2);
    return der_int(in, r) && der_int(in, s) && in.empty();
}

}  // namespace

bool PkKey::verify(ByteView msg, ByteView sig) const {
    Array<32> h = sha256(msg);
    if (impl_->type == Type::Rsa) {
        const Bytes& n = impl_->rsa_n;
        if (sig.size() != n.size()) return false;
        // mbedTLS refuses a value not below the modulus before exponentiating,
        // which would make a refusal's time depend on the key: a LOGIN1 signed
        // with a value between the dummy key's modulus and a user's would
        // tell a known user from an unknown one (tacit-protocol(7), LOGIN).
        // So such a value is refused after the same exponentiation, of a
        // copy made smaller than any 3072-bit modulus.
        bool below = std::lexicographical_compare(sig.begin(), sig.end(), n.begin(), n.end());
        Bytes s(sig.begin(), sig.end());
        if (!below) s[0] = 0;
        mbedtls_pk_rsassa_pss_options opts{MBEDTLS_MD_SHA256, kPssSalt};
        bool ok = mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opts, &impl_->pk, MBEDTLS_MD_SHA256, h.data(),
                                        h.size(), s.data(), s.size()) == 0;
        return below && ok;
    }
    ByteView rv, sv;
    if (!parse_ecdsa_der(sig, rv, sv)) return false;
    Mpi r, s;
    check(mbedtls_mpi_read_binary(&r.m, rv.data(), rv.size()), "mpi read failed");
    check(mbedtls_mpi_read_binary(&s.m, sv.data(), sv.size()), "mpi read failed");
    // ecdsa_verify checks 1 <= r, s < n itself.
    return mbedtls_ecdsa_verify(&impl_->ec.grp, h.data(), h.size(), &impl_->ec.Q, &r.m, &s.m) == 0;
}

}  // namespace tacit::crypto
