// GROUP_LIST (0x23): token | nonce | sig
//   -> GROUP_LIST_R (0xA3): u8 status | str msg | nonce | u32 count |
//      count x (str group | u64 head) | sig
// Logged in only. The caller's groups (dissolved ones and those without
// records left out) with the epoch of each one's newest record, sorted by
// id, at most 16384 (42 bytes each at most, so the reply fits a frame; past
// that the rest are left out and msg says so): at login the client fetches (GROUP_FETCH) what is newer than its own
// chain, since a change made while it was away left it no mailbox entry.
// A group it holds a chain of but that is not listed is one it was removed
// from (or that was dissolved): GROUP_FETCH says which. tacit-protocol(7), GROUPS.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

namespace {
constexpr size_t kMaxListed = 16384;
}

void handle_group_list(Ctx& ctx) {
    auto d = msg::decode<msg::GroupList>(ctx.req.plaintext);
    const Nonce n = d.m.nonce;
    const std::string user = ctx.user();
    if (std::string why; check_signed(ctx, d, &why) != proto::OK)
        return answer_status<msg::GroupListR>(ctx, "group_list", n, proto::AUTH_FAILED, why);
    ctx.store().group_list(user, ctx.then<store::GroupHeads>([n, user](Ctx& ctx, store::GroupHeads h) {
        msg::GroupListR r;
        r.nonce = n;
        r.status = proto::OK;
        r.msg = std::to_string(h.groups.size()) + " groups";
        if (h.groups.size() > kMaxListed) {
            r.msg += fmt::format(", the first {} listed", kMaxListed);
            h.groups.resize(kMaxListed);
        }
        r.groups = std::move(h.groups);
        const size_t count = r.groups.size();
        // What this pass wrote (a change just made) goes out only if it commits.
        ctx.reply_after_commit(
            [body = msg::encode_body(r), n](bool committed) {
                if (committed) return body;
                msg::GroupListR f;
                f.status = proto::STORAGE_FULL;
                f.msg = "server storage failed; try again";
                f.nonce = n;
                return msg::encode_body(f);
            },
            true);
        fmt::print(stderr, "tacitd: conn={} group_list user={} groups={}\n", ctx.conn.id, user, count);
    }));
}

}  // namespace tacit::srv
