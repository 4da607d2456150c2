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
    auto rec = ctx.store().read([&](store::Txn& t) { return t.get_user(m.target); });
    if (!rec) return fail(proto::NO_SUCH_USER, "no such user: " + m.target, m.target);

    // The key may come from a registration earlier in this pass: it goes
    // out only if that pass commits.
    Nonce n = m.nonce1;
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
    fmt::print(stderr, "tacitd: conn={} msg1 user={} target={} status=OK\n", ctx.conn.id, ctx.user(), m.target);
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
    if (m.wrapped_key.size() != proto::kWrappedKeyLen)
        return answer(proto::BAD_REQUEST, "wrapped key must be 80 bytes", m.target);

    const std::string target = m.target;
    store::StoredMsg sm;
    sm.kind = proto::STORED_MESSAGE;
    sm.sender = user;
    sm.received_at_ms = ctx.wall_ms();
    sm.enc_msg = std::move(m.enc_msg);
    sm.wrapped_key = std::move(m.wrapped_key);
    uint64_t count = 0;
    std::string why;  // which quota refused it, as a sentence for the sender
    uint8_t st = ctx.store().write([&](store::Txn& t) -> uint8_t {
        why.clear();
        if (!t.get_user(target)) return proto::NO_SUCH_USER;
        if (auto l = t.mail_limit(target, sm); l != store::Limit::None) {
            why = store::limit_sentence(l, t.quotas(), target);
            return proto::STORAGE_FULL;
        }
        t.append_mail(target, sm);  // a copy: fn may run again after MAP_FULL
        count = t.mailbox_count(target);
        return proto::OK;
    });
    WriteMark mark(ctx.store());
    Presence* presence = &ctx.presence();
    ctx.reply_after_commit(
        [n, st, target, mark, why](bool committed) {
            msg::Msg2R r;
            r.nonce2 = n;
            r.status = st;
            if (st == proto::OK && !mark.durable(committed)) r.status = proto::STORAGE_FULL;
            switch (r.status) {
            case proto::OK: r.msg = "stored for " + target; break;
            case proto::NO_SUCH_USER: r.msg = "no such user: " + target; break;
            case proto::STORAGE_FULL:
                r.msg = why.empty() ? "server storage is full; try later" : why;
                break;
            default: r.msg = "message not stored"; break;
            }
            return msg::encode_body(r);
        },
        true,
        [st, mark, presence, target, count](bool committed) {
            if (st == proto::OK && mark.durable(committed))
                notify_deliveries(*presence, {Delivery{target, count, true}}, false);
        });
    fmt::print(stderr, "tacitd: conn={} msg2 user={} target={} status={}{}{}\n", ctx.conn.id, user, target,
               proto::status_name(st), why.empty() ? "" : ": ", why);
}

}  // namespace tacit::srv
