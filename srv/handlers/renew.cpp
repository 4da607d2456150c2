// Key renewal, three steps on a logged-in connection.
//   RENEW1 (0x11): token | nonce -> RENEW1_R (0x91): nonce            (unsigned)
//   RENEW2 (0x12): ECIES("renew", server_box, token|session_key|session_iv|nonce)
//       -> RENEW2_R (0x92): nonce | server_random | server_eph_pub, sealed
//       under the OLD key; then both directions switch to the new keys at
//       sequence 0. A client frame between RENEW2 and RENEW2_R closes.
//   RENEW3 (0x13): token | blob pass | blob public_key | nonce | sig(old) | sig(new)
//       -> RENEW3_R (0x93): nonce | str msg | u8 status | sig. On success every
//       session of the user ends in the same commit as the key; RENEW3_R
//       still goes out before the caller's connection closes.
#include "shared/keys.hpp"
#include <algorithm>
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

void handle_renew1(Ctx& ctx) {
    auto d = msg::decode<msg::Renew1>(ctx.req.plaintext);
    if (!ctx.token_ok(d.m.token)) return ctx.error(d.m.nonce, proto::AUTH_FAILED, "not your token", false);
    ctx.conn.renew1_done = true;
    msg::Renew1R r;
    r.nonce = d.m.nonce;
    ctx.reply(msg::encode_body(r), false);
}

namespace {

// What the pool made of a RENEW2's offer: the ECIES open and the X25519 of
// the new channel keys, the costly part.
struct RenewOpened {
    std::optional<KeyOffer> offer;
    std::optional<ServerKeys> keys;
};

// On the loop again: the token check, then RENEW2_R and the key switch.
const char* finish_renew2(Ctx& ctx, RenewOpened& o) {
    auto refuse = [&](const Nonce& n, uint8_t st, const char* text) {
        ctx.conn.renew_pending = false;
        ctx.error(n, st, text, false);
        return nullptr;
    };
    if (!o.offer) return refuse(Nonce{}, proto::BAD_REQUEST, "renewal offer does not open");
    if (!ctx.token_ok(*o.offer->token)) return refuse(o.offer->nonce, proto::AUTH_FAILED, "not your token");
    if (!o.keys) return refuse(o.offer->nonce, proto::BAD_REQUEST, "zero shared secret");
    msg::Renew2R r;
    r.nonce = o.keys->nonce;
    r.server_random = o.keys->server_random;
    r.server_eph_pub = o.keys->server_eph_pub;
    auto shared = std::make_shared<ServerKeys>(std::move(*o.keys));
    Connection* c = &ctx.conn;
    ctx.reply_after_commit([body = msg::encode_body(r)](bool) { return body; }, false,
                           [c, shared](bool) {
                               // RENEW2_R is sealed under the old key; switch now.
                               c->channel.emplace(std::move(shared->channel));
                               c->session_id = shared->session_id;
                               c->renew_pending = false;
                           });
    return nullptr;
}

}  // namespace

void handle_renew2(Ctx& ctx) {
    auto d = msg::decode<msg::Renew2>(ctx.req.plaintext);
    bool had_renew1 = ctx.conn.renew1_done;
    ctx.conn.renew1_done = false;  // a failed RENEW2 uses up its RENEW1
    if (!had_renew1) return ctx.error(Nonce{}, proto::BAD_REQUEST, "RENEW1 must come first", false);
    // From here until RENEW2_R (or the ERROR) any client frame closes
    // (tacit-protocol(7), RENEW2), so nothing on this connection overtakes
    // the renewal while the pool opens it.
    ctx.conn.renew_pending = true;
    ctx.offload([ecies = d.m.ecies](const ServerIdentity& keys) -> Ctx::Finish {
        auto o = std::make_shared<RenewOpened>();
        auto pt = crypto::ecies_open("renew", keys.box, ecies);
        if (pt) o->offer = KeyOffer::decode(*pt, true);
        if (o->offer) o->keys = server_establish(*o->offer, ByteView(ecies).first(32), ecies);
        return [o](Ctx& c) { return finish_renew2(c, *o); };
    });
}

