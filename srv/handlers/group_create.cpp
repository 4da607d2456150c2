// GROUP_CREATE (0x1C): token | str group | blob record | nonce | sig
//   -> GROUP_CREATE_R (0x9C): u8 status | str msg | nonce | sig
// Logged in only. The caller becomes owner and first member. `record` is
// the caller's signed create record (epoch 0, its own published bundle),
// stored as the chain's first (srv/store/chain_check.hpp). An id that was
// ever used, dissolved groups included, stays taken (GROUP_EXISTS), so
// nobody can pose as an old group. Sends the owner's sessions NOTIFY
// group-records after the commit.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"
#include "srv/handlers/group_records.hpp"

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

    std::string bad;
    auto record = request_record(m.record, m.group, user, user, &bad);
    if (!record) return answer(proto::BAD_REQUEST, bad);

    const std::string group = m.group;
    ctx.store().create_group(group, user, ctx.wall_ms(), std::move(record), ctx.then<store::Changed>([n, user, group](Ctx& ctx,
                                                                                                store::Changed c) {
        std::string text;
        switch (c.status) {
        case proto::OK: text = "created group " + group; break;
        case proto::GROUP_EXISTS: text = "group id " + group + " is taken"; break;
        case proto::STORAGE_FULL:
        case proto::BAD_REQUEST: text = c.why; break;
        default: text = "group not created"; break;
        }
        answer_change<msg::GroupCreateR>(ctx, n, c, std::move(text), group);
        fmt::print(stderr, "tacitd: conn={} group_create user={} group={} status={}\n", ctx.conn.id, user, group,
                   proto::status_name(c.status));
    }));
}

}  // namespace tacit::srv
