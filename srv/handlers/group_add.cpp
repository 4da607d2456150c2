// GROUP_ADD (0x1D): token | str user | str group | nonce | sig
//   -> GROUP_ADD_R (0x9D): u8 status | str msg | nonce | sig
// Logged in only. Only the owner adds (NOT_OWNER). A dissolved group is
// NO_SUCH_GROUP. Stores "added OWNER USER" for every member after the
// change (the new one included) and sends each NOTIFY group and mail after
// the commit.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"
#include "srv/server.hpp"

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

    const std::string subject = m.user, group = m.group;
    const uint64_t now = ctx.now_ms();
    const auto& key = ctx.srv.identity().sign;
    std::vector<Delivery> ds;
    uint8_t st = ctx.store().write([&](store::Txn& t) -> uint8_t {
        ds.clear();
        auto g = t.get_group(group);
        if (!g || g->dissolved) return proto::NO_SUCH_GROUP;
        if (g->owner != actor) return proto::NOT_OWNER;
        if (!t.get_user(subject)) return proto::NO_SUCH_USER;
        if (t.is_member(group, subject)) return proto::ALREADY_MEMBER;
        t.add_member(group, subject);
        store_system_entries(t, key, t.members(group), group, now, "added " + actor + " " + subject, ds);
        return proto::OK;
    });
    WriteMark mark(ctx.store());
    Server* srv = &ctx.srv;
    ctx.reply_after_commit(
        [n, st, subject, group, mark](bool committed) {
            msg::GroupAddR r;
            r.nonce = n;
            r.status = (st == proto::OK && !mark.durable(committed)) ? uint8_t(proto::STORAGE_FULL) : st;
            switch (r.status) {
            case proto::OK: r.msg = "added " + subject + " to " + group; break;
            case proto::NO_SUCH_GROUP: r.msg = "no such group: " + group; break;
            case proto::NOT_OWNER: r.msg = "only the owner of " + group + " adds members"; break;
            case proto::NO_SUCH_USER: r.msg = "no such user: " + subject; break;
            case proto::ALREADY_MEMBER: r.msg = subject + " is already a member of " + group; break;
            case proto::STORAGE_FULL: r.msg = "server storage is full; try later"; break;
            default: r.msg = "member not added"; break;
            }
            return msg::encode_body(r);
        },
        true,
        [st, mark, srv, ds = std::move(ds)](bool committed) {
            if (st == proto::OK && mark.durable(committed)) notify_deliveries(*srv, ds, true);
        });
    fmt::print(stderr, "tacitd: conn={} group_add user={} group={} subject={} status={}\n", ctx.conn.id, actor,
               group, subject, proto::status_name(st));
}

}  // namespace tacit::srv
