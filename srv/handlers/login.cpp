// Login, two steps, allowed before login only.
//   LOGIN1 (0x14): str user | nonce1 | sig -> LOGIN1_R (0x94): nonce2 | blob salt | sig
//   LOGIN2 (0x15): blob proof | sig -> LOGIN2_R (0x95): token | nonce1 | u8 status | str msg | sig
// proof = HMAC-SHA256(key = SHA-256(auth | salt), nonce2), compared in
// constant time. A failed login never says why: an unknown or malformed
// user, or a LOGIN1 whose signature fails, walks the same path with a decoy
// salt and a dummy key, and ends in the same AUTH_FAILED reply.
#include "shared/keys.hpp"
#include "shared/names.hpp"
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/server.hpp"

namespace tacit::srv {

namespace {

const char* kLoginFailed = "login failed: wrong user name, password or key";

std::optional<crypto::PkKey> user_key(const Bytes& bundle_bytes) {
    auto b = UserBundle::decode(bundle_bytes);
    if (!b) return std::nullopt;
    return crypto::PkKey::parse_public_der(b->rsa_der);
}

}  // namespace

void handle_login1(Ctx& ctx) {
    auto d = msg::decode<msg::Login1>(ctx.req.plaintext);
    auto& m = d.m;
    const auto& host = ctx.conn.peer_key;  // address, IPv6 /64 or uid (srv/peer.hpp)
    auto now = ctx.srv.loop().now_ms();
    // Both buckets are charged for known and unknown names alike.
    bool ok_user = ctx.srv.login_limiter().take("user:" + m.user, now);
    bool ok_addr = ctx.srv.login_limiter().take("addr:" + host, now);
    if (!ok_user || !ok_addr)
        return ctx.error(m.nonce1, proto::RATE_LIMITED, "too many login attempts; wait a minute", true);

    LoginPending lp;
    lp.user = m.user;
    lp.nonce1 = m.nonce1;
    crypto::random_bytes(lp.nonce2.data(), lp.nonce2.size());
    std::optional<store::UserRec> rec;
    if (valid_name(m.user)) rec = ctx.store().read([&](store::Txn& t) { return t.get_user(m.user); });
    std::optional<crypto::PkKey> key;
    if (rec) key = user_key(rec->public_key);
    bool sig_ok = ctx.verify(key ? *key : ctx.srv.dummy_user_key(), d.signed_len, d.sigs[0]);
    if (rec && key && sig_ok) {
        lp.decoy = false;
        lp.salt = rec->salt;
        std::copy(rec->verifier.begin(), rec->verifier.end(), lp.verifier.a.begin());
        wipe(rec->verifier.data(), rec->verifier.size());
    } else {
        auto secret = ctx.store().read([](store::Txn& t) { return t.decoy_secret(); });
        auto mac = crypto::hmac_sha256(secret, concat({as_bytes("decoy"), as_bytes(m.user)}));
        std::copy(mac.begin(), mac.begin() + 16, lp.salt.begin());
        wipe(secret.data(), secret.size());
    }
    msg::Login1R r;
    r.nonce2 = lp.nonce2;
    r.salt.assign(lp.salt.begin(), lp.salt.end());
    ctx.conn.login = std::move(lp);
    ctx.reply(msg::encode_body(r), true);
}

void handle_login2(Ctx& ctx) {
    auto d = msg::decode<msg::Login2>(ctx.req.plaintext);
    std::optional<LoginPending> lp = std::move(ctx.conn.login);
    ctx.conn.login.reset();  // one proof per LOGIN1
    msg::Login2R r;
    r.status = proto::AUTH_FAILED;
    r.msg = kLoginFailed;
    if (!lp) {
        r.msg = "send LOGIN1 first";
        return ctx.reply(msg::encode_body(r), true);
    }
    r.nonce1 = lp->nonce1;
    std::optional<crypto::PkKey> key;
    if (!lp->decoy) {
        auto rec = ctx.store().read([&](store::Txn& t) { return t.get_user(lp->user); });
        if (rec) key = user_key(rec->public_key);
    }
    bool sig_ok = ctx.verify(key ? *key : ctx.srv.dummy_user_key(), d.signed_len, d.sigs[0]);
    auto expect = crypto::hmac_sha256(lp->verifier, lp->nonce2);
    bool proof_ok = ct_equal(expect, d.m.proof);
    wipe(expect.data(), expect.size());
    if (!lp->decoy && key && sig_ok && proof_ok) {
        auto s = ctx.srv.sessions().create(lp->user, ctx.now_ms() + ctx.cfg().token_ttl_ms);
        s->key = std::make_shared<const crypto::PkKey>(std::move(*key));
        ctx.srv.attach(ctx.conn, s);
        r.status = proto::OK;
        r.token = s->token;
        r.msg = "welcome, " + lp->user;
    }
    fmt::print(stderr, "tacitd: conn={} peer={} login user={} status={}\n", ctx.conn.id,
               ctx.conn.peer, lp->user, proto::status_name(r.status));
    auto body = msg::encode_body(r);
    wipe(r.token.data(), r.token.size());
    ctx.reply(std::move(body), true);
}

}  // namespace tacit::srv
