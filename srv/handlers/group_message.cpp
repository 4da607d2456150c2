// Group messages; logged in only. Every reply has a status, so failures go
// in the reply, never in ERROR.
//   GROUP_MSG1 (0x1F): token | str group | nonce | sig
//       -> GROUP_MSG1_R (0x9F): u8 status | str msg | nonce |
//          list<(str user, blob public_key)> of the OTHER members | sig
//       A non-member gets NOT_MEMBER and an empty list.
//   GROUP_MSG2 (0x20): nonce_i | str group | str target | blob enc_msg |
//       blob wrapped_key | sig -> GROUP_MSG2_R (0xA0): str msg | u8 status | nonce_i | sig
//   GROUP_MSG2_BATCH (0x21): nonce | str group | list<(str target, blob
//       enc_msg, blob wrapped_key)> | sig -> GROUP_MSG2_BATCH_R (0xA1): str msg |
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
    if (wrapped_key.size() != proto::kWrappedKeyLen) {
        *st = proto::BAD_REQUEST;
        return "wrapped key for " + target + " must be 80 bytes";
    }
    return {};
}

struct Part {
    std::string target;
    const Bytes* enc_msg;
    const Bytes* wrapped_key;
};

// Stores every part or none: run inside Store::write, which aborts the
// child transaction on anything but OK. *why says what failed.
uint8_t store_parts(store::Txn& t, const std::string& sender, const std::string& group, uint64_t now,
                    const std::vector<Part>& parts, std::vector<Delivery>& ds, std::string* why) {
    ds.clear();
    why->clear();
    auto g = t.get_group(group);
    if (!g || g->dissolved) {
        *why = "no such group: " + group;
        return proto::NO_SUCH_GROUP;
    }
    if (!t.is_member(group, sender)) {
        *why = "you are not a member of " + group;
        return proto::NOT_MEMBER;
    }
    for (const auto& p : parts) {
        if (!t.is_member(group, p.target)) {
            *why = p.target + " is not a member of " + group;
            return proto::NOT_MEMBER;
        }
        store::StoredMsg m;
        m.kind = proto::STORED_MESSAGE;
        m.sender = sender;
        m.group = group;
        m.received_at_ms = now;
        m.enc_msg = *p.enc_msg;
        m.wrapped_key = *p.wrapped_key;
        if (auto l = t.mail_limit(p.target, m); l != store::Limit::None) {
            *why = store::limit_sentence(l, t.quotas(), p.target);
            return proto::STORAGE_FULL;
        }
        t.append_mail(p.target, std::move(m));
        ds.push_back(Delivery{p.target, t.mailbox_count(p.target), true});
    }
    return proto::OK;
}

// Runs the write, queues the Reply (GroupMsg2R or GroupMsg2BatchR) and,
// once the write is durable, NOTIFY mail to each target.
template <class Reply>
void deliver(Ctx& ctx, const char* op, const Nonce& n, const std::string& group, const std::vector<Part>& parts,
             const std::string& ok_text) {
    const std::string sender = ctx.user();
    const uint64_t now = ctx.wall_ms();
    std::vector<Delivery> ds;
    std::string why;
    uint8_t st = ctx.store().write(
        [&](store::Txn& t) -> uint8_t { return store_parts(t, sender, group, now, parts, ds, &why); });
    if (st != proto::OK && why.empty()) why = "server storage is full; try later";
    WriteMark mark(ctx.store());
    Presence* presence = &ctx.presence();
    ctx.reply_after_commit(
        [n, st, why, ok_text, mark](bool committed) {
            Reply r;
            r.nonce = n;
            r.status = st;
            r.msg = st == proto::OK ? ok_text : why;
            if (st == proto::OK && !mark.durable(committed)) {
                r.status = proto::STORAGE_FULL;
                r.msg = "server storage is full; try later";
            }
            return msg::encode_body(r);
        },
        true,
        [st, mark, presence, ds = std::move(ds)](bool committed) {
            if (st == proto::OK && mark.durable(committed)) notify_deliveries(*presence, ds, false);
        });
    fmt::print(stderr, "tacitd: conn={} {} user={} group={} parts={} status={}{}{}\n", ctx.conn.id, op, sender,
               group, parts.size(), proto::status_name(st), st == proto::OK ? "" : ": ",
               st == proto::OK ? "" : why);
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
    msg::GroupMsg1R r;
    r.nonce = n;
    r.status = ctx.store().read([&](store::Txn& t) -> uint8_t {
        auto g = t.get_group(group);
        if (!g || g->dissolved) return proto::NO_SUCH_GROUP;
        if (!t.is_member(group, user)) return proto::NOT_MEMBER;
        for (auto& u : t.members(group)) {
            if (u == user) continue;
            // Users are never deleted; a member without a record is skipped
            // rather than listed without a key.
            auto rec = t.get_user(u);
            if (!rec) continue;
            r.members.push_back(msg::MemberKey{u, std::move(rec->public_key)});
        }
        return proto::OK;
    });
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
    std::vector<Part> parts{Part{m.target, &m.enc_msg, &m.wrapped_key}};
    deliver<msg::GroupMsg2R>(ctx, "group_msg2", n, m.group, parts, "stored for " + m.target);
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
    std::vector<Part> parts;
    parts.reserve(m.parts.size());
    std::set<std::string> seen;
    for (const auto& p : m.parts) {
        uint8_t st = proto::OK;
        if (auto why = part_problem(p.target, p.enc_msg, p.wrapped_key, &st); !why.empty())
            return answer(st, "part " + std::to_string(parts.size() + 1) + ": " + why);
        // One part per member: a repeat would store the message twice.
        if (!seen.insert(p.target).second) return answer(proto::BAD_REQUEST, p.target + " appears twice in the batch");
        parts.push_back(Part{p.target, &p.enc_msg, &p.wrapped_key});
    }
    deliver<msg::GroupMsg2BatchR>(ctx, "group_msg2_batch", n, m.group, parts,
                                  "stored for " + std::to_string(parts.size()) + " members of " + m.group);
}

}  // namespace tacit::srv
