// Direct messages, two steps; logged in only.
//   MSG1 (0x18): token | str target | nonce1 | sig
//       -> MSG1_R (0x98): blob target_public_key | nonce1 | sig
//       unknown target or bad token/signature -> ERROR (signed), since
//       MSG1_R has no status field.
//   MSG2 (0x19): nonce2 | str target | blob enc_msg | blob wrapped_key | sig
//       -> MSG2_R (0x99): str msg | u8 status | nonce2 | sig
// MSG2 has no token: the connection's login and the user's signature name
// the sender. The message is stored in the target's mailbox as
// STORED_MESSAGE, and the target's sessions get NOTIFY mail once the pass
// has committed.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

void handle_msg1(Ctx& ctx) {
    auto d = msg::decode<msg::Msg1>(ctx.req.plaintext);
    auto& m = d.m;
    auto fail = [&](uint8_t st, std::string text, const std::string& target) {
        fmt::print(stderr, "tacitd: conn={} msg1 user={} target={} status={}\n", ctx.conn.id, ctx.user(),
                   target, proto::status_name(st));
        ctx.error(m.nonce1, st, std::move(text), true);
    };
    if (!ctx.token_ok(m.token)) return fail(proto::AUTH_FAILED, "not your token", "-");
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0])) return fail(proto::AUTH_FAILED, "bad signature", "-");
    if (auto why = bad_name("user name", m.target); !why.empty()) return fail(proto::BAD_REQUEST, why, "-");
    const std::string target = m.target, user = ctx.user();
    const Nonce n = m.nonce1;
    ctx.store().get_user(target, ctx.then<std::optional<store::UserRec>>([n, target, user](Ctx& ctx,
                                                                                         std::optional<store::UserRec> rec) {
        if (!rec) {
            fmt::print(stderr, "tacitd: conn={} msg1 user={} target={} status={}\n", ctx.conn.id, user, target,
                       proto::status_name(proto::NO_SUCH_USER));
            return ctx.error(n, proto::NO_SUCH_USER, "no such user: " + target, true);
        }
        wipe(rec->verifier.data(), rec->verifier.size());
        // The key may come from a registration earlier in this pass: it
        // goes out only if that pass commits.
        ctx.reply_after_commit(
            [n, key = std::move(rec->public_key)](bool committed) {
                if (!committed) {
                    msg::Error e;
                    e.nonce = n;
                    e.status = proto::INTERNAL;
                    e.msg = "server storage failed; try again";
                    return msg::encode_body(e);
                }
                msg::Msg1R r;
                r.target_public_key = key;
                r.nonce1 = n;
                return msg::encode_body(r);
            },
            true);
        fmt::print(stderr, "tacitd: conn={} msg1 user={} target={} status=OK\n", ctx.conn.id, user, target);
    }));
}

void handle_msg2(Ctx& ctx) {
    auto d = msg::decode<msg::Msg2>(ctx.req.plaintext);
    auto& m = d.m;
    Nonce n = m.nonce2;
    const std::string user = ctx.user();
    auto answer = [&](uint8_t st, std::string text, const std::string& target) {
        fmt::print(stderr, "tacitd: conn={} msg2 user={} target={} status={}\n", ctx.conn.id, user, target,
                   proto::status_name(st));
        msg::Msg2R r;
        r.msg = std::move(text);
        r.status = st;
        r.nonce2 = n;
        ctx.reply(msg::encode_body(r), true);
    };
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0])) return answer(proto::AUTH_FAILED, "bad signature", "-");
    if (auto why = bad_name("user name", m.target); !why.empty()) return answer(proto::BAD_REQUEST, why, "-");
    if (m.enc_msg.size() > proto::kMaxEncMsg)
        return answer(proto::TOO_LARGE, "message is larger than 65 KiB", m.target);
    // A direct message travels under its ratchet and wraps no key
    // (tacit-protocol(7), DIRECT MESSAGES): the 80-byte ECIES form is only a
    // group message's, and storing one here would only be refused later.
    if (!m.wrapped_key.empty())
        return answer(proto::BAD_REQUEST, "a direct message carries no wrapped key", m.target);

    const std::string target = m.target;
    store::Mail mail;
    mail.sender = user;
    mail.at_ms = ctx.wall_ms();
    mail.parts.push_back(store::Part{target, std::move(m.enc_msg), std::move(m.wrapped_key)});
    ctx.store().deliver(std::move(mail), ctx.then<store::Changed>([n, user, target](Ctx& ctx, store::Changed c) {
        msg::Msg2R r;
        r.nonce2 = n;
        r.status = c.status;
        switch (r.status) {
        case proto::OK: r.msg = "stored for " + target; break;
        case proto::NO_SUCH_USER: r.msg = "no such user: " + target; break;
        case proto::STORAGE_FULL: r.msg = c.why; break;
        default: r.msg = "message not stored"; break;
        }
        ctx.reply(msg::encode_body(r), true);
        fmt::print(stderr, "tacitd: conn={} msg2 user={} target={} status={}{}{}\n", ctx.conn.id, user, target,
                   proto::status_name(c.status), c.why.empty() ? "" : ": ", c.why);
        if (c.status == proto::OK) notify_deliveries(ctx.presence(), c.deliveries);
    }));
}

}  // namespace tacit::srv
