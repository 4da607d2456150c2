// AES-256-GCM: one-shot helpers and the reusable keyed context the channel
// seals every frame with.
#include <mbedtls/gcm.h>

#include "shared/crypto_internal.hpp"

namespace tacit::crypto {

using detail::check;
using detail::ptr;

namespace {
constexpr size_t kTag = 16;
}

struct Gcm::Impl {
    mbedtls_gcm_context ctx;
    Impl() { mbedtls_gcm_init(&ctx); }
    ~Impl() { mbedtls_gcm_free(&ctx); }  // zeroizes the key schedule
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
};

Gcm::Gcm(ByteView key32) : impl_(std::make_unique<Impl>()) {
    if (key32.size() != 32) throw CryptoError("AES-256-GCM key must be 32 bytes", -1);
    check(mbedtls_gcm_setkey(&impl_->ctx, MBEDTLS_CIPHER_ID_AES, key32.data(), 256),
          "AES-GCM setkey failed");
}
Gcm::~Gcm() = default;
Gcm::Gcm(Gcm&&) noexcept = default;
Gcm& Gcm::operator=(Gcm&&) noexcept = default;

// The mbedTLS context carries per-call state, so one Gcm must not be used by
// two threads at once (each channel direction owns its own).
void Gcm::seal(ByteView iv, ByteView aad, ByteView plaintext, uint8_t* out) const {
    if (!impl_) throw CryptoError("Gcm used after move", -1);
    check(mbedtls_gcm_crypt_and_tag(&impl_->ctx, MBEDTLS_GCM_ENCRYPT, plaintext.size(), ptr(iv),
                                    iv.size(), ptr(aad), aad.size(), ptr(plaintext), out, kTag,
                                    out + plaintext.size()),
          "AES-GCM seal failed");
}

bool Gcm::open(ByteView iv, ByteView aad, ByteView ct_tag, uint8_t* out) const {
    if (!impl_) throw CryptoError("Gcm used after move", -1);
    if (ct_tag.size() < kTag || iv.empty()) return false;
    size_t n = ct_tag.size() - kTag;
    uint8_t dummy = 0;
    // auth_decrypt compares the tag in constant time and zeroes out on failure.
    return mbedtls_gcm_auth_decrypt(&impl_->ctx, n, iv.data(), iv.size(), ptr(aad), aad.size(),
                                    ct_tag.data() + n, kTag, ptr(ct_tag), n ? out : &dummy) == 0;
}

Bytes gcm_seal(ByteView key, ByteView iv, ByteView aad, ByteView plaintext) {
    Gcm g(key);
    Bytes out(plaintext.size() + kTag);
    g.seal(iv, aad, plaintext, out.data());
    return out;
}

std::optional<Secret> gcm_open(ByteView key, ByteView iv, ByteView aad, ByteView ct_tag) {
    if (ct_tag.size() < kTag) return std::nullopt;
    Gcm g(key);
    Secret out(ct_tag.size() - kTag);
    uint8_t dummy = 0;
    if (!g.open(iv, aad, ct_tag, out.empty() ? &dummy : out.data())) return std::nullopt;
    return out;
}

std::optional<Bytes> gcm_open_detached(ByteView key, ByteView iv, ByteView aad, ByteView ct,
                                       ByteView tag) {
    if (tag.size() < 4 || tag.size() > 16 || iv.empty()) return std::nullopt;
    if (key.size() != 32) throw CryptoError("AES-256-GCM key must be 32 bytes", -1);
    mbedtls_gcm_context ctx;
    mbedtls_gcm_init(&ctx);
    struct Guard {
        mbedtls_gcm_context* c;
        ~Guard() { mbedtls_gcm_free(c); }
    } guard{&ctx};
    check(mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key.data(), 256), "AES-GCM setkey failed");
    Bytes out(ct.size());
    uint8_t dummy = 0;
    int rc = mbedtls_gcm_auth_decrypt(&ctx, ct.size(), iv.data(), iv.size(), ptr(aad),
                                      aad.size(), tag.data(), tag.size(), ptr(ct),
                                      out.empty() ? &dummy : out.data());
    if (rc != 0) return std::nullopt;
    return out;
}

}  // namespace tacit::crypto
