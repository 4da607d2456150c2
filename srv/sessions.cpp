#include "srv/sessions.hpp"

#include <fmt/core.h>

#include "shared/clock.hpp"
#include "shared/keys.hpp"
#include "shared/protocol.hpp"

namespace tacit::srv {

std::optional<crypto::PkKey> user_bundle_key(ByteView bundle) {
    auto b = UserBundle::decode(bundle);
    if (!b) return std::nullopt;
    return crypto::PkKey::parse_public_der(b->rsa_der);
}

std::shared_ptr<Session> Sessions::find(const Token& token) const { return table_.find(token, wall_ms()); }

std::shared_ptr<Session> Sessions::begin(const std::string& user, uint32_t key_version, crypto::PkKey key,
                                         Token* token, uint8_t* st) {
    Token t{};
    auto s = table_.create(user, wall_ms() + token_ttl_ms_, &t);
    store::SessionRec rec{user, key_version, s->expires_ms};
    *st = store_.write([&](store::Txn& tx) -> uint8_t {
        tx.put_session(s->hash, rec);
        return proto::OK;
    });
    if (*st != proto::OK) {
        wipe(t.data(), t.size());
        close(*s);
        return nullptr;
    }
    s->key_version = key_version;
    s->key = std::make_shared<const crypto::PkKey>(std::move(key));
    *token = t;
    wipe(t.data(), t.size());
    return s;
}

void Sessions::end(Session& s) {
    if (s.ended) return;
    uint8_t st = store_.write([&](store::Txn& t) -> uint8_t {
        t.delete_session(s.hash);
        return proto::OK;
    });
    if (st != proto::OK)
        fmt::print(stderr, "tacitd: could not delete the stored session of user={}: {}\n", s.user,
                   proto::status_name(st));
    close(s);
}

void Sessions::close(Session& s) {
    if (s.ended) return;
    s.ended = true;
    auto ids = s.conns;
    auto keep = table_.erase(s);  // holds it while its connections detach
    for (auto id : ids) close_conn_(id);
}

void Sessions::sweep() {
    for (auto& s : table_.expired(wall_ms())) {
        fmt::print(stderr, "tacitd: token of user={} expired\n", s->user);
        end(*s);  // swept from the store as well
    }
}

void Sessions::attach(Connection& c, std::shared_ptr<Session> s) {
    detach(c);
    c.session = s;
    c.state = ConnState::LoggedIn;
    c.decoder.set_max(proto::kMaxFrameLoggedIn);
    s->conns.insert(c.id);
    presence_.joined(s->user, c.id);
}

void Sessions::detach(Connection& c) {
    if (c.session && c.state == ConnState::LoggedIn) {
        c.session->conns.erase(c.id);
        presence_.left(c.session->user, c.id);
    }
    if (c.state == ConnState::Resuming) end_resume(c);
    if (c.state == ConnState::LoggedIn) {
        c.session.reset();
        c.state = ConnState::Open;
    }
}

void Sessions::end_resume(Connection& c) {
    if (c.session && c.session->resuming > 0) --c.session->resuming;
    c.session.reset();
}

// Every stored session still valid is served again. One whose user is gone,
// whose key changed since (RENEW3 ends sessions, and a stale record must not
// outlive it), or that expired while tacitd was down is deleted instead.
void Sessions::restore() {
    auto stored = store_.read([](store::Txn& t) { return t.all_sessions(); });
    const uint64_t now = wall_ms();
    std::vector<store::SessionHash> stale;
    size_t kept = 0;
    for (auto& entry : stored) {
        // Named references, not a structured binding: clang 14 cannot
        // capture one in a lambda.
        const auto& hash = entry.first;
        const auto& rec = entry.second;
        auto user = store_.read([&](store::Txn& t) { return t.get_user(rec.user); });
        std::optional<crypto::PkKey> key;
        if (user) {
            wipe(user->verifier.data(), user->verifier.size());
            if (user->key_version == rec.key_version && rec.expires_ms > now) key = user_bundle_key(user->public_key);
        }
        if (!key) {
            stale.push_back(hash);
            continue;
        }
        auto s = table_.adopt(hash, rec.user, rec.expires_ms);
        s->key_version = rec.key_version;
        s->key = std::make_shared<const crypto::PkKey>(std::move(*key));
        ++kept;
    }
    if (!stale.empty()) {
        uint8_t st = store_.write([&](store::Txn& t) -> uint8_t {
            for (auto& h : stale) t.delete_session(h);
            return proto::OK;
        });
        if (st != proto::OK || !store_.commit_pass())
            fmt::print(stderr, "tacitd: could not delete {} stale sessions; trying again next start\n", stale.size());
    }
    fmt::print(stderr, "tacitd: sessions: {} restored, {} expired or stale removed\n", kept, stale.size());
}

}  // namespace tacit::srv