namespace {

void answer_renew3(Ctx& ctx, const Nonce& n, uint8_t st, std::string text) {
    msg::Renew3R r;
    r.nonce = n;
    r.status = st;
    r.msg = std::move(text);
    ctx.reply(msg::encode_body(r), true);
}

// Both signatures verified: the key (and perhaps the password) is replaced.
// Every session of the account ends with the key: the operation deletes
// their stored records in the same write, so no commit leaves one that
// outlives the key, and the continuation closes them even if this
// connection is gone by then.
void replace_key(Ctx& ctx, const Nonce& n, store::KeyChange change) {
    const std::string user = change.user;
    const uint32_t old_version = change.expected_version;
    ctx.store().replace_key(std::move(change), ctx.then<store::KeyReplaced>([n, user, old_version](Ctx& ctx,
                                                                                                store::KeyReplaced k) {
        const char* text = k.status != proto::OK ? "key renewal failed"
                           : k.key_changed       ? (k.pw_changed ? "key and password replaced; log in again"
                                                                 : "key replaced; log in again")
                           : k.pw_changed        ? "password replaced; log in again"
                                                 : "nothing changed; log in again";
        // Queued before the sessions close, so it goes out ahead of the close.
        answer_renew3(ctx, n, k.status, text);
        fmt::print(stderr, "tacitd: conn={} renew3 user={} status={}\n", ctx.conn.id, user,
                   proto::status_name(k.status));
        if (k.status != proto::OK) return;
        // Those the store ended, and any other still on the old key.
        for (auto& s : ctx.sessions().of_user(user))
            if (s->key_version <= old_version || std::find(k.ended.begin(), k.ended.end(), s->hash) != k.ended.end())
                ctx.sessions().close(*s);
    }));
}

}  // namespace

void handle_renew3(Ctx& ctx) {
    auto d = msg::decode<msg::Renew3>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    if (!ctx.token_ok(m.token)) return answer_renew3(ctx, n, proto::AUTH_FAILED, "not your token");
    // The old key's signature was checked in the pool before the handler
    // ran (Server::hold_frame); the new key's is checked there now.
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0]))
        return answer_renew3(ctx, n, proto::AUTH_FAILED, "old key signature does not verify");
    auto bundle = UserBundle::decode(m.public_key);
    std::optional<crypto::PkKey> nk;
    if (bundle) nk = crypto::PkKey::parse_public_der(bundle->rsa_der);
    if (!nk) return answer_renew3(ctx, n, proto::BAD_REQUEST, "new public key is not a tacit user bundle");
    if (m.pass.size() != proto::kPassLen) return answer_renew3(ctx, n, proto::BAD_REQUEST, "pass must be 32 bytes");
    // The change's pass is wiped by the operation, or here when it never runs.
    struct Pending {
        store::KeyChange c;
        ~Pending() { wipe(c.pass.data(), c.pass.size()); }
    };
    auto pending = std::make_shared<Pending>();
    pending->c = store::KeyChange{ctx.user(), ctx.conn.session->key_version, m.pass, m.public_key};
    wipe(m.pass.data(), m.pass.size());
    ctx.verify_then(*nk, ctx.sig_input(d.signed_len), d.sigs[1], [n, pending](Ctx& ctx, bool ok) {
        if (!ok) return answer_renew3(ctx, n, proto::AUTH_FAILED, "new key signature does not verify");
        // The session may have ended while the pool checked (another RENEW3).
        auto& s = ctx.conn.session;
        if (!s || s->ended || s->expires_ms <= ctx.wall_ms())
            return answer_renew3(ctx, n, proto::AUTH_FAILED, "not your token");
        replace_key(ctx, n, std::move(pending->c));
    });
}

}  // namespace tacit::srv
