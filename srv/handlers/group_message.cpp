// Group messages; logged in only. Every reply has a status, so failures go
// in the reply, never in ERROR.
//   GROUP_MSG1 (0x1F): token | str group | nonce | sig
//       -> GROUP_MSG1_R (0x9F): u8 status | str msg | nonce |
//          list<(str user, blob public_key)> of the OTHER members | sig
//       A non-member gets NOT_MEMBER and an empty list.
//   GROUP_MSG2 (0x20): nonce_i | str group | str target | blob enc_msg |
//       blob wrapped_key (empty) | sig -> GROUP_MSG2_R (0xA0): str msg | u8 status | nonce_i | sig
//   GROUP_MSG2_BATCH (0x21): nonce | str group | list<(str target, blob
//       enc_msg, blob wrapped_key (empty))> | sig -> GROUP_MSG2_BATCH_R (0xA1): str msg |
//       u8 status | nonce | sig. One signature, one storage transaction, all
//       or nothing; the msg names the part that failed.
// Sender and targets must be members at the moment of the write (the same
// transaction checks and stores). Each part is stored in the target's
// mailbox as STORED_MESSAGE with the group set; targets get NOTIFY mail
// after the commit.
#include <fmt/core.h>

#include <set>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

namespace {

// GROUP_MSG1_R must fit one logged-in frame: body + sig + GCM tag.
constexpr size_t kMaxReplyBody = proto::kMaxFrameLoggedIn - 16 - 2 - proto::kMaxSig;

// The per-part checks that need no storage; "" when the part is fine.
std::string part_problem(const std::string& target, const Bytes& enc_msg, const Bytes& wrapped_key,
                         uint8_t* st) {
    if (auto why = bad_name("target name", target); !why.empty()) {
        *st = proto::BAD_REQUEST;
        return why;
    }
    if (enc_msg.size() > proto::kMaxEncMsg) {
        *st = proto::TOO_LARGE;
        return "message to " + target + " is larger than 65 KiB";
    }
    // Each part travels on the sender's pairwise ratchet session with its
    // target (tacit-protocol(7), GROUP MESSAGES) and wraps no key.
    if (!wrapped_key.empty()) {
        *st = proto::BAD_REQUEST;
        return "a group message part carries no wrapped key (to " + target + ")";
    }
    return {};
}

// Stores every part or none, answers with Reply (GroupMsg2R or
// GroupMsg2BatchR) once that is final, and on OK sends NOTIFY mail to each
// target.
template <class Reply>
void deliver(Ctx& ctx, const char* op, const Nonce& n, store::Mail mail, const std::string& ok_text) {
    mail.sender = ctx.user();
    mail.at_ms = ctx.wall_ms();
    const std::string sender = mail.sender, group = mail.group;
    const size_t parts = mail.parts.size();
    ctx.store().deliver(std::move(mail), ctx.then<store::Changed>([op, n, ok_text, sender, group, parts](
                                                                      Ctx& ctx, store::Changed c) {
        Reply r;
        r.nonce = n;
        r.status = c.status;
        r.msg = c.status == proto::OK ? ok_text : c.why;
        ctx.reply(msg::encode_body(r), true);
        fmt::print(stderr, "tacitd: conn={} {} user={} group={} parts={} status={}{}{}\n", ctx.conn.id, op, sender,
                   group, parts, proto::status_name(c.status), c.status == proto::OK ? "" : ": ",
                   c.status == proto::OK ? "" : c.why);
        if (c.status == proto::OK) notify_deliveries(ctx.presence(), c.deliveries);
    }));
}

}  // namespace

