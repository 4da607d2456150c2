// Shared check for signed requests of a logged-in user: the signature must
// verify with the key the user logged in with (cached in the session).
#include "srv/handler.hpp"

namespace tacit::srv {

bool verify_user_sig(Ctx& ctx, size_t signed_len, ByteView sig) {
    auto& s = ctx.conn.session;
    // Requests without a token (MSG2, GROUP_MSG2*) stop at expiry as well.
    return s && s->key && !s->ended && s->expires_ms > ctx.wall_ms() && ctx.verify(*s->key, signed_len, sig);
}

}  // namespace tacit::srv
