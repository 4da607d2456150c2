// GROUP_REMOVE (0x1E): token | str user | str group | blob record | nonce | sig
//   -> GROUP_REMOVE_R (0x9E): u8 status | str msg | nonce | sig
// Logged in only. `record`: the signed remove, leave or dissolve record of
// the change, extending the stored head (else STALE_EPOCH). Three cases, by who the caller removes:
//   - someone else: owner only (NOT_OWNER), who must be a member
//     (NOT_MEMBER): a remove record.
//   - itself, not the owner: leaving, a leave record.
//   - itself, the owner: only as the last member, which dissolves the group
//     (a dissolve record); earlier BAD_REQUEST "remove the other members
//     first". The id stays taken; the group is NO_SUCH_GROUP from then on.
// The record is stored once; every member after the change and the user who
// was removed or left get NOTIFY group-records after the commit (the removed
// one then fetches the records up to its remove record, GROUP_FETCH).
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"
#include "srv/handlers/group_records.hpp"

namespace tacit::srv {

void handle_group_remove(Ctx& ctx) {
    auto d = msg::decode<msg::GroupRemove>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    const std::string actor = ctx.user();
    auto answer = [&](uint8_t st, std::string text) {
        answer_status<msg::GroupRemoveR>(ctx, "group_remove", n, st, std::move(text));
    };
    if (std::string why; check_signed(ctx, d, &why) != proto::OK) return answer(proto::AUTH_FAILED, why);
    if (auto why = bad_name("user name", m.user); !why.empty()) return answer(proto::BAD_REQUEST, why);
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);
    if (!group_change_allowed(ctx)) return answer(proto::RATE_LIMITED, kGroupChangeLimited);

    const std::string subject = m.user, group = m.group;
    const bool self = subject == actor;
    std::string bad;
    auto record = request_record(m.record, group, actor, subject, &bad);
    if (!record) return answer(proto::BAD_REQUEST, bad);
    store::MemberChange change;
    change.record = std::move(record);
    change.kind = store::MemberChange::Kind::Remove;
    change.group = group;
    change.actor = actor;
    change.subject = subject;
    change.at_ms = ctx.wall_ms();
    ctx.store().change_members(std::move(change), ctx.then<store::Changed>([n, actor, subject, group, self](
                                                                               Ctx& ctx, store::Changed c) {
        std::string text;
        switch (c.status) {
        case proto::OK:
            text = c.dissolved ? "dissolved group " + group
                   : self      ? "left group " + group
                               : "removed " + subject + " from " + group;
            break;
        case proto::NO_SUCH_GROUP: text = "no such group: " + group; break;
        case proto::NOT_OWNER: text = "only the owner of " + group + " removes other members"; break;
        case proto::NOT_MEMBER:
            text = self ? "you are not a member of " + group : subject + " is not a member of " + group;
            break;
        case proto::BAD_REQUEST: text = c.why.empty() ? "remove the other members first" : c.why; break;
        case proto::STORAGE_FULL:
        case proto::STALE_EPOCH: text = c.why; break;
        default: text = "member not removed"; break;
        }
        answer_change<msg::GroupRemoveR>(ctx, n, c, std::move(text), group);
        fmt::print(stderr, "tacitd: conn={} group_remove user={} group={} subject={} status={}{}\n", ctx.conn.id,
                   actor, group, subject, proto::status_name(c.status), c.dissolved ? " (dissolved)" : "");
    }));
}

}  // namespace tacit::srv
