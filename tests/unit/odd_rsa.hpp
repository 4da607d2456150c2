// An RSA public key that tacit must refuse: a real 3072-bit modulus with
// another public exponent. Built straight through mbedTLS, because PkKey
// itself (rightly) cannot make one. Used by the unit tests of the parser and
// by the integration test that REGISTERs such a key.
#pragma once
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <array>
#include <stdexcept>

#include "shared/crypto.hpp"

namespace tacit::test {

enum class OddExponent { Three, Huge };

// The DER of `key`'s modulus N with e = 3, or e = N - 2 (odd, as large as
// the modulus: a verify with it is a full 3072-bit exponentiation).
inline Bytes rsa_der_with_exponent(const crypto::PkKey& key, OddExponent which) {
    struct Pk {
        mbedtls_pk_context c;
        Pk() { mbedtls_pk_init(&c); }
        ~Pk() { mbedtls_pk_free(&c); }
    } src, dst;
    struct Mpi {
        mbedtls_mpi m;
        Mpi() { mbedtls_mpi_init(&m); }
        ~Mpi() { mbedtls_mpi_free(&m); }
    } n, e;
    auto need = [](int rc, const char* what) {
        if (rc != 0) throw std::runtime_error(what);
    };
    Bytes der = key.public_der();
    need(mbedtls_pk_parse_public_key(&src.c, der.data(), der.size()), "parse");
    need(mbedtls_rsa_export(mbedtls_pk_rsa(src.c), &n.m, nullptr, nullptr, nullptr, nullptr), "export");
    if (which == OddExponent::Three) need(mbedtls_mpi_lset(&e.m, 3), "lset");
    else need(mbedtls_mpi_sub_int(&e.m, &n.m, 2), "sub");
    need(mbedtls_pk_setup(&dst.c, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), "setup");
    need(mbedtls_rsa_import(mbedtls_pk_rsa(dst.c), &n.m, nullptr, nullptr, nullptr, &e.m), "import");
    need(mbedtls_rsa_complete(mbedtls_pk_rsa(dst.c)), "complete");
    std::array<unsigned char, 4096> buf;
    int len = mbedtls_pk_write_pubkey_der(&dst.c, buf.data(), buf.size());
    if (len <= 0) throw std::runtime_error("write");
    return Bytes(buf.end() - len, buf.end());
}

}  // namespace tacit::test
