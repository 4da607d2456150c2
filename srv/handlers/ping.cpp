// PING (0x30): nonce -> PONG (0xB0): nonce. Unsigned keepalive, any state
// once the channel is up.
#include "srv/handler.hpp"

namespace tacit::srv {

void handle_ping(Ctx& ctx) {
    auto d = msg::decode<msg::Ping>(ctx.req.plaintext);
    msg::Pong p;
    p.nonce = d.m.nonce;
    ctx.reply(msg::encode_body(p), false);
}

}  // namespace tacit::srv
