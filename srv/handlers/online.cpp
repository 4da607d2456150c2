// ONLINE (0x17): token | nonce | sig -> ONLINE_R (0x97): nonce |
// list<str> users | sig. Users with at least one logged-in connection.
#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

void handle_online(Ctx& ctx) {
    auto d = msg::decode<msg::Online>(ctx.req.plaintext);
    if (!ctx.token_ok(d.m.token)) return ctx.error(d.m.nonce, proto::AUTH_FAILED, "not your token", true);
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0]))
        return ctx.error(d.m.nonce, proto::AUTH_FAILED, "bad signature", true);
    msg::OnlineR r;
    r.nonce = d.m.nonce;
    r.users = ctx.presence().online_users();
    ctx.reply(msg::encode_body(r), true);
}

}  // namespace tacit::srv
