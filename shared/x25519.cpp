// X25519 (RFC 7748) on mbedtls_ecp: keys and u-coordinates are 32-byte
// little-endian strings.
#include <mbedtls/ecp.h>

#include "shared/crypto_internal.hpp"

namespace tacit::crypto {

using detail::check;

namespace {

struct Keypair {
    mbedtls_ecp_keypair kp;
    Keypair() { mbedtls_ecp_keypair_init(&kp); }
    ~Keypair() { mbedtls_ecp_keypair_free(&kp); }  // zeroizes d
    Keypair(const Keypair&) = delete;
    Keypair& operator=(const Keypair&) = delete;
};

struct Point {
    mbedtls_ecp_point p;
    Point() { mbedtls_ecp_point_init(&p); }
    ~Point() { mbedtls_ecp_point_free(&p); }
    Point(const Point&) = delete;
    Point& operator=(const Point&) = delete;
};

// RFC 7748 section 5: clamp the scalar. Done here explicitly so the result
// does not depend on which mbedTLS version clamps inside read_key.
void load_private(Keypair& k, ByteView priv32) {
    if (priv32.size() != 32) throw CryptoError("X25519 private key must be 32 bytes", -1);
    SecretArray<32> d;
    std::copy(priv32.begin(), priv32.end(), d.a.begin());
    d.a[0] &= 248;
    d.a[31] &= 127;
    d.a[31] |= 64;
    check(mbedtls_ecp_read_key(MBEDTLS_ECP_DP_CURVE25519, &k.kp, d.data(), 32),
          "X25519 private key load failed");
}

// RFC 7748 section 5: the top bit of a u-coordinate is masked off.
// Non-canonical values (>= p) are left for mbedTLS to reduce.
bool load_public(Point& P, ByteView pub32) {
    if (pub32.size() != 32) return false;
    Array<32> u;
    std::copy(pub32.begin(), pub32.end(), u.begin());
    u[31] &= 127;
    check(mbedtls_mpi_read_binary_le(&P.p.X, u.data(), 32), "X25519 point load failed");
    check(mbedtls_mpi_lset(&P.p.Z, 1), "X25519 point load failed");
    return true;
}

bool all_zero(const Array<32>& a) {
    uint8_t acc = 0;
    for (uint8_t b : a) acc |= b;
    return acc == 0;
}

}  // namespace

X25519Key X25519Key::from_private(ByteView priv32) {
    Keypair k;
    load_private(k, priv32);
    X25519Key out;
    std::copy(priv32.begin(), priv32.end(), out.priv.a.begin());
    Point Q;
    check(mbedtls_ecp_mul(&k.kp.grp, &Q.p, &k.kp.d, &k.kp.grp.G, drbg_f_rng, drbg_p_rng()),
          "X25519 public key computation failed");
    check(mbedtls_mpi_write_binary_le(&Q.p.X, out.pub.data(), 32), "X25519 write failed");
    return out;
}

X25519Key X25519Key::generate() {
    SecretArray<32> d;
    random_bytes(d.data(), 32);
    return from_private(d);
}

bool x25519_pub_valid(ByteView pub32) {
    Point P;
    if (!load_public(P, pub32)) return false;
    mbedtls_ecp_group grp;
    mbedtls_ecp_group_init(&grp);
    struct Guard {
        mbedtls_ecp_group* g;
        ~Guard() { mbedtls_ecp_group_free(g); }
    } guard{&grp};
    check(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519), "X25519 group load failed");
    // Rejects the small-order points that would make every shared secret zero.
    return mbedtls_ecp_check_pubkey(&grp, &P.p) == 0;
}

std::optional<SecretArray<32>> x25519(ByteView priv32, ByteView peer_pub32) {
    Keypair k;
    load_private(k, priv32);
    Point P, R;
    if (!load_public(P, peer_pub32)) return std::nullopt;
    // mbedtls_ecp_mul validates the peer point first (small-order points are
    // refused with MBEDTLS_ERR_ECP_INVALID_KEY); any failure here is
    // treated as a bad peer key.
    if (mbedtls_ecp_mul(&k.kp.grp, &R.p, &k.kp.d, &P.p, drbg_f_rng, drbg_p_rng()) != 0)
        return std::nullopt;
    SecretArray<32> out;
    check(mbedtls_mpi_write_binary_le(&R.p.X, out.data(), 32), "X25519 write failed");
    if (all_zero(out.a)) return std::nullopt;
    return out;
}

}  // namespace tacit::crypto
