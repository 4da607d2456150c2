// A login session: the token issued by LOGIN2 and every connection that uses
// it (several terminals, or a connection resumed with RESUME). Sessions are
// found by SHA-256(token) so the map lookup leaks nothing about the token;
// only that hash is kept, here and in the store's sessions database, so a
// session survives a restart (tacit-protocol(7), STORAGE).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"

namespace tacit::srv {

struct Session {
    std::string user;
    Array<32> hash{};  // SHA-256(token)
    uint32_t key_version = 0;  // the user's, when the session began
    uint64_t expires_ms = 0;
    std::set<uint64_t> conns;  // logged-in connection ids
    unsigned resuming = 0;     // connections between RESUME and their first sealed frame
    bool ended = false;
    // The user's key, parsed once at login: a key change (RENEW3) ends every
    // session, so it cannot go stale.
    std::shared_ptr<const crypto::PkKey> key;
};

// The RSA key of an encoded user bundle, or nullopt if it does not parse
// (srv/sessions.cpp).
std::optional<crypto::PkKey> user_bundle_key(ByteView bundle);

class SessionTable {
public:
    // A new session with a fresh random token, written to *token.
    std::shared_ptr<Session> create(const std::string& user, uint64_t expires_ms, Token* token);
    // A session read back from the store at start-up.
    std::shared_ptr<Session> adopt(const Array<32>& hash, const std::string& user, uint64_t expires_ms);
    // The live, unexpired session of this token, or null.
    std::shared_ptr<Session> find(const Token& token, uint64_t now_ms) const;
    // Forgets the session; returns the table's reference so the caller can
    // keep it alive while tearing down.
    std::shared_ptr<Session> erase(const Session& s);
    std::vector<std::shared_ptr<Session>> of_user(const std::string& user) const;
    std::vector<std::shared_ptr<Session>> expired(uint64_t now_ms) const;

private:
    std::map<Array<32>, std::shared_ptr<Session>> by_hash_;
    std::multimap<std::string, std::weak_ptr<Session>> by_user_;
};

}  // namespace tacit::srv
