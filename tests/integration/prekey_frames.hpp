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
    u.prekeys = test_prekeys(signer, user, first_id, n);
    return u;
}

}  // namespace tacit::test
