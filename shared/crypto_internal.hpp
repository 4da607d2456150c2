// Helpers shared by the crypto_*.cpp / *.cpp files that wrap mbedTLS. Not a
// public API: only crypto implementation files include it.
#pragma once
#include <mbedtls/md.h>

#include "shared/crypto.hpp"

namespace tacit::crypto::detail {

// For failures that can only be bugs or exhausted memory.
inline void check(int rc, const char* what) {
    if (rc != 0) throw CryptoError(what, rc);
}

// mbedTLS may dereference or reject a null pointer even for a zero length;
// an empty std::span may carry one.
inline const unsigned char* ptr(ByteView v) {
    static const unsigned char empty = 0;
    return v.data() ? v.data() : &empty;
}

inline const mbedtls_md_info_t* sha256_info() {
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (!md) throw CryptoError("SHA-256 not available", -1);
    return md;
}

}  // namespace tacit::crypto::detail