void handle_group_msg1(Ctx& ctx) {
    auto d = msg::decode<msg::GroupMsg1>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    const std::string user = ctx.user();
    auto answer = [&](uint8_t st, std::string text) {
        answer_status<msg::GroupMsg1R>(ctx, "group_msg1", n, st, std::move(text));
    };
    if (std::string why; check_signed(ctx, d, &why) != proto::OK) return answer(proto::AUTH_FAILED, why);
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);

    const std::string group = m.group;
    ctx.store().group_view(group, user, ctx.then<store::GroupView>([n, user, group](Ctx& ctx, store::GroupView v) {
        msg::GroupMsg1R r;
        r.nonce = n;
        r.status = v.status;
        r.members = std::move(v.others);
        switch (r.status) {
        case proto::OK: r.msg = std::to_string(r.members.size()) + " other members in " + group; break;
        case proto::NO_SUCH_GROUP: r.msg = "no such group: " + group; break;
        case proto::NOT_MEMBER: r.msg = "you are not a member of " + group; break;
        default: break;
        }
        auto body = msg::encode_body(r);
        if (body.size() > kMaxReplyBody) {
            r.members.clear();
            r.status = proto::TOO_LARGE;
            r.msg = "group " + group + " has too many members to list in one frame";
            body = msg::encode_body(r);
        }
        const uint8_t st = r.status;
        const size_t listed = r.members.size();
        // The list may hold members added earlier in this pass: it goes out
        // only if that pass commits.
        ctx.reply_after_commit(
            [body = std::move(body), n](bool committed) {
                if (committed) return body;
                msg::GroupMsg1R f;
                f.status = proto::STORAGE_FULL;
                f.msg = "server storage failed; try again";
                f.nonce = n;
                return msg::encode_body(f);
            },
            true);
        fmt::print(stderr, "tacitd: conn={} group_msg1 user={} group={} others={} status={}\n", ctx.conn.id, user,
                   group, listed, proto::status_name(st));
    }));
}

void handle_group_msg2(Ctx& ctx) {
    auto d = msg::decode<msg::GroupMsg2>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    auto answer = [&](uint8_t st, std::string text) {
        fmt::print(stderr, "tacitd: conn={} group_msg2 user={} status={}: {}\n", ctx.conn.id, ctx.user(),
                   proto::status_name(st), text);
        msg::GroupMsg2R r;
        r.msg = std::move(text);
        r.status = st;
        r.nonce = n;
        ctx.reply(msg::encode_body(r), true);
    };
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0])) return answer(proto::AUTH_FAILED, "bad signature");
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);
    uint8_t st = proto::OK;
    if (auto why = part_problem(m.target, m.enc_msg, m.wrapped_key, &st); !why.empty()) return answer(st, why);
    store::Mail mail;
    mail.group = m.group;
    mail.parts.push_back(store::Part{m.target, std::move(m.enc_msg), std::move(m.wrapped_key)});
    deliver<msg::GroupMsg2R>(ctx, "group_msg2", n, std::move(mail), "stored for " + m.target);
}

void handle_group_msg2_batch(Ctx& ctx) {
    auto d = msg::decode<msg::GroupMsg2Batch>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    auto answer = [&](uint8_t st, std::string text) {
        fmt::print(stderr, "tacitd: conn={} group_msg2_batch user={} parts={} status={}: {}\n", ctx.conn.id,
                   ctx.user(), m.parts.size(), proto::status_name(st), text);
        msg::GroupMsg2BatchR r;
        r.msg = std::move(text);
        r.status = st;
        r.nonce = n;
        ctx.reply(msg::encode_body(r), true);
    };
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0])) return answer(proto::AUTH_FAILED, "bad signature");
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);
    if (m.parts.empty()) return answer(proto::BAD_REQUEST, "a batch needs at least one part");
    store::Mail mail;
    mail.group = m.group;
    mail.parts.reserve(m.parts.size());
    std::set<std::string> seen;
    for (auto& p : m.parts) {
        uint8_t st = proto::OK;
        if (auto why = part_problem(p.target, p.enc_msg, p.wrapped_key, &st); !why.empty())
            return answer(st, "part " + std::to_string(mail.parts.size() + 1) + ": " + why);
        // One part per member: a repeat would store the message twice.
        if (!seen.insert(p.target).second) return answer(proto::BAD_REQUEST, p.target + " appears twice in the batch");
        mail.parts.push_back(store::Part{p.target, std::move(p.enc_msg), std::move(p.wrapped_key)});
    }
    const std::string ok_text = "stored for " + std::to_string(mail.parts.size()) + " members of " + m.group;
    deliver<msg::GroupMsg2BatchR>(ctx, "group_msg2_batch", n, std::move(mail), ok_text);
}

}  // namespace tacit::srv
