// GROUP_ADD (0x1D): token | str user | str group | blob record | nonce | sig
//   -> GROUP_ADD_R (0x9D): u8 status | str msg | nonce | sig
// Logged in only. `record`: the owner's signed add record, naming the
// user's published bundle and extending the stored head (else
// STALE_EPOCH: the client fetches the newer records and retries). Only the owner adds (NOT_OWNER). A dissolved group is
// NO_SUCH_GROUP. A group at --max-group-size members is TOO_LARGE; past
// --group-change-rate (the actor) or --group-add-rate (the added user:
// anyone may add anyone, so being added is limited too) RATE_LIMITED.
// Stores the record once for the group, no mailbox entry, and sends every
// member after the change (the new one included) NOTIFY group-records after
// the commit.
// With user = the caller and a rekeyed record: the caller's key change
// (after RENEW3), by any member (NOT_MEMBER otherwise); the record must be
// signed by the old key the chain names and the new published one; no
// membership change; the members are told as of any change.
// tacit-protocol(7), GROUPS.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"
#include "srv/handlers/group_records.hpp"

namespace tacit::srv {

void handle_group_add(Ctx& ctx) {
    auto d = msg::decode<msg::GroupAdd>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    const std::string actor = ctx.user();
    auto answer = [&](uint8_t st, std::string text) {
        answer_status<msg::GroupAddR>(ctx, "group_add", n, st, std::move(text));
    };
    if (std::string why; check_signed(ctx, d, &why) != proto::OK) return answer(proto::AUTH_FAILED, why);
    if (auto why = bad_name("user name", m.user); !why.empty()) return answer(proto::BAD_REQUEST, why);
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);
    if (!group_change_allowed(ctx)) return answer(proto::RATE_LIMITED, kGroupChangeLimited);

    std::string bad;
    auto record = request_record(m.record, m.group, actor, m.user, &bad);
    if (!record) return answer(proto::BAD_REQUEST, bad);

    store::MemberChange change;
    change.record = std::move(record);
    change.kind = store::MemberChange::Kind::Add;
    change.group = m.group;
    change.actor = actor;
    change.subject = m.user;
    change.at_ms = ctx.wall_ms();
    const size_t max_size = ctx.limits().max_group_size();
    change.max_members = max_size;
    // Charged only for an add that would happen, so failed attempts by
    // others can't use up the subject's bucket.
    Limits* limits = &ctx.limits();
    change.admit = [limits, subject = m.user] { return limits->admit(Limit::GroupAdd, "added:" + subject); };
    ctx.store().change_members(std::move(change), ctx.then<store::Changed>([n, actor, subject = m.user, group = m.group,
                                                                            max_size](
                                                                               Ctx& ctx, store::Changed c) {
        std::string text;
        switch (c.status) {
        case proto::OK:
            text = subject == actor ? "recorded your new key in " + group : "added " + subject + " to " + group;
            break;
        case proto::NOT_MEMBER: text = "you are not a member of " + group; break;
        case proto::NO_SUCH_GROUP: text = "no such group: " + group; break;
        case proto::NOT_OWNER: text = "only the owner of " + group + " adds members"; break;
        case proto::NO_SUCH_USER: text = "no such user: " + subject; break;
        case proto::ALREADY_MEMBER: text = subject + " is already a member of " + group; break;
        case proto::TOO_LARGE:
            text = group + " has " + std::to_string(max_size) + " members, the most this server allows";
            break;
        case proto::RATE_LIMITED: text = subject + " was added to groups too often; try again later"; break;
        case proto::STORAGE_FULL:
        case proto::STALE_EPOCH:
        case proto::BAD_REQUEST: text = c.why; break;
        default: text = "member not added"; break;
        }
        answer_change<msg::GroupAddR>(ctx, n, c, std::move(text), group);
        fmt::print(stderr, "tacitd: conn={} group_add user={} group={} subject={} status={}\n", ctx.conn.id, actor,
                   group, subject, proto::status_name(c.status));
    }));
}

}  // namespace tacit::srv
