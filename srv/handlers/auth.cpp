// Shared check for signed requests of a logged-in user: the signature must
// verify with the key the user logged in with (cached in the session).
#include "srv/handler.hpp"
#include "srv/server.hpp"

namespace tacit::srv {

bool verify_user_sig(Ctx& ctx, size_t signed_len, ByteView sig) {
    auto& s = ctx.conn.session;
    return s && s->key && ctx.verify(*s->key, signed_len, sig);
}

}  // namespace tacit::srv
