// Fixed X25519 keys for known answers, shared by the unit tests and
// tacit-vectors (whose output tests/crypto/crosscheck.py recomputes): the
// private key named N is SHA-256("tacit vector " + N).
#pragma once
#include <memory>
#include <string>

#include "shared/crypto.hpp"
#include "shared/ratchet.hpp"

namespace tacit::test {

inline crypto::X25519Key fixed_key(const std::string& name) {
    return crypto::X25519Key::from_private(crypto::sha256(as_bytes("tacit vector " + name)));
}

// Ratchet keys "<who> ratchet 0", 1, ...; on_key (if set) sees each one.
inline ratchet::KeyGen fixed_keygen(const std::string& who,
                                    std::function<void(const crypto::X25519Key&)> on_key = {}) {
    auto n = std::make_shared<int>(0);
    return [who, n, on_key] {
        auto k = fixed_key(who + " ratchet " + std::to_string((*n)++));
        if (on_key) on_key(k);
        return k;
    };
}

}  // namespace tacit::test
