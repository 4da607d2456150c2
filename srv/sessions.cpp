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
                                         Token* token, store::Done<uint8_t> done) {
    auto s = table_.create(user, wall_ms() + token_ttl_ms_, token);
    s->key_version = key_version;
    s->key = std::make_shared<const crypto::PkKey>(std::move(key));
    store_.put_session(s->hash, store::SessionRec{user, key_version, s->expires_ms},
                       [this, s, done = std::move(done)](store::Outcome o) {
                           // A token whose session is not stored logs no one in.
                           if (o.status != proto::OK) close(*s);
                           done(o.status);
                       });
    return s;
}

void Sessions::end(Session& s) {
    if (s.ended) return;
    store_.end_sessions({s.hash}, [user = s.user](store::Outcome o) {
        if (o.status != proto::OK)
            fmt::print(stderr, "tacitd: could not delete the stored session of user={}: {}\n", user,
                       proto::status_name(o.status));
    });
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
// outlive it), or that expired while tacitd was down is deleted instead,
// once every record has been looked at.
void Sessions::restore() {
    struct Tally {
        size_t left = 0, kept = 0;
        std::vector<store::SessionHash> stale;
    };
    auto tally = std::make_shared<Tally>();
    auto report = [tally] {
        fmt::print(stderr, "tacitd: sessions: {} restored, {} expired or stale removed\n", tally->kept,
                   tally->stale.size());
    };
    auto sweep_stale = [this, tally, report] {
        if (tally->stale.empty()) return report();
        store_.end_sessions(tally->stale, [tally, report](store::Outcome o) {
            if (o.status != proto::OK)
                fmt::print(stderr, "tacitd: could not delete {} stale sessions; trying again next start\n",
                           tally->stale.size());
            report();
        });
    };
    const uint64_t now = wall_ms();
    store_.list_sessions([this, now, tally, sweep_stale, report](std::vector<store::StoredSession> stored) {
        tally->left = stored.size();
        if (stored.empty()) return report();
        for (auto& entry : stored)
            store_.get_user(entry.second.user, [this, now, tally, sweep_stale, entry](std::optional<store::UserRec> u) {
                std::optional<crypto::PkKey> key;
                if (u) {
                    wipe(u->verifier.data(), u->verifier.size());
                    if (u->key_version == entry.second.key_version && entry.second.expires_ms > now)
                        key = user_bundle_key(u->public_key);
                }
                if (!key) {
                    tally->stale.push_back(entry.first);
                } else {
                    auto s = table_.adopt(entry.first, entry.second.user, entry.second.expires_ms);
                    s->key_version = entry.second.key_version;
                    s->key = std::make_shared<const crypto::PkKey>(std::move(*key));
                    ++tally->kept;
                }
                if (--tally->left == 0) sweep_stale();
            });
    });
}

}  // namespace tacit::srv
