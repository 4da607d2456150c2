// Sessions kept in the store's sessions database (tacit-protocol(7),
// STORAGE), so a restart does not log anyone out: a client whose
// connection dropped comes back with RESUME and its old token.
#include <fmt/core.h>

#include "shared/keys.hpp"
#include "srv/server.hpp"

namespace tacit::srv {

std::optional<crypto::PkKey> user_bundle_key(ByteView bundle) {
    auto b = UserBundle::decode(bundle);
    if (!b) return std::nullopt;
    return crypto::PkKey::parse_public_der(b->rsa_der);
}

std::shared_ptr<Session> Server::begin_session(const std::string& user, uint32_t key_version,
                                               crypto::PkKey key, Token* token, uint8_t* st) {
    Token t{};
    auto s = sessions_.create(user, now_ms() + cfg_.token_ttl_ms, &t);
    store::SessionRec rec{user, key_version, s->expires_ms};
    *st = store_->write([&](store::Txn& tx) -> uint8_t {
        tx.put_session(s->hash, rec);
        return proto::OK;
    });
    if (*st != proto::OK) {
        wipe(t.data(), t.size());
        close_session(*s);
        return nullptr;
    }
    s->key_version = key_version;
    s->key = std::make_shared<const crypto::PkKey>(std::move(key));
    *token = t;
    wipe(t.data(), t.size());
    return s;
}

void Server::end_session(Session& s) {
    if (s.ended) return;
    uint8_t st = store_->write([&](store::Txn& t) -> uint8_t {
        t.delete_session(s.hash);
        return proto::OK;
    });
    if (st != proto::OK)
        fmt::print(stderr, "tacitd: could not delete the stored session of user={}: {}\n", s.user,
                   proto::status_name(st));
    close_session(s);
}

// At start-up: every stored session still valid is served again. One whose
// user is gone, whose key changed since (RENEW3 ends sessions, and a stale
// record must not outlive it), or that expired while tacitd was down is
// deleted instead.
void Server::restore_sessions() {
    auto stored = store_->read([](store::Txn& t) { return t.all_sessions(); });
    const uint64_t now = now_ms();
    std::vector<store::SessionHash> stale;
    size_t kept = 0;
    for (auto& entry : stored) {
        // Named references, not a structured binding: clang 14 cannot
        // capture one in a lambda.
        const auto& hash = entry.first;
        const auto& rec = entry.second;
        auto user = store_->read([&](store::Txn& t) { return t.get_user(rec.user); });
        std::optional<crypto::PkKey> key;
        if (user) {
            wipe(user->verifier.data(), user->verifier.size());
            if (user->key_version == rec.key_version && rec.expires_ms > now) key = user_bundle_key(user->public_key);
        }
        if (!key) {
            stale.push_back(hash);
            continue;
        }
        auto s = sessions_.adopt(hash, rec.user, rec.expires_ms);
        s->key_version = rec.key_version;
        s->key = std::make_shared<const crypto::PkKey>(std::move(*key));
        ++kept;
    }
    if (!stale.empty()) {
        uint8_t st = store_->write([&](store::Txn& t) -> uint8_t {
            for (auto& h : stale) t.delete_session(h);
            return proto::OK;
        });
        if (st != proto::OK || !store_->commit_pass())
            fmt::print(stderr, "tacitd: could not delete {} stale sessions; trying again next start\n", stale.size());
    }
    fmt::print(stderr, "tacitd: sessions: {} restored, {} expired or stale removed\n", kept, stale.size());
}

}  // namespace tacit::srv
