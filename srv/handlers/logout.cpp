// LOGOUT (0x16): token | sig. No reply: the server drops the token and closes
// every connection of the session.
#include "shared/keys.hpp"
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

void handle_logout(Ctx& ctx) {
    auto d = msg::decode<msg::Logout>(ctx.req.plaintext);
    if (!ctx.token_ok(d.m.token)) return ctx.error(Nonce{}, proto::AUTH_FAILED, "not your token", true);
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0]))
        return ctx.error(Nonce{}, proto::AUTH_FAILED, "bad signature", true);
    fmt::print(stderr, "tacitd: conn={} logout user={}\n", ctx.conn.id, ctx.user());
    auto s = ctx.conn.session;
    ctx.sessions().end(*s);
}

}  // namespace tacit::srv
