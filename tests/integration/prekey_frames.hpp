// A PREKEY_UPLOAD body for tests (tacit-protocol(7), PREKEYS): a fresh
// signed prekey (id 7) signed by `signer` for `user`, and `n` fresh
// one-time prekeys numbered from `first_id`.
#pragma once

#include <string>

#include "shared/messages.hpp"
#include "shared/x3dh.hpp"
#include "tests/integration/raw_frames.hpp"

namespace tacit::test {

inline msg::PrekeyUpload prekey_upload_of(const Token& token, const crypto::PkKey& signer, const std::string& user,
                                          uint32_t first_id, size_t n) {
    msg::PrekeyUpload u;
    u.token = token;
    u.nonce = test_nonce();
    auto spk = x3dh::sign_prekey(signer, user, 7, 1700000000, crypto::X25519Key::generate().pub);
    u.spk_id = spk.id;
    u.spk_created = spk.created;
    u.spk_pub = spk.pub;
    u.spk_sig = spk.sig;
    for (size_t i = 0; i < n; ++i) u.opks.push_back({uint32_t(first_id + i), crypto::X25519Key::generate().pub});
    return u;
}

}  // namespace tacit::test
