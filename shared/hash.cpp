// SHA-256, HMAC-SHA256, HKDF-SHA256 and PBKDF2-HMAC-SHA256.
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/sha256.h>

#include "shared/crypto_internal.hpp"

namespace tacit::crypto {

using detail::check;
using detail::ptr;

Array<32> sha256(ByteView data) {
    Array<32> out;
    check(mbedtls_sha256_ret(ptr(data), data.size(), out.data(), 0), "SHA-256 failed");
    return out;
}

Array<32> sha256(std::initializer_list<ByteView> parts) {
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    struct Guard {
        mbedtls_sha256_context* c;
        ~Guard() { mbedtls_sha256_free(c); }
    } guard{&ctx};
    Array<32> out;
    check(mbedtls_sha256_starts_ret(&ctx, 0), "SHA-256 failed");
    for (auto p : parts) check(mbedtls_sha256_update_ret(&ctx, ptr(p), p.size()), "SHA-256 failed");
    check(mbedtls_sha256_finish_ret(&ctx, out.data()), "SHA-256 failed");
    return out;
}

Array<32> hmac_sha256(ByteView key, ByteView msg) {
    Array<32> out;
    check(mbedtls_md_hmac(detail::sha256_info(), ptr(key), key.size(), ptr(msg), msg.size(),
                          out.data()),
          "HMAC-SHA256 failed");
    return out;
}

Secret hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, size_t len) {
    Secret out(len);
    // An empty salt goes in as NULL so mbedTLS substitutes HashLen zeros
    // (RFC 5869 2.2); HMAC makes both forms equal anyway.
    check(mbedtls_hkdf(detail::sha256_info(), salt.empty() ? nullptr : salt.data(), salt.size(),
                       ptr(ikm), ikm.size(), ptr(info), info.size(), out.data(), len),
          "HKDF-SHA256 failed");
    return out;
}

Secret pbkdf2_sha256(ByteView password, ByteView salt, unsigned iterations, size_t len) {
    if (len > 0xffffffffu) throw CryptoError("PBKDF2 output too long", -1);
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    struct Guard {
        mbedtls_md_context_t* c;
        ~Guard() { mbedtls_md_free(c); }
    } guard{&md};
    check(mbedtls_md_setup(&md, detail::sha256_info(), 1), "PBKDF2 setup failed");
    Secret out(len);
    check(mbedtls_pkcs5_pbkdf2_hmac(&md, ptr(password), password.size(), ptr(salt), salt.size(),
                                    iterations, static_cast<uint32_t>(len), out.data()),
          "PBKDF2-HMAC-SHA256 failed");
    return out;
}

}  // namespace tacit::crypto
