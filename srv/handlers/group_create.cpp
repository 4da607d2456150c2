// GROUP_CREATE (0x1C): token | str group | nonce | sig
//   -> GROUP_CREATE_R (0x9C): u8 status | str msg | nonce | sig
// Logged in only. The caller becomes owner and first member. An id that was
// ever used, dissolved groups included, stays taken (GROUP_EXISTS), so
// nobody can pose as an old group. Stores "created OWNER GROUP" for the
// owner and sends NOTIFY group and mail after the commit.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

void handle_group_create(Ctx& ctx) {
    auto d = msg::decode<msg::GroupCreate>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    const std::string user = ctx.user();
    auto answer = [&](uint8_t st, std::string text) {
        answer_status<msg::GroupCreateR>(ctx, "group_create", n, st, std::move(text));
    };
    if (std::string why; check_signed(ctx, d, &why) != proto::OK) return answer(proto::AUTH_FAILED, why);
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);
    if (!group_change_allowed(ctx)) return answer(proto::RATE_LIMITED, kGroupChangeLimited);

    const std::string group = m.group;
    const uint64_t now = ctx.wall_ms();
    const auto& key = ctx.identity().sign;
    std::vector<Delivery> ds;
    std::string why;  // the quota that refused the change's system entries
    uint8_t st = ctx.store().write([&](store::Txn& t) -> uint8_t {
        ds.clear();
        why.clear();
        if (t.get_group(group)) return proto::GROUP_EXISTS;
        store::GroupRec g;
        g.owner = user;
        g.created_at_ms = now;
        t.put_group(group, g);
        t.add_member(group, user);
        return store_system_entries(t, key, {user}, group, now, "created " + user + " " + group, ds, &why);
    });
    WriteMark mark(ctx.store());
    Presence* presence = &ctx.presence();
    ctx.reply_after_commit(
        [n, st, group, mark, why](bool committed) {
            msg::GroupCreateR r;
            r.nonce = n;
            r.status = (st == proto::OK && !mark.durable(committed)) ? uint8_t(proto::STORAGE_FULL) : st;
            switch (r.status) {
            case proto::OK: r.msg = "created group " + group; break;
            case proto::GROUP_EXISTS: r.msg = "group id " + group + " is taken"; break;
            case proto::STORAGE_FULL: r.msg = why.empty() ? "server storage is full; try later" : why; break;
            default: r.msg = "group not created"; break;
            }
            return msg::encode_body(r);
        },
        true,
        [st, mark, presence, ds = std::move(ds)](bool committed) {
            if (st == proto::OK && mark.durable(committed)) notify_deliveries(*presence, ds, true);
        });
    fmt::print(stderr, "tacitd: conn={} group_create user={} group={} status={}\n", ctx.conn.id, user, group,
               proto::status_name(st));
}

}  // namespace tacit::srv
