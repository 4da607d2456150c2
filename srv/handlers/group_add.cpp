// GROUP_ADD (0x1D): token | str user | str group | nonce | sig
//   -> GROUP_ADD_R (0x9D): u8 status | str msg | nonce | sig
// Logged in only. Only the owner adds (NOT_OWNER). A dissolved group is
// NO_SUCH_GROUP. A group at --max-group-size members is TOO_LARGE; past
// --group-change-rate (the actor) or --group-add-rate (the added user:
// anyone may add anyone, so being added is limited too) RATE_LIMITED.
// Stores "added OWNER USER" for every member after the change (the new one
// included) and sends each NOTIFY group and mail after the commit.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

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

    const std::string subject = m.user, group = m.group;
    const uint64_t now = ctx.wall_ms();
    const auto& key = ctx.identity().sign;
    const size_t max_size = ctx.limits().max_group_size();
    std::vector<Delivery> ds;
    std::string why;  // the quota that refused the change's system entries
    bool charged = false;  // the subject's token, taken once even if fn re-runs
    uint8_t st = ctx.store().write([&](store::Txn& t) -> uint8_t {
        ds.clear();
        why.clear();
        auto g = t.get_group(group);
        if (!g || g->dissolved) return proto::NO_SUCH_GROUP;
        if (g->owner != actor) return proto::NOT_OWNER;
        if (!t.get_user(subject)) return proto::NO_SUCH_USER;
        if (t.is_member(group, subject)) return proto::ALREADY_MEMBER;
        if (t.member_count(group) >= max_size) return proto::TOO_LARGE;
        // Charged only for an add that would happen, so failed attempts by
        // others can't use up the subject's bucket.
        if (!charged && !ctx.limits().admit(Limit::GroupAdd, "added:" + subject))
            return proto::RATE_LIMITED;
        charged = true;
        t.add_member(group, subject);
        return store_system_entries(t, key, t.members(group), group, now, "added " + actor + " " + subject, ds, &why);
    });
    WriteMark mark(ctx.store());
    Presence* presence = &ctx.presence();
    ctx.reply_after_commit(
        [n, st, subject, group, mark, max_size, why](bool committed) {
            msg::GroupAddR r;
            r.nonce = n;
            r.status = (st == proto::OK && !mark.durable(committed)) ? uint8_t(proto::STORAGE_FULL) : st;
            switch (r.status) {
            case proto::OK: r.msg = "added " + subject + " to " + group; break;
            case proto::NO_SUCH_GROUP: r.msg = "no such group: " + group; break;
            case proto::NOT_OWNER: r.msg = "only the owner of " + group + " adds members"; break;
            case proto::NO_SUCH_USER: r.msg = "no such user: " + subject; break;
            case proto::ALREADY_MEMBER: r.msg = subject + " is already a member of " + group; break;
            case proto::TOO_LARGE:
                r.msg = group + " has " + std::to_string(max_size) + " members, the most this server allows";
                break;
            case proto::RATE_LIMITED: r.msg = subject + " was added to groups too often; try again later"; break;
            case proto::STORAGE_FULL: r.msg = why.empty() ? "server storage is full; try later" : why; break;
            default: r.msg = "member not added"; break;
            }
            return msg::encode_body(r);
        },
        true,
        [st, mark, presence, ds = std::move(ds)](bool committed) {
            if (st == proto::OK && mark.durable(committed)) notify_deliveries(*presence, ds, true);
        });
    fmt::print(stderr, "tacitd: conn={} group_add user={} group={} subject={} status={}\n", ctx.conn.id, actor,
               group, subject, proto::status_name(st));
}

}  // namespace tacit::srv
