// GROUP_REMOVE (0x1E): token | str user | str group | nonce | sig
//   -> GROUP_REMOVE_R (0x9E): u8 status | str msg | nonce | sig
// Logged in only. Three cases, by who the caller removes:
//   - someone else: owner only (NOT_OWNER), who must be a member
//     (NOT_MEMBER); stores "removed OWNER USER".
//   - itself, not the owner: leaving; stores "left USER USER".
//   - itself, the owner: only as the last member, which dissolves the group
//     ("dissolved OWNER GROUP"); earlier BAD_REQUEST "remove the other
//     members first". The id stays taken; the group is NO_SUCH_GROUP from
//     then on.
// The entry goes to every member after the change and to the user who was
// removed or left; each gets NOTIFY group and mail after the commit.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

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
    const uint64_t now = ctx.wall_ms();
    const auto& key = ctx.identity().sign;
    std::vector<Delivery> ds;
    std::string why;  // the quota that refused the change's system entries
    bool dissolved = false;
    uint8_t st = ctx.store().write([&](store::Txn& t) -> uint8_t {
        ds.clear();
        why.clear();
        dissolved = false;
        auto g = t.get_group(group);
        if (!g || g->dissolved) return proto::NO_SUCH_GROUP;
        const bool owner = g->owner == actor;
        if (!self && !owner) return proto::NOT_OWNER;
        if (!t.is_member(group, subject)) return proto::NOT_MEMBER;
        std::string text;
        if (self && owner) {
            if (t.member_count(group) > 1) return proto::BAD_REQUEST;
            g->dissolved = true;
            t.put_group(group, *g);
            dissolved = true;
            text = "dissolved " + actor + " " + group;
        } else {
            text = (self ? "left " : "removed ") + actor + " " + subject;
        }
        t.remove_member(group, subject);
        auto to = t.members(group);
        to.push_back(subject);
        return store_system_entries(t, key, to, group, now, text, ds, &why);
    });
    WriteMark mark(ctx.store());
    Presence* presence = &ctx.presence();
    ctx.reply_after_commit(
        [n, st, self, dissolved, subject, group, mark, why](bool committed) {
            msg::GroupRemoveR r;
            r.nonce = n;
            r.status = (st == proto::OK && !mark.durable(committed)) ? uint8_t(proto::STORAGE_FULL) : st;
            switch (r.status) {
            case proto::OK:
                r.msg = dissolved ? "dissolved group " + group
                        : self    ? "left group " + group
                                  : "removed " + subject + " from " + group;
                break;
            case proto::NO_SUCH_GROUP: r.msg = "no such group: " + group; break;
            case proto::NOT_OWNER: r.msg = "only the owner of " + group + " removes other members"; break;
            case proto::NOT_MEMBER:
                r.msg = self ? "you are not a member of " + group : subject + " is not a member of " + group;
                break;
            case proto::BAD_REQUEST: r.msg = "remove the other members first"; break;
            case proto::STORAGE_FULL: r.msg = why.empty() ? "server storage is full; try later" : why; break;
            default: r.msg = "member not removed"; break;
            }
            return msg::encode_body(r);
        },
        true,
        [st, mark, presence, ds = std::move(ds)](bool committed) {
            if (st == proto::OK && mark.durable(committed)) notify_deliveries(*presence, ds, true);
        });
    fmt::print(stderr, "tacitd: conn={} group_remove user={} group={} subject={} status={}{}\n", ctx.conn.id,
               actor, group, subject, proto::status_name(st), dissolved ? " (dissolved)" : "");
}

}  // namespace tacit::srv
