// The process-wide CTR_DRBG (tacit-protocol(7), Primitives). mbedTLS is
// built with MBEDTLS_THREADING_C, so mbedtls_ctr_drbg_random takes the
// context's own mutex and one generator can serve every thread.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include <fmt/core.h>
#include <string>

#include "shared/crypto_internal.hpp"

namespace tacit::crypto {

CryptoError::CryptoError(const char* what, int rc)
    : std::runtime_error(fmt::format("{} (mbedTLS error -0x{:x})", what, rc < 0 ? unsigned(-rc) : unsigned(rc))),
      rc(rc) {}

namespace {

struct Drbg {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context ctr;
    Drbg() {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&ctr);
        static const char pers[] = "tacit v2 drbg";
        int rc = mbedtls_ctr_drbg_seed(&ctr, mbedtls_entropy_func, &entropy,
                                       reinterpret_cast<const unsigned char*>(pers),
                                       sizeof pers - 1);
        if (rc != 0) {
            mbedtls_ctr_drbg_free(&ctr);
            mbedtls_entropy_free(&entropy);
            throw CryptoError("CTR_DRBG seeding failed", rc);
        }
    }
    ~Drbg() {
        mbedtls_ctr_drbg_free(&ctr);
        mbedtls_entropy_free(&entropy);
    }
    Drbg(const Drbg&) = delete;
    Drbg& operator=(const Drbg&) = delete;
};

Drbg& drbg() {
    static Drbg d;
    return d;
}

}  // namespace

int drbg_f_rng(void* p_rng, unsigned char* out, size_t n) {
    return mbedtls_ctr_drbg_random(p_rng, out, n);
}

void* drbg_p_rng() { return &drbg().ctr; }

void random_bytes(uint8_t* out, size_t n) {
    // mbedtls_ctr_drbg_random serves at most MBEDTLS_CTR_DRBG_MAX_REQUEST
    // bytes per call.
    while (n > 0) {
        size_t k = n < MBEDTLS_CTR_DRBG_MAX_REQUEST ? n : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        detail::check(mbedtls_ctr_drbg_random(drbg_p_rng(), out, k), "CTR_DRBG failed");
        out += k;
        n -= k;
    }
}

}  // namespace tacit::crypto
