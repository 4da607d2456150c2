// The plaintext exchanges before the channel (tacit-protocol(7),
// HANDSHAKE): KEY_REQUEST, HELLO and RESUME, and a resumed connection's
// first sealed frame. Each returns why the connection must close now, or
// nullptr. Nothing here is signed or stored: the peer has proved nothing
// yet, so every check that is cheap comes before the one that is not.
#include <fmt/core.h>

#include "shared/clock.hpp"
#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/wire.hpp"
#include "srv/handler.hpp"

namespace tacit::srv {

namespace {

const char* refuse_resume(Ctx& ctx, const KeyOffer& offer, const std::shared_ptr<Session>& s, bool full) {
    Connection& c = ctx.conn;
    // Same length as RENEW2_R (81 bytes), so a dead token looks like a live one.
    std::string msg = full ? "too many connections on this session; close one first"
                           : "session expired or unknown; log in again";
    msg.resize(61, ' ');
    uint8_t status = full ? proto::RATE_LIMITED : proto::AUTH_FAILED;
    ctx.reply_frame(seal_preliminary(offer, error_body(offer.nonce, status, msg)));
    c.closing = true;
    c.state = ConnState::Open;  // anything else it sends is ignored until close
    log_conn(c, full ? fmt::format("resume refused: user={} holds {} connections on this session "
                                   "(--max-conns-per-session)",
                                   s->user, s->conns.size() + s->resuming)
                     : std::string("resume refused: bad or expired token"));
    return nullptr;
}

// What a worker makes of a HELLO or RESUME: the offer opened and the keys
// established, or why the connection must close.
struct Opened {
    const char* why = nullptr;
    std::optional<KeyOffer> offer;
    std::optional<ServerKeys> keys;
};

// The costly half, on a worker with its own keys (srv/crypto_pool.hpp): one
// ECIES open and the X25519 of the key establishment.
Opened open_hello(const ServerIdentity& keys, ByteView body, bool resume) {
    Opened o;
    auto ecies = body.subspan(6);
    auto pt = crypto::ecies_open(resume ? "resume" : "hello", keys.box, ecies);
    o.offer = pt ? KeyOffer::decode(*pt, resume) : std::nullopt;
    if (!o.offer) {
        o.why = "handshake does not open";
        return o;
    }
    o.keys = server_establish(*o.offer, ecies.first(32), body);
    if (!o.keys) o.why = "handshake with zero shared secret";
    return o;
}

// The loop's half: the session looked up, HELLO_R or RESUME's reply queued
// and the channel set up.
const char* finish_hello(Ctx& ctx, bool resume, Opened& o) {
    Connection& c = ctx.conn;
    if (c.state != ConnState::Opening) return nullptr;
    if (o.why) return o.why;
    std::shared_ptr<Session> s;
    if (resume) s = ctx.sessions().find(*o.offer->token);
    // The session's connections each may buffer up to --output-cap, so a
    // token must not multiply them without bound.
    bool full = s && s->conns.size() + s->resuming >= ctx.limits().max_conns_per_session();
    if (resume && (!s || full)) return refuse_resume(ctx, *o.offer, s, full);
    Bytes reply;
    if (resume) {
        msg::Renew2R rr;
        rr.nonce = o.keys->nonce;
        rr.server_random = o.keys->server_random;
        rr.server_eph_pub = o.keys->server_eph_pub;
        reply = msg::encode_body(rr);
    } else {
        msg::HelloR r;
        r.nonce = o.keys->nonce;
        r.server_random = o.keys->server_random;
        r.server_eph_pub = o.keys->server_eph_pub;
        reply = msg::encode_body(r);
    }
    // Under a key with fresh server randomness (tacit-protocol(7), HELLO_R):
    // a replayed HELLO or RESUME gets another key, not another plaintext
    // under the same key and IV.
    ctx.reply_frame(seal_preliminary(*o.offer, reply));
    c.channel.emplace(std::move(o.keys->channel));
    c.session_id = o.keys->session_id;
    if (resume) {
        c.session = s;
        ++s->resuming;
        c.state = ConnState::Resuming;
        log_conn(c, fmt::format("resume offered for user={}", s->user));
    } else {
        c.state = ConnState::Open;
        log_conn(c, "handshake done");
    }
    return nullptr;
}

const char* hello(Ctx& ctx, bool resume) {
    ByteView body = ctx.req.plaintext;
    if (body.size() - 6 != (resume ? proto::kResumeEciesLen : proto::kHelloEciesLen))
        return "handshake of wrong size";
    // Nothing more is read from it until the pool is done (a client has
    // nothing to send before HELLO_R); the charge was made before this.
    ctx.conn.state = ConnState::Opening;
    ctx.offload([resume, body = Bytes(body.begin(), body.end())](const ServerIdentity& keys) -> Ctx::Finish {
        auto o = std::make_shared<Opened>(open_hello(keys, body, resume));
        return [resume, o](Ctx& c) { return finish_hello(c, resume, *o); };
    });
    return nullptr;
}

// A client of another version is told so in the clear (REFUSED,
// tacit-protocol(7) FRAMING) instead of a silent close. No crypto, one
// short answer per connection, under the handshake rate limit.
const char* refuse_version(Ctx& ctx, uint8_t version) {
    if (!ctx.limits().admit(Limit::Handshake, ctx.conn.peer_key)) return "handshake rate limit";
    auto why = fmt::format("this server speaks tacit protocol v{}, the client v{}", proto::kVersion, version);
    ctx.reply_frame(frame_with_prefix(refusal_body(why)));
    log_conn(ctx.conn, fmt::format("refused protocol v{}", version));
    ctx.close_after_output("other protocol version");
    return nullptr;
}

}  // namespace

const char* handle_plain(Ctx& ctx) {
    Connection& c = ctx.conn;
    ByteView body = ctx.req.plaintext;
    // "TACT" | version | kind | payload
    if (body.size() < 6 || as_chars(body.first(4)) != proto::kMagic) return "not a tacit handshake";
    if (body[4] != proto::kVersion) return refuse_version(ctx, body[4]);
    uint8_t kind = body[5];
    auto payload = body.subspan(6);
    // The key is public, but each answer is many times the request's 10
    // bytes: one per connection (tacit-protocol(7)).
    if (kind == uint8_t(proto::Kind::KeyRequest) && c.state == ConnState::KeySent)
        return "second KEY_REQUEST on one connection";
    if (kind == uint8_t(proto::Kind::KeyRequest) || kind == uint8_t(proto::Kind::Hello) ||
        kind == uint8_t(proto::Kind::Resume)) {
        // Limit before any crypto, so a flood cannot starve logged-in users.
        if (!ctx.limits().admit(Limit::Handshake, c.peer_key) || !ctx.limits().admit(Limit::HandshakeTotal, "*"))
            return "handshake rate limit";
    }
    switch (kind) {
    case uint8_t(proto::Kind::KeyRequest): {
        if (!payload.empty()) return "KEY_REQUEST with payload";
        Writer w;
        w.blob(ctx.identity().bundle().encode());
        ctx.reply_frame(frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::KeyResponse), w.bytes())));
        c.state = ConnState::KeySent;
        log_conn(c, "key request");
        return nullptr;
    }
    case uint8_t(proto::Kind::Hello):
        return hello(ctx, false);
    case uint8_t(proto::Kind::Resume):
        return hello(ctx, true);
    default:
        return "unexpected first frame";
    }
}

const char* complete_resume(Ctx& ctx) {
    Connection& c = ctx.conn;
    auto s = c.session;
    ctx.sessions().end_resume(c);
    if (!s || s->ended || s->expires_ms <= ctx.wall_ms()) return "session ended during resume";
    ctx.sessions().attach(c, s);
    log_conn(c, fmt::format("resumed user={}", s->user));
    return nullptr;
}

}  // namespace tacit::srv
